package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Storage;

/**
 * A tensor buffer in device memory: {@code length} elements of one dtype in a
 * {@link DeviceBuffer} from the caching allocator. Element layout on the device: float32 as
 * 4-byte IEEE floats, int64 as 8-byte little-endian integers, bool as one byte (0 or 1), which
 * is what the PTX kernels read and write.
 *
 * <p>The buffer is released by {@link #release()}, by the {@link TensorScope} it was allocated
 * in, or, as a backstop, by the cleaner once the storage is unreachable.
 */
public final class CudaStorage implements Storage, AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int length;
    private final DeviceBuffer buffer; // null for an empty storage

    CudaStorage(Backend backend, DType dtype, int length, DeviceBuffer buffer) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.buffer = buffer;
    }

    /** Bytes per element on the device. */
    public static int elementSize(DType dtype) {
        return switch (dtype) {
            case F32 -> 4;
            case I64 -> 8;
            case BOOL -> 1;
        };
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int length() {
        return length;
    }

    /** The device address of element 0 (0 for an empty storage). */
    public long address() {
        return buffer == null ? 0 : buffer.address();
    }

    /** The device address of element {@code index}. */
    public long address(int index) {
        return address() + (long) index * elementSize(dtype);
    }

    /** The underlying block (null for an empty storage). */
    public DeviceBuffer buffer() {
        return buffer;
    }

    /** Gives the memory back to the allocator now; the storage must not be used afterwards. */
    @Override
    public void release() {
        if (buffer != null) buffer.close();
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "CudaStorage[" + dtype + " x " + length + (buffer == null ? "" : ", " + buffer) + "]";
    }
}
