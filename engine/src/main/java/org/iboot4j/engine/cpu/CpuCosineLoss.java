package org.iboot4j.engine.cpu;

import org.iboot4j.engine.Tensor;

/**
 * The iBoot / BYOL loss and its gradient in one pass over each row (the CPU twin of the GPU's
 * cosine_loss kernel). For a row with target q and online output k, with qh = q / max(|q|, e),
 * kh = k / max(|k|, e), e = 1e-12 and c = <qh, kh>:
 * <pre>
 *   loss_row = 2 - 2 c
 *   d loss_row / dk = -2 (qh - c kh) / |k|      (when |k| > e; else -2 qh / e)
 * </pre>
 * The loss is the mean over rows, so each row's gradient is scaled by 1/rows. Rows run in
 * parallel; per-row sums in double; the mean adds the row losses in row order. Cost: two reads
 * of q and k, one write of the gradient.
 */
final class CpuCosineLoss {
    private static final double EPS = 1e-12;

    private CpuCosineLoss() {}

    static void forwardBackward(Tensor q, Tensor k, Tensor loss, Tensor gradK) {
        float[] qs = floats(q), ks = floats(k), g = floats(gradK);
        int width = q.shape()[q.dim() - 1], rows = q.numel() / Math.max(1, width);
        int q0 = q.offset(), k0 = k.offset();
        double[] rowLoss = new double[rows];
        Parallel.forRange(rows, Math.max(1, StridedLoop.GRAIN / Math.max(1, width)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int qa = q0 + r * width, ka = k0 + r * width, ga = gradK.offset() + r * width;
                double qq = 0, kk = 0, qk = 0;
                for (int j = 0; j < width; j++) {
                    double a = qs[qa + j], b = ks[ka + j];
                    qq += a * a;
                    kk += b * b;
                    qk += a * b;
                }
                double qn = Math.max(Math.sqrt(qq), EPS), kNorm = Math.sqrt(kk), kn = Math.max(kNorm, EPS);
                double c = qk / (qn * kn);
                rowLoss[r] = 2 - 2 * c;
                double scale = -2.0 / rows / kn, kTerm = kNorm > EPS ? c / kn : 0;
                for (int j = 0; j < width; j++) {
                    g[ga + j] = (float) (scale * (qs[qa + j] / qn - kTerm * ks[ka + j]));
                }
            }
        });
        double sum = 0;
        for (double v : rowLoss) sum += v;
        floats(loss)[loss.offset()] = (float) (sum / rows);
    }

    private static float[] floats(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }
}
