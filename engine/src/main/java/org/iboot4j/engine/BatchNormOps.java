package org.iboot4j.engine;

import java.util.Arrays;

/**
 * Batch normalisation over (N, C, S...), PyTorch's F.batch_norm.
 *
 * <p>Training: normalise with the batch's per-channel mean and biased variance (a backend
 * primitive that also returns them), and update the running statistics in place:
 * running = (1 - momentum) running + momentum batch, with the unbiased variance. With xhat =
 * (x - mean) invStd, gh = g weight and M = N * prod(S) elements per channel, the backward is
 * dx = invStd (gh - mean_M(gh) - xhat mean_M(gh xhat)), dweight = sum g xhat, dbias = sum g.
 *
 * <p>Evaluation: the running statistics make it an affine map per channel, built from
 * pointwise ops (so autograd derives its gradient).
 */
final class BatchNormOps {
    private BatchNormOps() {}

    static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, float momentum, float eps) {
        x.requireDType("batch_norm", DType.F32);
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm: expected (N, C, ...) input, got "
                    + Shapes.str(x.shape()));
        }
        int channels = x.shape()[1];
        for (Tensor t : new Tensor[] {runningMean, runningVar, weight, bias}) {
            if (t != null && !Arrays.equals(t.shape(), new int[] {channels})) {
                throw new IllegalArgumentException("batch_norm: per-channel tensors must have shape ["
                        + channels + "] for input " + Shapes.str(x.shape()) + ", got " + Shapes.str(t.shape()));
            }
        }
        if (training) return train(x, runningMean, runningVar, weight, bias, momentum, eps);
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException("batch_norm: evaluation mode needs running mean and variance");
        }
        int[] perChannel = new int[x.dim()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = channels;
        Tensor scale = runningVar.add(eps).rsqrt();
        if (weight != null) scale = scale.mul(weight);
        Tensor shift = runningMean.mul(scale).neg();
        if (bias != null) shift = shift.add(bias);
        return PointwiseOps.mulAdd(x, scale.reshape(perChannel), shift.reshape(perChannel));
    }

    private static Tensor train(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            float momentum, float eps) {
        int channels = x.shape()[1], perChannel = x.numel() / Math.max(1, channels);
        if (perChannel <= 1) {
            throw new IllegalArgumentException("batch_norm: training needs more than one value per"
                    + " channel, got input " + Shapes.str(x.shape()));
        }
        Tensor xc = x.contiguous();
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, x.shape());
        Tensor mean = Tensor.empty(x.backend(), DType.F32, channels);
        Tensor var = Tensor.empty(x.backend(), DType.F32, channels);
        x.backend().batchNormTrain(xc, weight, bias, eps, out, mean, var);
        Tensor invStd;
        try (var ignored = GradMode.disable()) {
            invStd = var.add(eps).rsqrt();
            if (runningMean != null && runningVar != null) {
                Tensor unbiasedVar = var.mul((float) perChannel / (perChannel - 1));
                runningMean.copyFrom(runningMean.mul(1 - momentum).add(mean.mul(momentum)));
                runningVar.copyFrom(runningVar.mul(1 - momentum).add(unbiasedVar.mul(momentum)));
            }
        }
        return Autograd.record("batch_norm", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, xc.shape());
            Tensor gw = n[1] ? Tensor.empty(g.backend(), DType.F32, channels) : null;
            Tensor gb = n[2] ? Tensor.empty(g.backend(), DType.F32, channels) : null;
            g.backend().batchNormBackward(g.contiguous(), xc, weight, mean, invStd, gx, gw, gb);
            return new Tensor[] {gx, gw, gb};
        }, xc, weight, bias);
    }
}
