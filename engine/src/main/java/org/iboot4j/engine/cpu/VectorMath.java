package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector helpers whose results are the same bits whether the JIT has compiled the caller or not.
 *
 * <p>The Vector API's own transcendental ops ({@code lanewise(EXP)}) run a vendor library once
 * compiled and {@code Math.exp} per lane before, and {@code reduceLanes(ADD)} adds in an
 * unspecified order: results would then depend on how warm the JVM is, and a resumed training
 * run would not repeat a straight one bit for bit. Everything here is built from exactly rounded
 * IEEE operations (add, multiply, fused multiply-add, conversions), which both paths compute
 * identically.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int VL = SPECIES.length();

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split so that n * LN2_HI is exact for the n that occur (|n| <= 128). */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Above it exp overflows float; below the lower bound it is under the smallest normal. */
    private static final float EXP_MAX = 88.7228394f, EXP_MIN = -87.3365479f;

    /**
     * e^x per lane, within 2 float ulps of the exact value: x = n ln2 + r with n = round(x log2 e)
     * and |r| <= ln2 / 2, e^r by a degree-7 Taylor-like polynomial (the coefficients of the
     * classic single-precision expf), and 2^n put straight into exponent bits (as two factors,
     * so that e^88.7, with n = 128, does not overflow on the way). Below the smallest normal
     * result it returns 0, above the largest +infinity; NaN stays NaN.
     * Cost: about 15 vector operations.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector scaled = clamped.mul(LOG2E);
        // round to nearest: truncate (x + 0.5 sign(x)) toward zero
        FloatVector half = FloatVector.broadcast(SPECIES, 0.5f).blend(-0.5f, scaled.compare(VectorOperators.LT, 0f));
        IntVector n = (IntVector) scaled.add(half).convert(VectorOperators.F2I, 0);
        FloatVector nf = (FloatVector) n.convert(VectorOperators.I2F, 0);
        FloatVector r = nf.mul(-LN2_HI).add(clamped);
        r = nf.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        // 2^n as 2^a 2^b, a = floor(n / 2): both factors stay normal for n in [-126, 128]
        IntVector a = n.lanewise(VectorOperators.ASHR, 1), b = n.sub(a);
        FloatVector result = p.mul(powerOfTwo(a)).mul(powerOfTwo(b));
        VectorMask<Float> under = x.compare(VectorOperators.LT, EXP_MIN);
        VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_MAX);
        return result.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /**
     * GELU, x Phi(x) with the exact normal CDF, per lane in float (within about 1e-6 relative of
     * the double-precision {@code UnaryOp.GELU}), over {@code x[xo .. xo + n)} into
     * {@code o[oo ..)} (n a multiple of VL; o may be x). With z = |x| / sqrt 2: for z < 0.5 erf(z)
     * by its Maclaurin series (six terms), else erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2),
     * P the degree-9 Chebyshev fit of Numerical Recipes (as {@code Erf}); then Phi = 1 - erfc / 2
     * for x >= 0 and erfc / 2 for x < 0 (no cancellation in the negative tail). z^2 is carried as
     * hi + lo so that its rounding does not reach the exponent. About 60 vector operations.
     *
     * <p>Why three passes over a small chunk rather than one function of a vector: written as one
     * (with its two exps), the JIT stops inlining inside it (C2's node-count cutoff), and the
     * parts it leaves as calls take boxed vectors, where some Vector API intrinsics then fail and
     * fall back to Java loops: GELU ran at 8 ns per element. Each pass here is a small loop the
     * JIT compiles whole; the intermediates of a chunk (5 arrays of {@link #CHUNK} floats) stay
     * in L1. The arithmetic is the same, operation for operation.
     */
    static void gelu(float[] x, int xo, float[] o, int oo, int n) {
        float[] s = GELU_SCRATCH.get(5 * CHUNK);
        for (int c = 0; c < n; c += CHUNK) {
            int len = Math.min(CHUNK, n - c);
            erfParts(x, xo + c, s, len);
            expInPlace(s, 0, len);     // e^-z2
            expInPlace(s, CHUNK, len); // e^P
            geluFromParts(x, xo + c, s, o, oo + c, len);
        }
    }

    /** Floats per chunk of {@link #gelu}. */
    private static final int CHUNK = 256;
    /** Each thread's intermediates of {@link #gelu}: -z2, P (then their exps), t, z2lo, series. */
    private static final ThreadScratch GELU_SCRATCH = new ThreadScratch();

    /** GELU's first pass: -z^2 (hi), P(t), t, z^2 lo and the erf series, into s at 0, 1, 2, 3, 4 x CHUNK. */
    private static void erfParts(float[] x, int xo, float[] s, int len) {
        for (int i = 0; i < len; i += VL) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
            FloatVector z = v.abs().mul(0.70710678f);
            // z^2 = x^2 / 2 from x itself, not from the rounded z: at z = 6 the rounding of z alone
            // would move e^-z^2 by 5e-6
            FloatVector xx = v.mul(v), z2 = xx.mul(0.5f);
            // erf(z) = z (c0 + c1 z^2 + ...), c_n = 2/sqrt(pi) (-1)^n / (n! (2n + 1))
            FloatVector series = z2.mul(-8.5483270e-4f).add(5.2239776e-3f);
            series = series.fma(z2, FloatVector.broadcast(SPECIES, -2.6866171e-2f));
            series = series.fma(z2, FloatVector.broadcast(SPECIES, 1.1283792e-1f));
            series = series.fma(z2, FloatVector.broadcast(SPECIES, -3.7612638e-1f));
            series = series.fma(z2, FloatVector.broadcast(SPECIES, 1.1283792f)).mul(z);
            FloatVector t = z.mul(0.5f).add(1f);
            t = FloatVector.broadcast(SPECIES, 1f).div(t);
            FloatVector poly = t.mul(0.17087277f).add(-0.82215223f);
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, 1.48851587f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, -1.13520398f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, 0.27886807f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, -0.18628806f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, 0.09678418f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, 0.37409196f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, 1.00002368f));
            poly = poly.fma(t, FloatVector.broadcast(SPECIES, -1.26551223f));
            z2.neg().intoArray(s, i);
            poly.intoArray(s, CHUNK + i);
            t.intoArray(s, 2 * CHUNK + i);
            v.fma(v, xx.neg()).mul(0.5f).intoArray(s, 3 * CHUNK + i); // z^2 - z2, exactly
            series.intoArray(s, 4 * CHUNK + i);
        }
    }

    /** s[at + i] = e^s[at + i] for i < len. */
    private static void expInPlace(float[] s, int at, int len) {
        for (int i = 0; i < len; i += VL) exp(FloatVector.fromArray(SPECIES, s, at + i)).intoArray(s, at + i);
    }

    /** GELU's last pass: Phi from the parts (the exps done) and x Phi into o. */
    private static void geluFromParts(float[] x, int xo, float[] s, float[] o, int oo, int len) {
        for (int i = 0; i < len; i += VL) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
            FloatVector z = v.abs().mul(0.70710678f);
            // e^(-z^2 + P) as e^-z2 e^P (1 - lo): -z2 + P in one float would round away ~2e-6 of
            // the result at z = 6, where the sum is near -37
            FloatVector e = FloatVector.fromArray(SPECIES, s, i).mul(FloatVector.fromArray(SPECIES, s, CHUNK + i));
            FloatVector z2lo = FloatVector.fromArray(SPECIES, s, 3 * CHUNK + i);
            FloatVector erfc = e.fma(z2lo.neg(), e).mul(FloatVector.fromArray(SPECIES, s, 2 * CHUNK + i));
            VectorMask<Float> negative = v.compare(VectorOperators.LT, 0f);
            FloatVector halfErfc = erfc.mul(0.5f);
            FloatVector phiTail = halfErfc.neg().add(1f).blend(halfErfc, negative);
            FloatVector halfErf = FloatVector.fromArray(SPECIES, s, 4 * CHUNK + i).mul(0.5f);
            FloatVector phiNear = halfErf.add(0.5f).blend(halfErf.neg().add(0.5f), negative);
            FloatVector phi = phiTail.blend(phiNear, z.compare(VectorOperators.LT, 0.5f));
            v.mul(phi).intoArray(o, oo + i);
        }
    }

    /** QuickGELU, x sigmoid(1.702 x) = x / (1 + e^(-1.702 x)), per lane in float. */
    static FloatVector quickGelu(FloatVector x) {
        return x.div(exp(x.mul(-1.702f)).add(1f));
    }

    /** 2^k per lane, for k in [-126, 127]: k + 127 put into the exponent bits. */
    private static FloatVector powerOfTwo(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** The lanes of {@code v} added in lane order, in double. */
    static double laneSum(FloatVector v) {
        double sum = 0;
        for (int i = 0; i < VL; i++) sum += v.lane(i);
        return sum;
    }
}
