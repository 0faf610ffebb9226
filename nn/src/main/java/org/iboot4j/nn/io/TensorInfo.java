package org.iboot4j.nn.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header: its name, dtype, shape and the byte range
 * {@code [begin, end)} of its data, relative to the start of the data section (the byte after the
 * header). Sizes and offsets are {@code long}s throughout, so tensors and files beyond 2 GiB are
 * described exactly. Instances made by {@link SafetensorsHeader#parse} are validated: the range
 * holds exactly {@code numel() * dtype().byteSize()} bytes and lies inside the data section.
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** The largest number of elements a Java array (hence an engine tensor) can hold. */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + Json.display(name) + ": negative size in shape " + Arrays.toString(shape));
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("tensor " + Json.display(name) + ": bad byte range [" + begin + ", " + end + ")");
        }
    }

    /** The shape (a fresh copy; empty for a scalar). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements: the product of the shape (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** The number of data bytes, {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    /**
     * The shape as {@code int}s, for engine tensors.
     *
     * @throws IllegalArgumentException naming the tensor when a dimension or the element count is
     *     too large for a Java array
     */
    public int[] intShape() {
        long n = numel();
        if (n > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor " + Json.display(name) + " has " + n
                    + " elements, more than a Java array (and an engine tensor) can hold ("
                    + MAX_ARRAY_LENGTH + "); read it through segment() instead");
        }
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) { // possible when another dimension is 0
                throw new IllegalArgumentException("tensor " + Json.display(name) + " has dimension " + i
                        + " of size " + shape[i] + ", more than an engine tensor's int sizes hold");
            }
            out[i] = (int) shape[i];
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return Json.display(name) + " " + dtype + " " + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ")";
    }
}
