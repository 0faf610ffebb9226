package org.iboot4j.engine;

import java.util.Arrays;

/** Small arithmetic on shapes and strides: sizes, row-major strides, broadcasting, dims. */
public final class Shapes {
    private Shapes() {}

    /** The number of elements; 1 for a scalar (empty shape). */
    public static int numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + str(shape) + " has " + n
                    + " elements; a tensor holds at most " + Integer.MAX_VALUE);
        }
        return (int) n;
    }

    /** Row-major (C order) strides of a contiguous tensor of this shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= Math.max(shape[d], 1);
        }
        return strides;
    }

    /** NumPy broadcasting: align at the right, sizes must be equal or 1. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int sa = i < n - a.length ? 1 : a[i - (n - a.length)];
            int sb = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dimension " + i + ": " + sa + " vs " + sb + ")");
            }
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }

    /** A dimension index with negative values counted from the end, checked against rank. */
    public static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.max(rank, 1)) {
            throw new IllegalArgumentException(op + ": dimension " + dim
                    + " is out of range for a tensor of rank " + rank);
        }
        return d;
    }

    /** Normalised, sorted, duplicate-free dims; an empty array means every dimension. */
    public static int[] dims(String op, int[] dims, int rank) {
        if (dims.length == 0) {
            int[] all = new int[rank];
            Arrays.setAll(all, i -> i);
            return all;
        }
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = dim(op, dims[i], rank);
        Arrays.sort(out);
        for (int i = 1; i < out.length; i++) {
            if (out[i] == out[i - 1]) {
                throw new IllegalArgumentException(op + ": dimension " + out[i]
                        + " appears twice in " + Arrays.toString(dims));
            }
        }
        return out;
    }

    /** The shape with the given (sorted) dims set to 1, or removed when !keepdim. */
    public static int[] reduced(int[] shape, int[] dims, boolean keepdim) {
        int[] out = shape.clone();
        for (int d : dims) out[d] = 1;
        if (keepdim) return out;
        int[] kept = new int[shape.length - dims.length];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (Arrays.binarySearch(dims, d) < 0) kept[k++] = shape[d];
        }
        return kept;
    }

    /** "[2, 3, 4]" */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
