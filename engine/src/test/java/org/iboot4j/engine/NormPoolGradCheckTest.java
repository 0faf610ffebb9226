package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.iboot4j.engine.testing.FloatAsserts;
import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Fn;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Batch-norm (training and evaluation) and the 3-d poolings against central finite differences
 * ({@link GradCheck}). One dynamic test per case; inputs come from the engine's Philox
 * {@link Rng} seeded by the case's name.
 *
 * <p>Batch-norm in training mode is checked through the whole function, batch statistics
 * included (the running statistics are constants that the call updates, rebuilt for every
 * evaluation). Max-pool is piecewise linear with kinks where two elements of a window tie, so its
 * inputs are a shuffled grid with every value of a (T, H, W) plane distinct and at least 2/80 from
 * the next, more than twice the checker's step for values in [-1, 1].
 *
 * <p>The gradient checks run on tensors far too small to be split over threads, so two tests at
 * the end take inputs large enough for the CPU kernels' parallel paths: pooling (forward and
 * backward) must give, bit for bit, what it gives plane by plane on single-plane views (which
 * run on one thread), and batch-norm must agree with the same function composed of reductions
 * and pointwise ops.
 */
class NormPoolGradCheckTest {

    private static final float EPS = 1e-5f;

    // ---- batch-norm ------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> batchNormTraining() {
        return Stream.of(
                check("train 5-d, affine, running stats", r -> inputs(normal(r, 2, 3, 2, 3, 2),
                        uniform(r, 0.5f, 1.5f, 3), normal(r, 3), runningMean(r, 3), runningVar(r, 3)),
                        in -> Functional.batchNorm(in[0], in[3], in[4], in[1], in[2], true, 0.1f, EPS)),
                check("train 5-d, no affine, no running stats", r -> inputs(normal(r, 3, 2, 2, 2, 3)),
                        in -> Functional.batchNorm(in[0], null, null, null, null, true, 0.1f, EPS)),
                check("train 2-d (N, C)", r -> inputs(normal(r, 5, 4), uniform(r, 0.5f, 1.5f, 4), normal(r, 4)),
                        in -> Functional.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, EPS)),
                check("train 3-d, weight only", r -> inputs(normal(r, 3, 2, 5), uniform(r, 0.5f, 1.5f, 2)),
                        in -> Functional.batchNorm(in[0], null, null, in[1], null, true, 0.3f, EPS)),
                check("train 3-d, bias only", r -> inputs(normal(r, 3, 2, 5), normal(r, 2)),
                        in -> Functional.batchNorm(in[0], null, null, null, in[1], true, 0.3f, EPS)),
                check("train non-contiguous input (C, N, ...) transposed", r -> inputs(normal(r, 3, 2, 2, 3, 2),
                        uniform(r, 0.5f, 1.5f, 3), normal(r, 3)),
                        in -> Functional.batchNorm(in[0].transpose(0, 1), null, null, in[1], in[2], true, 0.1f, EPS)),
                check("train, output squared (a non-uniform upstream gradient)",
                        r -> inputs(normal(r, 4, 2, 3), uniform(r, 0.5f, 1.5f, 2), normal(r, 2)),
                        in -> {
                            Tensor y = Functional.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, EPS);
                            return y.mul(y);
                        }));
    }

    @TestFactory
    Stream<DynamicTest> batchNormEvaluation() {
        return Stream.of(
                check("eval 5-d, affine", r -> inputs(normal(r, 2, 3, 2, 3, 2), uniform(r, 0.5f, 1.5f, 3),
                        normal(r, 3), runningMean(r, 3), runningVar(r, 3)),
                        in -> Functional.batchNorm(in[0], in[3], in[4], in[1], in[2], false, 0.1f, EPS)),
                check("eval 2-d, no affine", r -> inputs(normal(r, 4, 3), runningMean(r, 3), runningVar(r, 3)),
                        in -> Functional.batchNorm(in[0], in[1], in[2], null, null, false, 0.1f, EPS)),
                check("eval non-contiguous input", r -> inputs(normal(r, 3, 2, 2, 2, 3), uniform(r, 0.5f, 1.5f, 3),
                        normal(r, 3), runningMean(r, 3), runningVar(r, 3)),
                        in -> Functional.batchNorm(in[0].transpose(0, 1), in[3], in[4], in[1], in[2], false, 0.1f, EPS)));
    }

    // ---- pooling ---------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> maxPool() {
        return Stream.of(
                check("max-pool Slow-R50 stem 1x3x3 / 1x2x2 pad 0x1x1", r -> inputs(distinct(r, 1, 2, 2, 5, 6)),
                        in -> Functional.maxPool3d(in[0], t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false)),
                check("max-pool ceil_mode, padding on all axes", r -> inputs(distinct(r, 1, 2, 3, 5, 4)),
                        in -> Functional.maxPool3d(in[0], t3(2, 3, 3), t3(2, 2, 2), t3(1, 1, 1), true)),
                check("max-pool 2x3x3 / 1x2x2 ceil_mode", r -> inputs(distinct(r, 2, 1, 3, 5, 5)),
                        in -> Functional.maxPool3d(in[0], t3(2, 3, 3), t3(1, 2, 2), t3(0, 0, 0), true)),
                check("max-pool overlapping windows, non-contiguous input", r -> inputs(distinct(r, 2, 1, 3, 4, 5)),
                        in -> Functional.maxPool3d(in[0].permute(1, 0, 2, 4, 3), t3(2, 2, 3), t3(1, 1, 1),
                                t3(1, 1, 1), false)));
    }

    @TestFactory
    Stream<DynamicTest> avgPool() {
        return Stream.of(
                check("avg-pool count_include_pad", r -> inputs(normal(r, 1, 2, 4, 5, 4)),
                        in -> Functional.avgPool3d(in[0], t3(3, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false, true)),
                check("avg-pool exclude pad", r -> inputs(normal(r, 1, 2, 4, 5, 4)),
                        in -> Functional.avgPool3d(in[0], t3(3, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false, false)),
                check("avg-pool ceil_mode count_include_pad", r -> inputs(normal(r, 1, 2, 5, 6, 7)),
                        in -> Functional.avgPool3d(in[0], t3(2, 3, 3), t3(2, 2, 2), t3(0, 1, 1), true, true)),
                check("avg-pool ceil_mode exclude pad", r -> inputs(normal(r, 1, 2, 5, 6, 7)),
                        in -> Functional.avgPool3d(in[0], t3(2, 3, 3), t3(2, 2, 2), t3(0, 1, 1), true, false)),
                check("avg-pool non-contiguous input", r -> inputs(normal(r, 2, 2, 3, 4, 5)),
                        in -> Functional.avgPool3d(in[0].permute(1, 0, 2, 4, 3), t3(2, 2, 2), t3(1, 2, 1),
                                t3(1, 1, 0), false, true)));
    }

    @TestFactory
    Stream<DynamicTest> adaptiveAvgPool() {
        return Stream.of(
                check("adaptive avg-pool to 1x1x1", r -> inputs(normal(r, 2, 3, 2, 3, 4)),
                        in -> Functional.adaptiveAvgPool3d(in[0], 1, 1, 1)),
                check("adaptive avg-pool 5x7x9 -> 2x3x4", r -> inputs(normal(r, 1, 1, 5, 7, 9)),
                        in -> Functional.adaptiveAvgPool3d(in[0], 2, 3, 4)),
                check("adaptive avg-pool 3x4x5 -> 4x6x7 (overlapping)", r -> inputs(normal(r, 1, 2, 3, 4, 5)),
                        in -> Functional.adaptiveAvgPool3d(in[0], 4, 6, 7)),
                check("adaptive avg-pool non-contiguous input", r -> inputs(normal(r, 2, 2, 4, 3, 5)),
                        in -> Functional.adaptiveAvgPool3d(in[0].transpose(0, 1), 3, 2, 2)));
    }

    // ---- large inputs: the kernels' parallel paths -----------------------------------------

    @Test
    void poolingSplitOverThreadsMatchesPoolingPlaneByPlane() {
        int n = 4, c = 8;
        Tensor x = Tensor.randn(new Rng(21), 0f, 1f, n, c, 4, 24, 24);
        List<UnaryOperator<Tensor>> ops = List.of(
                t -> Functional.maxPool3d(t, t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false),
                t -> Functional.avgPool3d(t, t3(2, 3, 3), t3(1, 2, 2), t3(1, 1, 1), true, false),
                t -> Functional.adaptiveAvgPool3d(t, 3, 5, 7));
        for (int k = 0; k < ops.size(); k++) {
            UnaryOperator<Tensor> op = ops.get(k);
            Tensor leaf = Tensor.of(x.toFloatArray(), x.shape()).requiresGrad(true);
            Tensor y = op.apply(leaf);
            Tensor gout = Tensor.randn(new Rng(22 + k), 0f, 1f, y.shape());
            y.backward(gout);
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    String where = "op " + k + " plane (" + b + ", " + ch + ")";
                    Tensor plane = x.narrow(0, b, 1).narrow(1, ch, 1); // a strided view with an offset
                    Tensor planeLeaf = Tensor.of(plane.toFloatArray(), plane.shape()).requiresGrad(true);
                    Tensor py = op.apply(planeLeaf);
                    assertArrayEquals(y.narrow(0, b, 1).narrow(1, ch, 1).toFloatArray(), py.toFloatArray(), where);
                    assertArrayEquals(op.apply(plane).toFloatArray(), py.toFloatArray(), where + " (view)");
                    py.backward(gout.narrow(0, b, 1).narrow(1, ch, 1));
                    assertArrayEquals(leaf.grad().narrow(0, b, 1).narrow(1, ch, 1).toFloatArray(),
                            planeLeaf.grad().toFloatArray(), where + " gradient");
                }
            }
        }
    }

    @Test
    void batchNormOnALargeBatchMatchesTheComposedFormula() {
        int[] shape = {8, 16, 4, 16, 16};
        int[] dims = {0, 2, 3, 4}, perChannel = {1, 16, 1, 1, 1};
        Tensor data = Tensor.randn(new Rng(31), 0.5f, 2f, shape);
        Tensor w = Tensor.rand(new Rng(32), 0.5f, 1.5f, 16), b = Tensor.randn(new Rng(33), 0f, 1f, 16);
        Tensor gout = Tensor.randn(new Rng(34), 0f, 1f, shape);

        Tensor[] fast = {leafOf(data), leafOf(w), leafOf(b)};
        Tensor y = Functional.batchNorm(fast[0], null, null, fast[1], fast[2], true, 0.1f, EPS);
        y.backward(gout);

        Tensor[] ref = {leafOf(data), leafOf(w), leafOf(b)};
        Tensor mean = ref[0].mean(dims, true), var = ref[0].var(dims, 0, true);
        Tensor yRef = ref[0].sub(mean).mul(var.add(EPS).rsqrt()).mul(ref[1].reshape(perChannel))
                .add(ref[2].reshape(perChannel));
        yRef.backward(gout);

        FloatAsserts.assertClose("batch-norm output", yRef.toFloatArray(), y.toFloatArray(), 1e-5);
        String[] names = {"input", "weight", "bias"};
        for (int k = 0; k < 3; k++) {
            FloatAsserts.assertClose("batch-norm " + names[k] + " gradient", ref[k].grad().toFloatArray(),
                    fast[k].grad().toFloatArray(), 1e-4);
        }
    }

    private static Tensor leafOf(Tensor t) {
        return Tensor.of(t.toFloatArray(), t.shape()).requiresGrad(true);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static DynamicTest check(String name, Function<Rng, Input[]> inputs, Fn f) {
        return DynamicTest.dynamicTest(name, () -> {
            Input[] in = inputs.apply(new Rng(name.hashCode()));
            GradCheck.Report report = GradCheck.check(f, in);
            if (!report.ok()) throw new AssertionError(name + ": " + report.describe());
        });
    }

    private static Input[] inputs(Input... in) {
        return in;
    }

    private static int[] t3(int t, int h, int w) {
        return new int[] {t, h, w};
    }

    private static Input normal(Rng rng, int... shape) {
        return Input.grad(Tensor.randn(rng, 0f, 1f, shape));
    }

    private static Input uniform(Rng rng, float lo, float hi, int... shape) {
        return Input.grad(Tensor.rand(rng, lo, hi, shape));
    }

    private static Input runningMean(Rng rng, int channels) {
        return Input.constant(Tensor.randn(rng, 0f, 0.5f, channels));
    }

    private static Input runningVar(Rng rng, int channels) {
        return Input.constant(Tensor.rand(rng, 0.5f, 2f, channels));
    }

    /**
     * A 5-d input whose every (T, H, W) plane holds a shuffled grid of distinct values in
     * [-1, 1], spaced 2 / volume apart (volume <= 80, so farther apart than twice the step).
     */
    private static Input distinct(Rng rng, int... shape) {
        int volume = shape[2] * shape[3] * shape[4], planes = shape[0] * shape[1];
        if (volume > 80) throw new IllegalArgumentException("plane too large for a tie-free grid: " + volume);
        float[] d = new float[planes * volume];
        for (int p = 0; p < planes; p++) {
            int base = p * volume;
            for (int i = 0; i < volume; i++) d[base + i] = -1f + 2f * (i + 0.5f) / volume;
            for (int i = volume - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                float t = d[base + i];
                d[base + i] = d[base + j];
                d[base + j] = t;
            }
        }
        return Input.grad(d, shape);
    }
}
