package org.iboot4j.nn.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.iboot4j.engine.FloatFormats;
import org.iboot4j.engine.Tensor;

/**
 * Reads a safetensors file through a read-only memory mapping (the FFM API: a
 * {@link MemorySegment} with {@code long} offsets, so files and tensors beyond 2 GiB work).
 * Opening maps the file and validates its header ({@link SafetensorsHeader#parse}); no tensor data
 * is touched until asked for. Closing unmaps the file; segments handed out become unusable
 * (accessing them throws {@link IllegalStateException}).
 *
 * <pre>{@code
 * try (SafetensorsReader r = SafetensorsReader.open(Path.of("model.safetensors"))) {
 *     for (String name : r.names()) System.out.println(r.info(name));
 *     Tensor w = r.tensor("blocks.0.attn.qkv.weight");   // float32, from any float or int dtype
 *     Tensor idx = r.longTensor("position_ids");        // int64, from any integer dtype
 * }
 * }</pre>
 *
 * <p>A reader may be shared by threads (the mapping uses a shared arena). If another process
 * truncates the file while it is mapped, reading the lost pages fails with an
 * {@link InternalError}; the JVM, not this class, guards that.
 */
public final class SafetensorsReader implements AutoCloseable {

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = U64_LE;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    /** Elements converted per step when a dtype needs a staging array. */
    private static final int CHUNK = 1 << 16;

    private final Path file;
    private final Arena arena;
    private final MemorySegment data; // the data section
    private final SafetensorsHeader header;
    private final SortedSet<String> names;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsReader(Path file, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.header = header;
        TreeSet<String> sorted = new TreeSet<>(SafetensorsHeader.NAME_ORDER);
        sorted.addAll(header.tensors().keySet());
        this.names = Collections.unmodifiableSortedSet(sorted);
    }

