package org.iboot4j.kernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.FloatFormats;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.PoolGeometry;
import org.iboot4j.engine.backend.ReduceOp;
import org.iboot4j.engine.backend.SgdStep;
import org.iboot4j.engine.backend.UnaryOp;
import org.iboot4j.kernels.cuda.Cublas;
import org.iboot4j.kernels.cuda.CudaBackend;
import org.iboot4j.kernels.cuda.DeviceBuffer;

/**
 * The GPU-against-CPU parity cases, shared by {@code CudaParityTest} (JUnit, skipped without a
 * GPU) and {@link SelfTest} (the table a person runs on a GPU machine). Each case builds the same
 * inputs on either backend from a fixed seed, runs one primitive and returns its outputs as
 * floats (int64 and bool outputs converted); the CPU backend's answer is the reference.
 *
 * <h2>Tolerances</h2>
 * The error is max |gpu - cpu| / max |cpu| over each output (NaN and infinities must match
 * exactly). Written down per case:
 * <ul>
 *   <li>0: data movement and selection (copy, fill, where, comparisons, indexing, max-pool values
 *       and indices, relu/abs/neg/sign, max/min);</li>
 *   <li>1e-6: arithmetic of a few flops per element (add/sub/mul/div, averages of a few terms);</li>
 *   <li>1e-5: transcendental functions (the PTX uses the hardware's approximate exp2/log2 and
 *       rational approximations: a few ulp), sums and normalisations (a different order of
 *       additions), FP32 GEMM, the optimiser step and the cosine loss;</li>
 *   <li>1e-4: cuDNN FP32 convolutions (algorithms such as Winograd and FFT reorder much more)
 *       and cuDNN batch-norm (its own variance algorithm);</li>
 *   <li>5e-3 (GEMM) / 1e-2 (convolution): TF32 tensor cores, inputs rounded to 10-bit mantissas;</li>
 *   <li>1e-4 bf16 GEMM: both sides multiply the same bf16-rounded inputs (exact products),
 *       only the FP32 accumulation order differs.</li>
 *   <li>the fused bias + activation: 0 for the identity and ReLU forward and dx, 1e-6 for their
 *       bias gradient, 1e-5 for GELU and QuickGELU (see {@code biasActivation} below).</li>
 *   <li>the fused augmentation: 0 without contrast and blur (the PTX repeats the twin's f32
 *       operations in order, all {@code .rn}); 1e-5 with them (the frame's mean luma is summed
 *       in another order, the blur weights use a 2-ulp exp; both are a few ulp of values of
 *       order 1, normalised by std 0.225).</li>
 * </ul>
 */
public final class ParityCases {
    private ParityCases() {}

    /** One primitive, ready to run on a backend; {@link #outputs} after {@link #run}. */
    public interface Prepared {
        void run();

        float[][] outputs();
    }

    /** A case: the op, the shape in words, the tolerance, and how to prepare it on a backend. */
    public record Case(String op, String shape, double tolerance, Function<Backend, Prepared> prepare) {}

