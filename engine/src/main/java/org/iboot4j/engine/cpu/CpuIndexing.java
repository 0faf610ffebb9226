package org.iboot4j.engine.cpu;

import org.iboot4j.engine.Tensor;

/**
 * index_select / index_add and gather / scatter_add on the CPU. Inputs are first made
 * contiguous (a no-op for the usual case), then viewed as (outer, dim, inner) blocks:
 * index_select copies whole inner rows with System.arraycopy; gather walks the index tensor
 * with an odometer and swaps in the looked-up coordinate. The accumulating backwards run on one
 * thread, since two indices may name the same destination. Every index is bounds-checked.
 */
final class CpuIndexing {
    private CpuIndexing() {}

    static void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        Tensor src = contiguous(x), ix = contiguous(index);
        long[] idx = CpuElementwise.storage(ix).longs();
        int i0 = ix.offset();
        int[] s = src.shape();
        int size = s[dim], inner = innerSize(s, dim), outer = src.numel() / Math.max(1, size * inner);
        int picks = index.numel();
        Object from = CpuElementwise.storage(src).array(), to = CpuElementwise.storage(out).array();
        for (int i = 0; i < picks; i++) check("index_select", idx[i0 + i], size, dim);
        Parallel.forRange(outer * picks, Math.max(1, StridedLoop.GRAIN / Math.max(1, inner)), (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                int o = p / picks, i = p % picks;
                System.arraycopy(from, src.offset() + (o * size + (int) idx[i0 + i]) * inner,
                        to, (o * picks + i) * inner, inner);
            }
        });
    }

    static void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        Tensor g = contiguous(src), ix = contiguous(index);
        float[] d = CpuElementwise.storage(dst).floats(), gs = CpuElementwise.storage(g).floats();
        long[] idx = CpuElementwise.storage(ix).longs();
        int[] s = dst.shape();
        int size = s[dim], inner = innerSize(s, dim), outer = dst.numel() / Math.max(1, size * inner);
        int picks = index.numel();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < picks; i++) {
                int row = check("index_add", idx[ix.offset() + i], size, dim);
                int to = dst.offset() + (o * size + row) * inner, from = g.offset() + (o * picks + i) * inner;
                for (int j = 0; j < inner; j++) d[to + j] += gs[from + j];
            }
        }
    }

    static void gather(Tensor x, int dim, Tensor index, Tensor out) {
        Tensor src = contiguous(x), ix = contiguous(index);
        CpuStorage from = CpuElementwise.storage(src), to = CpuElementwise.storage(out);
        long[] idx = CpuElementwise.storage(ix).longs();
        int[] srcStrides = src.strides();
        int size = src.shape()[dim];
        walk(ix.shape(), dim, srcStrides, (p, base) -> {
            int row = check("gather", idx[ix.offset() + p], size, dim);
            int at = src.offset() + base + row * srcStrides[dim];
            to.set(p, from.get(at));
        });
    }

    static void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        Tensor g = contiguous(src), ix = contiguous(index);
        float[] d = CpuElementwise.storage(dst).floats(), gs = CpuElementwise.storage(g).floats();
        long[] idx = CpuElementwise.storage(ix).longs();
        int[] dstStrides = dst.strides();
        int size = dst.shape()[dim];
        walk(ix.shape(), dim, dstStrides, (p, base) -> {
            int row = check("scatter_add", idx[ix.offset() + p], size, dim);
            d[dst.offset() + base + row * dstStrides[dim]] += gs[g.offset() + p];
        });
    }

    /** Visits element p (row-major) of an index tensor; base = its offset, dim left out. */
    private interface Visit {
        void at(int p, int base);
    }

    /** Walks an index of {@code shape}, offsets computed with the other tensor's strides. */
    private static void walk(int[] shape, int dim, int[] strides, Visit visit) {
        int rank = shape.length, total = 1;
        for (int s : shape) total *= s;
        int[] coord = new int[rank];
        for (int p = 0; p < total; p++) {
            int base = 0;
            for (int d = 0; d < rank; d++) if (d != dim) base += coord[d] * strides[d];
            visit.at(p, base);
            for (int d = rank - 1; d >= 0 && ++coord[d] == shape[d]; d--) coord[d] = 0;
        }
    }

    private static int check(String op, long value, int size, int dim) {
        if (value < 0 || value >= size) {
            throw new IndexOutOfBoundsException(op + ": index " + value + " is out of range for"
                    + " dimension " + dim + " of size " + size);
        }
        return (int) value;
    }

    private static int innerSize(int[] shape, int dim) {
        int n = 1;
        for (int d = dim + 1; d < shape.length; d++) n *= shape[d];
        return n;
    }

    private static Tensor contiguous(Tensor t) {
        if (t.isContiguous()) return t;
        Tensor copy = Tensor.empty(t.backend(), t.dtype(), t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }
}
