package org.iboot4j.engine.cpu;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;

/**
 * Training-mode batch-norm over x (N, C, S...), forward and backward, on the CPU.
 *
 * <h2>Layout and threads</h2>
 * x is read as (N, C, M) with M = prod(S): channel c owns the N "planes" x[n, c, :], each M
 * contiguous floats. A channel's statistics are sums over its N planes. Threads take (n, c)
 * planes, not channels, so that a batch with few channels still uses every core: each plane's
 * partial sums go to its own slot of a double array, and the N slots of a channel are then added
 * in the order n = 0, 1, ... on one thread. The result is therefore the same whatever the number
 * of threads or the way work was split. The plane loops are vectorised in {@link BatchNormPlanes}
 * (float lanes over blocks of 1024 elements, the blocks and planes summed in double).
 *
 * <h2>Forward (3 reads of x, 1 write of out)</h2>
 * <ol>
 *   <li>sum of each plane → mean_c = sum / (N M);</li>
 *   <li>sum of squared deviations from mean_c (two-pass, so a large mean does not cancel the
 *       variance away) → the biased var_c = sumsq / (N M);</li>
 *   <li>out = x a_c + b_c with a_c = weight_c / sqrt(var_c + eps), b_c = bias_c - mean_c a_c.</li>
 * </ol>
 *
 * <h2>Backward (2 reads of x and gradOut, 1 write of gradX)</h2>
 * With xhat = (x - mean) invStd and g = gradOut, per channel: dbias = sum g, dweight =
 * sum g xhat = invStd sum g (x - mean), and
 * dx = weight invStd (g - sum g / (N M) - xhat dweight / (N M)).
 * <ol>
 *   <li>per plane, sum g and sum g (x - mean);</li>
 *   <li>dx, plane by plane, from the channel's two sums.</li>
 * </ol>
 *
 * <p>The op layer hands over contiguous x and gradOut; any other layout is first copied into a
 * contiguous scratch tensor. The per-channel vectors (weight, bias, mean, invStd) may be strided.
 */
final class CpuBatchNorm {
    private CpuBatchNorm() {}

    static void train(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor var) {
        x = contiguous(x);
        Layout l = new Layout(x);
        float[] xs = floats(x), o = floats(out);
        int x0 = x.offset(), o0 = out.offset();

        double[] planeSum = new double[l.planes];
        Parallel.forRange(l.planes, l.grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                planeSum[p] = BatchNormPlanes.sum(xs, x0 + p * l.m, l.m);
            }
        });
        double[] mu = l.perChannel(planeSum);
        for (int c = 0; c < l.c; c++) mu[c] /= l.count;

        double[] planeSq = new double[l.planes];
        Parallel.forRange(l.planes, l.grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                planeSq[p] = BatchNormPlanes.sumSquaredDeviation(xs, x0 + p * l.m, l.m, (float) mu[p % l.c]);
            }
        });
        double[] variance = l.perChannel(planeSq);
        float[] centre = new float[l.c], scale = new float[l.c], shift = new float[l.c];
        for (int c = 0; c < l.c; c++) {
            variance[c] /= l.count;
            centre[c] = (float) mu[c];
            scale[c] = (float) (1.0 / Math.sqrt(variance[c] + eps) * (weight == null ? 1 : at(weight, c)));
            shift[c] = bias == null ? 0f : (float) at(bias, c);
            set(mean, c, mu[c]);
            set(var, c, variance[c]);
        }

        // out = (x - mean) scale + bias
        Parallel.forRange(l.planes, l.grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                int c = p % l.c;
                BatchNormPlanes.affine(xs, x0 + p * l.m, centre[c], scale[c], shift[c], null, 0, 0f,
                        o, o0 + p * l.m, l.m);
            }
        });
    }

    static void backward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor invStd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias) {
        x = contiguous(x);
        gradOut = contiguous(gradOut);
        Layout l = new Layout(x);
        float[] xs = floats(x), gs = floats(gradOut);
        int x0 = x.offset(), g0 = gradOut.offset();
        double[] mu = new double[l.c], inv = new double[l.c];
        for (int c = 0; c < l.c; c++) {
            mu[c] = at(mean, c);
            inv[c] = at(invStd, c);
        }

        double[] planeG = new double[l.planes], planeGx = new double[l.planes];
        Parallel.forRange(l.planes, l.grain, (from, to) -> {
            double[] sums = new double[2];
            for (int p = from; p < to; p++) {
                BatchNormPlanes.gradientSums(gs, g0 + p * l.m, xs, x0 + p * l.m, l.m, (float) mu[p % l.c], sums);
                planeG[p] = sums[0];
                planeGx[p] = sums[1];
            }
        });
        double[] sumG = l.perChannel(planeG), sumGXhat = l.perChannel(planeGx);
        double[] meanG = new double[l.c], meanGXhat = new double[l.c], gain = new double[l.c];
        for (int c = 0; c < l.c; c++) {
            sumGXhat[c] *= inv[c];
            if (gradBias != null) set(gradBias, c, sumG[c]);
            if (gradWeight != null) set(gradWeight, c, sumGXhat[c]);
            meanG[c] = sumG[c] / l.count;
            meanGXhat[c] = sumGXhat[c] / l.count;
            gain[c] = inv[c] * (weight == null ? 1 : at(weight, c));
        }
        if (gradX == null) return;

        float[] dx = floats(gradX);
        int d0 = gradX.offset();
        // dx = gain (g - meanG - xhat meanGXhat) = gain g - gain inv meanGXhat (x - mean) - gain meanG
        Parallel.forRange(l.planes, l.grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                int c = p % l.c;
                BatchNormPlanes.affine(xs, x0 + p * l.m, (float) mu[c], (float) (-gain[c] * inv[c] * meanGXhat[c]),
                        (float) (-gain[c] * meanG[c]), gs, g0 + p * l.m, (float) gain[c], dx, d0 + p * l.m, l.m);
            }
        });
    }

    /** (N, C, M) view of a contiguous (N, C, S...) tensor, and how to split its planes. */
    private static final class Layout {
        final int n, c, m, planes, grain;
        final double count;

        Layout(Tensor x) {
            int[] shape = x.shape();
            n = shape[0];
            c = shape[1];
            int inner = 1;
            for (int d = 2; d < shape.length; d++) inner *= shape[d];
            m = inner;
            planes = n * c;
            count = (double) n * m;
            grain = Math.max(1, StridedLoop.GRAIN / Math.max(1, m));
        }

        /** Adds the N plane values of each channel, n = 0, 1, ... in order. */
        double[] perChannel(double[] perPlane) {
            double[] out = new double[c];
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) out[ch] += perPlane[b * c + ch];
            }
            return out;
        }
    }

    private static Tensor contiguous(Tensor t) {
        if (t.isContiguous()) return t;
        Tensor copy = Tensor.empty(t.backend(), DType.F32, t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }

    /** Element i of a 1-d (possibly strided) float tensor. */
    private static double at(Tensor v, int i) {
        return floats(v)[v.offset() + i * v.strides()[0]];
    }

    private static void set(Tensor v, int i, double value) {
        floats(v)[v.offset() + i * v.strides()[0]] = (float) value;
    }

    private static float[] floats(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }
}
