package org.iboot4j.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 2 GiB, made sparse (RandomAccessFile.setLength) so it costs no disk and no time:
 * a 2 GiB U8 tensor of zeros, then a small F32 tensor past the 2^31 mark. MappedByteBuffer could
 * not map it; the FFM mapping with long offsets must read the tail exactly.
 */
class SafetensorsLargeFileTest {

    @TempDir
    Path dir;

    @Test
    void readsATensorBeyondTwoGiB() throws Exception {
        long padBytes = 1L << 31;   // 2 GiB: one more than the largest int offset
        float[] tail = {1.5f, -2f, 3.25f, Float.MIN_VALUE};
        String json = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + padBytes + "],\"data_offsets\":[0," + padBytes + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + padBytes + "," + (padBytes + 16) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.US_ASCII);
        Path f = dir.resolve("large.safetensors");
        long dataStart = 8L + header.length;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(SafetensorsTestFiles.le64(header.length));
            raf.write(header);
            raf.setLength(dataStart + padBytes + 16); // a hole, read back as zeros
            raf.seek(dataStart + padBytes);
            raf.write(SafetensorsTestFiles.f32(tail));
        }
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(padBytes, r.info("tail").begin());
            assertArrayEquals(tail, r.tensor("tail").toFloatArray());
            MemorySegment pad = r.segment("pad");
            assertEquals(padBytes, pad.byteSize());
            assertEquals(0, pad.get(ValueLayout.JAVA_BYTE, padBytes - 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.tensor("pad"));
            assertTrue(e.getMessage().contains("tensor \"pad\" has 2147483648 elements, more than a Java array"), e.getMessage());
        }
    }
}
