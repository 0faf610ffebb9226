package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.UnaryOp;

/**
 * The CPU's elementwise kernels: copy (with dtype conversion), fill, unary, binary and where.
 * Each walks its operands with {@link StridedLoop}, so broadcast (stride-0) and transposed
 * inputs need no copies; the inner loop of a contiguous operand is a plain indexed loop that
 * the JIT vectorises for the simple cases. Cost: one read per input and one write per element.
 */
final class CpuElementwise {
    private CpuElementwise() {}

    static void copy(Tensor src, Tensor dst) {
        CpuStorage s = storage(src), d = storage(dst);
        StridedLoop loop = loop(dst, src);
        if (src.dtype() == dst.dtype()) {
            Object from = s.array(), to = d.array();
            loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
                if (step[0] == 1 && step[1] == 1) {
                    System.arraycopy(from, off[1], to, off[0], n);
                } else if (from instanceof float[] f && to instanceof float[] t) {
                    for (int i = 0; i < n; i++) t[off[0] + i * step[0]] = f[off[1] + i * step[1]];
                } else {
                    for (int i = 0; i < n; i++) d.set(off[0] + i * step[0], s.get(off[1] + i * step[1]));
                }
            });
        } else {
            loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
                for (int i = 0; i < n; i++) d.set(off[0] + i * step[0], s.get(off[1] + i * step[1]));
            });
        }
    }

    static void fill(Tensor dst, double value) {
        CpuStorage d = storage(dst);
        loop(dst).forEach(StridedLoop.GRAIN, (n, off, step) -> {
            if (d.array() instanceof float[] f && step[0] == 1) {
                java.util.Arrays.fill(f, off[0], off[0] + n, (float) value);
            } else {
                for (int i = 0; i < n; i++) d.set(off[0] + i * step[0], value);
            }
        });
    }

    static void unary(UnaryOp op, Tensor x, Tensor out) {
        float[] xs = storage(x).floats(), o = storage(out).floats();
        loop(out, x).forEach(StridedLoop.GRAIN, (n, off, step) -> {
            int oo = off[0], xo = off[1], xstep = step[1];
            if (xstep == 1) {
                unaryRun(op, xs, xo, o, oo, n);
            } else {
                for (int i = 0; i < n; i++) o[oo + i] = op.apply(xs[xo + i * xstep]);
            }
        });
    }

    /**
     * o[oo + i] = op(x[xo + i]) for i < n, both unit-stride (o may be x itself, in place): the
     * whole vectors by {@link #activationVectors} where op is an activation, the rest by
     * {@link UnaryOp#apply}. The fused bias + activation runs its chunks through this too, so
     * it gives the same bits as this unary op.
     */
    static void unaryRun(UnaryOp op, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        if (op == UnaryOp.GELU || op == UnaryOp.QUICK_GELU || op == UnaryOp.RELU) {
            i = activationVectors(op, x, xo, o, oo, n);
        }
        for (; i < n; i++) o[oo + i] = op.apply(x[xo + i]);
    }

    /**
     * The networks' activations over the whole vectors of a unit-stride run; returns how many
     * elements it did. ReLU is max(x, 0), bit for bit {@link UnaryOp#apply} (NaN stays NaN, -0
     * becomes +0); GELU and QuickGELU are evaluated in float ({@link VectorMath}: within about
     * 1e-6 relative of apply's double evaluation, and 10-20x faster).
     */
    private static int activationVectors(UnaryOp op, float[] x, int xo, float[] o, int oo, int n) {
        int bound = VectorMath.SPECIES.loopBound(n);
        if (op == UnaryOp.GELU) {
            VectorMath.gelu(x, xo, o, oo, bound);
            return bound;
        }
        for (int i = 0; i < bound; i += VectorMath.VL) {
            FloatVector v = FloatVector.fromArray(VectorMath.SPECIES, x, xo + i);
            (op == UnaryOp.RELU ? v.max(0f) : VectorMath.quickGelu(v)).intoArray(o, oo + i);
        }
        return bound;
    }

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] as = storage(a).floats(), bs = storage(b).floats();
        StridedLoop loop = loop(out, a, b);
        if (op.isComparison()) {
            boolean[] o = storage(out).booleans();
            loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
                for (int i = 0; i < n; i++) {
                    o[off[0] + i] = op.test(as[off[1] + i * step[1]], bs[off[2] + i * step[2]]);
                }
            });
            return;
        }
        float[] o = storage(out).floats();
        loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
            if (step[1] == 1 && step[2] == 1) {
                dense(op, as, off[1], bs, off[2], o, off[0], n);
            } else if (step[1] == 1 && step[2] == 0) {
                denseWithConstant(op, as, off[1], bs[off[2]], o, off[0], n);
            } else {
                for (int i = 0; i < n; i++) o[off[0] + i] = op.apply(as[off[1] + i * step[1]], bs[off[2] + i * step[2]]);
            }
        });
    }

    /** Both operands unit-stride: the commonest ops get plain loops that the JIT vectorises. */
    private static void dense(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i]; }
            default -> { for (int i = 0; i < n; i++) o[oo + i] = op.apply(a[ao + i], b[bo + i]); }
        }
    }

    /**
     * a unit-stride, b one value for the whole run: a per-channel vector broadcast over a plane,
     * as in evaluation-mode batch-norm (x * scale + shift), which is a whole pass of a CNN.
     */
    private static void denseWithConstant(BinaryOp op, float[] a, int ao, float b, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b; }
            default -> { for (int i = 0; i < n; i++) o[oo + i] = op.apply(a[ao + i], b); }
        }
    }

    /**
     * out = x * a + b, the product rounded first (Java never contracts it into a fused
     * multiply-add). The evaluation-mode batch-norm case, x unit-stride with a and b constant
     * along each run (a channel's plane), is one plain loop over the plane.
     */
    static void mulAdd(Tensor x, Tensor a, Tensor b, Tensor out) {
        float[] xs = storage(x).floats(), as = storage(a).floats(), bs = storage(b).floats(), o = storage(out).floats();
        loop(out, x, a, b).forEach(StridedLoop.GRAIN, (n, off, step) -> {
            if (step[1] == 1 && step[2] == 0 && step[3] == 0) {
                float scale = as[off[2]], shift = bs[off[3]];
                for (int i = 0; i < n; i++) o[off[0] + i] = xs[off[1] + i] * scale + shift;
            } else {
                for (int i = 0; i < n; i++) {
                    o[off[0] + i] = xs[off[1] + i * step[1]] * as[off[2] + i * step[2]] + bs[off[3] + i * step[3]];
                }
            }
        });
    }

    static void where(Tensor condition, Tensor a, Tensor b, Tensor out) {
        boolean[] c = storage(condition).booleans();
        CpuStorage as = storage(a), bs = storage(b), o = storage(out);
        StridedLoop loop = loop(out, condition, a, b);
        if (out.dtype() == DType.F32) {
            float[] af = as.floats(), bf = bs.floats(), of = o.floats();
            loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
                for (int i = 0; i < n; i++) {
                    of[off[0] + i] = c[off[1] + i * step[1]] ? af[off[2] + i * step[2]] : bf[off[3] + i * step[3]];
                }
            });
        } else {
            loop.forEach(StridedLoop.GRAIN, (n, off, step) -> {
                for (int i = 0; i < n; i++) {
                    o.set(off[0] + i, c[off[1] + i * step[1]] ? as.get(off[2] + i * step[2])
                            : bs.get(off[3] + i * step[3]));
                }
            });
        }
    }

    /** A loop over the first tensor's shape across all the given operands. */
    static StridedLoop loop(Tensor... operands) {
        int[] offsets = new int[operands.length];
        int[][] strides = new int[operands.length][];
        for (int k = 0; k < operands.length; k++) {
            offsets[k] = operands[k].offset();
            strides[k] = operands[k].strides();
        }
        return new StridedLoop(operands[0].shape(), offsets, strides);
    }

    static CpuStorage storage(Tensor t) {
        if (t.storage() instanceof CpuStorage s) return s;
        throw new IllegalArgumentException("the CPU backend was handed a tensor on "
                + t.backend().name() + "; move it with to()");
    }
}
