package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.iboot4j.engine.Tensor;

/**
 * Row-wise softmax / log-softmax and layer-norm, forward and backward, on contiguous
 * (rows, D) tensors. Rows are independent, so threads take rows; row statistics (max, sums,
 * mean, variance) accumulate in double. Cost: two or three passes over each row.
 */
final class CpuNormalization {
    private CpuNormalization() {}

    /** Rows per chunk so that a chunk holds roughly {@link StridedLoop#GRAIN} elements. */
    private static int rowGrain(int width) {
        return Math.max(1, StridedLoop.GRAIN / Math.max(1, width));
    }

    static void softmax(Tensor x, boolean log, Tensor out) {
        float[] xs = floats(x), o = floats(out);
        int width = lastDim(x), rows = x.numel() / Math.max(1, width), x0 = x.offset();
        Parallel.forRange(rows, rowGrain(width), (from, to) -> {
            for (int r = from; r < to; r++) {
                int at = x0 + r * width, dst = r * width;
                float max = rowMax(xs, at, width);
                if (log) {
                    double sum = 0;
                    for (int j = 0; j < width; j++) sum += Math.exp(xs[at + j] - max);
                    double shift = max + Math.log(sum);
                    for (int j = 0; j < width; j++) o[dst + j] = (float) (xs[at + j] - shift);
                } else {
                    softmaxRow(xs, at, max, width, o, dst);
                }
            }
        });
    }

    /** The largest of {@code x[at .. at + width)} (NaN if there is one). */
    private static float rowMax(float[] x, int at, int width) {
        FloatVector acc = FloatVector.broadcast(VectorMath.SPECIES, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = VectorMath.SPECIES.loopBound(width); j < bound; j += VectorMath.VL) {
            acc = acc.max(FloatVector.fromArray(VectorMath.SPECIES, x, at + j));
        }
        float max = acc.reduceLanes(VectorOperators.MAX); // exact in any order
        for (; j < width; j++) max = Math.max(max, x[at + j]);
        return max;
    }

