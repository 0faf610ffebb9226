package org.iboot4j.engine.cpu;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;

/**
 * Batched matrix product on the CPU: maps tensor layouts onto {@link Sgemm}'s BLAS-style
 * arguments. A matrix whose rows or columns are unit-stride is passed as is (a transposed view
 * becomes the trans flag, a wider row stride the leading dimension); any other layout is copied
 * to contiguous first. Batch dimensions are walked with a {@link StridedLoop}, each run being
 * one strided-batched GEMM call (which parallelises internally), so a broadcast operand
 * (stride 0) is never materialised.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    /** How Sgemm should read one matrix operand. */
    private record Layout(boolean trans, int ld) {
        /** The layout of a rows x cols matrix with the given strides, or null if unsupported. */
        static Layout of(int rows, int cols, int rowStride, int colStride) {
            if ((cols == 1 || colStride == 1) && (rows == 1 || rowStride >= cols)) {
                return new Layout(false, rows == 1 ? Math.max(cols, 1) : Math.max(rowStride, 1));
            }
            if ((rows == 1 || rowStride == 1) && (cols == 1 || colStride >= rows)) {
                return new Layout(true, cols == 1 ? Math.max(rows, 1) : colStride);
            }
            return null;
        }
    }

    static void matmul(Tensor a, Tensor b, Tensor out) {
        int rank = a.dim();
        int m = a.shape()[rank - 2], k = a.shape()[rank - 1], n = b.shape()[rank - 1];
        Tensor aa = gemmReadable(a), bb = gemmReadable(b);
        Layout la = layout(aa), lb = layout(bb);
        float[] as = CpuElementwise.storage(aa).floats(), bs = CpuElementwise.storage(bb).floats();
        float[] cs = CpuElementwise.storage(out).floats();
        int[] batch = java.util.Arrays.copyOf(out.shape(), rank - 2);
        StridedLoop batches = new StridedLoop(batch,
                new int[] {out.offset(), aa.offset(), bb.offset()},
                java.util.Arrays.copyOf(out.strides(), rank - 2),
                java.util.Arrays.copyOf(aa.strides(), rank - 2),
                java.util.Arrays.copyOf(bb.strides(), rank - 2));
        batches.runRange(0, batches.total(), (count, off, step) ->
                Sgemm.sgemmBatched(count, la.trans(), lb.trans(), m, n, k,
                        1f, as, off[1], la.ld(), step[1], bs, off[2], lb.ld(), step[2],
                        0f, cs, off[0], n, step[0]));
    }

    private static Layout layout(Tensor t) {
        int r = t.dim();
        return Layout.of(t.shape()[r - 2], t.shape()[r - 1], t.strides()[r - 2], t.strides()[r - 1]);
    }

    /** The tensor itself when Sgemm can read its matrices, else a contiguous copy. */
    private static Tensor gemmReadable(Tensor t) {
        if (layout(t) != null) return t;
        Tensor copy = Tensor.empty(t.backend(), DType.F32, t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }
}
