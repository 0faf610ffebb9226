package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.ReduceOp;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * Sum / max / min over dimensions with {@code reduce_f32}: a group of {@code threadsPerOutput}
 * threads (a power of two, up to the block) shares each output and walks its reduced range
 * through the {@code red_geom} strides, so any input layout is read in place. With few outputs
 * and long ranges (a full reduction) the range is also split over {@code gridDim.y} blocks that
 * write partial results, and a second launch reduces the partials.
 */
final class GpuReduce {
    private final Gpu gpu;

    GpuReduce(Gpu gpu) {
        this.gpu = gpu;
    }

    /** How one reduction is launched. */
    record Plan(int threadsPerOutput, int gridX, int splits, int chunk) {

        /** Threads per output, blocks and splits for {@code outCount} outputs of {@code redCount} elements each. */
        static Plan of(long outCount, long redCount, int multiprocessors) {
            int tpo = (int) Math.min(256, Math.max(1, Long.highestOneBit(Math.max(1, redCount))));
            int gridX = (int) Math.min(65535, Math.max(1, (outCount * tpo + 255) / 256));
            long target = 4L * multiprocessors;
            int splits = 1;
            if (gridX < target && redCount > 64L * tpo) {
                long want = (target + gridX - 1) / gridX;
                long most = Math.max(1, redCount / (64L * tpo)); // each split keeps >= 64 elements per thread
                splits = (int) Math.min(Math.min(want, most), 65535);
            }
            int chunk = (int) ((redCount + splits - 1) / splits);
            splits = (int) Math.max(1, (redCount + chunk - 1) / Math.max(1, chunk)); // no empty splits
            return new Plan(tpo, gridX, splits, Math.max(1, chunk));
        }
    }

    void reduce(ReduceOp op, Tensor x, int[] dims, Tensor out) {
        if (x.dtype() != DType.F32) throw new IllegalArgumentException("reduce: expected float32, got " + x.dtype());
        if (out.numel() == 0) return;
        if (x.numel() == 0) {
            gpu.elementwise.fill(out, identity(op));
            return;
        }
        Tensor target = out.isContiguous() ? out : gpu.temp(DType.F32, out.shape());
        byte[] geom;
        Tensor src = x;
        try {
            geom = PtxStructs.reduce(x.shape(), x.strides(), dims);
        } catch (IllegalArgumentException rankTooHigh) {
            src = gpu.contiguous(x);
            geom = PtxStructs.reduce(src.shape(), src.strides(), dims);
        }
        long outCount = target.numel(), redCount = x.numel() / outCount;
        Plan p = Plan.of(outCount, redCount, gpu.multiprocessors());
        if (p.splits() == 1) {
            launch(target, src, geom, op, p);
        } else {
            Tensor partial = gpu.temp(DType.F32, (int) outCount, p.splits());
            launch(partial, src, geom, op, p);
            byte[] geom2 = PtxStructs.reduce(partial.shape(), partial.strides(), new int[] {1});
            Plan p2 = Plan.of(outCount, p.splits(), 0);
            launch(target, partial, geom2, op, new Plan(p2.threadsPerOutput(), p2.gridX(), 1, p.splits()));
        }
        if (target != out) gpu.elementwise.copy(target, out);
    }

    private void launch(Tensor out, Tensor x, byte[] geom, ReduceOp op, Plan p) {
        KernelArgs args = Kernels.args("reduce_f32").ptr(gpu.ptr(out)).ptr(gpu.ptr(x)).struct(geom).s32(op.ordinal())
                .s32(p.threadsPerOutput()).s32(p.chunk());
        gpu.launch(args, LaunchShape.of(p.gridX(), p.splits(), 256, 1));
    }

    static double identity(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
    }
}
