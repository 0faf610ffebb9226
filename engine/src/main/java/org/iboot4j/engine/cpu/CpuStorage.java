package org.iboot4j.engine.cpu;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Storage;

/**
 * A CPU buffer: a Java array on the heap (float[] for float32, long[] for int64, boolean[] for
 * bool), owned by the garbage collector. Kernels take the typed array directly; the generic
 * {@link #get}/{@link #set} serve the rare dtype conversions.
 */
final class CpuStorage implements Storage {
    private final Backend backend;
    private final DType dtype;
    private final Object array;

    CpuStorage(Backend backend, float[] data) {
        this(backend, DType.F32, data);
    }

    CpuStorage(Backend backend, long[] data) {
        this(backend, DType.I64, data);
    }

    CpuStorage(Backend backend, boolean[] data) {
        this(backend, DType.BOOL, data);
    }

    private CpuStorage(Backend backend, DType dtype, Object array) {
        this.backend = backend;
        this.dtype = dtype;
        this.array = array;
    }

    static CpuStorage allocate(Backend backend, DType dtype, int length) {
        return switch (dtype) {
            case F32 -> new CpuStorage(backend, new float[length]);
            case I64 -> new CpuStorage(backend, new long[length]);
            case BOOL -> new CpuStorage(backend, new boolean[length]);
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
        return java.lang.reflect.Array.getLength(array);
    }

    /** The backing array, whatever its type (for System.arraycopy). */
    Object array() {
        return array;
    }

    float[] floats() {
        if (array instanceof float[] f) return f;
        throw new IllegalArgumentException("expected a float32 tensor, got " + dtype);
    }

    long[] longs() {
        if (array instanceof long[] l) return l;
        throw new IllegalArgumentException("expected an int64 tensor, got " + dtype);
    }

    boolean[] booleans() {
        if (array instanceof boolean[] b) return b;
        throw new IllegalArgumentException("expected a bool tensor, got " + dtype);
    }

    /** Element i as a double (bool: 1 or 0). */
    double get(int i) {
        return switch (array) {
            case float[] f -> f[i];
            case long[] l -> l[i];
            case boolean[] b -> b[i] ? 1 : 0;
            default -> throw new IllegalStateException();
        };
    }

    /** Sets element i, converting as PyTorch's casts do: int64 truncates, bool is v != 0. */
    void set(int i, double v) {
        switch (array) {
            case float[] f -> f[i] = (float) v;
            case long[] l -> l[i] = (long) v;
            case boolean[] b -> b[i] = v != 0;
            default -> throw new IllegalStateException();
        }
    }
}
