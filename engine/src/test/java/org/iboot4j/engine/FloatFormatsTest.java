package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.iboot4j.engine.testing.SafetensorsFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatFormats} against PyTorch: test-data/golden/float_formats.safetensors, made by
 * test-data/scripts/make_float_formats.py. Every entry must match bit for bit; where torch's
 * result is NaN, ours must be NaN too (NaN payloads differ between torch's own code paths).
 */
class FloatFormatsTest {

    private static SafetensorsFixture golden;
    private static float[] x;

    @BeforeAll
    static void load() {
        golden = SafetensorsFixture.golden("float_formats.safetensors");
        x = golden.floats("x");
    }

    @Test
    void fixtureLooksRight() {
        assertEquals(Set.of("x", "half_bits", "bf16_bits", "half_back", "bf16_back",
                "all_bits", "all_from_half", "all_from_bf16"), golden.names());
        assertEquals("F32", golden.dtype("x"));
        assertArrayEquals(new int[] {x.length}, golden.shape("half_bits"));
        assertArrayEquals(new int[] {65536}, golden.shape("all_bits"));
        assertTrue(x.length > 5000, "x has " + x.length + " values");
        assertTrue(golden.metadata().get("generator").endsWith("make_float_formats.py"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> golden.floats("nope"));
        assertTrue(e.getMessage().contains("float_formats.safetensors") && e.getMessage().contains("'nope'"),
                e.getMessage());
    }

    @Test
    void toHalfMatchesTorch() {
        short[] expected = golden.shorts("half_bits");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            short got = FloatFormats.toHalf(x[i]);
            if (!sameHalf(got, expected[i])) bad.add(describe(i, x[i], expected[i], got));
        }
        report("toHalf", bad);
    }

    @Test
    void toBFloat16MatchesTorch() {
        short[] expected = golden.shorts("bf16_bits");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            short got = FloatFormats.toBFloat16(x[i]);
            if (!sameBFloat16(got, expected[i])) bad.add(describe(i, x[i], expected[i], got));
        }
        report("toBFloat16", bad);
    }

    @Test
    void roundTripsMatchTorch() {
        float[] halfBack = golden.floats("half_back");
        float[] bf16Back = golden.floats("bf16_back");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            float h = FloatFormats.fromHalf(FloatFormats.toHalf(x[i]));
            if (!sameFloat(h, halfBack[i])) bad.add("half " + describe(i, x[i], halfBack[i], h));
            float b = FloatFormats.fromBFloat16(FloatFormats.toBFloat16(x[i]));
            if (!sameFloat(b, bf16Back[i])) bad.add("bf16 " + describe(i, x[i], bf16Back[i], b));
        }
        report("round trip", bad);
    }

    @Test
    void decodesEveryBitPatternLikeTorch() {
        short[] all = golden.shorts("all_bits");
        float[] fromHalf = golden.floats("all_from_half");
        float[] fromBf16 = golden.floats("all_from_bf16");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < 65536; i++) {
            assertEquals((short) i, all[i], "all_bits[" + i + "]");
            float h = FloatFormats.fromHalf(all[i]);
            if (!sameFloat(h, fromHalf[i])) bad.add(String.format("half %04x: torch %08x, ours %08x",
                    i, Float.floatToRawIntBits(fromHalf[i]), Float.floatToRawIntBits(h)));
            float b = FloatFormats.fromBFloat16(all[i]);
            if (!sameFloat(b, fromBf16[i])) bad.add(String.format("bf16 %04x: torch %08x, ours %08x",
                    i, Float.floatToRawIntBits(fromBf16[i]), Float.floatToRawIntBits(b)));
        }
        report("decoding", bad);
    }

    @Test
    void everyNonNanPatternSurvivesARoundTrip() {
        for (int i = 0; i < 65536; i++) {
            short s = (short) i;
            float h = FloatFormats.fromHalf(s);
            if (!Float.isNaN(h)) assertEquals(s, FloatFormats.toHalf(h), String.format("half %04x", i));
            float b = FloatFormats.fromBFloat16(s);
            if (!Float.isNaN(b)) assertEquals(s, FloatFormats.toBFloat16(b), String.format("bf16 %04x", i));
        }
    }

    @Test
    void nanEncodings() {
        // payloads that naive truncation would turn into infinity must stay NaN
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0x7F801000, 0x7FBFFFFF, 0xFFC00000, 0xFF800001}) {
            float nan = Float.intBitsToFloat(bits);
            short sign = (short) (bits < 0 ? 0x8000 : 0);
            assertEquals((short) (FloatFormats.HALF_NAN | sign), FloatFormats.toHalf(nan), Integer.toHexString(bits));
            assertEquals(FloatFormats.BFLOAT16_NAN, FloatFormats.toBFloat16(nan), Integer.toHexString(bits));
        }
        assertEquals(0x7FC02000, Float.floatToRawIntBits(FloatFormats.fromHalf((short) 0x7C01)));
        assertEquals(0xFFC00000, Float.floatToRawIntBits(FloatFormats.fromHalf((short) 0xFE00)));
        assertEquals(0x7FC00000, Float.floatToRawIntBits(FloatFormats.fromBFloat16(FloatFormats.BFLOAT16_NAN)));
    }

    @Test
    void spotValues() {
        assertEquals((short) 0x3C00, FloatFormats.toHalf(1f));
        assertEquals((short) 0x8000, FloatFormats.toHalf(-0f));
        assertEquals((short) 0x7BFF, FloatFormats.toHalf(65519.996f));
        assertEquals((short) 0x7C00, FloatFormats.toHalf(65520f));
        assertEquals((short) 0x0001, FloatFormats.toHalf(0x1.000002p-25f));
        assertEquals((short) 0x0000, FloatFormats.toHalf(0x1p-25f));
        assertEquals((short) 0x3F80, FloatFormats.toBFloat16(1f));
        assertEquals((short) 0x3F80, FloatFormats.toBFloat16(Float.intBitsToFloat(0x3F808000)));
        assertEquals((short) 0x3F82, FloatFormats.toBFloat16(Float.intBitsToFloat(0x3F818000)));
        assertEquals((short) 0x7F80, FloatFormats.toBFloat16(Float.MAX_VALUE));
        assertEquals((short) 0xFF80, FloatFormats.toBFloat16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x8000, FloatFormats.toBFloat16(-Float.MIN_VALUE));
        assertEquals(65504f, FloatFormats.fromHalf((short) 0x7BFF));
        assertEquals(0x1p-24f, FloatFormats.fromHalf((short) 0x0001));
    }

    @Test
    void arrayFormsMatchScalarForms() {
        short[] half = FloatFormats.toHalf(x);
        short[] bf16 = FloatFormats.toBFloat16(x);
        float[] halfBack = FloatFormats.fromHalf(half);
        float[] bf16Back = FloatFormats.fromBFloat16(bf16);
        for (int i = 0; i < x.length; i++) {
            assertEquals(FloatFormats.toHalf(x[i]), half[i]);
            assertEquals(FloatFormats.toBFloat16(x[i]), bf16[i]);
            assertEquals(Float.floatToRawIntBits(FloatFormats.fromHalf(half[i])), Float.floatToRawIntBits(halfBack[i]));
            assertEquals(Float.floatToRawIntBits(FloatFormats.fromBFloat16(bf16[i])), Float.floatToRawIntBits(bf16Back[i]));
        }
        short[] dst = new short[5];
        FloatFormats.toHalf(new float[] {9f, 1f, 2f, 9f}, 1, dst, 3, 2);
        assertArrayEquals(new short[] {0, 0, 0, 0x3C00, 0x4000}, dst);
        float[] back = new float[3];
        FloatFormats.fromBFloat16(new short[] {0x3F80, 0x4000}, 0, back, 1, 2);
        assertArrayEquals(new float[] {0f, 1f, 2f}, back);
        assertThrows(IndexOutOfBoundsException.class, () -> FloatFormats.toHalf(new float[2], 1, new short[4], 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatFormats.fromHalf(new short[4], 0, new float[2], 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatFormats.toBFloat16(new float[2], -1, new short[4], 0, 1));
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isHalfNan(short h) {
        return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;
    }

    private static boolean isBFloat16Nan(short b) {
        return (b & 0x7F80) == 0x7F80 && (b & 0x007F) != 0;
    }

    private static boolean sameHalf(short ours, short torch) {
        return ours == torch || (isHalfNan(ours) && isHalfNan(torch));
    }

    private static boolean sameBFloat16(short ours, short torch) {
        return ours == torch || (isBFloat16Nan(ours) && isBFloat16Nan(torch));
    }

    private static boolean sameFloat(float ours, float torch) {
        return Float.floatToRawIntBits(ours) == Float.floatToRawIntBits(torch)
                || (Float.isNaN(ours) && Float.isNaN(torch));
    }

    private static String describe(int i, float in, short torch, short ours) {
        return String.format("x[%d]=%s (%08x): torch %04x, ours %04x",
                i, in, Float.floatToRawIntBits(in), torch & 0xFFFF, ours & 0xFFFF);
    }

    private static String describe(int i, float in, float torch, float ours) {
        return String.format("x[%d]=%s (%08x): torch %08x, ours %08x", i, in, Float.floatToRawIntBits(in),
                Float.floatToRawIntBits(torch), Float.floatToRawIntBits(ours));
    }

    private static void report(String what, List<String> bad) {
        if (!bad.isEmpty()) {
            fail(what + ": " + bad.size() + " mismatches with torch, first ones:\n  "
                    + String.join("\n  ", bad.subList(0, Math.min(20, bad.size()))));
        }
    }
}
