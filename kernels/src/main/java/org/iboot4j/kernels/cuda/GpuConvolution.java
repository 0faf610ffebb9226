package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.ConvGeometry;

/**
 * conv3d forward / backward-data / backward-filter and training-mode batch-norm with cuDNN
 * (see {@link Cudnn}). Operands are made contiguous float32 first; outputs that are not
 * contiguous go through a temporary. Missing batch-norm weight/bias become ones/zeros, and
 * gradients the caller does not want go to scratch buffers (cuDNN always writes them).
 */
final class GpuConvolution {
    /**
     * The epsilon handed to cudnnBatchNormalizationBackward. The engine's backward signature has
     * none; cuDNN only uses it when the saved mean / inverse deviation are absent, and they are
     * always given.
     */
    static final double BACKWARD_EPS_UNUSED = 1e-5;

    private final Gpu gpu;

    GpuConvolution(Gpu gpu) {
        this.gpu = gpu;
    }

    void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor out) {
        if (out.numel() == 0) return;
        Tensor xc = gpu.contiguousF32(x), wc = gpu.contiguousF32(weight), bc = bias == null ? null : gpu.contiguousF32(bias);
        Tensor o = dense(out);
        gpu.cudnn.convolutionForward(gpu.ptr(xc), xc.shape(), gpu.ptr(wc), wc.shape(), gpu.ptrOrNull(bc), g, gpu.ptr(o),
                o.shape());
        finish(o, out);
    }

    void backwardData(Tensor gradOut, Tensor weight, ConvGeometry g, Tensor gradX) {
        if (gradX.numel() == 0) return;
        Tensor gc = gpu.contiguousF32(gradOut), wc = gpu.contiguousF32(weight), gx = dense(gradX);
        gpu.cudnn.convolutionBackwardData(gpu.ptr(gc), gc.shape(), gpu.ptr(wc), wc.shape(), g, gpu.ptr(gx), gx.shape());
        finish(gx, gradX);
    }

    void backwardFilter(Tensor gradOut, Tensor x, ConvGeometry g, Tensor gradWeight) {
        if (gradWeight.numel() == 0) return;
        Tensor gc = gpu.contiguousF32(gradOut), xc = gpu.contiguousF32(x), gw = dense(gradWeight);
        gpu.cudnn.convolutionBackwardFilter(gpu.ptr(gc), gc.shape(), gpu.ptr(xc), xc.shape(), g, gpu.ptr(gw), gw.shape());
        finish(gw, gradWeight);
    }

    void batchNormTrain(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor var) {
        if (x.numel() == 0) return;
        int channels = x.shape()[1];
        Tensor xc = gpu.contiguousF32(x);
        Tensor scale = weight == null ? constant(channels, 1f) : gpu.contiguousF32(weight);
        Tensor shift = bias == null ? constant(channels, 0f) : gpu.contiguousF32(bias);
        Tensor o = dense(out), m = dense(mean), v = dense(var);
        gpu.elementwise.fill(m, 0); // cuDNN blends into the running statistics: they must not hold NaN
        Tensor runningVar = gpu.zeros(DType.F32, channels);
        gpu.cudnn.batchNormTraining(gpu.ptr(xc), xc.shape(), gpu.ptr(scale), gpu.ptr(shift), eps, gpu.ptr(o), gpu.ptr(m),
                gpu.ptr(v), gpu.ptr(runningVar));
        finish(o, out);
        finish(m, mean);
        finish(v, var);
    }

    void batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradX,
            Tensor gradWeight, Tensor gradBias) {
        if (x.numel() == 0) return;
        int channels = x.shape()[1];
        Tensor xc = gpu.contiguousF32(x), gc = gpu.contiguousF32(gradOut);
        Tensor scale = weight == null ? constant(channels, 1f) : gpu.contiguousF32(weight);
        Tensor m = gpu.contiguousF32(mean), inv = gpu.contiguousF32(invStd);
        Tensor gx = dense(gradX);
        Tensor gw = gradWeight == null ? gpu.temp(DType.F32, channels) : dense(gradWeight);
        Tensor gb = gradBias == null ? gpu.temp(DType.F32, channels) : dense(gradBias);
        gpu.cudnn.batchNormBackward(gpu.ptr(xc), xc.shape(), gpu.ptr(gc), gpu.ptr(scale), gpu.ptr(m), gpu.ptr(inv),
                BACKWARD_EPS_UNUSED, gpu.ptr(gx), gpu.ptr(gw), gpu.ptr(gb));
        finish(gx, gradX);
        if (gradWeight != null) finish(gw, gradWeight);
        if (gradBias != null) finish(gb, gradBias);
    }

    private Tensor constant(int n, float value) {
        Tensor t = gpu.temp(DType.F32, n);
        gpu.elementwise.fill(t, value);
        return t;
    }

    private Tensor dense(Tensor out) {
        return out.isContiguous() && out.dtype() == DType.F32 ? out : gpu.temp(DType.F32, out.shape());
    }

    private void finish(Tensor target, Tensor out) {
        if (target != out) gpu.elementwise.copy(target, out);
    }
}
