package org.iboot4j.bench;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.PoolGeometry;
import org.iboot4j.engine.cpu.Sgemm;

/**
 * One (op, shape) case ready to run: the inputs are made once by {@link #of}, and each
 * {@link #run()} performs the op once, allocating its outputs as a caller of the engine would.
 * The JMH benchmarks and {@link CompareMain} time exactly these.
 */
public abstract class Workload {
    private static final int[] ONES = {1, 1, 1};

    private final String shape;
    private final double flops;

    Workload(String shape, double flops) {
        this.shape = shape;
        this.flops = flops;
    }

    /** Runs the op once; returns its result so that nothing can be optimised away. */
    public abstract Object run();

    /**
     * One {@link #run()} inside its own {@link TensorScope}: the tensors it makes are released
     * when it ends and their memory serves the next run, as PyTorch's caching allocator hands back
     * the blocks a step freed. Returns what the run made (released by then: for a sink only).
     */
    public final Object runInScope() {
        try (TensorScope _ = TensorScope.open()) {
            return run();
        }
    }

    /** A short description of the shapes involved, for tables. */
    public String shape() {
        return shape;
    }

    /** Floating-point operations of one run (multiply and add counted apart), or 0 if not meaningful. */
    public double flops() {
        return flops;
    }

    /** Builds the inputs of {@code op} on shape {@code c} with a fixed seed. */
    public static Workload of(Op op, ShapeTable.Case c) {
        if (!op.kind.equals(c.kind())) {
            throw new IllegalArgumentException(op.label + " runs on " + op.kind + " shapes, not on " + c);
        }
        Rng rng = new Rng(42);
        return switch (op) {
            case MATMUL -> matmul(c, rng);
            case SGEMM -> sgemm(c, rng);
            case CONV3D_FORWARD, CONV3D_BACKWARD_DATA, CONV3D_BACKWARD_FILTER -> conv3d(op, c, rng);
            case BATCH_NORM_TRAIN -> batchNorm(c, rng);
            case MAX_POOL_FORWARD, MAX_POOL_FORWARD_BACKWARD -> maxPool(op, c, rng);
            case MODEL_FORWARD -> ModelForward.of(c, rng);
        };
    }

    private static String gemmShape(int m, int k, int n) {
        return m + "x" + k + "x" + n + " (MxKxN)";
    }

    private static Workload matmul(ShapeTable.Case c, Rng rng) {
        int m = c.get("m"), k = c.get("k"), n = c.get("n");
        Tensor a = Tensor.randn(rng, 0, 1, m, k), b = Tensor.randn(rng, 0, 1, k, n);
        return new Workload(gemmShape(m, k, n), 2.0 * m * n * k) {
            @Override
            public Object run() {
                return a.matmul(b);
            }
        };
    }

