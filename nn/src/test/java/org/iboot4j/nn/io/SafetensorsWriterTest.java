package org.iboot4j.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.iboot4j.engine.FloatFormats;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafetensorsWriter}: layout, conversions, round trips and atomicity. */
class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static final float[] AWKWARD = {0f, -0f, 1f, -1.5f, 1f / 3, 65504f, 65520f, 1e-8f, 3e38f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, 1.00390625f};

    private static List<String> dirListing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void roundTripsEveryConversion() throws Exception {
        Tensor x = Tensor.of(AWKWARD, 2, 7);
        long[] ids = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 42};
        long[] small = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 42};
        boolean[] mask = {true, false, true};
        Path f = dir.resolve("all.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata(Map.of("note", "h\u00e9llo \uD834\uDD1E \"q\" \\ \n"))
                .add("f32", x)
                .add("f16", x, SafetensorsDType.F16)
                .add("bf16", x, SafetensorsDType.BF16)
                .add("f64", x, SafetensorsDType.F64)
                .add("i64", Tensor.ofLongs(ids))
                .add("i32", Tensor.ofLongs(small), SafetensorsDType.I32)
                .add("bool", Tensor.ofBooleans(mask))
                .add("u8", Tensor.ofBooleans(mask), SafetensorsDType.U8)
                .add("scalar", Tensor.scalar(-7.25f))
                .add("empty", Tensor.zeros(2, 0, 3))
                .write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of("format", "pt", "note", "h\u00e9llo \uD834\uDD1E \"q\" \\ \n"), r.metadata());
            assertEquals(SafetensorsDType.F16, r.info("f16").dtype());
            assertArrayEquals(new long[] {2, 7}, r.info("f16").shape());
            assertBits(AWKWARD, r.floats("f32"));
            assertBits(AWKWARD, r.floats("f64"));
            float[] half = new float[AWKWARD.length];
            float[] bf16 = new float[AWKWARD.length];
            for (int i = 0; i < AWKWARD.length; i++) {
                half[i] = FloatFormats.fromHalf(FloatFormats.toHalf(AWKWARD[i]));
                bf16[i] = FloatFormats.fromBFloat16(FloatFormats.toBFloat16(AWKWARD[i]));
            }
            assertBits(half, r.floats("f16"));
            assertBits(bf16, r.floats("bf16"));
            assertEquals(Float.POSITIVE_INFINITY, r.floats("f16")[6]); // 65520 overflows half
            assertArrayEquals(ids, r.longs("i64"));
            assertArrayEquals(small, r.longs("i32"));
            assertEquals(SafetensorsDType.I32, r.info("i32").dtype());
            assertArrayEquals(mask, r.boolTensor("bool").toBooleanArray());
            assertArrayEquals(new long[] {1, 0, 1}, r.longs("u8"));
            assertEquals(SafetensorsDType.U8, r.info("u8").dtype());
            assertEquals(0, r.info("scalar").rank());
            assertEquals(-7.25f, r.tensor("scalar").item());
            assertArrayEquals(new int[] {2, 0, 3}, r.tensor("empty").shape());
        }
    }

    private static void assertBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    "element " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    @Test
    void layoutIsSortedAlignedAndBackToBack() throws Exception {
        Path f = dir.resolve("layout.safetensors");
        new SafetensorsWriter()
                .add("b", Tensor.ones(3), SafetensorsDType.F16)   // 6 bytes: the next tensor is unaligned
                .add("a", Tensor.ones(1))
                .add("_", Tensor.ofLongs(new long[] {1, 2}))
                .add("B", Tensor.ofBooleans(new boolean[] {true}, 1))
                .metadata("z", "last")
                .write(f);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data must start at a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"B\":{\"data_offsets\":[0,1],\"dtype\":\"BOOL\",\"shape\":[1]},"
                + "\"_\":{\"data_offsets\":[1,17],\"dtype\":\"I64\",\"shape\":[2]},"
                + "\"__metadata__\":{\"z\":\"last\"},"
                + "\"a\":{\"data_offsets\":[17,21],\"dtype\":\"F32\",\"shape\":[1]},"
                + "\"b\":{\"data_offsets\":[21,27],\"dtype\":\"F16\",\"shape\":[3]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        assertEquals(8 + n + 27, bytes.length);
    }

    @Test
    void outputIsDeterministic() throws Exception {
        Tensor x = Tensor.randn(new Rng(3), 0, 1, 4, 5);
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        new SafetensorsWriter().add("x", x).add("y", x, SafetensorsDType.BF16).metadata("k", "v").write(a);
        new SafetensorsWriter().metadata("k", "v").add("y", x, SafetensorsDType.BF16).add("x", x).write(b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void emptyWriterMakesAValidFile() throws Exception {
        Path f = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(f);
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(16, bytes.length);
        assertEquals("{}      ", new String(bytes, 8, 8, StandardCharsets.US_ASCII));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertTrue(r.names().isEmpty());
        }
    }

    @Test
    void largeTensorsCrossTheStagingBuffers() throws Exception {
        // 300,000 floats = 1.2 MB (more than the 1 MiB write buffer), 70,000 halves (more than a read chunk)
        Tensor big = Tensor.randn(new Rng(7), 0, 1, 300, 1000);
        Tensor mid = Tensor.randn(new Rng(8), 0, 1, 70_000);
        Path f = dir.resolve("big.safetensors");
        new SafetensorsWriter().add("big", big).add("mid", mid, SafetensorsDType.F16)
                .add("ids", Tensor.ofLongs(new long[200_000])).write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertBits(big.toFloatArray(), r.floats("big"));
            float[] m = mid.toFloatArray();
            for (int i = 0; i < m.length; i++) m[i] = FloatFormats.fromHalf(FloatFormats.toHalf(m[i]));
            assertBits(m, r.floats("mid"));
            assertEquals(200_000, r.longs("ids").length);
        }
    }

    @Test
    void nonContiguousTensorsAreWrittenRowMajor() throws Exception {
        Tensor x = Tensor.arange(6).reshape(2, 3).transpose(0, 1); // [[0,3],[1,4],[2,5]]
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("x", x).write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(new long[] {3, 2}, r.info("x").shape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, r.floats("x"));
        }
    }

    @Test
    void rawSourcesStreamTheirBytes() throws Exception {
        Path f = dir.resolve("raw.safetensors");
        new SafetensorsWriter().addRaw("r", SafetensorsDType.I16, new long[] {2, 2}, out -> {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) 1).putShort((short) -2).putShort((short) 300).putShort(Short.MIN_VALUE).flip();
            out.write(b.slice(0, 3)); // in pieces
            out.write(b.slice(3, 5));
        }).write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(new long[] {1, -2, 300, Short.MIN_VALUE}, r.longs("r"));
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafetensorsWriter.write(f, Map.of("x", Tensor.ones(4)), Map.of());
        SafetensorsWriter.write(f, Map.of("y", Tensor.zeros(2)), Map.of("v", "2"));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(List.of("y"), List.copyOf(r.names()));
            assertEquals("2", r.metadata().get("v"));
        }
        assertEquals(List.of("m.safetensors"), dirListing(dir));
    }

    // ---- atomicity -----------------------------------------------------------------------------

    /** Writes "old" contents to f, runs a failing write, and checks that nothing changed. */
    private <T extends Throwable> T failsLeavingTheOldFile(Class<T> type, SafetensorsWriter failing) throws Exception {
        Path f = dir.resolve("model.safetensors");
        new SafetensorsWriter().add("old", Tensor.arange(10)).metadata("version", "1").write(f);
        byte[] before = Files.readAllBytes(f);
        T thrown = assertThrows(type, () -> failing.write(f));
        assertArrayEquals(before, Files.readAllBytes(f), "the old file changed");
        assertEquals(List.of("model.safetensors"), dirListing(dir), "a temporary file was left behind");
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(Tensor.arange(10).toFloatArray(), r.floats("old"));
        }
        return thrown;
    }

    @Test
    void aTensorThatThrowsMidWriteLeavesTheOldFileIntact() throws Exception {
        RuntimeException boom = new RuntimeException("disk on fire");
        SafetensorsWriter w = new SafetensorsWriter()
                .add("a", Tensor.ones(1000))                      // written before the failure
                .addRaw("b", SafetensorsDType.F32, new long[] {100}, out -> {
                    out.write(ByteBuffer.allocate(200));         // half of it, then
                    throw boom;
                })
                .add("c", Tensor.ones(10));
        assertSame(boom, failsLeavingTheOldFile(RuntimeException.class, w));
    }

    @Test
    void anIOExceptionMidWriteLeavesTheOldFileIntact() throws Exception {
        IOException boom = new IOException("no space left on device");
        SafetensorsWriter w = new SafetensorsWriter().addRaw("b", SafetensorsDType.U8, new long[] {5}, out -> {
            throw boom;
        });
        assertSame(boom, failsLeavingTheOldFile(IOException.class, w));
    }

    @Test
    void aSourceWritingTooFewBytesFails() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter().addRaw("short", SafetensorsDType.F32, new long[] {4},
                out -> out.write(ByteBuffer.allocate(12)));
        IOException e = failsLeavingTheOldFile(IOException.class, w);
        assertEquals("tensor \"short\": its data source wrote 12 bytes, but F32 [4] needs 16", e.getMessage());
    }

    @Test
    void aSourceWritingTooManyBytesFails() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter().addRaw("long", SafetensorsDType.U8, new long[] {4},
                out -> out.write(ByteBuffer.allocate(5)));
        IOException e = failsLeavingTheOldFile(IOException.class, w);
        assertEquals("tensor \"long\": its data source wrote more than the 4 bytes of U8 [4]", e.getMessage());
    }

    @Test
    void anInt64ThatDoesNotFitI32FailsTheWrite() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter().add("ids", Tensor.ofLongs(new long[] {1, 1L << 40}), SafetensorsDType.I32);
        IllegalArgumentException e = failsLeavingTheOldFile(IllegalArgumentException.class, w);
        assertEquals("tensor \"ids\": element 1 is 1099511627776, which does not fit I32", e.getMessage());
    }

    // ---- bad calls -------------------------------------------------------------------------------

    @Test
    void badCallsAreRefusedWhenMade() {
        SafetensorsWriter w = new SafetensorsWriter().add("x", Tensor.ones(1));
        assertEquals("tensor \"x\" was already added",
                assertThrows(IllegalArgumentException.class, () -> w.add("x", Tensor.ones(1))).getMessage());
        assertEquals("\"__metadata__\" is reserved and cannot name a tensor",
                assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", Tensor.ones(1))).getMessage());
        assertEquals("tensor \"y\": cannot write a float32 tensor as I64",
                assertThrows(IllegalArgumentException.class, () -> w.add("y", Tensor.ones(1), SafetensorsDType.I64)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.add("y", Tensor.ofLongs(new long[] {1}), SafetensorsDType.F32));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> w.add("bad\uD800", Tensor.ones(1))).getMessage()
                .contains("unpaired surrogate"));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("k", "\uDC00"));
        assertEquals("tensor \"n\": negative size in shape [2, -1]", assertThrows(IllegalArgumentException.class,
                () -> w.addRaw("n", SafetensorsDType.U8, new long[] {2, -1}, out -> {})).getMessage());
        assertEquals("tensor \"o\": shape [4611686018427387904, 4] needs more than 2^63-1 bytes",
                assertThrows(IllegalArgumentException.class,
                        () -> w.addRaw("o", SafetensorsDType.U8, new long[] {1L << 62, 4}, out -> {})).getMessage());
    }

    @Test
    void theHeaderIsAvailableBeforeWriting() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z", Tensor.ones(2, 2));
        m.put("a", Tensor.ones(3));
        SafetensorsWriter w = new SafetensorsWriter();
        m.forEach(w::add);
        SafetensorsHeader h = w.header();
        assertEquals(new ArrayList<>(List.of("a", "z")), new ArrayList<>(h.tensors().keySet()));
        assertEquals(new TensorInfo("z", SafetensorsDType.F32, new long[] {2, 2}, 12, 28), h.tensors().get("z"));
        assertEquals(28, h.dataLength());
    }
}
