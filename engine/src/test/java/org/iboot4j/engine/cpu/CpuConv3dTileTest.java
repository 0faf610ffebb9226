package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.testing.FloatAsserts;
import org.junit.jupiter.api.Test;

/**
 * conv3d on layers large enough that {@link CpuConv3d} cuts each item's output positions into
 * several tiles (its column buffer is bounded by {@link CpuConv3d#COL_BUDGET} floats, or
 * {@link CpuConv3d#MIN_TILE} positions), against a naive direct convolution written here in double
 * precision: output, input, weight and bias gradients. The tile boundaries fall in the middle of
 * an output row, so a tile starts at wo != 0 and ends before the row does.
 */
class CpuConv3dTileTest {

    /**
     * float32 GEMM sums of K = 1728 (or 576) products and weight-gradient sums of N*P ~ 1.7e3
     * terms against exact double sums: the rounding is ~sqrt(K) * 2^-24 of the terms' size,
     * well inside 1e-5 of the largest result (measured: below 1e-6).
     */
    private static final double RTOL = 1e-5;

    @Test
    void tiledSameConvolutionMatchesDirectReference() {
        // 3x3x3 stride 1 pad 1, Cin 64: 1728 column rows -> tiles of at most max(MIN_TILE,
        // COL_BUDGET / 1728) = 256 positions; P = 3 * 17 * 17 = 867 -> four tiles of 217
        // (217 % 17 = 13: they start mid-row), and runs of rows are copied whole (Wo = W).
        // The upstream gradient is a permuted view, so the backward also reads a strided tensor.
        check(new Layer(2, 64, 3, 17, 17, 4, 3, 3, 3, new int[] {1, 1, 1}, new int[] {1, 1, 1},
                new int[] {1, 1, 1}, 1, true), true);
    }

    @Test
    void tiledStridedDilatedGroupedConvolutionMatchesDirectReference() {
        // 1x3x3 stride (1,2,2) pad (0,1,1) dilation (1,1,2), groups 2, Cin 128: 1152 rows ->
        // tiles of at most 256 positions; P = 2 * 31 * 30 = 1860 -> eight tiles of 233 (mid-row),
        // each row gathered with W stride 2 (the vector shuffle path: Wo = 30 > one vector).
        check(new Layer(1, 128, 2, 61, 61, 8, 1, 3, 3, new int[] {1, 2, 2}, new int[] {0, 1, 1},
                new int[] {1, 1, 2}, 2, false), false);
    }

    @Test
    void tiledStrideTwoConvolutionsMatchDirectReference() {
        // W stride 2 without W dilation: the column rows of each (c, kt, kh) come from the input
        // row's even and odd streams (StrideTwoRows). 1x3x3 s(1,2,2) p(0,1,1), Cin 128: tiles of
        // at most 256 positions over P = 2 * 31 * 31, starting mid-row.
        check(new Layer(1, 128, 2, 61, 62, 5, 1, 3, 3, new int[] {1, 2, 2}, new int[] {0, 1, 1},
                new int[] {1, 1, 1}, 1, false), false);
        // the stem's 1x7x7 s(1,2,2) p(0,3,3), Cin 3 (147 rows: tiles of at most 1783 positions),
        // on an odd width, so the last taps of a row fall past the input
        check(new Layer(1, 3, 2, 120, 121, 4, 1, 7, 7, new int[] {1, 2, 2}, new int[] {0, 3, 3},
                new int[] {1, 1, 1}, 1, true), false);
    }

    @Test
    void tiledTimeOnlyConvolutionMatchesDirectReference() {
        // 3x1x1 pad (1,0,0), Cin 256 (Slow-R50's conv_a): no im2col, each tap a shifted GEMM; the
        // weight gradient still runs over tiles: 768 column rows -> tiles of at most
        // COL_BUDGET / 768 = 341 positions, so P = 5 * 15 * 14 = 1050 becomes four tiles of 263
        // that end mid-frame (210 positions), and each tap's frame range is clipped to the tile.
        check(new Layer(2, 256, 5, 15, 14, 6, 3, 1, 1, new int[] {1, 1, 1}, new int[] {1, 0, 0},
                new int[] {1, 1, 1}, 1, true), true);
    }

    /** Sizes of one test convolution: x (n, cin, t, h, w), weight (cout, cin/groups, kt, kh, kw). */
    private record Layer(int n, int cin, int t, int h, int w, int cout, int kt, int kh, int kw,
            int[] stride, int[] pad, int[] dil, int groups, boolean bias) {
        int out(int axis, int in, int k) {
            return (in + 2 * pad[axis] - dil[axis] * (k - 1) - 1) / stride[axis] + 1;
        }

        int to() {
            return out(0, t, kt);
        }

        int ho() {
            return out(1, h, kh);
        }

        int wo() {
            return out(2, w, kw);
        }
    }

