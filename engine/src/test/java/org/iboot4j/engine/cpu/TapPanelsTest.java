package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TapPanels against its definition: the column matrix written out element by element from the
 * im2col formula, then packed by Sgemm.packA. Equal to the bit, zero rows past K included.
 */
class TapPanelsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // name, cin, T, H, W, kt, kh, kw, stride t/h/w, pad t/h/w, dil t/h/w, groups, p0, pt
            "3x3 same,               5, 2, 6, 7, 1, 3, 3, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 84",
            "3x3 stride 2 mid-row,   4, 3, 9, 8, 1, 3, 3, 1, 2, 2, 0, 1, 1, 1, 1, 1, 1, 3, 29",
            "stem 1x7x7 stride 2,    3, 2, 12, 12, 1, 7, 7, 1, 2, 2, 0, 3, 3, 1, 1, 1, 1, 5, 60",
            "3x1x1 temporal pad,     7, 4, 3, 5, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 2, 50",
            "dilated 2 groups,       6, 3, 7, 7, 2, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0, 98",
            "padding beyond kernel,  2, 1, 4, 4, 1, 2, 2, 1, 3, 1, 0, 3, 3, 1, 1, 1, 1, 1, 12",
    })
    void equalsThePackedColumnMatrixOfTheDefinition(String name, int cin, int t, int h, int w, int kt, int kh, int kw,
            int st, int sh, int sw, int pt0, int ph, int pw, int dt, int dh, int dw, int groups, int p0, int pt) {
        int to = (t + 2 * pt0 - dt * (kt - 1) - 1) / st + 1, ho = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int wo = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        Im2col.Dims d = new Im2col.Dims(cin, t, h, w, kt, kh, kw, to, ho, wo, st, sh, sw, pt0, ph, pw, dt, dh, dw);
        pt = Math.min(pt, d.outVol() - p0);
        int xOff = 7; // the item does not start at 0
        float[] x = new float[xOff + cin * d.inVol()];
        float[] values = Tensor.randn(new Rng(name.hashCode()), 0, 1, cin * d.inVol()).toFloatArray();
        System.arraycopy(values, 0, x, xOff, values.length);

        int k = d.rows() / groups, groupSize = Sgemm.packedASize(k, pt);
        float[] expected = new float[groups * groupSize];
        for (int g = 0; g < groups; g++) {
            float[] col = new float[k * pt];
            for (int r = 0; r < k; r++) {
                for (int j = 0; j < pt; j++) col[r * pt + j] = definition(x, xOff, d, g * k + r, p0 + j);
            }
            Sgemm.packA(k, pt, col, 0, pt, 1, expected, g * groupSize);
        }
        float[] got = new float[expected.length];
        Arrays.fill(got, Float.NaN); // every float must be written
        TapPanels.gather(x, xOff, d, p0, pt, groups, got);
        assertArrayEquals(expected, got, name);
    }

    /** Column row r at output position p: the input element its tap meets, or 0 in the padding. */
    private static float definition(float[] x, int xOff, Im2col.Dims d, int r, int p) {
        int c = r / d.kVol(), tap = r % d.kVol();
        int kw = tap % d.kw(), kh = tap / d.kw() % d.kh(), kt = tap / (d.kw() * d.kh());
        int wo = p % d.wo(), ho = p / d.wo() % d.ho(), to = p / (d.wo() * d.ho());
        int ti = to * d.strideT() - d.padT() + kt * d.dilT();
        int hi = ho * d.strideH() - d.padH() + kh * d.dilH();
        int wi = wo * d.strideW() - d.padW() + kw * d.dilW();
        if (ti < 0 || ti >= d.t() || hi < 0 || hi >= d.h() || wi < 0 || wi >= d.w()) return 0f;
        return x[xOff + c * d.inVol() + (ti * d.h() + hi) * d.w() + wi];
    }
}
