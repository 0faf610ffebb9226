package org.iboot4j.nn.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.FloatFormats;
import org.iboot4j.engine.Tensor;

/**
 * Writes safetensors files, atomically.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .add("fc.weight", w)                          // float32 as F32
 *         .add("fc.bias", b, SafetensorsDType.BF16)     // rounded to bfloat16
 *         .add("position_ids", ids)                     // int64 as I64
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>Layout: the header ({@link SafetensorsHeader#encode}: keys sorted by code point, padded
 * with spaces so the data starts at a multiple of 8 bytes), then every tensor's data in the same
 * sorted order, back to back with no gaps. The same tensors always give the same bytes, and the
 * same bytes as {@code test-data/scripts/fixture_io.py}.
 *
 * <p>Atomicity: {@link #write} writes a temporary file next to the target (same directory, so the
 * same file system), forces it to disk, then renames it over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}, and finally forces the directory entry (best effort).
 * Readers see the old file or the new one, never a mix; if anything fails on the way (a tensor
 * that cannot be read, a full disk) the temporary file is deleted and the old file is untouched.
 *
 * <p>Tensors are read when {@link #write} runs, not when they are added. A writer can be written
 * more than once.
 */
public final class SafetensorsWriter {

    /** Produces a tensor's bytes on demand, for data that is not an engine {@link Tensor}. */
    @FunctionalInterface
    public interface DataSource {
        /**
         * Writes exactly the tensor's bytes (little-endian, row-major) to {@code out}; writing
         * more, or returning having written fewer, fails the whole write. Do not close {@code out}.
         */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, SafetensorsDType dtype, long[] shape, long byteSize, DataSource source) {}

    /** Bytes staged per write call. */
    private static final int BUFFER = 1 << 20;

    private final SortedMap<String, Entry> entries = new TreeMap<>(SafetensorsHeader.NAME_ORDER);
    private final SortedMap<String, String> metadata = new TreeMap<>(SafetensorsHeader.NAME_ORDER);

    /** Writes {@code tensors} (each in its own dtype, see {@link #add(String, Tensor)}) and {@code metadata} to {@code file}. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        tensors.forEach(w::add);
        w.metadata(metadata);
        w.write(file);
    }

    /** Adds (or replaces) a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        Objects.requireNonNull(key, "metadata key");
        Objects.requireNonNull(value, "metadata value");
        checkEncodable("metadata key", key);
        checkEncodable("metadata value for " + Json.display(key), value);
        metadata.put(key, value);
        return this;
    }

    /** Adds (or replaces) every entry of {@code values} in {@code __metadata__}. */
    public SafetensorsWriter metadata(Map<String, String> values) {
        values.forEach(this::metadata);
        return this;
    }

    /** Adds a tensor in its own dtype: float32 as F32, int64 as I64, bool as BOOL. */
    public SafetensorsWriter add(String name, Tensor tensor) {
        return add(name, tensor, switch (tensor.dtype()) {
            case F32 -> SafetensorsDType.F32;
            case I64 -> SafetensorsDType.I64;
            case BOOL -> SafetensorsDType.BOOL;
        });
    }

