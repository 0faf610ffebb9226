package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * index_select / index_add / gather / scatter_add ({@code indexing.ptx}). The kernels set a
 * device flag on an out-of-range index instead of faulting; after each launch the flag is read
 * back (one small synchronous copy) and, if set, the index tensor is searched on the host for
 * the first bad value so the exception matches the CPU backend's.
 */
final class GpuIndexing {
    private final Gpu gpu;
    private DeviceBuffer errorFlag;

    GpuIndexing(Gpu gpu) {
        this.gpu = gpu;
    }

    private synchronized long flag() {
        if (errorFlag == null) {
            errorFlag = gpu.context.allocator().allocate(4, false);
            gpu.context.memset8(errorFlag.address(), (byte) 0, 4);
        }
        return errorFlag.address();
    }

    void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        requireIndex("index_select", index);
        if (out.numel() == 0) return;
        Tensor xc = gpu.contiguous(x), ix = gpu.contiguous(index), o = dense(out, x.dtype());
        int[] s = xc.shape();
        int size = s[dim], inner = inner(s, dim), outer = xc.numel() / Math.max(1, size * inner), picks = ix.numel();
        gpu.launch(Kernels.args("index_select").ptr(gpu.ptr(o)).ptr(gpu.ptr(xc)).ptr(gpu.ptr(ix)).s32(outer).s32(size)
                .s32(inner).s32(picks).s32(CudaStorage.elementSize(xc.dtype())).ptr(flag()),
                Gpu.elementwiseShape((long) outer * picks * inner));
        check("index_select", ix, size, dim);
        if (o != out) gpu.elementwise.copy(o, out);
    }

    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireIndex("index_add", index);
        if (src.numel() == 0) return;
        Tensor d = dst.isContiguous() ? dst : gpu.contiguous(dst);
        Tensor sc = gpu.contiguousF32(src), ix = gpu.contiguous(index);
        int[] s = d.shape();
        int size = s[dim], inner = inner(s, dim), outer = d.numel() / Math.max(1, size * inner), picks = ix.numel();
        gpu.launch(Kernels.args("index_add_f32").ptr(gpu.ptr(d)).ptr(gpu.ptr(sc)).ptr(gpu.ptr(ix)).s32(outer).s32(size)
                .s32(inner).s32(picks).ptr(flag()), Gpu.elementwiseShape((long) outer * picks * inner));
        check("index_add", ix, size, dim);
        if (d != dst) gpu.elementwise.copy(d, dst);
    }

    void gather(Tensor x, int dim, Tensor index, Tensor out) {
        requireIndex("gather", index);
        if (index.numel() == 0) return;
        Tensor ix = gpu.contiguous(index), o = dense(out, x.dtype());
        byte[] geom = PtxStructs.gather(ix.shape(), dim, x.shape()[dim], x.strides());
        gpu.launch(Kernels.args("gather").ptr(gpu.ptr(o)).ptr(gpu.ptr(x)).ptr(gpu.ptr(ix)).struct(geom)
                .s32(CudaStorage.elementSize(x.dtype())).ptr(flag()), Gpu.elementwiseShape(ix.numel()));
        check("gather", ix, x.shape()[dim], dim);
        if (o != out) gpu.elementwise.copy(o, out);
    }

    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireIndex("scatter_add", index);
        if (index.numel() == 0) return;
        Tensor ix = gpu.contiguous(index), sc = gpu.contiguousF32(src);
        byte[] geom = PtxStructs.gather(ix.shape(), dim, dst.shape()[dim], dst.strides());
        gpu.launch(Kernels.args("scatter_add_f32").ptr(gpu.ptr(dst)).ptr(gpu.ptr(sc)).ptr(gpu.ptr(ix)).struct(geom)
                .ptr(flag()), Gpu.elementwiseShape(ix.numel()));
        check("scatter_add", ix, dst.shape()[dim], dim);
    }

    /** Reads the error flag; on an out-of-range index resets it and throws as the CPU backend does. */
    private void check(String op, Tensor index, int size, int dim) {
        int[] set = new int[1];
        gpu.context.download(flag(), 4, (buf, offset, n) -> set[0] = buf.getInt(0));
        if (set[0] == 0) return;
        gpu.context.memset8(flag(), (byte) 0, 4);
        long bad = -1;
        for (long v : gpu.backend.readLongs(index)) {
            if (v < 0 || v >= size) {
                bad = v;
                break;
            }
        }
        throw new IndexOutOfBoundsException(op + ": index " + bad + " is out of range for dimension " + dim
                + " of size " + size);
    }

    private Tensor dense(Tensor out, DType dtype) {
        return out.isContiguous() && out.dtype() == dtype ? out : gpu.temp(dtype, out.shape());
    }

    private static void requireIndex(String op, Tensor index) {
        if (index.dtype() != DType.I64) throw new IllegalArgumentException(op + ": the index must be int64, got " + index.dtype());
    }

    private static int inner(int[] shape, int dim) {
        int n = 1;
        for (int d = dim + 1; d < shape.length; d++) n *= shape[d];
        return n;
    }
}