    /**
     * Maps {@code file} and validates its header.
     *
     * @throws SafetensorsFormatException naming the file and the problem when it is not a valid
     *     safetensors file (see {@link SafetensorsHeader} for every rule; also: shorter than 8 bytes,
     *     a header length over {@value SafetensorsHeader#MAX_HEADER_LENGTH} bytes or past the end of the file)
     * @throws IOException when it cannot be opened or mapped
     */
    public static SafetensorsReader open(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + ": is a directory, not a safetensors file");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment all;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < 8) {
                    throw new SafetensorsFormatException(file, "the file has " + size
                            + " bytes, fewer than the 8 that hold the header length");
                }
                all = channel.map(MapMode.READ_ONLY, 0, size, arena); // stays mapped after the channel closes
            }
            long size = all.byteSize();
            long n = all.get(U64_LE, 0); // unsigned: a negative long is above 2^63
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_LENGTH) {
                throw new SafetensorsFormatException(file, "the header length " + Long.toUnsignedString(n)
                        + " is over the limit of " + SafetensorsHeader.MAX_HEADER_LENGTH + " bytes");
            }
            if (n > size - 8) {
                throw new SafetensorsFormatException(file, "the header length " + n + " runs past the end of the file ("
                        + (size - 8) + " bytes follow the length)");
            }
            byte[] json = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + n);
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, data.byteSize());
            return new SafetensorsReader(file, arena, data, header);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file this reader maps. */
    public Path file() {
        return file;
    }

    /** The validated header. */
    public SafetensorsHeader header() {
        return header;
    }

    /** The tensor names in {@link SafetensorsHeader#NAME_ORDER} (code-point order); unmodifiable. */
    public SortedSet<String> names() {
        return names;
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /** The {@code __metadata__} map (empty when the file has none); unmodifiable. */
    public SortedMap<String, String> metadata() {
        return header.metadata();
    }

    /**
     * A tensor's dtype, shape and byte range.
     *
     * @throws IllegalArgumentException naming the file and the tensor when there is none by that name
     */
    public TensorInfo info(String name) {
        Objects.requireNonNull(name, "name");
        TensorInfo info = header.tensors().get(name);
        if (info == null) throw missing(name);
        return info;
    }

    /**
     * A tensor's raw bytes (little-endian, row-major): a read-only slice of the mapping, valid
     * until this reader is closed. Works for tensors of any size.
     */
    public MemorySegment segment(String name) {
        TensorInfo info = info(name);
        return data.asSlice(info.begin(), info.byteSize());
    }

    /**
     * A tensor as an engine float32 {@link Tensor} on the current backend, converted from any
     * dtype as by {@link #floats}.
     *
     * @throws IllegalArgumentException for a missing name, or a tensor too large for an engine tensor
     */
    public Tensor tensor(String name) {
        TensorInfo info = info(name);
        int[] shape = intShape(info);
        return Tensor.of(floats(info), shape);
    }

    /**
     * A tensor's elements as floats, row-major: F32 as stored; F16 and BF16 widened exactly
     * ({@link FloatFormats}); F64 and the integer types rounded to the nearest float (as
     * {@code torch.Tensor.float()} does); BOOL as 0 or 1.
     */
    public float[] floats(String name) {
        TensorInfo info = info(name);
        intShape(info);
        return floats(info);
    }

    /**
     * An integer or BOOL tensor as an engine int64 {@link Tensor}, values as by {@link #longs}.
     *
     * @throws IllegalArgumentException for a missing name, a floating-point tensor, a U64 value
     *     above {@link Long#MAX_VALUE}, or a tensor too large for an engine tensor
     */
    public Tensor longTensor(String name) {
        TensorInfo info = info(name);
        int[] shape = intShape(info);
        return Tensor.ofLongs(longs(info), shape);
    }

    /**
     * An integer or BOOL tensor's elements as longs, row-major, exact (BOOL as 0 or 1).
     *
     * @throws IllegalArgumentException as {@link #longTensor}
     */
    public long[] longs(String name) {
        TensorInfo info = info(name);
        intShape(info);
        return longs(info);
    }

    /**
     * A BOOL tensor as an engine bool {@link Tensor} (any non-zero byte is true).
     *
     * @throws IllegalArgumentException for a missing name or a tensor of another dtype
     */
    public Tensor boolTensor(String name) {
        TensorInfo info = info(name);
        if (info.dtype() != SafetensorsDType.BOOL) throw wrongDType(info, "boolTensor", "BOOL");
        int[] shape = intShape(info);
        MemorySegment src = data.asSlice(info.begin(), info.byteSize());
        boolean[] out = new boolean[(int) info.numel()];
        for (int i = 0; i < out.length; i++) out[i] = src.get(I8, i) != 0;
        return Tensor.ofBooleans(out, shape);
    }

    /** Unmaps the file. Idempotent; segments from {@link #segment} become unusable. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ": " + header + "]";
    }

    // ------------------------------------------------------------------ conversions

    private float[] floats(TensorInfo info) {
        MemorySegment src = data.asSlice(info.begin(), info.byteSize());
        int n = (int) info.numel();
        float[] out = new float[n];
        switch (info.dtype()) {
            case F32 -> MemorySegment.copy(src, F32_LE, 0, out, 0, n);
            case F16, BF16 -> {
                short[] bits = new short[Math.min(n, CHUNK)];
                for (int start = 0; start < n; start += CHUNK) {
                    int len = Math.min(CHUNK, n - start);
                    MemorySegment.copy(src, I16_LE, 2L * start, bits, 0, len);
                    if (info.dtype() == SafetensorsDType.F16) FloatFormats.fromHalf(bits, 0, out, start, len);
                    else FloatFormats.fromBFloat16(bits, 0, out, start, len);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) out[i] = (float) src.get(F64_LE, 8L * i);
            }
            case I64 -> {
                for (int i = 0; i < n; i++) out[i] = (float) src.get(I64_LE, 8L * i);
            }
            case U64 -> {
                for (int i = 0; i < n; i++) out[i] = unsignedToFloat(src.get(U64_LE, 8L * i));
            }
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = (float) src.get(I32_LE, 4L * i);
            }
            case U32 -> {
                for (int i = 0; i < n; i++) out[i] = (float) Integer.toUnsignedLong(src.get(I32_LE, 4L * i));
            }
            case I16 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I16_LE, 2L * i);
            }
            case U16 -> {
                for (int i = 0; i < n; i++) out[i] = Short.toUnsignedInt(src.get(I16_LE, 2L * i));
            }
            case I8 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I8, i);
            }
            case U8 -> {
                for (int i = 0; i < n; i++) out[i] = Byte.toUnsignedInt(src.get(I8, i));
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I8, i) != 0 ? 1f : 0f;
            }
        }
        return out;
    }

    private long[] longs(TensorInfo info) {
        MemorySegment src = data.asSlice(info.begin(), info.byteSize());
        int n = (int) info.numel();
        long[] out = new long[n];
        switch (info.dtype()) {
            case I64 -> MemorySegment.copy(src, I64_LE, 0, out, 0, n);
            case U64 -> {
                for (int i = 0; i < n; i++) {
                    long v = src.get(U64_LE, 8L * i);
                    if (v < 0) {
                        throw new IllegalArgumentException(file + ": tensor " + Json.display(info.name()) + " element " + i
                                + " is " + Long.toUnsignedString(v) + ", too large for int64");
                    }
                    out[i] = v;
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I32_LE, 4L * i);
            }
            case U32 -> {
                for (int i = 0; i < n; i++) out[i] = Integer.toUnsignedLong(src.get(I32_LE, 4L * i));
            }
            case I16 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I16_LE, 2L * i);
            }
            case U16 -> {
                for (int i = 0; i < n; i++) out[i] = Short.toUnsignedInt(src.get(I16_LE, 2L * i));
            }
            case I8 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I8, i);
            }
            case U8 -> {
                for (int i = 0; i < n; i++) out[i] = Byte.toUnsignedInt(src.get(I8, i));
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I8, i) != 0 ? 1 : 0;
            }
            case F64, F32, F16, BF16 -> throw wrongDType(info, "longTensor/longs",
                    "an integer dtype or BOOL; use tensor() or floats() for floating-point data");
        }
        return out;
    }

    /** An unsigned 64-bit value rounded to the nearest float (ties to even). */
    private static float unsignedToFloat(long v) {
        if (v >= 0) return (float) v;
        // halve, keeping the lost bit as a sticky bit so the rounding stays correct, then double
        return (float) ((v >>> 1) | (v & 1)) * 2f;
    }

    private int[] intShape(TensorInfo info) {
        try {
            return info.intShape();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private IllegalArgumentException wrongDType(TensorInfo info, String method, String needs) {
        return new IllegalArgumentException(file + ": tensor " + Json.display(info.name()) + " has dtype "
                + info.dtype() + "; " + method + " needs " + needs);
    }

    private IllegalArgumentException missing(String name) {
        StringBuilder sb = new StringBuilder(file + ": no tensor " + Json.display(name) + " (the file has ");
        SortedMap<String, TensorInfo> all = header.tensors();
        sb.append(all.size()).append(all.size() == 1 ? " tensor" : " tensors");
        Iterator<String> it = all.keySet().iterator();
        for (int i = 0; i < 8 && it.hasNext(); i++) sb.append(i == 0 ? ": " : ", ").append(Json.display(it.next()));
        if (all.size() > 8) sb.append(", ...");
        return new IllegalArgumentException(sb.append(')').toString());
    }
}
