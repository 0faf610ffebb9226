package org.iboot4j.engine;

/** Losses and similarities built from the primitives; autograd derives their gradients. */
final class LossOps {
    private LossOps() {}

    /** How a per-sample loss is reduced, as PyTorch's {@code reduction=}. */
    enum Reduction { MEAN, SUM, NONE }

    /**
     * Cross-entropy of logits (N, C) or (N, C, d...) against int64 class indices (N) or
     * (N, d...): -log_softmax(logits)[target] per sample, then reduced.
     */
    static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        target.requireDType("cross_entropy", DType.I64);
        int[] ls = logits.shape(), ts = target.shape();
        boolean shapesFit = ls.length >= 2 && ts.length == ls.length - 1 && ts[0] == ls[0];
        for (int i = 2; shapesFit && i < ls.length; i++) shapesFit = ts[i - 1] == ls[i];
        if (!shapesFit) {
            throw new IllegalArgumentException("cross_entropy: logits " + Shapes.str(ls)
                    + " need targets of shape (N, d...) = " + Shapes.str(expectedTarget(ls))
                    + ", got " + Shapes.str(ts));
        }
        int classes = ls[1];
        for (long label : target.toLongArray()) {
            if (label < 0 || label >= classes) {
                throw new IndexOutOfBoundsException("cross_entropy: target " + label
                        + " is out of range for " + classes + " classes (logits " + Shapes.str(ls)
                        + ", targets " + Shapes.str(ts) + ")");
            }
        }
        Tensor picked = logits.logSoftmax(1).gather(1, target.unsqueeze(1)).squeeze(1).neg();
        return switch (reduction) {
            case MEAN -> picked.mean();
            case SUM -> picked.sum();
            case NONE -> picked;
        };
    }

    private static int[] expectedTarget(int[] logits) {
        if (logits.length < 2) return logits;
        int[] t = new int[logits.length - 1];
        t[0] = logits[0];
        System.arraycopy(logits, 2, t, 1, logits.length - 2);
        return t;
    }

    /**
     * F.cosine_similarity: sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) over dim, with
     * broadcasting between x1 and x2.
     */
    static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim, float eps) {
        int[] shape = Shapes.broadcast("cosine_similarity", x1.shape(), x2.shape());
        int d = Shapes.dim("cosine_similarity", dim, shape.length);
        Tensor a = x1.expand(shape), b = x2.expand(shape);
        Tensor an = a.div(NormOps.l2Norm(a, d, true).clamp(eps, Float.NaN));
        Tensor bn = b.div(NormOps.l2Norm(b, d, true).clamp(eps, Float.NaN));
        return an.mul(bn).sum(d);
    }

    /**
     * The iBoot / BYOL regression loss, mean over rows of 2 - 2 cos(q, k), for a target q and an
     * online output k of the same shape (..., D). The target is a constant (stop-gradient, as in
     * BYOL and iBoot): the gradient flows to k only. Forward and backward are one fused primitive
     * whose gradient is saved for the backward pass.
     */
    static Tensor cosineRegressionLoss(Tensor q, Tensor k) {
        q.requireDType("cosine_loss", DType.F32);
        k.requireDType("cosine_loss", DType.F32);
        PointwiseOps.requireSameBackend("cosine_loss", q, k);
        if (!java.util.Arrays.equals(q.shape(), k.shape()) || q.dim() < 1 || q.numel() == 0) {
            throw new IllegalArgumentException("cosine_loss: target " + Shapes.str(q.shape()) + " and online "
                    + Shapes.str(k.shape()) + " must have the same non-empty shape (..., D)");
        }
        Tensor qc = q.detach().contiguous(), kc = k.detach().contiguous();
        Tensor loss = Tensor.empty(k.backend(), DType.F32);
        Tensor gradK = Tensor.empty(k.backend(), DType.F32, k.shape());
        k.backend().cosineLoss(qc, kc, loss, gradK);
        return Autograd.record("cosine_loss", loss, (g, n) -> new Tensor[] {gradK.mul(g)}, k);
    }
}
