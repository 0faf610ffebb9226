package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.iboot4j.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/** {@link VectorMath} against {@code Math.exp} in double and a plain sequential sum. */
class VectorMathTest {

    private static float[] exp(float... x) {
        float[] in = new float[VectorMath.VL], out = new float[VectorMath.VL];
        System.arraycopy(x, 0, in, 0, x.length);
        VectorMath.exp(FloatVector.fromArray(VectorMath.SPECIES, in, 0)).intoArray(out, 0);
        return out;
    }

    @Test
    void expIsWithinTwoUlpsOverTheNormalRange() {
        double worstUlps = 0;
        float[] x = new float[VectorMath.VL];
        for (float start = -87.3f; start < 88.7f; start += 0.0037f * x.length) {
            for (int i = 0; i < x.length; i++) x[i] = Math.min(88.72f, start + 0.0037f * i);
            float[] e = exp(x);
            for (int i = 0; i < x.length; i++) {
                double exact = Math.exp(x[i]);
                worstUlps = Math.max(worstUlps, Math.abs(e[i] - exact) / Math.ulp((float) exact));
            }
        }
        assertTrue(worstUlps <= 2, "worst error " + worstUlps + " ulps");
    }

    @Test
    void expEdges() {
        float[] e = exp(0f, -0f, 1f, -100f, 100f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN);
        assertEquals(1f, e[0]);
        assertEquals(1f, e[1]);
        assertEquals((float) Math.E, e[2], Math.ulp((float) Math.E));
        assertEquals(0f, e[3]);
        assertEquals(Float.POSITIVE_INFINITY, e[4]);
        assertEquals(0f, e[5]);
        assertEquals(Float.POSITIVE_INFINITY, e[6]);
        assertTrue(Float.isNaN(e[7]));
    }

    /** The vector activation at x, one lane per value. */
    private static float[] activation(UnaryOp op, float[] x) {
        float[] y = new float[VectorMath.VL];
        if (op == UnaryOp.GELU) {
            VectorMath.gelu(x, 0, y, 0, VectorMath.VL);
        } else {
            VectorMath.quickGelu(FloatVector.fromArray(VectorMath.SPECIES, x, 0)).intoArray(y, 0);
        }
        return y;
    }

    /**
     * Worst |vector - UnaryOp.apply| / max(|apply|, 1e-30) over [from, to]. Below x = -6 the
     * double definition 0.5 (1 + erf) itself cancels (at x = -8 it is 2% off), so the sweeps
     * stop there and the tail is checked separately.
     */
    private static double worstRelativeError(UnaryOp op, float from, float to) {
        double worst = 0;
        float[] x = new float[VectorMath.VL];
        for (float start = from; start < to; start += 0.00113f * x.length) {
            for (int i = 0; i < x.length; i++) x[i] = start + 0.00113f * i;
            float[] y = activation(op, x);
            for (int i = 0; i < x.length; i++) {
                double ref = op.apply(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - ref) / Math.max(Math.abs(ref), 1e-30));
            }
        }
        return worst;
    }

    @Test
    void geluAndQuickGeluAgreeWithTheScalarDefinition() {
        double gelu = worstRelativeError(UnaryOp.GELU, -6f, 12f);
        double quick = worstRelativeError(UnaryOp.QUICK_GELU, -12f, 12f);
        assertTrue(gelu < 1e-6, "GELU worst relative error " + gelu);
        assertTrue(quick < 1e-6, "QuickGELU worst relative error " + quick);
    }

    @Test
    void geluKeepsItsDigitsInTheNegativeTail() {
        // x Phi(x) ~ x phi(x) / |x| (1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8), error < 945 / x^10
        float[] x = new float[VectorMath.VL];
        for (int i = 0; i < x.length; i++) x[i] = -8f - 4f * i / x.length;
        float[] y = activation(UnaryOp.GELU, x);
        for (int i = 0; i < x.length; i++) {
            double v = x[i], u = 1 / (v * v);
            double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            double ref = -pdf * (1 - u + 3 * u * u - 15 * u * u * u + 105 * u * u * u * u);
            assertEquals(ref, y[i], 3e-6 * Math.abs(ref), "GELU(" + x[i] + ")");
        }
    }

    @Test
    void laneSumAddsInLaneOrder() {
        float[] v = new float[VectorMath.VL];
        double expected = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 2 == 0 ? 1e8f : 1f) * (i + 1);
            expected += v[i];
        }
        assertEquals(expected, VectorMath.laneSum(FloatVector.fromArray(VectorMath.SPECIES, v, 0)));
    }
}