    private static void check(Layer l, boolean permutedGradient) {
        int to = l.to(), ho = l.ho(), wo = l.wo(), p = to * ho * wo;
        int rows = l.cin() * l.kt() * l.kh() * l.kw();
        int maxTile = Math.max(CpuConv3d.MIN_TILE, CpuConv3d.COL_BUDGET / rows);
        assertTrue(p > 2 * maxTile, "the layer must need several tiles: " + p + " positions, tiles of <= " + maxTile);

        Rng rng = new Rng(0xC0411L + l.cin());
        int cg = l.cin() / l.groups();
        float[] x = Tensor.randn(rng, 0f, 1f, l.n(), l.cin(), l.t(), l.h(), l.w()).toFloatArray();
        float[] w = Tensor.randn(rng, 0f, (float) (1 / Math.sqrt(cg * l.kt() * l.kh() * l.kw())),
                l.cout(), cg, l.kt(), l.kh(), l.kw()).toFloatArray();
        float[] b = l.bias() ? Tensor.randn(rng, 0f, 1f, l.cout()).toFloatArray() : null;
        float[] gout = Tensor.randn(rng, 0f, 1f, l.n(), l.cout(), to, ho, wo).toFloatArray();

        Tensor xt = Tensor.of(x, l.n(), l.cin(), l.t(), l.h(), l.w()).requiresGrad(true);
        Tensor wt = Tensor.of(w, l.cout(), cg, l.kt(), l.kh(), l.kw()).requiresGrad(true);
        Tensor bt = b == null ? null : Tensor.of(b, l.cout()).requiresGrad(true);
        Tensor out = Functional.conv3d(xt, wt, bt, l.stride(), l.pad(), l.dil(), l.groups());
        assertArrayEquals(new int[] {l.n(), l.cout(), to, ho, wo}, out.shape());
        Tensor g = Tensor.of(gout, l.n(), l.cout(), to, ho, wo);
        if (permutedGradient) {
            // the same values, stored (N, To, Ho, Wo, Cout) and viewed back as (N, Cout, To, Ho, Wo)
            g = g.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);
            assertTrue(!g.isContiguous());
        }
        out.backward(g);

        // The direct convolution and its gradients, in double.
        double[] ref = new double[out.numel()], dx = new double[x.length], dw = new double[w.length];
        double[] db = new double[l.cout()];
        int m = l.cout() / l.groups();
        for (int n = 0; n < l.n(); n++) {
            for (int co = 0; co < l.cout(); co++) {
                int grp = co / m;
                for (int a = 0; a < to; a++) for (int bb = 0; bb < ho; bb++) for (int c = 0; c < wo; c++) {
                    int oi = (((n * l.cout() + co) * to + a) * ho + bb) * wo + c;
                    double sum = b == null ? 0 : b[co], go = gout[oi];
                    db[co] += go;
                    for (int ci = 0; ci < cg; ci++) {
                        int cin = grp * cg + ci;
                        for (int i = 0; i < l.kt(); i++) {
                            int ti = a * l.stride()[0] - l.pad()[0] + i * l.dil()[0];
                            if (ti < 0 || ti >= l.t()) continue;
                            for (int j = 0; j < l.kh(); j++) {
                                int hi = bb * l.stride()[1] - l.pad()[1] + j * l.dil()[1];
                                if (hi < 0 || hi >= l.h()) continue;
                                for (int k = 0; k < l.kw(); k++) {
                                    int wi = c * l.stride()[2] - l.pad()[2] + k * l.dil()[2];
                                    if (wi < 0 || wi >= l.w()) continue;
                                    int xi = (((n * l.cin() + cin) * l.t() + ti) * l.h() + hi) * l.w() + wi;
                                    int wj = (((co * cg + ci) * l.kt() + i) * l.kh() + j) * l.kw() + k;
                                    sum += (double) x[xi] * w[wj];
                                    dx[xi] += go * w[wj];
                                    dw[wj] += go * x[xi];
                                }
                            }
                        }
                    }
                    ref[oi] = sum;
                }
            }
        }
        FloatAsserts.assertClose("out", toFloats(ref), out.toFloatArray(), RTOL);
        FloatAsserts.assertClose("grad x", toFloats(dx), xt.grad().toFloatArray(), RTOL);
        FloatAsserts.assertClose("grad weight", toFloats(dw), wt.grad().toFloatArray(), RTOL);
        if (bt != null) FloatAsserts.assertClose("grad bias", toFloats(db), bt.grad().toFloatArray(), RTOL);
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
