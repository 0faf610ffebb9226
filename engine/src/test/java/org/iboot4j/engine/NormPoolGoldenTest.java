package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.iboot4j.engine.backend.PoolGeometry;
import org.iboot4j.engine.testing.FloatAsserts;
import org.iboot4j.engine.testing.GoldenCases;
import org.iboot4j.engine.testing.SafetensorsFixture;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Batch-norm (training and evaluation) and the 3-d poolings, forward and backward, against
 * PyTorch: test-data/golden/norm_pool.safetensors, made by
 * test-data/scripts/make_norm_pool_golden.py (see test-data/README.md).
 *
 * <p>Each case here has the name and the function of a case in the script. Per case the fixture
 * holds the leaves {@code NAME.in0, ...}, state tensors {@code NAME.state.KEY} (batch-norm's
 * running statistics) and their values after the call {@code NAME.after.KEY}, the output
 * {@code NAME.out}, further results {@code NAME.extra.KEY} (max-pool's indices), the upstream
 * gradient {@code NAME.gout} and each leaf's gradient {@code NAME.grad0, ...}. The test rebuilds
 * leaves (with requiresGrad) and state, runs the function, and compares the output, the extras
 * (exactly), the state after the call, and, after back-propagating {@code gout}, every gradient.
 * The upstream gradient is handed to backward as a non-contiguous tensor (its dimensions stored
 * in reverse order), so the backward kernels see a strided gradOut.
 *
 * <p>Tolerance: {@code max|ours - torch| / max|torch| <= 1e-5} for every float tensor; int64
 * indices must match exactly. A case in the fixture that is missing here, or the other way
 * round, fails {@code caseListsMatch}.
 */
class NormPoolGoldenTest {

    private static final String FIXTURE = "norm_pool.safetensors";
    private static final double RTOL = 1e-5;
    private static final float EPS = 1e-5f;
    private static final int END = Integer.MAX_VALUE;

    /** What a case sees besides its leaves: state tensors in, extra results out. */
    private static final class Context {
        private final Map<String, Tensor> state;
        private final Map<String, Tensor> extras = new TreeMap<>();

        Context(Map<String, Tensor> state) {
            this.state = state;
        }

        /** The state tensor {@code key}, or null when the case has none. */
        Tensor state(String key) {
            return state.get(key);
        }

        void extra(String key, Tensor t) {
            extras.put(key, t);
        }
    }

    @FunctionalInterface
    private interface Case {
        Tensor apply(Tensor[] x, Context ctx);
    }

    private static final Map<String, Case> CASES = new LinkedHashMap<>();

    private static void add(String name, Case fn) {
        if (CASES.put(name, fn) != null) throw new IllegalStateException("duplicate case " + name);
    }

    private static int[] t3(int t, int h, int w) {
        return new int[] {t, h, w};
    }

    private static final UnaryOperator<Tensor> SAME = x -> x;

    private static Case bnTrain(float momentum, boolean affine, UnaryOperator<Tensor> view,
            UnaryOperator<Tensor> weightView) {
        return (x, ctx) -> Functional.batchNorm(view.apply(x[0]), ctx.state("running_mean"),
                ctx.state("running_var"), affine ? weightView.apply(x[1]) : null, affine ? x[2] : null,
                true, momentum, EPS);
    }

    private static Case bnTrain(float momentum) {
        return bnTrain(momentum, true, SAME, SAME);
    }

    private static Case bnEval(boolean affine, UnaryOperator<Tensor> view) {
        return (x, ctx) -> Functional.batchNorm(view.apply(x[0]), ctx.state("running_mean"),
                ctx.state("running_var"), affine ? x[1] : null, affine ? x[2] : null, false, 0.1f, EPS);
    }

    /** F.max_pool3d, and its indices straight from the backend primitive. */
    private static Case maxPool(int[] kernel, int[] stride, int[] padding, boolean ceil, UnaryOperator<Tensor> view) {
        return (x, ctx) -> {
            Tensor in = view.apply(x[0]);
            PoolGeometry g = new PoolGeometry(kernel, stride, padding, ceil);
            int[] shape = g.outputShape(in.shape());
            Tensor values = Tensor.empty(in.backend(), DType.F32, shape);
            Tensor indices = Tensor.empty(in.backend(), DType.I64, shape);
            in.backend().maxPool3d(in, g, values, indices);
            ctx.extra("indices", indices);
            Tensor out = Functional.maxPool3d(in, kernel, stride, padding, ceil);
            FloatAsserts.assertClose("primitive vs op", values.toFloatArray(), out.toFloatArray(), 0);
            return out;
        };
    }

    private static Case maxPool(int[] kernel, int[] stride, int[] padding, boolean ceil) {
        return maxPool(kernel, stride, padding, ceil, SAME);
    }

    private static Case avgPool(int[] kernel, int[] stride, int[] padding, boolean ceil, boolean includePad,
            UnaryOperator<Tensor> view) {
        return (x, ctx) -> Functional.avgPool3d(view.apply(x[0]), kernel, stride, padding, ceil, includePad);
    }

    private static Case avgPool(int[] kernel, int[] stride, int[] padding, boolean ceil, boolean includePad) {
        return avgPool(kernel, stride, padding, ceil, includePad, SAME);
    }

    private static Case adaptive(int t, int h, int w, UnaryOperator<Tensor> view) {
        return (x, ctx) -> Functional.adaptiveAvgPool3d(view.apply(x[0]), t, h, w);
    }

    static {
        // ---- batch-norm, training ----
        add("bn_train_5d", bnTrain(0.1f));
        add("bn_train_5d_momentum", bnTrain(0.35f));
        add("bn_train_3d", bnTrain(0.1f));
        add("bn_train_2d", bnTrain(0.1f));
        add("bn_train_2d_momentum", bnTrain(0.6f));
        add("bn_train_no_affine_5d", bnTrain(0.1f, false, SAME, SAME));
        add("bn_train_no_affine_3d", bnTrain(0.25f, false, SAME, SAME));
        add("bn_train_no_running", bnTrain(0.1f));
        add("bn_train_large_mean", bnTrain(0.1f));
        add("bn_train_noncontig", bnTrain(0.1f, true, x -> x.transpose(0, 1), SAME));
        add("bn_train_permuted", bnTrain(0.2f, true, x -> x.permute(0, 2, 1, 4, 3), SAME));
        add("bn_train_strided_weight", bnTrain(0.1f, true, SAME, w -> w.slice(0, 0, END, 2)));

        // ---- batch-norm, evaluation ----
        add("bn_eval_5d", bnEval(true, SAME));
        add("bn_eval_3d", bnEval(true, SAME));
        add("bn_eval_2d", bnEval(true, SAME));
        add("bn_eval_no_affine_5d", bnEval(false, SAME));
        add("bn_eval_noncontig", bnEval(true, x -> x.transpose(0, 1)));

        // ---- max-pool ----
        add("maxpool_stem", maxPool(t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false));
        add("maxpool_stem_odd", maxPool(t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false));
        add("maxpool_ceil", maxPool(t3(2, 3, 3), t3(1, 2, 2), t3(0, 0, 0), true));
        add("maxpool_ceil_padded", maxPool(t3(2, 3, 3), t3(2, 2, 2), t3(1, 1, 1), true));
        add("maxpool_pad_all", maxPool(t3(3, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false));
        add("maxpool_overlap", maxPool(t3(2, 3, 3), t3(1, 1, 1), t3(1, 1, 0), false));
        add("maxpool_ties", maxPool(t3(2, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false));
        add("maxpool_specials", maxPool(t3(2, 2, 3), t3(1, 2, 2), t3(1, 1, 1), false));
        // rows wider than a vector: the vectorised column pass of MaxPoolColumns and its tail
        add("maxpool_wide_ties", maxPool(t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false));
        add("maxpool_wide_specials", maxPool(t3(2, 2, 3), t3(1, 2, 2), t3(1, 1, 1), false));
        add("maxpool_wide_overlap", maxPool(t3(2, 3, 3), t3(1, 1, 1), t3(1, 1, 0), false));
        add("maxpool_noncontig", maxPool(t3(1, 3, 3), t3(1, 2, 2), t3(0, 1, 1), false,
                x -> x.permute(1, 0, 2, 4, 3)));

        // ---- average pool ----
        add("avgpool_include_pad", avgPool(t3(3, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false, true));
        add("avgpool_exclude_pad", avgPool(t3(3, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false, false));
        add("avgpool_ceil_include_pad", avgPool(t3(2, 3, 3), t3(2, 2, 2), t3(0, 1, 1), true, true));
        add("avgpool_ceil_exclude_pad", avgPool(t3(2, 3, 3), t3(2, 2, 2), t3(0, 1, 1), true, false));
        add("avgpool_ceil_no_pad", avgPool(t3(2, 3, 3), t3(1, 2, 2), t3(0, 0, 0), true, true));
        add("avgpool_overlap", avgPool(t3(2, 3, 2), t3(1, 1, 1), t3(1, 1, 1), false, true));
        add("avgpool_head", avgPool(t3(4, 7, 7), t3(1, 1, 1), t3(0, 0, 0), false, true));
        add("avgpool_noncontig", avgPool(t3(2, 3, 3), t3(2, 2, 2), t3(1, 1, 1), false, false,
                x -> x.permute(1, 0, 2, 4, 3)));

        // ---- adaptive average pool ----
        add("adaptive_global", adaptive(1, 1, 1, SAME));
        add("adaptive_uneven", adaptive(2, 3, 4, SAME));
        add("adaptive_identity", adaptive(2, 3, 4, SAME));
        add("adaptive_upsample", adaptive(4, 6, 7, SAME));
        add("adaptive_noncontig", adaptive(3, 2, 4, x -> x.transpose(0, 1)));
    }

    private static SafetensorsFixture golden;

    private static synchronized SafetensorsFixture golden() {
        if (golden == null) golden = SafetensorsFixture.golden(FIXTURE);
        return golden;
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        SafetensorsFixture f = golden();
        return GoldenCases.tests(f, "make_norm_pool_golden.py", CASES, (name, c) -> check(f, name, c));
    }

    private static void check(SafetensorsFixture f, String name, Case fn) {
        String prefix = name + ".";
        int n = 0;
        while (f.has(prefix + "in" + n)) n++;
        assertTrue(n > 0, name + ": no inputs in the fixture");
        Tensor[] leaves = new Tensor[n];
        for (int k = 0; k < n; k++) leaves[k] = load(f, prefix + "in" + k).requiresGrad(true);
        Map<String, Tensor> state = new TreeMap<>();
        Set<String> extraKeys = new TreeSet<>();
        for (String key : f.names()) {
            if (key.startsWith(prefix + "state.")) state.put(key.substring((prefix + "state.").length()), load(f, key));
            if (key.startsWith(prefix + "extra.")) extraKeys.add(key.substring((prefix + "extra.").length()));
        }

        // the fixture holds exactly the entries this test reads
        Set<String> expected = new TreeSet<>(List.of(prefix + "out", prefix + "gout"));
        for (int k = 0; k < n; k++) {
            expected.add(prefix + "in" + k);
            expected.add(prefix + "grad" + k);
        }
        for (String key : state.keySet()) {
            expected.add(prefix + "state." + key);
            expected.add(prefix + "after." + key);
        }
        for (String key : extraKeys) expected.add(prefix + "extra." + key);
        Set<String> actual = new TreeSet<>();
        for (String t : f.names()) if (t.startsWith(prefix)) actual.add(t);
        assertEquals(expected, actual, name + ": unexpected fixture entries");

        Context ctx = new Context(state);
        Tensor out = fn.apply(leaves.clone(), ctx);
        assertNotNull(out, name + ": the case returned null");
        assertArrayEquals(f.shape(prefix + "out"), out.shape(), name + ": output shape");
        assertEquals(DType.F32, out.dtype(), name + ": output dtype");
        FloatAsserts.assertClose(prefix + "out", f.floats(prefix + "out"), out.toFloatArray(), RTOL);

        assertEquals(extraKeys, ctx.extras.keySet(), name + ": extra results");
        for (String key : extraKeys) {
            Tensor t = ctx.extras.get(key);
            String k = prefix + "extra." + key;
            assertArrayEquals(f.shape(k), t.shape(), k + ": shape");
            assertEquals("I64", f.dtype(k), k);
            assertArrayEquals(f.longs(k), t.toLongArray(), k);
        }
        for (Map.Entry<String, Tensor> s : state.entrySet()) {
            String k = prefix + "after." + s.getKey();
            FloatAsserts.assertClose(k, f.floats(k), s.getValue().toFloatArray(), RTOL);
        }

        out.backward(reversedLayout(f.floats(prefix + "gout"), f.shape(prefix + "gout")));
        for (int k = 0; k < n; k++) {
            String key = prefix + "grad" + k;
            Tensor grad = leaves[k].grad();
            assertNotNull(grad, key + ": torch has a gradient, the engine none");
            assertArrayEquals(f.shape(key), grad.shape(), key + ": gradient shape");
            FloatAsserts.assertClose(key, f.floats(key), grad.toFloatArray(), RTOL);
        }
    }

    /** The values of a row-major tensor, stored with its dimensions in reverse order (a strided view). */
    private static Tensor reversedLayout(float[] data, int[] shape) {
        int[] reverse = new int[shape.length];
        for (int d = 0; d < shape.length; d++) reverse[d] = shape.length - 1 - d;
        return Tensor.of(data, shape).permute(reverse).contiguous().permute(reverse);
    }

    private static Tensor load(SafetensorsFixture f, String key) {
        return switch (f.dtype(key)) {
            case "F32" -> Tensor.of(f.floats(key), f.shape(key));
            case "I64" -> Tensor.ofLongs(f.longs(key), f.shape(key));
            default -> throw new IllegalArgumentException(key + ": unexpected dtype " + f.dtype(key));
        };
    }
}
