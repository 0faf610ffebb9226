package org.iboot4j.engine.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads golden fixtures written by {@code test-data/scripts/fixture_io.py}: a minimal,
 * test-only safetensors reader (the whole file is loaded into memory).
 *
 * <p>Format: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON mapping
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative
 * to the data section that follows the header) plus an optional {@code "__metadata__"} map of
 * strings, then the little-endian, row-major tensor data.
 *
 * <pre>{@code
 * SafetensorsFixture f = SafetensorsFixture.golden("float_formats.safetensors");
 * float[] x = f.floats("x");
 * }</pre>
 */
public final class SafetensorsFixture {

    /** One tensor's header entry. */
    private record Entry(String dtype, int[] shape, long numel, int begin, int end) {}

    private final Path file;
    private final ByteBuffer data; // the data section, little-endian
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFixture(Path file, ByteBuffer data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * The test-data folder: the system property {@code iboot.testData} (set by surefire to the
     * absolute path of the repository's {@code test-data}), or {@code ../test-data} when unset.
     */
    public static Path testData() {
        String dir = System.getProperty("iboot.testData");
        return Path.of(dir == null || dir.isBlank() ? "../test-data" : dir);
    }

    /** Opens {@code test-data/golden/<fileName>}. */
    public static SafetensorsFixture golden(String fileName) {
        return open(testData().resolve("golden").resolve(fileName));
    }

    /** Reads and parses a safetensors file; malformed files throw {@link IllegalArgumentException}. */
    public static SafetensorsFixture open(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + file.toAbsolutePath()
                    + " (regenerate it with the scripts in test-data/scripts, see test-data/README.md)", e);
        }
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) throw bad(file, "shorter than the 8-byte header length");
        long headerLength = all.getLong(0);
        if (headerLength < 2 || headerLength > bytes.length - 8L) {
            throw bad(file, "header length " + Long.toUnsignedString(headerLength) + " does not fit the file");
        }
        String json = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = MiniJson.parse(json);
        } catch (IllegalArgumentException e) {
            throw bad(file, "bad header: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) throw bad(file, "header is not a JSON object");

        int dataStart = 8 + (int) headerLength;
        ByteBuffer data = all.slice(dataStart, bytes.length - dataStart).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> entries = new TreeMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(file, "__metadata__ is not an object");
                for (Map.Entry<?, ?> kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String v)) throw bad(file, "__metadata__." + kv.getKey() + " is not a string");
                    metadata.put((String) kv.getKey(), v);
                }
                continue;
            }
            entries.put(name, entry(file, name, e.getValue(), data.capacity()));
        }
        return new SafetensorsFixture(file, data, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(Path file, String name, Object value, int dataLength) {
        if (!(value instanceof Map<?, ?> m)) throw bad(file, name + ": entry is not an object");
        if (!(m.get("dtype") instanceof String dtype)) throw bad(file, name + ": missing dtype");
        if (!(m.get("shape") instanceof List<?> dims)) throw bad(file, name + ": missing shape");
        if (!(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw bad(file, name + ": missing data_offsets");
        }
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) throw bad(file, name + ": bad shape " + dims);
            shape[i] = (int) (long) d;
            numel *= d;
        }
        if (!(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)
                || begin < 0 || end < begin || end > dataLength) {
            throw bad(file, name + ": data_offsets " + offsets + " outside the " + dataLength + "-byte data section");
        }
        long expected = numel * elementSize(file, name, dtype);
        if (end - begin != expected) {
            throw bad(file, name + ": " + (end - begin) + " bytes of data for " + dtype + " shape " + dims
                    + " (expected " + expected + ")");
        }
        return new Entry(dtype, shape, numel, (int) (long) begin, (int) (long) end);
    }

    private static int elementSize(Path file, String name, String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw bad(file, name + ": unsupported dtype " + dtype);
        };
    }

    /** The file this fixture was read from. */
    public Path file() {
        return file;
    }

    /** The tensor names, sorted. */
    public Set<String> names() {
        return entries.keySet();
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /** The safetensors dtype of a tensor: F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL. */
    public String dtype(String name) {
        return entry(name).dtype();
    }

    /** The shape of a tensor (a fresh copy; empty for a scalar). */
    public int[] shape(String name) {
        return entry(name).shape().clone();
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * A tensor's elements as floats, row-major: F32 as is; F64, integers and BOOL (0/1) by
     * ordinary conversion; F16 and BF16 widened exactly.
     */
    public float[] floats(String name) {
        Entry e = entry(name);
        float[] out = new float[count(e)];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (e.dtype()) {
                case "F32" -> data.getFloat(e.begin() + 4 * i);
                case "F64" -> (float) data.getDouble(e.begin() + 8 * i);
                case "F16" -> Float.float16ToFloat(data.getShort(e.begin() + 2 * i));
                case "BF16" -> Float.intBitsToFloat(data.getShort(e.begin() + 2 * i) << 16);
                default -> (float) integer(e, i);
            };
        }
        return out;
    }

    /** A tensor's elements as doubles, row-major (any dtype, converted as by {@link #floats}; F64 exact). */
    public double[] doubles(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("F64")) {
            float[] f = floats(name);
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) out[i] = f[i];
            return out;
        }
        double[] out = new double[count(e)];
        for (int i = 0; i < out.length; i++) out[i] = data.getDouble(e.begin() + 8 * i);
        return out;
    }

    /** A tensor's elements as longs, row-major; integer dtypes (I64, I32, I16, I8, U8) and BOOL only. */
    public long[] longs(String name) {
        Entry e = entry(name);
        if (e.dtype().startsWith("F") || e.dtype().equals("BF16")) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + e.dtype() + ", not an integer dtype");
        }
        long[] out = new long[count(e)];
        for (int i = 0; i < out.length; i++) out[i] = integer(e, i);
        return out;
    }

    /** A tensor's raw 16-bit elements, row-major: F16 or BF16 bits, or I16 values. */
    public short[] shorts(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("F16") && !e.dtype().equals("BF16") && !e.dtype().equals("I16")) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + e.dtype() + ", not F16, BF16 or I16");
        }
        short[] out = new short[count(e)];
        for (int i = 0; i < out.length; i++) out[i] = data.getShort(e.begin() + 2 * i);
        return out;
    }

    private long integer(Entry e, int i) {
        return switch (e.dtype()) {
            case "I64" -> data.getLong(e.begin() + 8 * i);
            case "I32" -> data.getInt(e.begin() + 4 * i);
            case "I16" -> data.getShort(e.begin() + 2 * i);
            case "I8" -> data.get(e.begin() + i);
            case "U8" -> data.get(e.begin() + i) & 0xFF;
            case "BOOL" -> data.get(e.begin() + i) != 0 ? 1 : 0;
            default -> throw new IllegalStateException(e.dtype());
        };
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + ": no tensor named '" + name + "' (it has " + entries.keySet() + ")");
        }
        return e;
    }

    private int count(Entry e) {
        if (e.numel() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(file + ": tensor too large for an array");
        return (int) e.numel();
    }

    private static IllegalArgumentException bad(Path file, String what) {
        return new IllegalArgumentException(file + ": not a valid safetensors file: " + what);
    }

    @Override
    public String toString() {
        return "SafetensorsFixture[" + file + ", " + entries.keySet() + "]";
    }
}
