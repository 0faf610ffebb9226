package org.iboot4j.kernels.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;

/**
 * Batched matrix product with cuBLAS (see {@link Cublas} for the row-major mapping). A matrix
 * whose rows or columns are unit-stride is passed as is (a transposed view becomes CUBLAS_OP_T,
 * a wider row stride the leading dimension); any other layout is copied to contiguous first,
 * as on the CPU. Batch dimensions are merged where their strides allow and the innermost one
 * becomes one strided-batched call (stride 0 broadcasts a matrix without materialising it); any
 * remaining outer batch dimensions are looped over.
 */
final class GpuMatmul {
    private final Gpu gpu;

    GpuMatmul(Gpu gpu) {
        this.gpu = gpu;
    }

    /** How cuBLAS reads one operand: stored transposed or not, and its leading dimension. */
    record Layout(boolean transposed, int ld) {
        /** The layout of a rows x cols matrix with these strides, or null when cuBLAS cannot read it. */
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

    /**
     * The batch loop: {@code outer} lists the dims looped over in Java (size and the three
     * operands' strides, out first), {@code count} and {@code strides} the innermost dim that
     * one strided-batched call covers.
     */
    record BatchPlan(List<int[]> outer, int count, long[] strides) {

        /** Merges batch dims (shape, strides of out, a, b) and splits off the innermost. */
        static BatchPlan of(int[] shape, int[] outStrides, int[] aStrides, int[] bStrides) {
            List<int[]> dims = new ArrayList<>(); // {size, so, sa, sb}
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] == 1) continue;
                int[] e = {shape[d], outStrides[d], aStrides[d], bStrides[d]};
                if (!dims.isEmpty()) {
                    int[] last = dims.get(dims.size() - 1);
                    if ((long) last[1] == (long) e[1] * e[0] && (long) last[2] == (long) e[2] * e[0]
                            && (long) last[3] == (long) e[3] * e[0]) {
                        last[0] *= e[0];
                        last[1] = e[1];
                        last[2] = e[2];
                        last[3] = e[3];
                        continue;
                    }
                }
                dims.add(e);
            }
            if (dims.isEmpty()) return new BatchPlan(List.of(), 1, new long[] {0, 0, 0});
            int[] inner = dims.remove(dims.size() - 1);
            return new BatchPlan(List.copyOf(dims), inner[0], new long[] {inner[1], inner[2], inner[3]});
        }

        /** Element offsets (out, a, b) of every strided-batched call, in order. */
        List<long[]> offsets() {
            List<long[]> result = new ArrayList<>();
            int[] coord = new int[outer.size()];
            while (true) {
                long[] o = new long[3];
                for (int d = 0; d < coord.length; d++) {
                    for (int k = 0; k < 3; k++) o[k] += (long) coord[d] * outer.get(d)[1 + k];
                }
                result.add(o);
                int d = coord.length - 1;
                while (d >= 0 && ++coord[d] == outer.get(d)[0]) coord[d--] = 0;
                if (d < 0) return result;
            }
        }
    }

    void matmul(Tensor a, Tensor b, Tensor out) {
        for (Tensor t : new Tensor[] {a, b, out}) {
            if (t.dtype() != DType.F32) throw new IllegalArgumentException("matmul: expected float32, got " + t.dtype());
        }
        int rank = a.dim();
        int m = a.shape()[rank - 2], k = a.shape()[rank - 1], n = b.shape()[rank - 1];
        if (out.numel() == 0) return;
        if (k == 0) {
            gpu.elementwise.fill(out, 0);
            return;
        }
        Tensor target = out.isContiguous() ? out : gpu.temp(DType.F32, out.shape());
        Tensor aa = readable(a), bb = readable(b);
        Layout la = layout(aa), lb = layout(bb);
        BatchPlan plan = BatchPlan.of(Arrays.copyOf(target.shape(), rank - 2), Arrays.copyOf(target.strides(), rank - 2),
                Arrays.copyOf(aa.strides(), rank - 2), Arrays.copyOf(bb.strides(), rank - 2));
        long pa = gpu.ptr(aa), pb = gpu.ptr(bb), pc = gpu.ptr(target);
        for (long[] off : plan.offsets()) {
            gpu.cublas.rowMajorGemm(new Cublas.RowMajorGemm(m, n, k, pa + 4 * off[1], la.ld(), la.transposed(),
                    plan.strides()[1], pb + 4 * off[2], lb.ld(), lb.transposed(), plan.strides()[2], pc + 4 * off[0],
                    plan.strides()[0], plan.count()));
        }
        if (target != out) gpu.elementwise.copy(target, out);
    }

    private static Layout layout(Tensor t) {
        int r = t.dim();
        return Layout.of(t.shape()[r - 2], t.shape()[r - 1], t.strides()[r - 2], t.strides()[r - 1]);
    }

    /** The tensor itself when cuBLAS can read its matrices, else a contiguous copy. */
    private Tensor readable(Tensor t) {
        return layout(t) != null ? t : gpu.contiguous(t);
    }
}
