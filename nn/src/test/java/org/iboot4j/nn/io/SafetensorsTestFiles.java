package org.iboot4j.nn.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte for the tests. */
final class SafetensorsTestFiles {

    private SafetensorsTestFiles() {}

    /** The repository's test-data folder (surefire sets {@code iboot.testData}). */
    static Path testData() {
        String dir = System.getProperty("iboot.testData");
        return Path.of(dir == null || dir.isBlank() ? "../test-data" : dir);
    }

    /** A file: the 8-byte little-endian length of {@code header}, the header, then {@code data}. */
    static byte[] file(byte[] header, byte[] data) {
        return concat(le64(header.length), header, data);
    }

    /** A file whose header is {@code json} in UTF-8. */
    static byte[] file(String json, byte[] data) {
        return file(json.getBytes(StandardCharsets.UTF_8), data);
    }

    /** A file whose header is {@code json} and whose data section has {@code dataLength} zero bytes. */
    static byte[] file(String json, int dataLength) {
        return file(json, new byte[dataLength]);
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] le32(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        return b.array();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static Path write(Path dir, String fileName, byte[] bytes) {
        try {
            return Files.write(dir.resolve(fileName), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code bytes} as {@code dir/fileName}, asserts that opening it fails with a
     * {@link SafetensorsFormatException} whose message names the file and contains every
     * fragment, and returns the message.
     */
    static String rejected(Path dir, String fileName, byte[] bytes, String... fragments) {
        Path file = write(dir, fileName, bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                throw new AssertionError("accepted: " + r);
            }
        });
        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString() + ": not a valid safetensors file: "), message);
        for (String f : fragments) assertTrue(message.contains(f), "expected \"" + f + "\" in: " + message);
        return message;
    }
}
