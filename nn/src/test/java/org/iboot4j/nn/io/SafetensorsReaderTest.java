package org.iboot4j.nn.io;

import static org.iboot4j.nn.io.SafetensorsTestFiles.concat;
import static org.iboot4j.nn.io.SafetensorsTestFiles.f32;
import static org.iboot4j.nn.io.SafetensorsTestFiles.file;
import static org.iboot4j.nn.io.SafetensorsTestFiles.le32;
import static org.iboot4j.nn.io.SafetensorsTestFiles.le64;
import static org.iboot4j.nn.io.SafetensorsTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafetensorsReader} on files built byte by byte. */
class SafetensorsReaderTest {

    @TempDir
    Path dir;

    /**
     * u8 [3] at [0, 3), then f32 [2, 1] at the unaligned range [3, 11), i32 [2] at [11, 19),
     * a zero-size i64 at [19, 19), bool [3] at [19, 22), plus metadata and an unknown extra field.
     */
    private Path mixed() {
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"h\\u00e9 \\ud834\\udd1e\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[3,11],\"extra\":[1,{\"x\":null}]},"
                + "\"bytes\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[11,19]},"
                + "\"none\":{\"dtype\":\"I64\",\"shape\":[0,5],\"data_offsets\":[19,19]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[19,22]}}   ";
        byte[] data = concat(new byte[] {7, (byte) 200, 0}, f32(1.5f, -2f), le32(-3, 2_000_000_000), new byte[] {1, 0, 5});
        return write(dir, "mixed.safetensors", file(json, data));
    }

