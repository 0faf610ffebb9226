package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;

/**
 * Row softmax / log-softmax and layer-norm, forward and backward: one block per row
 * ({@code softmax.ptx}, {@code layer_norm.ptx}); the layer-norm weight and bias gradients are
 * column sums done by {@code layer_norm_param_grad_f32} (32 x 8 blocks, rows split over
 * {@code gridDim.y} with atomic adds into zeroed outputs). Operands are made contiguous first;
 * the "rows" are every dimension but the last.
 */
final class GpuNormalization {
    private final Gpu gpu;

    GpuNormalization(Gpu gpu) {
        this.gpu = gpu;
    }

    private static int width(Tensor t) {
        return t.dim() == 0 ? 1 : t.shape()[t.dim() - 1];
    }

    private static int rows(Tensor t) {
        return t.numel() / Math.max(1, width(t));
    }

    private static LaunchShape rowShape(int rows) {
        return LaunchShape.of(Math.max(1, Math.min(rows, 65535)), 1, 256, 1);
    }

    void softmax(Tensor x, boolean log, Tensor out) {
        if (x.numel() == 0) return;
        Tensor xc = gpu.contiguousF32(x), target = dense(out);
        gpu.launch(Kernels.args("softmax_forward_f32").ptr(gpu.ptr(target)).ptr(gpu.ptr(xc)).s32(rows(xc)).s32(width(xc))
                .s32(log ? 1 : 0), rowShape(rows(xc)));
        finish(target, out);
    }

    void softmaxBackward(Tensor y, Tensor gradY, boolean log, Tensor gradX) {
        if (y.numel() == 0) return;
        Tensor yc = gpu.contiguousF32(y), gc = gpu.contiguousF32(gradY), target = dense(gradX);
        gpu.launch(Kernels.args("softmax_backward_f32").ptr(gpu.ptr(target)).ptr(gpu.ptr(yc)).ptr(gpu.ptr(gc))
                .s32(rows(yc)).s32(width(yc)).s32(log ? 1 : 0), rowShape(rows(yc)));
        finish(target, gradX);
    }

    void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        if (x.numel() == 0) return;
        Tensor xc = gpu.contiguousF32(x);
        Tensor w = weight == null ? null : gpu.contiguousF32(weight), b = bias == null ? null : gpu.contiguousF32(bias);
        Tensor o = dense(out), m = dense(mean), r = dense(rstd);
        gpu.launch(Kernels.args("layer_norm_forward_f32").ptr(gpu.ptr(o)).ptr(gpu.ptr(m)).ptr(gpu.ptr(r)).ptr(gpu.ptr(xc))
                .ptr(gpu.ptrOrNull(w)).ptr(gpu.ptrOrNull(b)).s32(rows(xc)).s32(width(xc)).f32(eps), rowShape(rows(xc)));
        finish(o, out);
        finish(m, mean);
        finish(r, rstd);
    }

    void layerNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradX,
            Tensor gradWeight, Tensor gradBias) {
        if (x.numel() == 0) return;
        Tensor g = gpu.contiguousF32(gradOut), xc = gpu.contiguousF32(x);
        Tensor w = weight == null ? null : gpu.contiguousF32(weight);
        Tensor m = gpu.contiguousF32(mean), r = gpu.contiguousF32(rstd);
        int rows = rows(xc), width = width(xc);
        Tensor gx = dense(gradX);
        gpu.launch(Kernels.args("layer_norm_backward_f32").ptr(gpu.ptr(gx)).ptr(gpu.ptr(g)).ptr(gpu.ptr(xc))
                .ptr(gpu.ptrOrNull(w)).ptr(gpu.ptr(m)).ptr(gpu.ptr(r)).s32(rows).s32(width), rowShape(rows));
        finish(gx, gradX);
        if (gradWeight == null && gradBias == null) return;
        Tensor gw = gradWeight == null ? null : dense(gradWeight), gb = gradBias == null ? null : dense(gradBias);
        if (gw != null) gpu.elementwise.fill(gw, 0); // the kernel adds atomically into zeroed outputs
        if (gb != null) gpu.elementwise.fill(gb, 0);
        int gridX = (width + 31) / 32;
        int splits = (int) Math.max(1, Math.min(Math.min(rows / 8, 65535), 4L * gpu.multiprocessors() / gridX));
        gpu.launch(Kernels.args("layer_norm_param_grad_f32").ptr(gpu.ptrOrNull(gw)).ptr(gpu.ptrOrNull(gb))
                .ptr(gpu.ptr(g)).ptr(gpu.ptr(xc)).ptr(gpu.ptr(m)).ptr(gpu.ptr(r)).s32(rows).s32(width),
                LaunchShape.of(gridX, splits, 32, 8));
        if (gw != null) finish(gw, gradWeight);
        if (gb != null) finish(gb, gradBias);
    }

    /** {@code out} itself when contiguous float32, else a temporary to copy back with {@link #finish}. */
    private Tensor dense(Tensor out) {
        return out.isContiguous() && out.dtype() == DType.F32 ? out : gpu.temp(DType.F32, out.shape());
    }

    private void finish(Tensor target, Tensor out) {
        if (target != out) gpu.elementwise.copy(target, out);
    }
}
