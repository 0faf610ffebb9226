package org.iboot4j.engine.cpu;

import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.SgdStep;

/**
 * The fused SGD / LARS parameter update on the CPU (the twin of the GPU's LARS kernel): one
 * pass computes ||w|| and ||g|| (double accumulation, per-chunk partials combined in order, so
 * the result does not depend on timing) when LARS needs them, a second pass applies decay,
 * scaling, momentum and the write-back. Cost: two reads of w and g, one read-modify-write of
 * the momentum buffer and of w.
 */
final class CpuOptimizer {
    private CpuOptimizer() {}

    static void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, SgdStep s) {
        float[] w = floats(param), b = floats(momentumBuffer);
        Tensor g0 = grad.isContiguous() ? grad : contiguous(grad);
        float[] g = floats(g0);
        int n = param.numel(), wo = param.offset(), go = g0.offset(), bo = momentumBuffer.offset();
        double decay = s.weightDecay(), scale = 1;
        if (s.trustCoefficient() > 0) {
            double wNorm = Math.sqrt(sumOfSquares(w, wo, n)), gNorm = Math.sqrt(sumOfSquares(g, go, n));
            if (wNorm > 0 && gNorm > 0) {
                scale = s.trustCoefficient() * wNorm / (gNorm + decay * wNorm + s.eps());
            } else {
                decay = 0;
            }
        }
        final double wd = decay, k = scale, mu = s.momentum(), lr = s.lr();
        final boolean nesterov = s.nesterov();
        Parallel.forRange(n, StridedLoop.GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                double d = (g[go + i] + wd * w[wo + i]) * k;
                float buf = (float) (mu * b[bo + i] + d);
                b[bo + i] = buf;
                w[wo + i] = (float) (w[wo + i] - lr * (nesterov ? d + mu * buf : buf));
            }
        });
    }

    private static double sumOfSquares(float[] a, int offset, int n) {
        int chunks = Math.max(1, Math.min(4 * Parallel.threads(), n / StridedLoop.GRAIN));
        double[] partial = new double[chunks];
        Parallel.forRange(chunks, 1, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double acc = 0;
                for (int i = (int) ((long) n * c / chunks), end = (int) ((long) n * (c + 1) / chunks); i < end; i++) {
                    acc += (double) a[offset + i] * a[offset + i];
                }
                partial[c] = acc;
            }
        });
        double sum = 0;
        for (double p : partial) sum += p;
        return sum;
    }

    private static float[] floats(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }

    private static Tensor contiguous(Tensor t) {
        Tensor copy = Tensor.empty(t.backend(), t.dtype(), t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }
}
