package org.iboot4j.nn.io;

import static java.util.Map.entry;
import static org.iboot4j.nn.io.SafetensorsDType.BF16;
import static org.iboot4j.nn.io.SafetensorsDType.BOOL;
import static org.iboot4j.nn.io.SafetensorsDType.F16;
import static org.iboot4j.nn.io.SafetensorsDType.F32;
import static org.iboot4j.nn.io.SafetensorsDType.F64;
import static org.iboot4j.nn.io.SafetensorsDType.I16;
import static org.iboot4j.nn.io.SafetensorsDType.I32;
import static org.iboot4j.nn.io.SafetensorsDType.I64;
import static org.iboot4j.nn.io.SafetensorsDType.I8;
import static org.iboot4j.nn.io.SafetensorsDType.U8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.iboot4j.engine.FloatFormats;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Interop with PyTorch 1.13 through test-data/golden/safetensors_interop.safetensors, made by
 * test-data/scripts/make_safetensors_interop.py: for every source tensor NAME the file holds torch's
 * {@code NAME.float()} as {@code NAME.expected} (and {@code NAME.long()} as
 * {@code NAME.expected_long} for integer and bool sources). The reader must match them bit for bit
 * (where torch gives NaN, any NaN).
 *
 * <p>The other direction: {@link #writesAFileForTorchToCheck} writes
 * {@code nn/target/safetensors-interop/from_java.safetensors}, which
 * {@code make_safetensors_interop.py check} compares with torch's own conversions (run by hand, as
 * CI has no Python); here the test re-reads it.
 */
class SafetensorsInteropTest {

    private static final Path GOLDEN = SafetensorsTestFiles.testData().resolve("golden").resolve("safetensors_interop.safetensors");

    static final Path JAVA_OUT = Path.of("target", "safetensors-interop", "from_java.safetensors");

    private static final String WEIRD = "weird \"name\" \\ \u00fcn\u00ef \u2603 \uD834\uDD1E/\t.x";

    /** Every source tensor of the golden file and its dtype. */
    private static final Map<String, SafetensorsDType> SOURCES = Map.ofEntries(
            entry("f32", F32), entry("f16", F16), entry("bf16", BF16), entry("f64", F64),
            entry("i64", I64), entry("i32", I32), entry("i16", I16), entry("i8", I8), entry("u8", U8),
            entry("bool", BOOL), entry("scalar", F32), entry("scalar_i64", I64), entry("scalar_bf16", BF16),
            entry("empty", F32), entry("empty_3d_f16", F16), entry("empty_i64", I64), entry("odd", F32),
            entry("odd_f64", F64), entry("odd_bool", BOOL), entry("block.0.attn.qkv.weight", F32), entry(WEIRD, F32));

    private static boolean hasLongs(SafetensorsDType d) {
        return d.isInteger() || d == BOOL;
    }