    private static Workload sgemm(ShapeTable.Case c, Rng rng) {
        int m = c.get("m"), k = c.get("k"), n = c.get("n");
        float[] a = Tensor.randn(rng, 0, 1, m * k).toFloatArray();
        float[] b = Tensor.randn(rng, 0, 1, k * n).toFloatArray();
        float[] out = new float[m * n];
        return new Workload(gemmShape(m, k, n), 2.0 * m * n * k) {
            @Override
            public Object run() {
                Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, out, 0, n);
                return out;
            }
        };
    }

    private static int[] concat(int a, int b, int[] rest) {
        return new int[] {a, b, rest[0], rest[1], rest[2]};
    }

    private static String str(int[] v) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : "x").append(v[i]);
        return s.toString();
    }

    private static Workload conv3d(Op op, ShapeTable.Case c, Rng rng) {
        int n = c.get("n"), cin = c.get("cin"), cout = c.get("cout");
        int[] in = c.triple("in"), k = c.triple("k"), s = c.triple("s"), p = c.triple("p");
        int[] xShape = concat(n, cin, in), wShape = concat(cout, cin, k);
        ConvGeometry geometry = new ConvGeometry(s, p, ONES, 1);
        int[] outShape = geometry.outputShape(xShape, wShape);
        double flops = 2.0 * outShape[0] * outShape[1] * outShape[2] * outShape[3] * outShape[4]
                * cin * k[0] * k[1] * k[2];
        String shape = str(xShape) + " -> " + cout + ", k" + str(k) + " s" + str(s) + " p" + str(p);
        Backend backend = Backends.current();
        float std = (float) Math.sqrt(2.0 / (cin * k[0] * k[1] * k[2]));
        Tensor w = Tensor.randn(rng, 0, std, wShape);
        return switch (op) {
            case CONV3D_FORWARD -> {
                Tensor x = Tensor.randn(rng, 0, 1, xShape);
                yield new Workload(shape, flops) {
                    @Override
                    public Object run() {
                        return Functional.conv3d(x, w, null, s, p, ONES, 1);
                    }
                };
            }
            case CONV3D_BACKWARD_DATA -> {
                Tensor g = Tensor.randn(rng, 0, 1, outShape);
                yield new Workload(shape, flops) {
                    @Override
                    public Object run() {
                        Tensor gx = Tensor.empty(backend, DType.F32, xShape);
                        backend.conv3dBackwardData(g, w, geometry, gx);
                        return gx;
                    }
                };
            }
            case CONV3D_BACKWARD_FILTER -> {
                Tensor x = Tensor.randn(rng, 0, 1, xShape), g = Tensor.randn(rng, 0, 1, outShape);
                yield new Workload(shape, flops) {
                    @Override
                    public Object run() {
                        Tensor gw = Tensor.empty(backend, DType.F32, wShape);
                        backend.conv3dBackwardFilter(g, x, geometry, gw);
                        return gw;
                    }
                };
            }
            default -> throw new AssertionError(op);
        };
    }

    private static Workload batchNorm(ShapeTable.Case c, Rng rng) {
        int n = c.get("n"), ch = c.get("c");
        int[] shape = concat(n, ch, c.triple("in"));
        Tensor x = Tensor.randn(rng, 0.5f, 2, shape).requiresGrad(true);
        Tensor weight = Tensor.randn(rng, 1, 0.1f, ch).requiresGrad(true);
        Tensor bias = Tensor.randn(rng, 0, 0.1f, ch).requiresGrad(true);
        Tensor runningMean = Tensor.zeros(ch), runningVar = Tensor.ones(ch);
        Tensor g = Tensor.randn(rng, 0, 1, shape);
        return new Workload(str(shape), 0) {
            @Override
            public Object run() {
                x.zeroGrad();
                weight.zeroGrad();
                bias.zeroGrad();
                Tensor y = Functional.batchNorm(x, runningMean, runningVar, weight, bias, true, 0.1f, 1e-5f);
                y.backward(g);
                return x.grad();
            }
        };
    }

    private static Workload maxPool(Op op, ShapeTable.Case c, Rng rng) {
        int n = c.get("n"), ch = c.get("c");
        int[] shape = concat(n, ch, c.triple("in")), k = c.triple("k"), s = c.triple("s"), p = c.triple("p");
        String desc = str(shape) + ", k" + str(k) + " s" + str(s) + " p" + str(p);
        if (op == Op.MAX_POOL_FORWARD) {
            Tensor x = Tensor.randn(rng, 0, 1, shape);
            return new Workload(desc, 0) {
                @Override
                public Object run() {
                    return Functional.maxPool3d(x, k, s, p, false);
                }
            };
        }
        Tensor x = Tensor.randn(rng, 0, 1, shape).requiresGrad(true);
        Tensor g = Tensor.randn(rng, 0, 1, new PoolGeometry(k, s, p, false).outputShape(shape));
        return new Workload(desc, 0) {
            @Override
            public Object run() {
                x.zeroGrad();
                Functional.maxPool3d(x, k, s, p, false).backward(g);
                return x.grad();
            }
        };
    }
}