    /**
     * One softmax row: {@code e = exp(x - max)} written to out while its sum accumulates (in
     * float lanes, the lanes then in double), then out scaled by 1 / sum. One exp per element,
     * by {@link VectorMath#exp} (2 ulps; deterministic, unlike the Vector API's EXP).
     */
    private static void softmaxRow(float[] x, int at, float max, int width, float[] out, int dst) {
        FloatVector shift = FloatVector.broadcast(VectorMath.SPECIES, max);
        FloatVector acc = FloatVector.zero(VectorMath.SPECIES);
        int j = 0, bound = VectorMath.SPECIES.loopBound(width);
        for (; j < bound; j += VectorMath.VL) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(VectorMath.SPECIES, x, at + j).sub(shift));
            e.intoArray(out, dst + j);
            acc = acc.add(e);
        }
        double sum = VectorMath.laneSum(acc);
        for (; j < width; j++) {
            float e = (float) Math.exp(x[at + j] - max);
            out[dst + j] = e;
            sum += e;
        }
        FloatVector inv = FloatVector.broadcast(VectorMath.SPECIES, (float) (1.0 / sum));
        for (j = 0; j < bound; j += VectorMath.VL) {
            FloatVector.fromArray(VectorMath.SPECIES, out, dst + j).mul(inv).intoArray(out, dst + j);
        }
        for (; j < width; j++) out[dst + j] = (float) (out[dst + j] / sum);
    }

    /** softmax: dx = y (g - sum(g y)); log-softmax: dx = g - exp(y) sum(g). */
    static void softmaxBackward(Tensor y, Tensor gradY, boolean log, Tensor gradX) {
        float[] ys = floats(y), gs = floats(gradY), o = floats(gradX);
        int width = lastDim(y), rows = y.numel() / Math.max(1, width);
        int y0 = y.offset(), g0 = gradY.offset();
        Parallel.forRange(rows, rowGrain(width), (from, to) -> {
            for (int r = from; r < to; r++) {
                int yr = y0 + r * width, gr = g0 + r * width, dst = r * width;
                double dot = 0;
                for (int j = 0; j < width; j++) dot += log ? gs[gr + j] : (double) gs[gr + j] * ys[yr + j];
                for (int j = 0; j < width; j++) {
                    o[dst + j] = log ? (float) (gs[gr + j] - Math.exp(ys[yr + j]) * dot)
                            : (float) (ys[yr + j] * (gs[gr + j] - dot));
                }
            }
        });
    }

    static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        float[] xs = floats(x), o = floats(out), ms = floats(mean), rs = floats(rstd);
        float[] w = weight == null ? null : floats(weight), b = bias == null ? null : floats(bias);
        int w0 = weight == null ? 0 : weight.offset(), b0 = bias == null ? 0 : bias.offset();
        int width = lastDim(x), rows = x.numel() / Math.max(1, width), x0 = x.offset();
        Parallel.forRange(rows, rowGrain(width), (from, to) -> {
            for (int r = from; r < to; r++) {
                int at = x0 + r * width, dst = r * width;
                double sum = 0;
                for (int j = 0; j < width; j++) sum += xs[at + j];
                double mu = sum / width, sq = 0;
                for (int j = 0; j < width; j++) {
                    double c = xs[at + j] - mu;
                    sq += c * c;
                }
                double inv = 1.0 / Math.sqrt(sq / width + eps);
                ms[r] = (float) mu;
                rs[r] = (float) inv;
                for (int j = 0; j < width; j++) {
                    double v = (xs[at + j] - mu) * inv;
                    if (w != null) v *= w[w0 + j];
                    if (b != null) v += b[b0 + j];
                    o[dst + j] = (float) v;
                }
            }
        });
    }

    /**
     * With xhat = (x - mean) rstd and gh = g * weight: dx = rstd (gh - mean(gh) - xhat
     * mean(gh xhat)); dweight[j] = sum_r g[r,j] xhat[r,j]; dbias[j] = sum_r g[r,j]. The row
     * pass runs over rows in parallel; the column sums over column blocks in parallel, so
     * every thread writes its own outputs and the result does not depend on timing.
     */
    static void layerNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor rstd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias) {
        float[] gs = floats(gradOut), xs = floats(x), ms = floats(mean), rs = floats(rstd), gx = floats(gradX);
        float[] w = weight == null ? null : floats(weight);
        int w0 = weight == null ? 0 : weight.offset();
        int width = lastDim(x), rows = x.numel() / Math.max(1, width);
        int x0 = x.offset(), g0 = gradOut.offset();
        Parallel.forRange(rows, rowGrain(width), (from, to) -> {
            for (int r = from; r < to; r++) {
                int xr = x0 + r * width, gr = g0 + r * width, dst = r * width;
                double mu = ms[r], inv = rs[r], sumGh = 0, sumGhXhat = 0;
                for (int j = 0; j < width; j++) {
                    double gh = w == null ? gs[gr + j] : (double) gs[gr + j] * w[w0 + j];
                    sumGh += gh;
                    sumGhXhat += gh * (xs[xr + j] - mu) * inv;
                }
                double meanGh = sumGh / width, meanGhXhat = sumGhXhat / width;
                for (int j = 0; j < width; j++) {
                    double gh = w == null ? gs[gr + j] : (double) gs[gr + j] * w[w0 + j];
                    double xhat = (xs[xr + j] - mu) * inv;
                    gx[dst + j] = (float) (inv * (gh - meanGh - xhat * meanGhXhat));
                }
            }
        });
        if (gradWeight == null && gradBias == null) return;
        float[] gw = gradWeight == null ? null : floats(gradWeight);
        float[] gb = gradBias == null ? null : floats(gradBias);
        Parallel.forRange(width, Math.max(1, StridedLoop.GRAIN / Math.max(1, rows)), (from, to) -> {
            double[] sw = new double[to - from], sb = new double[to - from];
            for (int r = 0; r < rows; r++) {
                int xr = x0 + r * width, gr = g0 + r * width;
                double mu = ms[r], inv = rs[r];
                for (int j = from; j < to; j++) {
                    sw[j - from] += gs[gr + j] * (xs[xr + j] - mu) * inv;
                    sb[j - from] += gs[gr + j];
                }
            }
            for (int j = from; j < to; j++) {
                if (gw != null) gw[gradWeight.offset() + j] = (float) sw[j - from];
                if (gb != null) gb[gradBias.offset() + j] = (float) sb[j - from];
            }
        });
    }

    private static float[] floats(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }

    private static int lastDim(Tensor t) {
        return t.dim() == 0 ? 1 : t.shape()[t.dim() - 1];
    }
}
