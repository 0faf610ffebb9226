package org.iboot4j.nn.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The header of a safetensors file: every tensor's {@link TensorInfo} and the optional
 * {@code __metadata__} string map. {@link #parse} decodes and validates a header read from a file;
 * {@link #encode} writes one.
 *
 * <h2>The format</h2>
 * (<a href="https://github.com/huggingface/safetensors">huggingface/safetensors</a>)
 * <pre>
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   a UTF-8 JSON object, starting with '{', possibly padded with trailing spaces:
 *               "NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}
 *               "__metadata__": {"key": "value", ...}            (optional)
 *   the rest  the data section; tensor NAME is bytes [BEGIN, END) of it, row-major, little-endian
 * </pre>
 *
 * <h2>Validation</h2>
 * {@link #parse} accepts a header only if all of this holds, and otherwise throws a
 * {@link SafetensorsFormatException} that names the file and the problem: the bytes are valid
 * UTF-8 and one strict JSON object (no duplicate keys, no trailing garbage) starting with
 * {@code '{'}; {@code __metadata__}, when present, maps strings to strings; every other key maps to
 * an object with a known {@code dtype} string, a {@code shape} array of non-negative integers
 * and a {@code data_offsets} array of two non-negative integers {@code begin <= end}, all fitting
 * a signed 64-bit {@code long}; {@code end - begin} equals the element count times the dtype's
 * size (computed with overflow checks); no range runs past the end of the data section; and the
 * ranges, sorted, tile the data section exactly: no overlaps and no bytes outside every tensor,
 * as the format requires. Unknown keys inside a tensor entry are ignored, as the reference
 * implementation does.
 *
 * <p>Tensor names and metadata keys are kept in {@link #NAME_ORDER}, the order of Unicode code
 * points (Python's string order), which is also the order {@link #encode} writes.
 */
public final class SafetensorsHeader {

    /** Longest header accepted, in bytes (the reference implementation's limit). */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    /** The reserved key of the metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Strings ordered by Unicode code point, like Python's {@code sorted} and {@code json.dumps(sort_keys=True)}. */
    public static final Comparator<String> NAME_ORDER = SafetensorsHeader::compareCodePoints;

    private final SortedMap<String, TensorInfo> tensors;
    private final SortedMap<String, String> metadata;

    private SafetensorsHeader(SortedMap<String, TensorInfo> tensors, SortedMap<String, String> metadata) {
        this.tensors = Collections.unmodifiableSortedMap(tensors);
        this.metadata = Collections.unmodifiableSortedMap(metadata);
    }

    /** A header of already-checked entries (the writer's; their ranges must tile the data section). */
    static SafetensorsHeader of(Collection<TensorInfo> infos, Map<String, String> metadata) {
        SortedMap<String, TensorInfo> t = new TreeMap<>(NAME_ORDER);
        for (TensorInfo info : infos) t.put(info.name(), info);
        SortedMap<String, String> m = new TreeMap<>(NAME_ORDER);
        m.putAll(metadata);
        return new SafetensorsHeader(t, m);
    }

    /** Every tensor by name, in {@link #NAME_ORDER}; unmodifiable. */
    public SortedMap<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} map in key order (empty when the file has none); unmodifiable. */
    public SortedMap<String, String> metadata() {
        return metadata;
    }

    /** The size of the data section these tensors tile: the largest {@code end}, 0 when there are none. */
    public long dataLength() {
        long max = 0;
        for (TensorInfo t : tensors.values()) max = Math.max(max, t.end());
        return max;
    }

    // ------------------------------------------------------------------ writing

    /**
     * The header as written to a file: compact ASCII JSON (non-ASCII characters escaped), keys
     * sorted in {@link #NAME_ORDER} at both levels, the metadata left out when empty, then spaces
     * so that the data after it starts at a multiple of 8 bytes from the start of the file
     * ({@code 8 + length} is a multiple of 8). Byte for byte what
     * {@code test-data/scripts/fixture_io.py} writes for the same tensors.
     */
    public byte[] encode() {
        TreeMap<String, Object> keys = new TreeMap<>(NAME_ORDER);
        keys.putAll(tensors);
        if (!metadata.isEmpty()) keys.put(METADATA_KEY, metadata);
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : keys.entrySet()) {
            if (sb.length() > 1) sb.append(',');
            sb.append(Json.quote(e.getKey())).append(':');
            if (e.getValue() instanceof TensorInfo t) {
                sb.append("{\"data_offsets\":[").append(t.begin()).append(',').append(t.end())
                        .append("],\"dtype\":").append(Json.quote(t.dtype().name())).append(",\"shape\":[");
                long[] shape = t.shape();
                for (int i = 0; i < shape.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(shape[i]);
                }
                sb.append("]}");
            } else {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<String, String> kv : metadata.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    sb.append(Json.quote(kv.getKey())).append(':').append(Json.quote(kv.getValue()));
                }
                sb.append('}');
            }
        }
        sb.append('}');
        while ((8 + sb.length()) % 8 != 0) sb.append(' ');
        return sb.toString().getBytes(StandardCharsets.US_ASCII); // quote() wrote ASCII only
    }

    // ------------------------------------------------------------------ reading

    /**
     * Decodes and validates a header.
     *
     * @param file the file the bytes came from, for error messages (may be null)
     * @param json the {@code N} header bytes
     * @param dataLength the size of the data section: file size - 8 - N
     * @throws SafetensorsFormatException naming {@code file} and the problem if any rule in the
     *     class comment is broken
     */
    public static SafetensorsHeader parse(Path file, byte[] json, long dataLength) throws SafetensorsFormatException {
        if (json.length == 0) throw new SafetensorsFormatException(file, "the header is empty");
        if (json[0] != '{') {
            throw new SafetensorsFormatException(file, "the header must begin with '{' but its first byte is 0x"
                    + String.format("%02x", json[0] & 0xFF));
        }
        String text = decodeUtf8(file, json);
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new SafetensorsFormatException(file, "the header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> root)) {
            throw new SafetensorsFormatException(file, "the header must be a JSON object");
        }
        SortedMap<String, TensorInfo> tensors = new TreeMap<>(NAME_ORDER);
        SortedMap<String, String> metadata = new TreeMap<>(NAME_ORDER);
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.put(name, readEntry(file, name, e.getValue(), dataLength));
            }
        }
        checkCoverage(file, tensors.values(), dataLength);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static String decodeUtf8(Path file, byte[] bytes) throws SafetensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never has fewer bytes than UTF-16 chars
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) r = decoder.flush(out);
        if (r.isError()) {
            throw new SafetensorsFormatException(file, "the header is not valid UTF-8: malformed byte sequence at header byte "
                    + in.position());
        }
        return out.flip().toString();
    }

    private static void readMetadata(Path file, Object value, Map<String, String> into) throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(file, METADATA_KEY + " must be a JSON object mapping strings to strings, but it is "
                    + Json.typeName(value));
        }
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            String key = (String) kv.getKey();
            if (!(kv.getValue() instanceof String v)) {
                throw new SafetensorsFormatException(file, METADATA_KEY + " must map strings to strings, but "
                        + Json.display(key) + " maps to " + Json.typeName(kv.getValue()) + " "
                        + Json.displayValue(kv.getValue()));
            }
            into.put(key, v);
        }
    }

    private static TensorInfo readEntry(Path file, String name, Object value, long dataLength)
            throws SafetensorsFormatException {
        String where = "tensor " + Json.display(name) + ": ";
        if (!(value instanceof Map<?, ?> entry)) {
            throw new SafetensorsFormatException(file, where + "its entry must be a JSON object, but it is " + Json.typeName(value));
        }
        Object dtypeValue = field(file, where, entry, "dtype");
        if (!(dtypeValue instanceof String dtypeName)) {
            throw new SafetensorsFormatException(file, where + "\"dtype\" must be a string, but it is " + Json.typeName(dtypeValue));
        }
        SafetensorsDType dtype = SafetensorsDType.byName(dtypeName);
        if (dtype == null) {
            throw new SafetensorsFormatException(file, where + "unknown dtype " + Json.display(dtypeName)
                    + " (supported: " + SafetensorsDType.supportedNames() + ")");
        }
        List<?> dims = array(file, where, entry, "shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(file, where + "shape entry " + i, dims.get(i));
        }
        List<?> offsets = array(file, where, entry, "data_offsets");
        if (offsets.size() != 2) {
            throw new SafetensorsFormatException(file, where + "\"data_offsets\" must be [begin, end], but it is "
                    + Json.displayValue(offsets));
        }
        long begin = nonNegativeLong(file, where + "data_offsets begin", offsets.get(0));
        long end = nonNegativeLong(file, where + "data_offsets end", offsets.get(1));
        String range = "data_offsets [" + begin + ", " + end + "]";
        if (begin > end) {
            throw new SafetensorsFormatException(file, where + range + " have begin after end");
        }
        long numel = 1;
        long bytes;
        try {
            for (long d : shape) numel = Math.multiplyExact(numel, d);
        } catch (ArithmeticException overflow) {
            throw new SafetensorsFormatException(file, where + "shape " + Json.displayValue(dims)
                    + " has more than 2^63-1 elements");
        }
        try {
            bytes = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsFormatException(file, where + dtype + " shape " + Json.displayValue(dims)
                    + " needs more than 2^63-1 bytes");
        }
        if (end - begin != bytes) {
            throw new SafetensorsFormatException(file, where + "dtype " + dtype + " and shape " + Json.displayValue(dims)
                    + " make " + bytes + " bytes, but " + range + " hold " + (end - begin));
        }
        if (end > dataLength) {
            throw new SafetensorsFormatException(file, where + range + " run past the end of the file: the data section has "
                    + dataLength + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static Object field(Path file, String where, Map<?, ?> entry, String key) throws SafetensorsFormatException {
        if (!entry.containsKey(key)) throw new SafetensorsFormatException(file, where + "its entry has no \"" + key + "\"");
        return entry.get(key);
    }

    private static List<?> array(Path file, String where, Map<?, ?> entry, String key) throws SafetensorsFormatException {
        Object v = field(file, where, entry, key);
        if (!(v instanceof List<?> list)) {
            throw new SafetensorsFormatException(file, where + "\"" + key + "\" must be an array, but it is " + Json.typeName(v));
        }
        return list;
    }

    private static long nonNegativeLong(Path file, String what, Object v) throws SafetensorsFormatException {
        if (v instanceof Long l) {
            if (l < 0) throw new SafetensorsFormatException(file, what + " is " + l + ", which is negative");
            return l;
        }
        if (v instanceof BigInteger b) {
            throw new SafetensorsFormatException(file, what + " is " + (b.signum() < 0 ? b + ", which is negative"
                    : b + ", which overflows a signed 64-bit integer"));
        }
        throw new SafetensorsFormatException(file, what + " must be a non-negative integer, but it is "
                + Json.typeName(v) + " " + Json.displayValue(v));
    }

    /** The ranges, sorted by (begin, end), must cover [0, dataLength) exactly once. */
    private static void checkCoverage(Path file, Collection<TensorInfo> infos, long dataLength)
            throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name, NAME_ORDER));
        long covered = 0;
        TensorInfo last = null; // the tensor whose end is `covered`
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) {
                throw new SafetensorsFormatException(file, "tensor " + Json.display(t.name()) + " at bytes ["
                        + t.begin() + ", " + t.end() + ") overlaps tensor " + Json.display(last.name()) + " at bytes ["
                        + last.begin() + ", " + last.end() + ") of the data section");
            }
            if (t.begin() > covered) {
                throw new SafetensorsFormatException(file, "bytes [" + covered + ", " + t.begin()
                        + ") of the data section belong to no tensor ("
                        + (last == null ? "" : "after " + Json.display(last.name()) + ", ")
                        + "before " + Json.display(t.name()) + "); the format requires the data to be fully covered");
            }
            if (t.end() > covered || last == null) {
                covered = t.end();
                last = t;
            }
        }
        if (covered < dataLength) {
            throw new SafetensorsFormatException(file, "the last " + (dataLength - covered) + " bytes of the data section, ["
                    + covered + ", " + dataLength + "), belong to no tensor"
                    + (last == null ? "" : " (after " + Json.display(last.name()) + ")")
                    + "; the format requires the data to be fully covered");
        }
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    @Override
    public String toString() {
        return tensors.size() + " tensors, " + dataLength() + " data bytes, metadata " + metadata;
    }
}
