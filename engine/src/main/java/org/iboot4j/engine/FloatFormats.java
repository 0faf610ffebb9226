/*
 * 16-bit floating-point formats, bit-exact with PyTorch.
 *
 *   float32  (IEEE binary32): sign 1 | exponent 8 (bias 127) | mantissa 23
 *   float16  (IEEE binary16, "half", torch.float16): sign 1 | exponent 5 (bias 15) | mantissa 10
 *            max finite 65504, smallest normal 2^-14, smallest subnormal 2^-24
 *   bfloat16 ("brain float", torch.bfloat16): sign 1 | exponent 8 (bias 127) | mantissa 7
 *            i.e. the upper 16 bits of a float32: same range (max finite ~3.39e38, subnormals
 *            down to 2^-133), only 8 significant bits
 *
 * Narrowing (float32 -> 16 bits) rounds to nearest, ties to even, like PyTorch's CPU
 * conversions: a value exactly halfway between two representable values goes to the one with
 * an even (zero) last mantissa bit. Values too large for the format become infinity of the same
 * sign (for half: |x| >= 65520, the tie between 65504 and 2^16; for bfloat16: |x| >= 0x7F7F8000),
 * values too small become subnormals or signed zero, also rounded to nearest even; infinities and
 * signed zeros are kept. NaN stays NaN but its payload is not kept:
 *   half:     sign | 0x7E00 (sign kept, quiet, no payload), exactly what torch 1.13 produces;
 *   bfloat16: 0x7FC0, the canonical quiet NaN of c10::BFloat16's scalar constructor.
 *             (torch's vectorised CPU path, used by tensor.bfloat16(), gives 0xFFFF instead;
 *             both are NaN, which is all that is guaranteed.)
 * Truncating a NaN's payload naively could turn it into infinity (e.g. float 0x7F800001 -> bf16
 * 0x7F80), which is why NaN is handled before rounding.
 *
 * Widening (16 bits -> float32) is exact for every value: all halves and bfloat16s are float32s.
 * A half NaN keeps its sign and payload and is made quiet (0x7C01 -> 0x7FC02000), as torch does;
 * a bfloat16 is just shifted into the upper half of a float32, NaN payload included.
 */
package org.iboot4j.engine;

import java.util.Objects;

/**
 * Conversions between {@code float} and the 16-bit formats IEEE half ({@code float16}) and
 * {@code bfloat16}, both carried as raw bits in a {@code short}.
 *
 * <p>Rounding is to nearest, ties to even; see the comment at the top of the source file for the
 * handling of overflow, subnormals and NaN. Results match PyTorch ({@code x.half()},
 * {@code x.bfloat16()}, {@code h.float()}) bit for bit on every non-NaN input.
 */
public final class FloatFormats {

    /** The NaN {@link #toHalf(float)} returns for a positive NaN (a negative one also gets the sign bit). */
    public static final short HALF_NAN = (short) 0x7E00;

    /** The NaN {@link #toBFloat16(float)} returns for every NaN input. */
    public static final short BFLOAT16_NAN = (short) 0x7FC0;

    private FloatFormats() {}

    // ------------------------------------------------------------------ scalars

    /** {@code f} rounded to the nearest IEEE half (ties to even), as raw bits. */
    public static short toHalf(float f) {
        if (f != f) {
            return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7E00);
        }
        // Float.floatToFloat16 is specified as round-to-nearest-even with correct overflow and
        // subnormal handling; only its NaN payload treatment differs from torch, handled above.
        return Float.floatToFloat16(f);
    }

    /** The float32 value of the IEEE half with raw bits {@code h}; exact. */
    public static float fromHalf(short h) {
        int bits = h & 0xFFFF;
        if ((bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0) {
            // NaN: keep sign and payload, set the quiet bit (what torch and hardware do)
            return Float.intBitsToFloat(((bits & 0x8000) << 16) | 0x7FC00000 | ((bits & 0x03FF) << 13));
        }
        return Float.float16ToFloat(h);
    }

    /** {@code f} rounded to the nearest bfloat16 (ties to even), as raw bits. */
    public static short toBFloat16(float f) {
        if (f != f) {
            return BFLOAT16_NAN;
        }
        int bits = Float.floatToRawIntBits(f);
        // Add just under half an ulp of the result, plus one more when the kept part is odd:
        // a tie then carries exactly when the kept part is odd. A carry out of the mantissa
        // bumps the exponent, which is also right for overflow to infinity.
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** The float32 value of the bfloat16 with raw bits {@code b}; exact. */
    public static float fromBFloat16(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    // ------------------------------------------------------------------ arrays

    /** Every element of {@code src} converted by {@link #toHalf(float)}. */
    public static short[] toHalf(float[] src) {
        short[] dst = new short[src.length];
        toHalf(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Converts {@code src[srcPos .. srcPos+length)} into {@code dst[dstPos ..)} by {@link #toHalf(float)}. */
    public static void toHalf(float[] src, int srcPos, short[] dst, int dstPos, int length) {
        checkRanges(src.length, srcPos, dst.length, dstPos, length);
        for (int i = 0; i < length; i++) {
            dst[dstPos + i] = toHalf(src[srcPos + i]);
        }
    }

    /** Every element of {@code src} converted by {@link #fromHalf(short)}. */
    public static float[] fromHalf(short[] src) {
        float[] dst = new float[src.length];
        fromHalf(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Converts {@code src[srcPos .. srcPos+length)} into {@code dst[dstPos ..)} by {@link #fromHalf(short)}. */
    public static void fromHalf(short[] src, int srcPos, float[] dst, int dstPos, int length) {
        checkRanges(src.length, srcPos, dst.length, dstPos, length);
        for (int i = 0; i < length; i++) {
            dst[dstPos + i] = fromHalf(src[srcPos + i]);
        }
    }

    /** Every element of {@code src} converted by {@link #toBFloat16(float)}. */
    public static short[] toBFloat16(float[] src) {
        short[] dst = new short[src.length];
        toBFloat16(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Converts {@code src[srcPos .. srcPos+length)} into {@code dst[dstPos ..)} by {@link #toBFloat16(float)}. */
    public static void toBFloat16(float[] src, int srcPos, short[] dst, int dstPos, int length) {
        checkRanges(src.length, srcPos, dst.length, dstPos, length);
        for (int i = 0; i < length; i++) {
            dst[dstPos + i] = toBFloat16(src[srcPos + i]);
        }
    }

    /** Every element of {@code src} converted by {@link #fromBFloat16(short)}. */
    public static float[] fromBFloat16(short[] src) {
        float[] dst = new float[src.length];
        fromBFloat16(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Converts {@code src[srcPos .. srcPos+length)} into {@code dst[dstPos ..)} by {@link #fromBFloat16(short)}. */
    public static void fromBFloat16(short[] src, int srcPos, float[] dst, int dstPos, int length) {
        checkRanges(src.length, srcPos, dst.length, dstPos, length);
        for (int i = 0; i < length; i++) {
            dst[dstPos + i] = fromBFloat16(src[srcPos + i]);
        }
    }

    private static void checkRanges(int srcLength, int srcPos, int dstLength, int dstPos, int length) {
        Objects.checkFromIndexSize(srcPos, length, srcLength);
        Objects.checkFromIndexSize(dstPos, length, dstLength);
    }
}
