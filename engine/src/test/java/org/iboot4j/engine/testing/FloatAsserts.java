package org.iboot4j.engine.testing;

import org.opentest4j.AssertionFailedError;

/**
 * Float-array comparisons for tests against reference values (golden fixtures, other backends).
 *
 * <p>{@link #assertClose} measures the error relative to the largest reference magnitude:
 * {@code max_i |expected[i] - actual[i]| / max_i |expected[i]| <= rtol}. That is the natural
 * yardstick for float32 results whose elements are sums of products (a small element may carry
 * the absolute rounding error of its large neighbours). Where every expected value is 0 the
 * error is taken as absolute. NaN must match NaN and an infinity the same infinity, exactly.
 */
public final class FloatAsserts {
    private FloatAsserts() {}

    /**
     * Fails unless the arrays have the same length and {@code max|expected - actual| /
     * max|expected| <= rtol}; the message names {@code what}, the relative error, the worst
     * (flat, row-major) index and both values there.
     */
    public static void assertClose(String what, float[] expected, float[] actual, double rtol) {
        double error = relativeError(what, expected, actual);
        if (!(error <= rtol)) {
            int worst = worstIndex(expected, actual);
            throw new AssertionFailedError(String.format(
                    "%s: relative error %.3g > %.3g (max |ref| %.6g); worst at flat index %d of %d:"
                            + " expected %s, got %s", what, error, rtol, maxAbs(expected), worst,
                    expected.length, expected[worst], actual[worst]));
        }
    }

    /**
     * {@code max|expected - actual| / max|expected|} (absolute when the reference is all zeros);
     * +infinity when a NaN or infinity is not matched exactly. Throws if the lengths differ.
     */
    public static double relativeError(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionFailedError(what + ": expected " + expected.length + " values, got "
                    + actual.length);
        }
        double diff = 0;
        for (int i = 0; i < expected.length; i++) diff = Math.max(diff, difference(expected[i], actual[i]));
        double scale = maxAbs(expected);
        return scale > 0 ? diff / scale : diff;
    }

    /** The index where |expected - actual| is largest (non-finite mismatches first). */
    private static int worstIndex(float[] expected, float[] actual) {
        int worst = 0;
        double worstDiff = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = difference(expected[i], actual[i]);
            if (d > worstDiff) {
                worstDiff = d;
                worst = i;
            }
        }
        return worst;
    }

    private static double difference(float e, float a) {
        if (!Float.isFinite(e) || !Float.isFinite(a)) {
            return Float.compare(e, a) == 0 || (Float.isNaN(e) && Float.isNaN(a)) ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs((double) e - (double) a);
    }

    /** The largest finite |v|. */
    private static double maxAbs(float[] values) {
        double m = 0;
        for (float v : values) if (Float.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }
}
