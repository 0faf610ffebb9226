package org.iboot4j.engine;

import java.util.Arrays;

/**
 * Softmax, log-softmax, layer-norm and L2 normalisation. The backend primitives work on the
 * last dimension of contiguous rows; other dimensions are moved there with views first.
 */
final class NormOps {
    private NormOps() {}

    /**
     * softmax: y = exp(x - max) / sum exp(x - max); dx = y (g - sum(g y)).
     * log-softmax: y = x - max - log sum exp(x - max); dx = g - exp(y) sum(g).
     */
    static Tensor softmax(Tensor x, int dim, boolean log) {
        String name = log ? "log_softmax" : "softmax";
        x.requireDType(name, DType.F32);
        int d = Shapes.dim(name, dim, x.dim());
        int last = Math.max(0, x.dim() - 1);
        if (d != last) return softmax(x.transpose(d, last), last, log).transpose(d, last);
        Tensor rows = x.contiguous();
        Tensor out = Tensor.empty(x.backend(), DType.F32, rows.shape());
        x.backend().softmax(rows, log, out);
        return Autograd.record(name, out, (g, n) -> {
            Tensor gradX = Tensor.empty(g.backend(), DType.F32, out.shape());
            g.backend().softmaxBackward(out, g.contiguous(), log, gradX);
            return new Tensor[] {gradX};
        }, rows);
    }

    /**
     * Layer-norm over the trailing dims {@code normalizedShape}: y = (x - mean) / sqrt(var + eps)
     * * weight + bias with the biased variance. With xhat = (x - mean) * rstd and gh = g * weight:
     * dx = rstd (gh - mean(gh) - xhat mean(gh xhat)), dweight = sum over rows of g xhat,
     * dbias = sum over rows of g.
     */
    static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        x.requireDType("layer_norm", DType.F32);
        int lead = x.dim() - normalizedShape.length;
        if (lead < 0 || !Arrays.equals(Arrays.copyOfRange(x.shape(), lead, x.dim()), normalizedShape)) {
            throw new IllegalArgumentException("layer_norm: normalized shape "
                    + Shapes.str(normalizedShape) + " does not match the trailing dimensions of the"
                    + " input " + Shapes.str(x.shape()));
        }
        checkAffine("weight", weight, normalizedShape);
        checkAffine("bias", bias, normalizedShape);
        int width = Shapes.numel(normalizedShape);
        int rows = x.numel() / Math.max(width, 1);
        Tensor x2 = x.reshape(rows, width).contiguous();
        Tensor w = weight == null ? null : weight.reshape(width).contiguous();
        Tensor b = bias == null ? null : bias.reshape(width).contiguous();
        Tensor out = Tensor.empty(x.backend(), DType.F32, rows, width);
        Tensor mean = Tensor.empty(x.backend(), DType.F32, rows);
        Tensor rstd = Tensor.empty(x.backend(), DType.F32, rows);
        x.backend().layerNorm(x2, w, b, eps, out, mean, rstd);
        Tensor recorded = Autograd.record("layer_norm", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, rows, width);
            Tensor gw = n[1] ? Tensor.empty(g.backend(), DType.F32, width) : null;
            Tensor gb = n[2] ? Tensor.empty(g.backend(), DType.F32, width) : null;
            g.backend().layerNormBackward(g.contiguous(), x2, w, mean, rstd, gx, gw, gb);
            return new Tensor[] {gx, gw, gb};
        }, x2, w, b);
        return recorded.reshape(x.shape());
    }

    private static void checkAffine(String what, Tensor t, int[] normalizedShape) {
        if (t != null && !Arrays.equals(t.shape(), normalizedShape)) {
            throw new IllegalArgumentException("layer_norm: " + what + " has shape "
                    + Shapes.str(t.shape()) + ", expected " + Shapes.str(normalizedShape));
        }
    }

    /**
     * The Euclidean norm over {@code dim}: sqrt(sum x^2). d||x|| = x / ||x||, taken as 0 where
     * the norm is 0 (PyTorch's convention, which keeps zero rows from producing NaN).
     */
    static Tensor l2Norm(Tensor x, int dim, boolean keepdim) {
        int d = Shapes.dim("norm", dim, x.dim());
        Tensor norm;
        try (var ignored = GradMode.disable()) {
            norm = x.mul(x).sum(new int[] {d}, true).sqrt();
        }
        Tensor recorded = Autograd.record("norm", norm, (g, n) -> {
            Tensor zero = g.scalarLike(0);
            return new Tensor[] {IndexOps.where(norm.eq(zero), zero, x.mul(g.div(norm)))};
        }, x);
        return keepdim ? recorded : recorded.squeeze(d);
    }

    /** F.normalize(x, p=2, dim, eps): x / max(||x||, eps). */
    static Tensor normalize(Tensor x, int dim, float eps) {
        return x.div(l2Norm(x, dim, true).clamp(eps, Float.NaN));
    }
}
