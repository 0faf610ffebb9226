package org.iboot4j.engine;

import static org.iboot4j.engine.testing.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.iboot4j.engine.testing.SafetensorsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused bias + activation ({@link Functional#biasActivation}): the same bits as the unfused
 * add-then-activation on the CPU (tolerance 0: forward, dx and dbias, over shapes that split into
 * several parallel chunks, cut rows mid-way and leave scalar tails, and with NaN, infinities and
 * signed zeros in the input), against PyTorch (make_bias_act_golden.py, 1e-5 relative), and the
 * gradient checker.
 */
class BiasActivationTest {
    private static final SafetensorsFixture FIXTURE = SafetensorsFixture.golden("bias_act.safetensors");

    private static UnaryOperator<Tensor> unfused(FusedActivation act) {
        return switch (act) {
            case IDENTITY -> t -> t;
            case RELU -> Tensor::relu;
            case GELU -> Tensor::gelu;
            case QUICK_GELU -> Tensor::quickGelu;
        };
    }

    /** Values of magnitude up to ~10 (GELU's tails), a few special values among them. */
    private static float[] values(long seed, int n) {
        float[] d = new float[n];
        new Rng(seed).fillNormal(d, 0, 3);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 40f, -40f};
        for (int i = 0; i < special.length && i * 7919 < n; i++) d[i * 7919] = special[i];
        return d;
    }

    private record Result(float[] out, float[] gradX, float[] gradBias) {}

    private static Result run(FusedActivation act, int[] shape, boolean fused, boolean transposedX) {
        int width = shape[shape.length - 1], n = 1;
        for (int s : shape) n *= s;
        Tensor x;
        if (transposedX) { // a (width, rows) leaf seen as (rows, width): not contiguous
            x = Tensor.of(values(1, n), width, n / width).requiresGrad(true);
        } else {
            x = Tensor.of(values(1, n), shape).requiresGrad(true);
        }
        Tensor bias = Tensor.of(values(2, width), width).requiresGrad(true);
        Tensor input = transposedX ? x.transpose(0, 1) : x;
        Tensor out = fused ? Functional.biasActivation(input, bias, act) : unfused(act).apply(input.add(bias));
        float[] g = new float[out.numel()];
        new Rng(3).fillNormal(g, 0, 1);
        out.backward(Tensor.of(g, out.shape()));
        return new Result(out.toFloatArray(), x.grad().toFloatArray(), bias.grad().toFloatArray());
    }

    @ParameterizedTest
    @EnumSource(FusedActivation.class)
    void sameBitsAsAddThenActivation(FusedActivation act) {
        int[][] shapes = {{3, 37}, {2, 197, 768}, {5, 1000, 13}, {7}};
        for (int[] shape : shapes) {
            Result want = run(act, shape, false, false), got = run(act, shape, true, false);
            String what = act + " " + java.util.Arrays.toString(shape);
            assertArrayEquals(want.out, got.out, what + " out");
            assertArrayEquals(want.gradX, got.gradX, what + " gradX");
            assertArrayEquals(want.gradBias, got.gradBias, what + " gradBias");
        }
        Result want = run(act, new int[] {300, 129}, false, true), got = run(act, new int[] {300, 129}, true, true);
        assertArrayEquals(want.out, got.out, act + " transposed x: out");
        assertArrayEquals(want.gradX, got.gradX, act + " transposed x: gradX");
        assertArrayEquals(want.gradBias, got.gradBias, act + " transposed x: gradBias");
    }

    @ParameterizedTest
    @EnumSource(FusedActivation.class)
    void matchesPyTorch(FusedActivation act) {
        for (String name : new String[] {"rows", "batched", "vector", "wide"}) {
            String key = name + "." + act.name().toLowerCase(java.util.Locale.ROOT);
            Tensor x = Tensor.of(FIXTURE.floats(name + ".x"), FIXTURE.shape(name + ".x")).requiresGrad(true);
            Tensor bias = Tensor.of(FIXTURE.floats(name + ".bias"), FIXTURE.shape(name + ".bias")).requiresGrad(true);
            Tensor out = Functional.biasActivation(x, bias, act);
            assertClose(key + ".out", FIXTURE.floats(key + ".out"), out.toFloatArray(), 1e-5);
            out.backward(Tensor.of(FIXTURE.floats(name + ".gout"), FIXTURE.shape(name + ".gout")));
            assertClose(key + ".grad_x", FIXTURE.floats(key + ".grad_x"), x.grad().toFloatArray(), 1e-5);
            assertClose(key + ".grad_bias", FIXTURE.floats(key + ".grad_bias"), bias.grad().toFloatArray(), 1e-5);
        }
    }

    @ParameterizedTest
    @EnumSource(FusedActivation.class)
    void gradientsAgreeWithFiniteDifferences(FusedActivation act) {
        // |x + b| >= 0.25, far more than the checker's 2h from ReLU's kink at 0
        float[] x = new float[3 * 2 * 4];
        float[] r = new float[x.length];
        new Rng(11).fillUniform(r, 0.3f, 2f);
        for (int i = 0; i < x.length; i++) x[i] = i % 3 == 0 ? -r[i] : r[i];
        float[] bias = {0.05f, -0.04f, 0.02f, -0.01f};
        GradCheck.assertGradients(in -> Functional.biasActivation(in[0], in[1], act),
                Input.grad(x, 3, 2, 4), Input.grad(bias, 4));
    }

    @Test
    void onlyTheTensorsThatNeedAGradientGetOne() {
        Tensor x = Tensor.of(values(4, 12), 3, 4), bias = Tensor.of(values(5, 4), 4).requiresGrad(true);
        Functional.biasActivation(x, bias, FusedActivation.GELU).sum().backward();
        assertTrue(x.grad() == null, "x does not require grad");
        Tensor x2 = Tensor.of(values(4, 12), 3, 4).requiresGrad(true), frozen = Tensor.of(values(5, 4), 4);
        Functional.biasActivation(x2, frozen, FusedActivation.QUICK_GELU).sum().backward();
        assertTrue(frozen.grad() == null && x2.grad() != null, "only x gets a gradient");
    }

    @Test
    void aBiasThatDoesNotFitTheLastDimensionIsNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.biasActivation(Tensor.zeros(2, 5), Tensor.zeros(4), FusedActivation.RELU));
        assertTrue(e.getMessage().contains("bias_relu") && e.getMessage().contains("[2, 5]")
                && e.getMessage().contains("[4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Functional.biasActivation(Tensor.zeros(2, 5), Tensor.zeros(1, 5), FusedActivation.GELU));
    }
}