    /**
     * Adds a tensor stored as {@code as}: a float32 tensor as F32, F16 or BF16 (rounded to nearest
     * even by {@link FloatFormats}) or F64 (exact); an int64 tensor as I64 or I32 (writing fails if
     * a value does not fit); a bool tensor as BOOL or U8.
     *
     * @throws IllegalArgumentException for a name already added, the reserved name
     *     {@code __metadata__}, or a conversion not listed above
     */
    public SafetensorsWriter add(String name, Tensor tensor, SafetensorsDType as) {
        Objects.requireNonNull(tensor, "tensor");
        Objects.requireNonNull(as, "dtype");
        DType from = tensor.dtype();
        boolean ok = switch (from) {
            case F32 -> as == SafetensorsDType.F32 || as == SafetensorsDType.F16 || as == SafetensorsDType.BF16
                    || as == SafetensorsDType.F64;
            case I64 -> as == SafetensorsDType.I64 || as == SafetensorsDType.I32;
            case BOOL -> as == SafetensorsDType.BOOL || as == SafetensorsDType.U8;
        };
        if (!ok) {
            throw new IllegalArgumentException("tensor " + Json.display(String.valueOf(name)) + ": cannot write a "
                    + from + " tensor as " + as);
        }
        int[] dims = tensor.shape();
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) shape[i] = dims[i];
        return put(name, as, shape, out -> writeTensor(name, tensor, as, out));
    }

    /**
     * Adds a tensor whose bytes {@code source} writes when the file is written, e.g. data
     * streamed from elsewhere, or larger than an engine tensor can hold.
     *
     * @throws IllegalArgumentException for a duplicate or reserved name, a negative size, or a
     *     shape whose byte size overflows a {@code long}
     */
    public SafetensorsWriter addRaw(String name, SafetensorsDType dtype, long[] shape, DataSource source) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(source, "source");
        return put(name, dtype, shape.clone(), source);
    }

    private SafetensorsWriter put(String name, SafetensorsDType dtype, long[] shape, DataSource source) {
        Objects.requireNonNull(name, "name");
        checkEncodable("tensor name", name);
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("\"" + SafetensorsHeader.METADATA_KEY + "\" is reserved and cannot name a tensor");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor " + Json.display(name) + " was already added");
        }
        long bytes = dtype.byteSize();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + Json.display(name) + ": negative size in shape "
                    + Arrays.toString(shape));
            try {
                bytes = Math.multiplyExact(bytes, d);
            } catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("tensor " + Json.display(name) + ": shape "
                        + Arrays.toString(shape) + " needs more than 2^63-1 bytes");
            }
        }
        entries.put(name, new Entry(name, dtype, shape, bytes, source));
        return this;
    }

    private static void checkEncodable(String what, String s) {
        try {
            Json.quote(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + Json.display(s) + ": " + e.getMessage());
        }
    }

    /** The header {@link #write} would write now. */
    public SafetensorsHeader header() {
        List<TensorInfo> infos = new ArrayList<>(entries.size());
        long offset = 0;
        for (Entry e : entries.values()) {
            long end;
            try {
                end = Math.addExact(offset, e.byteSize());
            } catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("the tensors hold more than 2^63-1 bytes in all");
            }
            infos.add(new TensorInfo(e.name(), e.dtype(), e.shape(), offset, end));
            offset = end;
        }
        return SafetensorsHeader.of(infos, metadata);
    }

    /**
     * Writes the file atomically (see the class comment), replacing {@code file} if it exists.
     * On failure the old file, if any, is left as it was and no temporary file remains.
     */
    public void write(Path file) throws IOException {
        SafetensorsHeader header = header();
        byte[] head = header.encode();
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = createTemp(dir, target.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer lengthAndHeader = ByteBuffer.allocate(8 + head.length).order(ByteOrder.LITTLE_ENDIAN);
                lengthAndHeader.putLong(head.length).put(head).flip();
                writeFully(ch, lengthAndHeader);
                for (Entry e : entries.values()) writeEntry(ch, e);
                long expected = 8L + head.length + header.dataLength();
                if (ch.position() != expected) {
                    throw new IOException(tmp + ": wrote " + ch.position() + " bytes, expected " + expected);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error failure) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        forceDirectory(dir);
    }

    private static Path createTemp(Path dir, String fileName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String base = fileName.length() > 200 ? fileName.substring(0, 200) : fileName; // stay under NAME_MAX
            Path tmp = dir.resolve("." + base + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                // an ordinary create (not Files.createTempFile), so the file gets the usual permissions
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException taken) {
                if (attempt >= 100) throw taken;
            }
        }
    }

    /** Makes the rename durable; not every platform can open a directory, so failures are ignored. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself was forced before the rename
        }
    }

    private static void writeEntry(FileChannel ch, Entry e) throws IOException {
        long start = ch.position();
        BoundedChannel out = new BoundedChannel(ch, e);
        e.source().writeTo(out);
        long written = ch.position() - start;
        if (written != e.byteSize()) {
            throw new IOException("tensor " + Json.display(e.name()) + ": its data source wrote " + written
                    + " bytes, but " + e.dtype() + " " + Arrays.toString(e.shape()) + " needs " + e.byteSize());
        }
    }

    /** The file channel as a data source sees it: writes only, at most the tensor's size, never closed. */
    private static final class BoundedChannel implements WritableByteChannel {
        private final FileChannel ch;
        private final Entry entry;
        private final long end;

        BoundedChannel(FileChannel ch, Entry entry) throws IOException {
            this.ch = ch;
            this.entry = entry;
            this.end = ch.position() + entry.byteSize();
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (ch.position() + src.remaining() > end) {
                throw new IOException("tensor " + Json.display(entry.name()) + ": its data source wrote more than the "
                        + entry.byteSize() + " bytes of " + entry.dtype() + " " + Arrays.toString(entry.shape()));
            }
            return ch.write(src);
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {
            // the writer owns the file
        }
    }

    // ------------------------------------------------------------------ tensor data

    private static void writeTensor(String name, Tensor t, SafetensorsDType as, WritableByteChannel out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(8, (long) t.numel() * as.byteSize())))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (as) {
            case F32 -> {
                float[] v = t.toFloatArray();
                for (int off = 0; off < v.length; ) {
                    int len = Math.min(v.length - off, buf.capacity() / 4);
                    buf.asFloatBuffer().put(v, off, len); // a view in the buffer's (little-endian) order
                    buf.position(4 * len);
                    drain(buf, out);
                    off += len;
                }
            }
            case I64 -> {
                long[] v = t.toLongArray();
                for (int off = 0; off < v.length; ) {
                    int len = Math.min(v.length - off, buf.capacity() / 8);
                    buf.asLongBuffer().put(v, off, len);
                    buf.position(8 * len);
                    drain(buf, out);
                    off += len;
                }
            }
            case F16, BF16, F64 -> {
                float[] v = t.toFloatArray();
                for (float x : v) {
                    if (buf.remaining() < 8) drain(buf, out);
                    switch (as) {
                        case F16 -> buf.putShort(FloatFormats.toHalf(x));
                        case BF16 -> buf.putShort(FloatFormats.toBFloat16(x));
                        default -> buf.putDouble(x);
                    }
                }
            }
            case I32 -> {
                long[] v = t.toLongArray();
                for (int i = 0; i < v.length; i++) {
                    if (buf.remaining() < 4) drain(buf, out);
                    if (v[i] != (int) v[i]) {
                        throw new IllegalArgumentException("tensor " + Json.display(name) + ": element " + i + " is "
                                + v[i] + ", which does not fit I32");
                    }
                    buf.putInt((int) v[i]);
                }
            }
            case BOOL, U8 -> {
                for (boolean b : t.toBooleanArray()) {
                    if (!buf.hasRemaining()) drain(buf, out);
                    buf.put((byte) (b ? 1 : 0));
                }
            }
            default -> throw new IllegalStateException("unreachable: " + as);
        }
        drain(buf, out);
    }

    private static void drain(ByteBuffer buf, WritableByteChannel out) throws IOException {
        buf.flip();
        writeFully(out, buf);
        buf.clear();
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) out.write(buf);
    }
}
