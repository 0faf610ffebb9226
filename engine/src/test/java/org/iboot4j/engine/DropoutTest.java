package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.iboot4j.engine.testing.FloatAsserts;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#dropout}: inverted dropout with its mask drawn from a seeded {@link Rng}.
 * PyTorch draws from another generator, so there is no golden fixture: the properties are
 * checked instead (reproducible mask, kept fraction, scaling, identity in evaluation, gradient).
 */
class DropoutTest {

    /** Normal values pushed at least 0.1 away from 0, so that a zero output means a dropped element. */
    private static Tensor nonZero(long seed, int... shape) {
        float[] d = Tensor.randn(new Rng(seed), 0f, 1f, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] = Math.copySign(0.1f + Math.abs(d[i]), d[i]);
        return Tensor.of(d, shape);
    }

    /** 1 where the element was kept, 0 where dropped. */
    private static boolean[] kept(Tensor y) {
        float[] v = y.toFloatArray();
        boolean[] k = new boolean[v.length];
        for (int i = 0; i < v.length; i++) k[i] = v[i] != 0;
        return k;
    }

    @Test
    void theSameSeedGivesTheSameMask() {
        Tensor x = nonZero(1, 64, 50);
        Tensor a = Functional.dropout(x, 0.3f, true, new Rng(7));
        Tensor b = Functional.dropout(x, 0.3f, true, new Rng(7));
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        // the mask depends on the seed and the position only, not on the values
        Tensor other = Functional.dropout(nonZero(2, 64, 50), 0.3f, true, new Rng(7));
        assertArrayEquals(kept(a), kept(other));
        // another seed, or the next draw from the same generator, gives another mask
        assertFalse(Arrays.equals(kept(a), kept(Functional.dropout(x, 0.3f, true, new Rng(8)))));
        Rng rng = new Rng(7);
        Tensor first = Functional.dropout(x, 0.3f, true, rng);
        Tensor second = Functional.dropout(x, 0.3f, true, rng);
        assertArrayEquals(kept(a), kept(first));
        assertFalse(Arrays.equals(kept(first), kept(second)));
    }

    @Test
    void aboutOneMinusPOfTheElementsSurviveScaledByOneOverOneMinusP() {
        int n = 200_000;
        Tensor x = nonZero(3, 400, 500);
        float[] xs = x.toFloatArray();
        for (float p : new float[] {0.1f, 0.5f, 0.8f}) {
            float[] y = Functional.dropout(x, p, true, new Rng(11)).toFloatArray();
            int survivors = 0;
            double scale = 1.0 / (1.0 - p);
            for (int i = 0; i < n; i++) {
                if (y[i] == 0) continue;
                survivors++;
                double expected = xs[i] * scale;
                assertEquals(expected, y[i], 1e-6 * Math.abs(expected), "p " + p + " element " + i);
            }
            double fraction = (double) survivors / n, sigma = Math.sqrt(p * (1 - p) / n);
            assertEquals(1 - p, fraction, 6 * sigma, "kept fraction for p = " + p);
        }
    }

    @Test
    void evaluationAndPZeroAreTheIdentityAndDrawNothing() {
        Tensor x = nonZero(4, 3, 4, 5);
        Rng rng = new Rng(5);
        long[] before = rng.state();
        assertArrayEquals(x.toFloatArray(), Functional.dropout(x, 0.5f, false, rng).toFloatArray());
        assertArrayEquals(x.toFloatArray(), Functional.dropout(x, 0f, true, rng).toFloatArray());
        assertArrayEquals(before, rng.state(), "evaluation must not consume random numbers");

        // the gradient passes unchanged in evaluation
        Tensor leaf = nonZero(4, 3, 4, 5).requiresGrad(true);
        Tensor gout = Tensor.randn(new Rng(6), 0f, 1f, 3, 4, 5);
        Functional.dropout(leaf, 0.5f, false, rng).backward(gout);
        assertArrayEquals(gout.toFloatArray(), leaf.grad().toFloatArray());
    }

    @Test
    void pOneDropsEverything() {
        Tensor x = nonZero(5, 6, 7).requiresGrad(true);
        Tensor y = Functional.dropout(x, 1f, true, new Rng(9));
        // x * 0, as PyTorch: -0 where x < 0, so compared by value
        FloatAsserts.assertClose("p = 1 output", new float[42], y.toFloatArray(), 0);
        y.backward(Tensor.randn(new Rng(10), 0f, 1f, 6, 7));
        FloatAsserts.assertClose("p = 1 gradient", new float[42], x.grad().toFloatArray(), 0);
    }

    @Test
    void theGradientIsTheMaskScaled() {
        float p = 0.35f;
        Tensor x = nonZero(12, 8, 9, 10).requiresGrad(true);
        Tensor y = Functional.dropout(x, p, true, new Rng(13));
        Tensor gout = Tensor.randn(new Rng(14), 0f, 1f, 8, 9, 10);
        y.backward(gout);
        // the scaled mask itself: dropout of ones with the same seed
        float[] mask = Functional.dropout(Tensor.ones(8, 9, 10), p, true, new Rng(13)).toFloatArray();
        boolean[] keptX = kept(y);
        float scale = 1 / (1 - p);
        float[] g = gout.toFloatArray(), expected = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            assertEquals(keptX[i], mask[i] != 0, "mask of ones vs mask of x at " + i);
            assertTrue(mask[i] == 0 || mask[i] == scale, "mask value " + mask[i] + " at " + i);
            expected[i] = g[i] * mask[i];
        }
        FloatAsserts.assertClose("dropout gradient", expected, x.grad().toFloatArray(), 1e-6);
    }

    @Test
    void aProbabilityOutsideZeroOneIsRejected() {
        Tensor x = Tensor.ones(3);
        for (float p : new float[] {-0.1f, 1.5f, Float.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Functional.dropout(x, p, true, new Rng(0)), "p = " + p);
            assertTrue(e.getMessage().contains("dropout"), e.getMessage());
        }
    }
}