    /** max |got - want| / max |want| over one output; +inf when NaN/inf positions differ. */
    public static double relativeError(float[] want, float[] got) {
        if (want.length != got.length) return Double.POSITIVE_INFINITY;
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            float a = want[i], b = got[i];
            if (Float.isNaN(a) || Float.isInfinite(a) || Float.isNaN(b) || Float.isInfinite(b)) {
                if (!(Float.isNaN(a) && Float.isNaN(b)) && a != b) return Double.POSITIVE_INFINITY;
                continue;
            }
            maxRef = Math.max(maxRef, Math.abs(a));
            maxDiff = Math.max(maxDiff, Math.abs((double) a - b));
        }
        return maxDiff == 0 ? 0 : maxDiff / Math.max(maxRef, 1e-30);
    }

    /** The worst {@link #relativeError} over all outputs. */
    public static double relativeError(float[][] want, float[][] got) {
        if (want.length != got.length) return Double.POSITIVE_INFINITY;
        double e = 0;
        for (int i = 0; i < want.length; i++) e = Math.max(e, relativeError(want[i], got[i]));
        return e;
    }

    // ---- helpers: the same inputs on any backend ------------------------------------------------

    static float[] normal(long seed, int n) {
        float[] d = new float[n];
        new Rng(seed).fillNormal(d, 0, 1);
        return d;
    }

    static float[] uniform(long seed, int n, float lo, float hi) {
        float[] d = new float[n];
        new Rng(seed).fillUniform(d, lo, hi);
        return d;
    }

    static int numel(int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** A float32 tensor of {@code shape} on {@code b} holding {@code data}. */
    static Tensor on(Backend b, float[] data, int... shape) {
        Tensor t = Tensor.of(data, shape);
        return t.backend() == b ? t : t.to(b);
    }

    static Tensor longsOn(Backend b, long[] data, int... shape) {
        Tensor t = Tensor.ofLongs(data, shape);
        return t.backend() == b ? t : t.to(b);
    }

    static Tensor boolsOn(Backend b, boolean[] data, int... shape) {
        Tensor t = Tensor.ofBooleans(data, shape);
        return t.backend() == b ? t : t.to(b);
    }

    static Tensor empty(Backend b, DType d, int... shape) {
        return Tensor.empty(b, d, shape);
    }

    static Backend cpu() {
        return Backends.byName("cpu");
    }

    /** A prepared case from a runnable and the tensors to read after it. */
    static Prepared prepared(Runnable run, Tensor... outputs) {
        return new Prepared() {
            @Override
            public void run() {
                run.run();
            }

            @Override
            public float[][] outputs() {
                float[][] o = new float[outputs.length][];
                for (int i = 0; i < o.length; i++) o[i] = outputs[i].toFloatArray();
                return o;
            }
        };
    }

    static String s(int... shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    /** Runs {@code body} with TF32 on (GPU only; the CPU has no TF32 and stays FP32). */
    static void withTf32(Backend b, Runnable body) {
        if (!(b instanceof CudaBackend cuda)) {
            body.run();
            return;
        }
        cuda.gpu().cublas().setTf32(true);
        cuda.gpu().cudnn().setTf32(true);
        try {
            body.run();
        } finally {
            cuda.gpu().cublas().setTf32(Boolean.getBoolean("iboot.cuda.tf32"));
            cuda.gpu().cudnn().setTf32(Boolean.getBoolean("iboot.cuda.tf32"));
        }
    }

    // ---- the cases -------------------------------------------------------------------------------

    /** Every case; {@code large} adds model-sized shapes (the self-test's timing rows). */
    public static List<Case> all(boolean large) {
        List<Case> c = new ArrayList<>();
        elementwise(c);
        biasActivation(c, large);
        reductions(c, large);
        linearAlgebra(c, large);
        normalisation(c);
        indexing(c);
        convolution(c, large);
        batchNorm(c, large);
        pooling(c, large);
        optimiserAndLoss(c);
        augmentation(c);
        return c;
    }

    private static void elementwise(List<Case> c) {
        c.add(new Case("copy (transposed view)", s(96, 64), 0, b -> {
            Tensor x = on(b, normal(1, 64 * 96), 64, 96), out = empty(b, DType.F32, 96, 64);
            return prepared(() -> b.copy(x.transpose(0, 1), out), out);
        }));
        c.add(new Case("copy f32->i64->f32", s(4096), 0, b -> {
            Tensor x = on(b, uniform(2, 4096, -50, 50), 4096), l = empty(b, DType.I64, 4096), f = empty(b, DType.F32, 4096);
            return prepared(() -> {
                b.copy(x, l);
                b.copy(l, f);
            }, f);
        }));
        c.add(new Case("copy f32->bool->f32", s(4096), 0, b -> {
            float[] d = normal(3, 4096);
            for (int i = 0; i < d.length; i += 3) d[i] = 0;
            Tensor x = on(b, d, 4096), m = empty(b, DType.BOOL, 4096), f = empty(b, DType.F32, 4096);
            return prepared(() -> {
                b.copy(x, m);
                b.copy(m, f);
            }, f);
        }));
        c.add(new Case("fill (strided, f32 and i64)", s(8, 10), 0, b -> {
            Tensor out = empty(b, DType.F32, 8, 10), l = empty(b, DType.I64, 8, 10);
            return prepared(() -> {
                b.fill(out.narrow(1, 2, 5).transpose(0, 1), 3.5);
                b.fill(out.narrow(0, 6, 2), -1);
                b.fill(l, 1L << 40);
                b.fill(l.narrow(1, 0, 3), -7);
            }, out, l);
        }));
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            double tol = switch (op) {
                case NEG, ABS, SIGN, RELU -> 0;
                default -> 1e-5;
            };
            c.add(new Case("unary " + op, s(64, 64) + " (strided)", tol, b -> {
                float[] d = positive ? uniform(10 + op.ordinal(), 64 * 64, 0.01f, 20f) : normal(10 + op.ordinal(), 64 * 64);
                if (!positive) for (int i = 0; i < 64; i++) d[i] *= 10; // reach the tails
                Tensor x = on(b, d, 64, 64), out = empty(b, DType.F32, 64, 64);
                return prepared(() -> b.unary(op, x.transpose(0, 1), out), out);
            }));
        }
        for (BinaryOp op : BinaryOp.values()) {
            double tol = switch (op) {
                case POW, GELU_GRAD, QUICK_GELU_GRAD -> 1e-5;
                case ADD, SUB, MUL, DIV, SIGMOID_GRAD_FROM_OUTPUT, TANH_GRAD_FROM_OUTPUT -> 1e-6;
                default -> 0;
            };
            c.add(new Case("binary " + op, s(64, 16, 32) + " (broadcast)", tol, b -> {
                float[] da = op == BinaryOp.POW ? uniform(30 + op.ordinal(), 64 * 32, 0.1f, 4f) : normal(30 + op.ordinal(), 64 * 32);
                float[] db = op == BinaryOp.POW ? uniform(60 + op.ordinal(), 16 * 32, -2f, 2f) : normal(60 + op.ordinal(), 16 * 32);
                for (int i = 0; i < 16; i++) db[i] = da[i]; // some equal pairs for the comparisons
                Tensor x = on(b, da, 64, 1, 32).expand(64, 16, 32), y = on(b, db, 16, 32).expand(64, 16, 32);
                Tensor out = empty(b, op.isComparison() ? DType.BOOL : DType.F32, 64, 16, 32);
                return prepared(() -> b.binary(op, x, y, out), out);
            }));
        }
        c.add(new Case("mul_add", s(4, 16, 8, 14) + " (per-channel a, b)", 1e-6, b -> {
            Tensor x = on(b, normal(8, 4 * 16 * 8 * 14), 4, 16, 8, 14), out = empty(b, DType.F32, 4, 16, 8, 14);
            Tensor a = on(b, normal(9, 16), 1, 16, 1, 1).expand(4, 16, 8, 14), bias = on(b, normal(11, 16), 1, 16, 1, 1).expand(4, 16, 8, 14);
            return prepared(() -> b.mulAdd(x, a, bias, out), out);
        }));
        c.add(new Case("where f32 / i64", s(32, 48) + " (broadcast)", 0, b -> {
            boolean[] m = new boolean[32 * 48];
            float[] r = uniform(5, m.length, 0, 1);
            for (int i = 0; i < m.length; i++) m[i] = r[i] > 0.5f;
            Tensor cond = boolsOn(b, m, 32, 48), x = on(b, normal(6, 48), 48).expand(32, 48), y = on(b, normal(7, 32 * 48), 32, 48);
            long[] la = new long[32], lb = new long[48];
            for (int i = 0; i < 32; i++) la[i] = i * 1000L;
            for (int i = 0; i < 48; i++) lb[i] = -i;
            Tensor xl = longsOn(b, la, 32, 1).expand(32, 48), yl = longsOn(b, lb, 48).expand(32, 48);
            Tensor out = empty(b, DType.F32, 32, 48), outL = empty(b, DType.I64, 32, 48);
            return prepared(() -> {
                b.where(cond, x, y, out);
                b.where(cond, xl, yl, outL);
            }, out, outL);
        }));
    }

    /**
     * The fused bias + activation, forward and backward, for every activation. Tolerances: 0 for
     * the identity and ReLU forward and dx (the same float add and selection as the CPU); 1e-6
     * for their bias gradient (f64 column sums in another order, then one rounding); 1e-5 for
     * GELU and QuickGELU (f32 transcendentals against the CPU's double, as their unary and
     * *_GRAD cases). The wide case splits its rows over several block rows (the two-pass bias
     * sum); the 5-row case is one split (gradBias written directly) and asks for no dx.
     */
    private static void biasActivation(List<Case> c, boolean large) {
        int[] wide = large ? new int[] {8, 197, 3072} : new int[] {300, 1000};
        int n = numel(wide), d = wide[wide.length - 1];
        for (FusedActivation act : FusedActivation.values()) {
            boolean exact = act == FusedActivation.IDENTITY || act == FusedActivation.RELU;
            c.add(new Case("bias + " + act + " forward", s(wide), exact ? 0 : 1e-5, b -> {
                float[] xs = normal(500 + act.ordinal(), n);
                for (int i = 0; i < n; i += 97) xs[i] *= 4; // reach the tails
                Tensor x = on(b, xs, wide), bias = on(b, normal(510, d), d), out = empty(b, DType.F32, wide);
                return prepared(() -> b.biasActivation(x, bias, act, out), out);
            }));
            c.add(new Case("bias + " + act + " backward", s(wide), exact ? 1e-6 : 1e-5, b -> {
                Tensor x = on(b, normal(520 + act.ordinal(), n), wide), bias = on(b, normal(530, d), d);
                Tensor g = on(b, normal(540, n), wide), gx = empty(b, DType.F32, wide), gb = empty(b, DType.F32, d);
                return prepared(() -> b.biasActivationBackward(g, x, bias, act, gx, gb), gx, gb);
            }));
        }
        c.add(new Case("bias + GELU backward, bias gradient only", s(5, 40), 1e-5, b -> {
            Tensor x = on(b, normal(550, 200), 5, 40), bias = on(b, normal(551, 40), 40), g = on(b, normal(552, 200), 5, 40);
            Tensor gb = empty(b, DType.F32, 40);
            return prepared(() -> b.biasActivationBackward(g, x, bias, FusedActivation.GELU, null, gb), gb);
        }));
    }

    private static void reductions(List<Case> c, boolean large) {
        int[] shape = {32, 64, 48};
        int[][] dimSets = {{1}, {0, 2}, {0, 1, 2}, {2}};
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] dims : dimSets) {
                c.add(new Case("reduce " + op + " dims " + Arrays.toString(dims), s(shape), op == ReduceOp.SUM ? 1e-5 : 0, b -> {
                    Tensor x = on(b, normal(100 + op.ordinal(), numel(shape)), shape);
                    int[] os = shape.clone();
                    for (int d : dims) os[d] = 1;
                    Tensor out = empty(b, DType.F32, os);
                    return prepared(() -> b.reduce(op, x.permute(0, 2, 1).permute(0, 2, 1), dims, out), out);
                }));
            }
        }
        int n = large ? 1 << 24 : 1 << 20;
        c.add(new Case("reduce SUM (full, split)", s(n), 1e-5, b -> {
            Tensor x = on(b, normal(111, n), n), out = empty(b, DType.F32, 1);
            return prepared(() -> b.reduce(ReduceOp.SUM, x, new int[] {0}, out), out);
        }));
    }

    private static void linearAlgebra(List<Case> c, boolean large) {
        int[][] gemms = large ? new int[][] {{2048, 2048, 2048}, {197, 768, 2304}, {197, 768, 3072}, {197, 3072, 768}}
                : new int[][] {{128, 256, 192}, {197, 96, 130}};
        for (int[] g : gemms) {
            int m = g[0], k = g[1], n = g[2];
            c.add(new Case("matmul fp32", m + "x" + k + "x" + n, 1e-5, b -> {
                Tensor a = on(b, normal(200, m * k), m, k), w = on(b, normal(201, k * n), k, n), out = empty(b, DType.F32, m, n);
                return prepared(() -> b.matmul(a, w, out), out);
            }));
            c.add(new Case("matmul tf32", m + "x" + k + "x" + n, 5e-3, b -> {
                Tensor a = on(b, normal(200, m * k), m, k), w = on(b, normal(201, k * n), k, n), out = empty(b, DType.F32, m, n);
                return prepared(() -> withTf32(b, () -> b.matmul(a, w, out)), out);
            }));
            c.add(new Case("gemm bf16 in, fp32 accumulate", m + "x" + k + "x" + n, 1e-4, b -> bf16Gemm(b, m, k, n)));
        }
        c.add(new Case("matmul batched, transposed A, broadcast B", s(4, 64, 128) + "x" + s(128, 96), 1e-5, b -> {
            Tensor a = on(b, normal(210, 4 * 128 * 64), 4, 128, 64).transpose(1, 2);
            Tensor w = on(b, normal(211, 128 * 96), 128, 96).expand(4, 128, 96);
            Tensor out = empty(b, DType.F32, 4, 64, 96);
            return prepared(() -> b.matmul(a, w, out), out);
        }));
    }

    /** bf16 GEMM: cublasGemmEx on the GPU; the CPU multiplies the same bf16-rounded inputs in FP32. */
    static Prepared bf16Gemm(Backend b, int m, int k, int n) {
        float[] a = normal(220, m * k), w = normal(221, k * n);
        short[] a16 = FloatFormats.toBFloat16(a), w16 = FloatFormats.toBFloat16(w);
        if (!(b instanceof CudaBackend cuda)) {
            Tensor ta = on(b, FloatFormats.fromBFloat16(a16), m, k), tw = on(b, FloatFormats.fromBFloat16(w16), k, n);
            Tensor out = empty(b, DType.F32, m, n);
            return prepared(() -> b.matmul(ta, tw, out), out);
        }
        var ctx = cuda.gpu().context();
        DeviceBuffer da = ctx.allocator().allocate(2L * a16.length), dw = ctx.allocator().allocate(2L * w16.length);
        ctx.upload(da.address(), 2L * a16.length, (buf, off, len) -> buf.asShortBuffer().put(a16, (int) (off / 2), len / 2));
        ctx.upload(dw.address(), 2L * w16.length, (buf, off, len) -> buf.asShortBuffer().put(w16, (int) (off / 2), len / 2));
        Tensor out = empty(b, DType.F32, m, n);
        long outPtr = ((org.iboot4j.kernels.cuda.CudaStorage) out.storage()).address();
        // row-major C = A B as column-major C^T = B^T A^T (see Cublas): B first, m and n swapped
        // the lambda holds da and dw themselves (not just their addresses), so they stay allocated
        return prepared(() -> cuda.gpu().cublas().gemmEx(Cublas.OP_N, Cublas.OP_N, n, m, k, 1f, dw.address(),
                Cublas.CUDA_R_16BF, n, 0, da.address(), k, 0, 0f, outPtr, n, 0, 1), out);
    }

    private static void normalisation(List<Case> c) {
        int rows = 300, d = 1000;
        for (boolean log : new boolean[] {false, true}) {
            String name = log ? "log-softmax" : "softmax";
            c.add(new Case(name + " forward", s(rows, d), 1e-5, b -> {
                float[] x = normal(300, rows * d);
                for (int i = 0; i < x.length; i += 101) x[i] *= 30;
                Tensor tx = on(b, x, rows, d), out = empty(b, DType.F32, rows, d);
                return prepared(() -> b.softmax(tx, log, out), out);
            }));
            c.add(new Case(name + " backward", s(rows, d), 1e-5, b -> {
                Tensor y0 = empty(cpu(), DType.F32, rows, d);
                cpu().softmax(on(cpu(), normal(301, rows * d), rows, d), log, y0);
                Tensor y = on(b, y0.toFloatArray(), rows, d), g = on(b, normal(302, rows * d), rows, d);
                Tensor gx = empty(b, DType.F32, rows, d);
                return prepared(() -> b.softmaxBackward(y, g, log, gx), gx);
            }));
        }
        int lr = 394, lw = 768;
        for (boolean affine : new boolean[] {true, false}) {
            c.add(new Case("layer-norm forward" + (affine ? "" : " (no affine)"), s(lr, lw), 1e-5, b -> {
                Tensor x = on(b, uniform(310, lr * lw, -3, 5), lr, lw);
                Tensor w = affine ? on(b, normal(311, lw), lw) : null, bias = affine ? on(b, normal(312, lw), lw) : null;
                Tensor out = empty(b, DType.F32, lr, lw), mean = empty(b, DType.F32, lr), rstd = empty(b, DType.F32, lr);
                return prepared(() -> b.layerNorm(x, w, bias, 1e-5f, out, mean, rstd), out, mean, rstd);
            }));
            c.add(new Case("layer-norm backward" + (affine ? "" : " (no affine)"), s(lr, lw), 1e-5, b -> {
                float[] xs = uniform(310, lr * lw, -3, 5);
                Tensor m0 = empty(cpu(), DType.F32, lr), r0 = empty(cpu(), DType.F32, lr);
                cpu().layerNorm(on(cpu(), xs, lr, lw), null, null, 1e-5f, empty(cpu(), DType.F32, lr, lw), m0, r0);
                Tensor x = on(b, xs, lr, lw), g = on(b, normal(313, lr * lw), lr, lw);
                Tensor w = affine ? on(b, normal(311, lw), lw) : null;
                Tensor mean = on(b, m0.toFloatArray(), lr), rstd = on(b, r0.toFloatArray(), lr);
                Tensor gx = empty(b, DType.F32, lr, lw), gw = empty(b, DType.F32, lw), gb = empty(b, DType.F32, lw);
                return prepared(() -> b.layerNormBackward(g, x, w, mean, rstd, gx, affine ? gw : null, affine ? gb : null),
                        affine ? new Tensor[] {gx, gw, gb} : new Tensor[] {gx});
            }));
        }
    }

    private static long[] indices(long seed, int n, int bound) {
        float[] r = uniform(seed, n, 0, bound);
        long[] ix = new long[n];
        for (int i = 0; i < n; i++) ix[i] = Math.min(bound - 1, (long) r[i]);
        return ix;
    }

    private static void indexing(List<Case> c) {
        c.add(new Case("index_select f32 / i64", s(50, 40, 8) + " dim 1, 17 picks", 0, b -> {
            Tensor x = on(b, normal(400, 50 * 40 * 8), 50, 40, 8), ix = longsOn(b, indices(401, 17, 40), 17);
            long[] big = new long[50 * 40 * 8];
            for (int i = 0; i < big.length; i++) big[i] = i * 1000L - 7; // exact as floats (< 2^24)
            Tensor xl = longsOn(b, big, 50, 40, 8);
            Tensor out = empty(b, DType.F32, 50, 17, 8), outL = empty(b, DType.I64, 50, 17, 8);
            return prepared(() -> {
                b.indexSelect(x, 1, ix, out);
                b.indexSelect(xl, 1, ix, outL);
            }, out, outL);
        }));
        c.add(new Case("index_add", s(50, 40, 8) + " dim 1, 60 picks (repeats)", 1e-6, b -> {
            Tensor dst = on(b, normal(402, 50 * 40 * 8), 50, 40, 8), ix = longsOn(b, indices(403, 60, 40), 60);
            Tensor src = on(b, normal(404, 50 * 60 * 8), 50, 60, 8);
            return prepared(() -> b.indexAdd(dst, 1, ix, src), dst);
        }));
        c.add(new Case("gather", s(30, 20) + " dim 1, index " + s(30, 5), 0, b -> {
            Tensor x = on(b, normal(405, 600), 20, 30).transpose(0, 1), ix = longsOn(b, indices(406, 150, 20), 30, 5);
            Tensor out = empty(b, DType.F32, 30, 5);
            return prepared(() -> b.gather(x, 1, ix, out), out);
        }));
        c.add(new Case("scatter_add", s(30, 20) + " dim 1, index " + s(30, 50), 1e-6, b -> {
            Tensor dst = on(b, normal(407, 600), 30, 20), ix = longsOn(b, indices(408, 1500, 20), 30, 50);
            Tensor src = on(b, normal(409, 1500), 30, 50);
            return prepared(() -> b.scatterAdd(dst, 1, ix, src), dst);
        }));
    }

    private record Conv(String name, int[] x, int[] w, ConvGeometry g) {}

    private static List<Conv> convs(boolean large) {
        List<Conv> l = new ArrayList<>();
        int[] s1 = {1, 1, 1}, s2 = {1, 2, 2}, p0 = {0, 0, 0}, d1 = {1, 1, 1};
        if (large) { // Slow-R50 layers at batch 2 (see bench/.../shapes.txt)
            l.add(new Conv("conv1 (stem) 1x7x7", new int[] {2, 3, 8, 224, 224}, new int[] {64, 3, 1, 7, 7},
                    new ConvGeometry(new int[] {1, 2, 2}, new int[] {0, 3, 3}, d1, 1)));
            l.add(new Conv("res2 1x1x1", new int[] {2, 64, 8, 56, 56}, new int[] {64, 64, 1, 1, 1},
                    new ConvGeometry(s1, p0, d1, 1)));
            l.add(new Conv("res3 1x3x3", new int[] {2, 128, 8, 28, 28}, new int[] {128, 128, 1, 3, 3},
                    new ConvGeometry(s1, new int[] {0, 1, 1}, d1, 1)));
            l.add(new Conv("res4 3x1x1", new int[] {2, 1024, 8, 14, 14}, new int[] {256, 1024, 3, 1, 1},
                    new ConvGeometry(s1, new int[] {1, 0, 0}, d1, 1)));
        } else {
            l.add(new Conv("3x3x3 stride (1,2,2)", new int[] {2, 16, 4, 14, 14}, new int[] {32, 16, 3, 3, 3},
                    new ConvGeometry(s2, new int[] {1, 1, 1}, d1, 1)));
            l.add(new Conv("2-d 7x7 stride 2 (T = 1)", new int[] {2, 3, 1, 32, 32}, new int[] {16, 3, 1, 7, 7},
                    new ConvGeometry(s2, new int[] {0, 3, 3}, d1, 1)));
            l.add(new Conv("grouped 4, dilated", new int[] {1, 16, 3, 9, 9}, new int[] {8, 4, 1, 3, 3},
                    new ConvGeometry(s1, new int[] {0, 2, 2}, new int[] {1, 2, 2}, 4)));
            l.add(new Conv("1x1x1", new int[] {2, 32, 2, 7, 7}, new int[] {64, 32, 1, 1, 1}, new ConvGeometry(s1, p0, d1, 1)));
        }
        return l;
    }

    private static void convolution(List<Case> c, boolean large) {
        for (Conv cv : convs(large)) {
            int[] ys = cv.g().outputShape(cv.x(), cv.w());
            for (boolean tf32 : new boolean[] {false, true}) {
                String p = tf32 ? " tf32" : "";
                double tol = tf32 ? 1e-2 : 1e-4;
                c.add(new Case("conv3d forward" + p, cv.name() + " x" + s(cv.x()) + " w" + s(cv.w()), tol, b -> {
                    Tensor x = on(b, normal(500, numel(cv.x())), cv.x()), w = on(b, normal(501, numel(cv.w())), cv.w());
                    Tensor bias = on(b, normal(502, cv.w()[0]), cv.w()[0]), out = empty(b, DType.F32, ys);
                    return prepared(() -> withTf32Maybe(tf32, b, () -> b.conv3d(x, w, bias, cv.g(), out)), out);
                }));
                c.add(new Case("conv3d backward-data" + p, cv.name() + " x" + s(cv.x()) + " w" + s(cv.w()), tol, b -> {
                    Tensor g = on(b, normal(503, numel(ys)), ys), w = on(b, normal(501, numel(cv.w())), cv.w());
                    Tensor gx = empty(b, DType.F32, cv.x());
                    return prepared(() -> withTf32Maybe(tf32, b, () -> b.conv3dBackwardData(g, w, cv.g(), gx)), gx);
                }));
                c.add(new Case("conv3d backward-filter" + p, cv.name() + " x" + s(cv.x()) + " w" + s(cv.w()), tol, b -> {
                    Tensor g = on(b, normal(503, numel(ys)), ys), x = on(b, normal(500, numel(cv.x())), cv.x());
                    Tensor gw = empty(b, DType.F32, cv.w());
                    return prepared(() -> withTf32Maybe(tf32, b, () -> b.conv3dBackwardFilter(g, x, cv.g(), gw)), gw);
                }));
            }
        }
    }

    static void withTf32Maybe(boolean tf32, Backend b, Runnable body) {
        if (tf32) withTf32(b, body);
        else body.run();
    }

    private static void batchNorm(List<Case> c, boolean large) {
        int[][] shapes = large ? new int[][] {{8, 64, 8, 56, 56}, {8, 256, 8, 56, 56}} : new int[][] {{4, 32, 4, 7, 7}, {16, 64}};
        for (int[] xs : shapes) {
            int ch = xs[1];
            for (boolean affine : new boolean[] {true, false}) {
                String a = affine ? "" : " (no affine)";
                c.add(new Case("batch-norm train" + a, s(xs), 1e-4, b -> {
                    Tensor x = on(b, uniform(600, numel(xs), -2, 6), xs);
                    Tensor w = affine ? on(b, normal(601, ch), ch) : null, bias = affine ? on(b, normal(602, ch), ch) : null;
                    Tensor out = empty(b, DType.F32, xs), mean = empty(b, DType.F32, ch), var = empty(b, DType.F32, ch);
                    return prepared(() -> b.batchNormTrain(x, w, bias, 1e-5f, out, mean, var), out, mean, var);
                }));
                c.add(new Case("batch-norm backward" + a, s(xs), 1e-4, b -> {
                    float[] xv = uniform(600, numel(xs), -2, 6);
                    Tensor m0 = empty(cpu(), DType.F32, ch), v0 = empty(cpu(), DType.F32, ch);
                    cpu().batchNormTrain(on(cpu(), xv, xs), null, null, 1e-5f, empty(cpu(), DType.F32, xs), m0, v0);
                    float[] inv = v0.toFloatArray();
                    for (int i = 0; i < inv.length; i++) inv[i] = (float) (1 / Math.sqrt(inv[i] + 1e-5));
                    Tensor x = on(b, xv, xs), g = on(b, normal(603, numel(xs)), xs);
                    Tensor w = affine ? on(b, normal(601, ch), ch) : null;
                    Tensor mean = on(b, m0.toFloatArray(), ch), invStd = on(b, inv, ch);
                    Tensor gx = empty(b, DType.F32, xs), gw = empty(b, DType.F32, ch), gb = empty(b, DType.F32, ch);
                    return prepared(() -> b.batchNormBackward(g, x, w, mean, invStd, gx, affine ? gw : null, affine ? gb : null),
                            affine ? new Tensor[] {gx, gw, gb} : new Tensor[] {gx});
                }));
            }
        }
    }

    private static void pooling(List<Case> c, boolean large) {
        int[] xs = large ? new int[] {8, 64, 8, 112, 112} : new int[] {2, 8, 4, 15, 15};
        PoolGeometry stem = new PoolGeometry(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1}, false);
        PoolGeometry ceil = new PoolGeometry(new int[] {2, 3, 3}, new int[] {2, 2, 2}, new int[] {1, 1, 1}, true);
        for (PoolGeometry g : new PoolGeometry[] {stem, ceil}) {
            int[] os = g.outputShape(xs);
            String geo = s(xs) + " " + g;
            c.add(new Case("max-pool forward (values, indices)", geo, 0, b -> {
                float[] d = normal(700, numel(xs));
                for (int i = 0; i < d.length; i += 5) d[i] = Math.round(d[i]); // ties
                d[17] = Float.NaN;
                Tensor x = on(b, d, xs), out = empty(b, DType.F32, os), ix = empty(b, DType.I64, os);
                return prepared(() -> b.maxPool3d(x, g, out, ix), out, ix);
            }));
            c.add(new Case("max-pool backward", geo, 1e-6, b -> {
                Tensor o0 = empty(cpu(), DType.F32, os), i0 = empty(cpu(), DType.I64, os);
                cpu().maxPool3d(on(cpu(), normal(701, numel(xs)), xs), g, o0, i0);
                Tensor ix = longsOn(b, i0.toLongArray(), os), go = on(b, normal(702, numel(os)), os);
                Tensor gx = empty(b, DType.F32, xs);
                return prepared(() -> b.maxPool3dBackward(go, ix, gx), gx);
            }));
            for (boolean pad : new boolean[] {true, false}) {
                String p = pad ? "count_include_pad" : "exclude pad";
                c.add(new Case("avg-pool forward (" + p + ")", geo, 1e-6, b -> {
                    Tensor x = on(b, normal(703, numel(xs)), xs), out = empty(b, DType.F32, os);
                    return prepared(() -> b.avgPool3d(x, g, pad, out), out);
                }));
                c.add(new Case("avg-pool backward (" + p + ")", geo, 1e-6, b -> {
                    Tensor go = on(b, normal(704, numel(os)), os), gx = empty(b, DType.F32, xs);
                    return prepared(() -> b.avgPool3dBackward(go, g, pad, gx), gx);
                }));
            }
        }
        for (int[] target : new int[][] {{1, 1, 1}, {2, 3, 5}}) {
            int[] os = {xs[0], xs[1], target[0], target[1], target[2]};
            c.add(new Case("adaptive avg-pool forward", s(xs) + " -> " + s(target), 1e-5, b -> {
                Tensor x = on(b, normal(705, numel(xs)), xs), out = empty(b, DType.F32, os);
                return prepared(() -> b.adaptiveAvgPool3d(x, out), out);
            }));
            c.add(new Case("adaptive avg-pool backward", s(xs) + " -> " + s(target), 1e-5, b -> {
                Tensor go = on(b, normal(706, numel(os)), os), gx = empty(b, DType.F32, xs);
                return prepared(() -> b.adaptiveAvgPool3dBackward(go, gx), gx);
            }));
        }
    }

    private static void optimiserAndLoss(List<Case> c) {
        int n = 64 * 3 * 7 * 7;
        SgdStep plain = new SgdStep(0.1f, 0.9f, 1e-4f, false, 0, 0);
        SgdStep nesterov = new SgdStep(0.1f, 0.9f, 1e-4f, true, 0, 0);
        SgdStep lars = new SgdStep(0.3f, 0.9f, 1e-6f, false, 0.001f, 1e-8f);
        for (SgdStep st : new SgdStep[] {plain, nesterov, lars}) {
            String name = st.trustCoefficient() > 0 ? "LARS" : st.nesterov() ? "SGD nesterov" : "SGD";
            c.add(new Case("sgd step (" + name + ")", s(n), 1e-5, b -> {
                Tensor w = on(b, normal(800, n), n), g = on(b, normal(801, n), n), buf = on(b, normal(802, n), n);
                return prepared(() -> b.sgdStep(w, g, buf, st), w, buf);
            }));
        }
        c.add(new Case("cosine loss (fused)", s(64, 768), 1e-5, b -> {
            Tensor q = on(b, normal(900, 64 * 768), 64, 768), k = on(b, normal(901, 64 * 768), 64, 768);
            Tensor loss = empty(b, DType.F32), gk = empty(b, DType.F32, 64, 768);
            return prepared(() -> b.cosineLoss(q, k, loss, gk), loss, gk);
        }));
    }


    // ---- the fused augmentation (Backend.augmentClips: GpuAugment against CpuAugment) ---------------

    private static void augmentation(List<Case> c) {
        float[] mean = {0.45f, 0.45f, 0.45f}, std = {0.225f, 0.225f, 0.225f};
        int frames = 4, out = 40;
        // three clips, two source sizes (48x64 upsampled to 56x74; 40x40 kept as is)
        List<AugmentClip> plain = List.of(
                new AugmentClip(48, 64, 56, 74, 9, 30, true, 1.3f, 1f, 0.6f, -0.21f, new int[] {0, 2, 3}, false, 0f, 1, mean, std),
                new AugmentClip(48, 64, 56, 74, 16, 0, false, 0.7f, 1f, 1f, 0.37f, new int[] {3, 0}, true, 0f, 1, mean, std),
                new AugmentClip(40, 40, 40, 40, 0, 0, false, 1f, 1f, 1f, 0f, new int[0], false, 0f, 1, mean, std));
        List<AugmentClip> contrastBlur = List.of(
                new AugmentClip(48, 64, 56, 74, 3, 11, true, 0.8f, 1.4f, 1.2f, 0.1f, new int[] {1, 3, 0, 2}, false, 1.3f, 23, mean, std),
                new AugmentClip(48, 64, 56, 74, 16, 34, false, 1f, 0.5f, 0.3f, 0f, new int[] {2, 1}, true, 0f, 23, mean, std),
                new AugmentClip(40, 40, 40, 40, 0, 0, true, 1f, 1f, 1f, 0f, new int[0], false, 0.4f, 23, mean, std));
        c.add(new Case("augment (crop, flip, jitter, gray)", "3 clips x " + frames + " -> " + out + "x" + out, 0,
                b -> augment(b, plain, frames, out)));
        c.add(new Case("augment (contrast, blur)", "3 clips x " + frames + " -> " + out + "x" + out, 1e-5,
                b -> augment(b, contrastBlur, frames, out)));
    }

    /** The backend primitive (GpuAugment on the GPU, CpuAugment on the CPU) on the same random frames. */
    static Prepared augment(Backend b, List<AugmentClip> clips, int frames, int out) {
        long bytes = 0;
        for (AugmentClip a : clips) bytes += a.frameBytes(frames);
        float[] r = uniform(1000 + clips.size(), (int) bytes, 0, 256);
        byte[] u8 = new byte[r.length];
        for (int i = 0; i < r.length; i++) u8[i] = (byte) Math.min(255, (int) r[i]);
        Tensor[] result = new Tensor[1];
        return new Prepared() {
            @Override
            public void run() {
                result[0] = Functional.augmentClips(b, MemorySegment.ofArray(u8), clips, frames, out, out);
            }

            @Override
            public float[][] outputs() {
                return new float[][] {result[0].toFloatArray()};
            }
        };
    }
}