    @Test
    void goldenFileHoldsEveryCase() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            Set<String> expected = new TreeSet<>();
            for (var e : SOURCES.entrySet()) {
                expected.add(e.getKey());
                expected.add(e.getKey() + ".expected");
                if (hasLongs(e.getValue())) expected.add(e.getKey() + ".expected_long");
            }
            assertEquals(expected, new TreeSet<>(r.names()));
            for (var e : SOURCES.entrySet()) {
                TensorInfo info = r.info(e.getKey());
                assertEquals(e.getValue(), info.dtype(), e.getKey());
                assertArrayEquals(info.shape(), r.info(e.getKey() + ".expected").shape(), e.getKey());
            }
            assertEquals("pt", r.metadata().get("format"));
            assertEquals("empty key", r.metadata().get(""));
            assertEquals("h\u00e9llo \u2603 \uD834\uDD1E \"quoted\" \\ newline\n tab\t", r.metadata().get("note"));
            assertTrue(r.metadata().get("torch").startsWith("1.13"), r.metadata().get("torch"));
        }
    }

    @Test
    void floatConversionsMatchTorchBitForBit() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            for (String name : SOURCES.keySet()) {
                Tensor t = r.tensor(name);
                assertArrayEquals(r.info(name).intShape(), t.shape(), name);
                assertSameFloats(name, r.floats(name + ".expected"), t.toFloatArray());
            }
        }
    }

    @Test
    void integerConversionsMatchTorchExactly() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            for (var e : SOURCES.entrySet()) {
                if (!hasLongs(e.getValue())) continue;
                Tensor t = r.longTensor(e.getKey());
                assertArrayEquals(r.info(e.getKey()).intShape(), t.shape(), e.getKey());
                assertArrayEquals(r.longs(e.getKey() + ".expected_long"), t.toLongArray(), e.getKey());
            }
        }
    }

    /** A few values checked by hand, so that the companions themselves are known to be right. */
    @Test
    void handCheckedValues() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            assertArrayEquals(new float[] {0, 1, 127, 128, 200, 255, 3, 4}, r.floats("u8"));
            assertArrayEquals(new long[] {0, -1, (1L << 24) + 1, (1L << 53) + 1, Long.MAX_VALUE, Long.MIN_VALUE, 123456789},
                    r.longs("i64"));
            float[] i64 = r.floats("i64");
            assertEquals(16777216f, i64[2]); // 2^24 + 1 rounds to even
            assertEquals(0x1p63f, i64[4]);
            float[] f64 = r.floats("f64");
            assertEquals(Float.POSITIVE_INFINITY, f64[1]);
            assertEquals(0f, f64[3]);
            assertEquals(Float.MIN_VALUE, f64[5]);
            assertEquals(1f, f64[6]);              // 1 + 2^-24: a tie, to even
            assertEquals(1f + 0x1p-22f, f64[7]);   // 1 + 3 * 2^-24: a tie, to even
            assertTrue(Float.isNaN(f64[9]));
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(f64[10]));
            assertEquals(0x1p-148f, f64[11]);      // 1.5 * 2^-149: a tie, to even
            assertEquals(Float.POSITIVE_INFINITY, f64[12]); // halfway between FLT_MAX and 2^128
            float[] f16 = r.floats("f16");
            assertEquals(65504f, f16[4]);
            assertEquals(0x1p-24f, f16[9]);
            Tensor scalar = r.tensor("scalar");
            assertEquals(0, scalar.dim());
            assertEquals(3.25f, scalar.item());
            assertEquals(-0.5f, r.tensor("scalar_bf16").item());
            assertEquals(-7L, r.longTensor("scalar_i64").toLongArray()[0]);
            assertArrayEquals(new boolean[] {true, false, false, true, true, false}, r.boolTensor("bool").toBooleanArray());
            assertArrayEquals(new float[] {1.5f, -2.25f}, r.floats(WEIRD));
            assertArrayEquals(new int[] {2, 0, 3}, r.tensor("empty_3d_f16").shape());
            assertArrayEquals(new int[] {1, 1, 7, 1}, r.tensor("odd").shape());
        }
    }

    /** Our header encoding is fixture_io.py's: copying every tensor's bytes reproduces the file exactly. */
    @Test
    void rewritingTheGoldenTensorsReproducesTheFileByteForByte(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(r.metadata());
            for (String name : r.names()) {
                TensorInfo info = r.info(name);
                w.addRaw(name, info.dtype(), info.shape(), out -> out.write(r.segment(name).asByteBuffer()));
            }
            w.write(copy);
        }
        assertArrayEquals(Files.readAllBytes(GOLDEN), Files.readAllBytes(copy));
    }

    /** Writes the file that {@code make_safetensors_interop.py check} verifies (see the script's comment). */
    @Test
    void writesAFileForTorchToCheck() throws Exception {
        Files.createDirectories(JAVA_OUT.getParent());
        try (SafetensorsReader r = SafetensorsReader.open(GOLDEN)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(r.metadata()).metadata("writer", "iboot4j SafetensorsWriter");
            for (var e : SOURCES.entrySet()) {
                String name = e.getKey();
                SafetensorsDType d = e.getValue();
                w.add(name + "/f32", r.tensor(name));
                if (d.isFloatingPoint()) {
                    w.add(name + "/f16", r.tensor(name), F16);
                    w.add(name + "/bf16", r.tensor(name), BF16);
                    w.add(name + "/f64", r.tensor(name), F64);
                } else if (d == BOOL) {
                    w.add(name + "/bool", r.boolTensor(name));
                    w.add(name + "/u8", r.boolTensor(name), U8);
                } else {
                    w.add(name + "/i64", r.longTensor(name));
                    if (d != I64) w.add(name + "/i32", r.longTensor(name), I32);
                }
            }
            w.write(JAVA_OUT);
        }
        // re-read it: what torch will check, checked here against our own conversions
        try (SafetensorsReader g = SafetensorsReader.open(GOLDEN); SafetensorsReader r = SafetensorsReader.open(JAVA_OUT)) {
            assertEquals("iboot4j SafetensorsWriter", r.metadata().get("writer"));
            for (var e : SOURCES.entrySet()) {
                String name = e.getKey();
                float[] x = g.floats(name + ".expected");
                assertArrayEquals(g.info(name).shape(), r.info(name + "/f32").shape(), name);
                assertSameFloats(name + "/f32", x, r.floats(name + "/f32"));
                if (e.getValue().isFloatingPoint()) {
                    float[] half = new float[x.length];
                    float[] bf16 = new float[x.length];
                    for (int i = 0; i < x.length; i++) {
                        half[i] = FloatFormats.fromHalf(FloatFormats.toHalf(x[i]));
                        bf16[i] = FloatFormats.fromBFloat16(FloatFormats.toBFloat16(x[i]));
                    }
                    assertSameFloats(name + "/f16", half, r.floats(name + "/f16"));
                    assertSameFloats(name + "/bf16", bf16, r.floats(name + "/bf16"));
                    assertSameFloats(name + "/f64", x, r.floats(name + "/f64"));
                } else {
                    long[] l = g.longs(name + ".expected_long");
                    String suffix = e.getValue() == BOOL ? "/bool" : "/i64";
                    assertArrayEquals(l, r.longs(name + suffix), name + suffix);
                    if (e.getValue() == BOOL) assertArrayEquals(l, r.longs(name + "/u8"), name);
                    else if (e.getValue() != I64) assertArrayEquals(l, r.longs(name + "/i32"), name);
                }
            }
        }
    }

    /** Bit-equal, except that where {@code expected} is NaN any NaN will do. */
    static void assertSameFloats(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            boolean ok = Float.isNaN(expected[i]) ? Float.isNaN(actual[i])
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
            if (!ok) {
                throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + "), got " + actual[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
            }
        }
    }
}
