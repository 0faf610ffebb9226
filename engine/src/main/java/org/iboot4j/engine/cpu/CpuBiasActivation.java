package org.iboot4j.engine.cpu;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.ReduceOp;

/**
 * The fused bias + activation of a linear layer on the CPU, out = act(x + bias) over x (..., D)
 * with bias (D) along the last dimension, and its backward. The CPU twin of {@code bias_act.ptx}.
 *
 * <p><b>Forward.</b> The flat output is cut into the same chunks as {@link CpuElementwise#unary}
 * cuts a contiguous tensor (one {@link StridedLoop} over the output, chunks of
 * {@link StridedLoop#GRAIN}); each chunk first gets x + bias, row segment by row segment (a plain
 * loop the JIT vectorises), then the activation in place by {@link CpuElementwise#unaryRun} while
 * the chunk (128 KiB) is still in cache. The vector body and scalar tail of every chunk are
 * therefore the unfused unary's, and the result is bit for bit {@code binary(ADD)} followed by
 * {@code unary(act)}. Cost: x read and out written once (the unfused pair also writes and reads
 * back the sum); the activation's flops are unchanged.
 *
 * <p><b>Backward.</b> gradX = act.gradient(x + bias, g) element by element (the sum recomputed
 * in float: the same bits the forward had; the gradient by the {@code *_GRAD} op's scalar
 * definition, as the unfused backward computes it), then gradBias = {@link CpuReduce}'s sum of
 * gradX over the leading dimensions -- the very call autograd makes when it sums a broadcast
 * bias' gradient, so it too is the same bits. Cost: g and x read, gradX written, then gradX read
 * once more by the column sums (in double).
 */
final class CpuBiasActivation {
    private CpuBiasActivation() {}

    static void forward(Tensor x, Tensor bias, FusedActivation act, Tensor out) {
        float[] xs = CpuElementwise.storage(x).floats(), b = CpuElementwise.storage(bias).floats();
        float[] o = CpuElementwise.storage(out).floats();
        int width = width(out), xBase = x.offset(), oBase = out.offset(), bBase = bias.offset();
        CpuElementwise.loop(out).forEach(StridedLoop.GRAIN, (n, off, step) -> {
            int flat = off[0] - oBase;
            addBias(xs, xBase + flat, b, bBase, width, flat % width, o, off[0], n);
            if (act != FusedActivation.IDENTITY) CpuElementwise.unaryRun(act.unaryOp(), o, off[0], o, off[0], n);
        });
    }

    /** o[oo + i] = x[xo + i] + b[bo + (col + i) mod width] for i < n, one row segment at a time. */
    private static void addBias(float[] x, int xo, float[] b, int bo, int width, int col, float[] o, int oo, int n) {
        for (int i = 0; i < n; ) {
            int len = Math.min(n - i, width - col), xi = xo + i, oi = oo + i, bi = bo + col;
            for (int k = 0; k < len; k++) o[oi + k] = x[xi + k] + b[bi + k];
            i += len;
            col = 0;
        }
    }

    static void backward(Tensor gradOut, Tensor x, Tensor bias, FusedActivation act, Tensor gradX, Tensor gradBias) {
        Tensor gx = gradX != null ? gradX : Tensor.empty(x.backend(), DType.F32, x.shape());
        float[] g = CpuElementwise.storage(gradOut).floats(), xs = CpuElementwise.storage(x).floats();
        float[] b = CpuElementwise.storage(bias).floats(), d = CpuElementwise.storage(gx).floats();
        int width = width(gx), gBase = gradOut.offset(), xBase = x.offset(), bBase = bias.offset(), dBase = gx.offset();
        CpuElementwise.loop(gx).forEach(StridedLoop.GRAIN, (n, off, step) -> {
            int flat = off[0] - dBase, col = flat % width;
            for (int i = 0; i < n; i++) {
                int at = flat + i;
                d[dBase + at] = act.gradient(xs[xBase + at] + b[bBase + col], g[gBase + at]);
                if (++col == width) col = 0;
            }
        });
        if (gradBias == null) return;
        int[] leading = new int[gx.dim() - 1];
        for (int i = 0; i < leading.length; i++) leading[i] = i;
        CpuReduce.reduce(ReduceOp.SUM, gx, leading, gradBias);
    }

    private static int width(Tensor t) {
        return t.shape()[t.dim() - 1];
    }
}
