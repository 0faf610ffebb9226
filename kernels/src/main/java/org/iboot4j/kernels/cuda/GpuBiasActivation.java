package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.FusedActivation;

/**
 * A linear layer's bias and activation, fused ({@code bias_act.ptx}): the forward is one
 * grid-stride pass out = act(x + bias); the backward is one launch of 32 x 8 blocks that writes
 * dx and sums it per column over a share of the rows, then, when the rows were split over
 * S > 1 block rows, {@code bias_act_bias_grad_f32} adds the S f64 partials of each column in
 * order (deterministic; no atomics, no zero-fill). Operands are made contiguous first; the
 * "rows" are every dimension but the last.
 */
final class GpuBiasActivation {
    private final Gpu gpu;

    GpuBiasActivation(Gpu gpu) {
        this.gpu = gpu;
    }

    private static int width(Tensor t) {
        return t.shape()[t.dim() - 1];
    }

    void forward(Tensor x, Tensor bias, FusedActivation act, Tensor out) {
        if (x.numel() == 0) return;
        Tensor xc = gpu.contiguousF32(x), bc = gpu.contiguousF32(bias);
        Tensor o = out.isContiguous() ? out : gpu.temp(DType.F32, out.shape());
        gpu.launch(Kernels.args("bias_act_forward_f32").ptr(gpu.ptr(o)).ptr(gpu.ptr(xc)).ptr(gpu.ptr(bc))
                .s32(xc.numel()).s32(width(xc)).s32(act.ordinal()), Gpu.elementwiseShape(xc.numel()));
        if (o != out) gpu.elementwise.copy(o, out);
    }

    void backward(Tensor gradOut, Tensor x, Tensor bias, FusedActivation act, Tensor gradX, Tensor gradBias) {
        int width = width(x), rows = x.numel() / Math.max(1, width);
        if (width == 0 || (gradX == null && gradBias == null)) return;
        if (rows == 0) {
            if (gradBias != null) gpu.elementwise.fill(gradBias, 0); // the sum of no rows
            return;
        }
        Tensor g = gpu.contiguousF32(gradOut), xc = gpu.contiguousF32(x), bc = gpu.contiguousF32(bias);
        Tensor gx = gradX == null || gradX.isContiguous() ? gradX : gpu.temp(DType.F32, gradX.shape());
        Tensor gb = gradBias == null || gradBias.isContiguous() ? gradBias : gpu.temp(DType.F32, gradBias.shape());
        int gridX = (width + 31) / 32;
        int splits = (int) Math.max(1, Math.min(Math.min((rows + 7) / 8, 65535), 8L * gpu.multiprocessors() / gridX));
        // f64 partials [splits][width], as twice as many floats; only when the rows are split
        Tensor partials = gb != null && splits > 1 ? gpu.temp(DType.F32, 2 * splits * width) : null;
        gpu.launch(Kernels.args("bias_act_backward_f32").ptr(gpu.ptrOrNull(gx)).ptr(gpu.ptrOrNull(gb))
                .ptr(gpu.ptrOrNull(partials)).ptr(gpu.ptr(g)).ptr(gpu.ptr(xc)).ptr(gpu.ptr(bc))
                .s32(rows).s32(width).s32(act.ordinal()), LaunchShape.of(gridX, splits, 32, 8));
        if (partials != null) {
            gpu.launch(Kernels.args("bias_act_bias_grad_f32").ptr(gpu.ptr(gb)).ptr(gpu.ptr(partials))
                    .s32(splits).s32(width), LaunchShape.of((width + 255) / 256, 1, 256, 1));
        }
        if (gx != gradX) gpu.elementwise.copy(gx, gradX);
        if (gb != gradBias) gpu.elementwise.copy(gb, gradBias);
    }
}
