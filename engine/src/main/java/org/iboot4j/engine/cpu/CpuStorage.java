package org.iboot4j.engine.cpu;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Storage;

/**
 * A CPU buffer: a Java array on the heap (float[] for float32, long[] for int64, boolean[] for
 * bool), owned by the garbage collector unless released. Kernels take the typed array directly;
 * the generic {@link #get}/{@link #set} serve the rare dtype conversions.
 *
 * <p>{@link #release()} (a closing {@link org.iboot4j.engine.TensorScope}) gives a float32 array
 * that this storage allocated to the {@link FloatArrayPool} for reuse; every access afterwards
 * fails with an error naming the storage, so a tensor used past its scope cannot read another
 * tensor's numbers. Arrays passed in by callers ({@code fromFloats}) are never recycled.
 */
final class CpuStorage implements Storage {
    private final Backend backend;
    private final DType dtype;
    private final Object array;
    /** Whether the array came from {@link #allocate} (and so may be recycled). */
    private final boolean owned;
    private volatile boolean released;

    CpuStorage(Backend backend, float[] data) {
        this(backend, DType.F32, data, false);
    }

    CpuStorage(Backend backend, long[] data) {
        this(backend, DType.I64, data, false);
    }

    CpuStorage(Backend backend, boolean[] data) {
        this(backend, DType.BOOL, data, false);
    }

    private CpuStorage(Backend backend, DType dtype, Object array, boolean owned) {
        this.backend = backend;
        this.dtype = dtype;
        this.array = array;
        this.owned = owned;
    }

    /**
     * A buffer, zero-filled if {@code zeroed} (else float32 contents are unspecified); float32
     * arrays may come recycled from the {@link FloatArrayPool}.
     */
    static CpuStorage allocate(Backend backend, DType dtype, int length, boolean zeroed) {
        Object array = switch (dtype) {
            case F32 -> FloatArrayPool.SHARED.take(length, zeroed);
            case I64 -> new long[length];
            case BOOL -> new boolean[length];
        };
        return new CpuStorage(backend, dtype, array, true);
    }

    @Override
    public void release() {
        if (released) return;
        released = true;
        if (owned && array instanceof float[] f) FloatArrayPool.SHARED.give(f);
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
        return java.lang.reflect.Array.getLength(array);
    }

    /** The backing array, whatever its type (for System.arraycopy). */
    Object array() {
        checkLive();
        return array;
    }

    float[] floats() {
        checkLive();
        if (array instanceof float[] f) return f;
        throw new IllegalArgumentException("expected a float32 tensor, got " + dtype);
    }

    long[] longs() {
        checkLive();
        if (array instanceof long[] l) return l;
        throw new IllegalArgumentException("expected an int64 tensor, got " + dtype);
    }

    boolean[] booleans() {
        checkLive();
        if (array instanceof boolean[] b) return b;
        throw new IllegalArgumentException("expected a bool tensor, got " + dtype);
    }

    /** Element i as a double (bool: 1 or 0). */
    double get(int i) {
        checkLive();
        return switch (array) {
            case float[] f -> f[i];
            case long[] l -> l[i];
            case boolean[] b -> b[i] ? 1 : 0;
            default -> throw new IllegalStateException();
        };
    }

    /** Sets element i, converting as PyTorch's casts do: int64 truncates, bool is v != 0. */
    void set(int i, double v) {
        checkLive();
        switch (array) {
            case float[] f -> f[i] = (float) v;
            case long[] l -> l[i] = (long) v;
            case boolean[] b -> b[i] = v != 0;
            default -> throw new IllegalStateException();
        }
    }

    private void checkLive() {
        if (released) {
            throw new IllegalStateException("a " + dtype + " tensor of " + length()
                    + " elements was used after the TensorScope that owned it closed"
                    + " (its memory is recycled); keep it with scope.keep(tensor), or make it outside the scope");
        }
    }
}