    @Test
    void readsNamesMetadataAndInfo() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(mixed())) {
            assertEquals(List.of("bytes", "ids", "mask", "none", "w"), List.copyOf(r.names()));
            assertEquals(Map.of("format", "pt", "note", "h\u00e9 \uD834\uDD1E"), r.metadata());
            TensorInfo w = r.info("w");
            assertEquals(SafetensorsDType.F32, w.dtype());
            assertArrayEquals(new long[] {2, 1}, w.shape());
            assertEquals(3, w.begin());
            assertEquals(11, w.end());
            assertEquals(8, w.byteSize());
            assertEquals(2, w.numel());
            assertTrue(r.contains("none"));
            assertFalse(r.contains("nope"));
            assertEquals(0, r.info("none").numel());
        }
    }

    @Test
    void convertsEveryDTypeToFloat32() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(mixed())) {
            Tensor w = r.tensor("w"); // starts at an unaligned offset
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new int[] {2, 1}, w.shape());
            assertArrayEquals(new float[] {1.5f, -2f}, w.toFloatArray());
            assertArrayEquals(new float[] {7, 200, 0}, r.tensor("bytes").toFloatArray());
            assertArrayEquals(new float[] {-3, 2e9f}, r.tensor("ids").toFloatArray());
            assertArrayEquals(new float[] {1, 0, 1}, r.tensor("mask").toFloatArray());
            Tensor none = r.tensor("none");
            assertArrayEquals(new int[] {0, 5}, none.shape());
            assertEquals(0, none.numel());
        }
    }

    @Test
    void readsIntegersExactlyAndBools() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(mixed())) {
            Tensor ids = r.longTensor("ids");
            assertEquals(DType.I64, ids.dtype());
            assertArrayEquals(new long[] {-3, 2_000_000_000}, ids.toLongArray());
            assertArrayEquals(new long[] {7, 200, 0}, r.longs("bytes"));
            assertArrayEquals(new long[] {1, 0, 1}, r.longs("mask"));
            Tensor mask = r.boolTensor("mask");
            assertEquals(DType.BOOL, mask.dtype());
            assertArrayEquals(new boolean[] {true, false, true}, mask.toBooleanArray());
        }
    }

    @Test
    void rawSegments() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(mixed())) {
            MemorySegment s = r.segment("bytes");
            assertEquals(3, s.byteSize());
            assertArrayEquals(new byte[] {7, (byte) 200, 0}, s.toArray(ValueLayout.JAVA_BYTE));
            assertTrue(s.isReadOnly());
            assertEquals(0, r.segment("none").byteSize());
        }
    }

    @Test
    void segmentsDieWithTheReader() throws Exception {
        SafetensorsReader r = SafetensorsReader.open(mixed());
        MemorySegment s = r.segment("w");
        r.close();
        r.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> r.tensor("w"));
    }

    @Test
    void missingNameNamesTheFileAndTheTensor() throws Exception {
        Path f = mixed();
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.tensor("nope"));
            assertEquals(f + ": no tensor \"nope\" (the file has 5 tensors: \"bytes\", \"ids\", \"mask\", \"none\", \"w\")",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> r.info("nope"));
            assertThrows(IllegalArgumentException.class, () -> r.segment("nope"));
            assertThrows(IllegalArgumentException.class, () -> r.longTensor("nope"));
        }
    }

    @Test
    void integerConversionOfAFloatTensorIsAnError() throws Exception {
        Path f = mixed();
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.longTensor("w"));
            assertEquals(f + ": tensor \"w\" has dtype F32; longTensor/longs needs an integer dtype or BOOL;"
                    + " use tensor() or floats() for floating-point data", e.getMessage());
            IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> r.boolTensor("bytes"));
            assertEquals(f + ": tensor \"bytes\" has dtype U8; boolTensor needs BOOL", b.getMessage());
        }
    }

    @Test
    void unsignedAndNarrowIntegers() throws Exception {
        String json = "{\"u64\":{\"dtype\":\"U64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[28,30]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[30,32]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[32,33]}}";
        byte[] data = concat(le64(5), le64(-1L), le64(Long.MIN_VALUE | 1L << 39 | 1), le32(-1),
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x80, (byte) 0x80});
        Path f = write(dir, "unsigned.safetensors", file(json, data));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            // 2^64-1 rounds up to 2^64; 2^63 + 2^39 + 1 is just above a tie and must round up
            assertArrayEquals(new float[] {5f, 0x1p64f, 0x1p63f + 0x1p40f}, r.floats("u64"));
            assertArrayEquals(new float[] {4294967295f}, r.floats("u32"));
            assertArrayEquals(new long[] {4294967295L}, r.longs("u32"));
            assertArrayEquals(new long[] {65535}, r.longs("u16"));
            assertArrayEquals(new long[] {-32768}, r.longs("i16"));
            assertArrayEquals(new long[] {-128}, r.longs("i8"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.longs("u64"));
            assertEquals(f + ": tensor \"u64\" element 1 is 18446744073709551615, too large for int64", e.getMessage());
        }
    }

    @Test
    void emptyAndMetadataOnlyFiles() throws Exception {
        Path empty = write(dir, "empty.safetensors", file("{}", 0));
        try (SafetensorsReader r = SafetensorsReader.open(empty)) {
            assertTrue(r.names().isEmpty());
            assertTrue(r.metadata().isEmpty());
        }
        Path meta = write(dir, "meta.safetensors", file("{\"__metadata__\":{}}", 0));
        try (SafetensorsReader r = SafetensorsReader.open(meta)) {
            assertTrue(r.names().isEmpty());
        }
    }

    @Test
    void scalarsAndZeroSizeTensorsAnywhere() throws Exception {
        // zero-size tensors at the start, the end, and sharing an offset with a real tensor
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"z\":{\"dtype\":\"F16\",\"shape\":[3,0],\"data_offsets\":[4,4]}}";
        Path f = write(dir, "scalar.safetensors", file(json, f32(2.5f)));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            Tensor s = r.tensor("s");
            assertEquals(0, s.dim());
            assertEquals(2.5f, s.item());
            assertArrayEquals(new int[] {3, 0}, r.tensor("z").shape());
            assertArrayEquals(new int[] {0}, r.tensor("a").shape());
        }
    }

    @Test
    void namesAreInCodePointOrder() throws Exception {
        // Python sorts by code point: U+FFFD < U+1D11E, although its UTF-16 units compare the other way
        String json = "{\"\\ud834\\udd1e\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},"
                + "\"\\ufffd\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[1,2]},"
                + "\"_\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[2,3]},"
                + "\"B\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[3,4]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[4,5]}}";
        Path f = write(dir, "order.safetensors", file(json, new byte[] {1, 2, 3, 4, 5}));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(List.of("B", "_", "a", "\uFFFD", "\uD834\uDD1E"), List.copyOf(r.names()));
            assertArrayEquals(new long[] {1}, r.longs("\uD834\uDD1E"));
        }
    }

    @Test
    void tensorsTooLargeForTheEngineAreRefusedClearly() throws Exception {
        // a zero-size tensor with a dimension beyond int range is valid in the file
        Path f = write(dir, "wide.safetensors", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[0,3000000000],\"data_offsets\":[0,0]}}", 0));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.tensor("w"));
            assertEquals(f + ": tensor \"w\" has dimension 1 of size 3000000000, more than an engine tensor's int sizes hold",
                    e.getMessage());
            assertEquals(0, r.segment("w").byteSize());
        }
    }
}
