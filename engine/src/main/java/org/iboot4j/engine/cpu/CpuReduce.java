package org.iboot4j.engine.cpu;

import org.iboot4j.engine.Shapes;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.ReduceOp;

/**
 * Sum / max / min over a set of dimensions, reading the input in place (any strides).
 *
 * <p>The input's dimensions split into kept ones (one output element per index) and reduced
 * ones (walked by a {@link StridedLoop} from each output element's base offset). With many
 * outputs the threads share the outputs; with fewer outputs than threads (a full reduction),
 * each output's reduced range is cut into per-thread partial results that are then combined.
 * Sums accumulate in double, so the result is the correctly rounded float of the exact sum
 * for all but extreme cancellations. Max/min propagate NaN, as PyTorch does. Cost: one read
 * per input element.
 */
final class CpuReduce {
    private CpuReduce() {}

    static void reduce(ReduceOp op, Tensor x, int[] dims, Tensor out) {
        float[] xs = CpuElementwise.storage(x).floats(), o = CpuElementwise.storage(out).floats();
        int[] shape = x.shape(), strides = x.strides();
        int rank = shape.length;
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        int[] keptShape = new int[rank], keptStrides = new int[rank];
        int[] redShape = new int[rank], redStrides = new int[rank];
        for (int d = 0; d < rank; d++) {
            keptShape[d] = reduced[d] ? 1 : shape[d];
            keptStrides[d] = strides[d];
            redShape[d] = reduced[d] ? shape[d] : 1;
            redStrides[d] = strides[d];
        }
        // out is contiguous in keptShape, so one loop gives each output's input base offset.
        StridedLoop outputs = new StridedLoop(keptShape, new int[] {out.offset(), x.offset()},
                Shapes.contiguousStrides(keptShape), keptStrides);
        StridedLoop inner = new StridedLoop(redShape, new int[] {0}, redStrides);
        int perOutput = inner.total();
        if (outputs.total() >= Parallel.threads() || perOutput < StridedLoop.GRAIN) {
            int grain = Math.max(1, StridedLoop.GRAIN / Math.max(1, perOutput));
            outputs.forEach(grain, (n, off, step) -> {
                for (int i = 0; i < n; i++) {
                    o[off[0] + i * step[0]] = (float) reduceRange(op, xs, off[1] + i * step[1], inner, 0, perOutput);
                }
            });
        } else {
            outputs.runRange(0, outputs.total(), (n, off, step) -> {
                for (int i = 0; i < n; i++) {
                    o[off[0] + i * step[0]] = (float) reduceInParallel(op, xs, off[1] + i * step[1], inner);
                }
            });
        }
    }

    /** One output from many elements: per-chunk partials, then combined in chunk order. */
    private static double reduceInParallel(ReduceOp op, float[] xs, int base, StridedLoop inner) {
        int chunks = 4 * Parallel.threads(), total = inner.total();
        double[] partial = new double[chunks];
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                partial[c] = reduceRange(op, xs, base, inner,
                        (int) ((long) total * c / chunks), (int) ((long) total * (c + 1) / chunks));
            }
        });
        double acc = identity(op);
        for (double p : partial) acc = combine(op, acc, p);
        return acc;
    }

    /** Elements [from, to) of the reduced range starting at {@code base}. */
    private static double reduceRange(ReduceOp op, float[] xs, int base, StridedLoop inner, int from, int to) {
        double[] acc = {identity(op)};
        inner.runRange(from, to, (n, off, step) -> {
            int at = base + off[0], s = step[0];
            double a = acc[0];
            switch (op) {
                case SUM -> { for (int i = 0; i < n; i++) a += xs[at + i * s]; }
                case MAX, MIN -> { for (int i = 0; i < n; i++) a = combine(op, a, xs[at + i * s]); }
            }
            acc[0] = a;
        });
        return acc[0];
    }

    private static double identity(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
    }

    private static double combine(ReduceOp op, double a, double b) {
        return switch (op) {
            case SUM -> a + b;
            case MAX -> a != a || b != b ? Double.NaN : Math.max(a, b);
            case MIN -> a != a || b != b ? Double.NaN : Math.min(a, b);
        };
    }

}
