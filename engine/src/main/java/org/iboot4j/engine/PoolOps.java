package org.iboot4j.engine;

import org.iboot4j.engine.backend.PoolGeometry;

/**
 * Pooling over (N, C, T, H, W) and dropout. Max-pool remembers where each maximum came from
 * and sends the gradient there; average pools spread it evenly over their windows.
 */
final class PoolOps {
    private PoolOps() {}

    static Tensor maxPool3d(Tensor x, PoolGeometry geometry) {
        check("max_pool3d", x);
        int[] shape = geometry.outputShape(x.shape());
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, shape);
        Tensor indices = Tensor.empty(x.backend(), DType.I64, shape);
        x.backend().maxPool3d(x, geometry, out, indices);
        int[] xShape = x.shape();
        return Autograd.record("max_pool3d", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, xShape);
            g.backend().maxPool3dBackward(g, indices, gx);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor avgPool3d(Tensor x, PoolGeometry geometry, boolean countIncludePad) {
        check("avg_pool3d", x);
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, geometry.outputShape(x.shape()));
        x.backend().avgPool3d(x, geometry, countIncludePad, out);
        int[] xShape = x.shape();
        return Autograd.record("avg_pool3d", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, xShape);
            g.backend().avgPool3dBackward(g, geometry, countIncludePad, gx);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor adaptiveAvgPool3d(Tensor x, int outT, int outH, int outW) {
        check("adaptive_avg_pool3d", x);
        if (outT < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool3d: output size must be positive, got ("
                    + outT + ", " + outH + ", " + outW + ")");
        }
        int[] xShape = x.shape();
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, xShape[0], xShape[1], outT, outH, outW);
        x.backend().adaptiveAvgPool3d(x, out);
        return Autograd.record("adaptive_avg_pool3d", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, xShape);
            g.backend().adaptiveAvgPool3dBackward(g, gx);
            return new Tensor[] {gx};
        }, x);
    }

    /**
     * Inverted dropout: in training, zero each element with probability p (from {@code rng}) and
     * scale the survivors by 1/(1-p), so evaluation is the identity.
     */
    static Tensor dropout(Tensor x, float p, boolean training, Rng rng) {
        if (!(p >= 0 && p <= 1)) { // also rejects NaN
            throw new IllegalArgumentException("dropout: p must be in [0, 1], got " + p);
        }
        if (!training || p == 0) return x;
        if (p == 1) return x.mul(0);
        Tensor keep = Tensor.rand(rng, 0, 1, x.shape()).to(x.backend()).ge(x.scalarLike(p)).to(DType.F32);
        return x.mul(keep.mul(1 / (1 - p)));
    }

    private static void check(String op, Tensor x) {
        x.requireDType(op, DType.F32);
        if (x.dim() != 5) {
            throw new IllegalArgumentException(op + ": expected input (N, C, T, H, W), got "
                    + Shapes.str(x.shape()));
        }
    }
}
