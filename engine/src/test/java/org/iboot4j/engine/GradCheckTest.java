package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Fn;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every differentiable op's backward against central finite differences ({@link GradCheck}).
 *
 * <p>One dynamic test per op case. Inputs come from the engine's Philox {@link Rng}, seeded by
 * the case's name, so each case is reproducible on its own. Cases cover broadcasting, size-1
 * dimensions and non-contiguous operands (transposed, permuted, stepped views made inside the
 * checked function, so their backward is checked too). Ops with kinks (relu, abs, clamp,
 * maximum/minimum, max/min reductions) get inputs kept well away from the kink and from ties,
 * farther than the checker's step: the derivative there is a convention, not a limit.
 * {@link #upstreamLayouts()} also feeds each op's backward upstream gradients that are
 * transposed, stride-0 broadcast or offset views. The first tests check the checker itself.
 */
class GradCheckTest {

    // ---- the checker itself: it must be able to fail --------------------------------------

    @Test
    void checkerRejectsAGradientThatMissesATerm() {
        // x * detach(x): the value is x^2, but autograd sees only one factor, so analytic = x
        // while the true derivative is 2x. Every element must be reported.
        Rng rng = new Rng(1);
        Input x = away(rng, 0.3f, 2, 3);
        GradCheck.Report report = GradCheck.check(in -> in[0].mul(in[0].detach()), x);
        assertFalse(report.ok());
        assertEquals(6, report.mismatches().size(), report.describe());
        GradCheck.Mismatch m = report.mismatches().get(4);
        assertEquals(0, m.input());
        assertEquals(4, m.element());
        assertEquals(2.0, m.numeric() / m.analytic(), 1e-3, m.toString()); // 2 x w_i vs x w_i
        String text = report.describe();
        assertTrue(text.contains("input 0 element 4 [1, 1]") && text.contains("numeric")
                && text.contains("analytic"), text);
        AssertionError e = assertThrows(AssertionError.class, report::assertOk);
        assertTrue(e.getMessage().contains("6 of 6 elements disagree"), e.getMessage());
    }

    @Test
    void checkerRejectsAWrongSignAndNamesTheInput() {
        // a * b + (2 detach(b) - b): the gradient wrt b is a - 1 instead of a + 1 in autograd's view.
        Rng rng = new Rng(2);
        GradCheck.Report report = GradCheck.check(
                in -> in[0].mul(in[1]).add(in[1].detach().mul(2).sub(in[1])),
                normal(rng, 3), normal(rng, 3));
        assertFalse(report.ok());
        assertTrue(report.mismatches().stream().allMatch(m -> m.input() == 1), report.describe());
        assertEquals(3, report.mismatches().size(), report.describe());
    }

    @Test
    void checkerRejectsAFewPercentErrorAtAnyScale() {
        // Analytic gradient 1.03 where the true one is 1: rtol is 1e-2, so this must fail ...
        Rng rng = new Rng(3);
        Input x = normal(rng, 4, 5);
        GradCheck.Report off = GradCheck.check(in -> in[0].mul(1.03f).sub(in[0].detach().mul(0.03f)), x);
        assertEquals(20, off.mismatches().size(), off.describe());
        // ... and a tiny gradient is held to the same relative standard (atol is scaled).
        GradCheck.Report tiny = GradCheck.check(in -> in[0].mul(2e-4f).sub(in[0].detach().mul(1e-4f)), x);
        assertEquals(20, tiny.mismatches().size(), tiny.describe());
        // A correct gradient passes with a clear margin.
        GradCheck.Report right = GradCheck.check(in -> in[0].mul(in[0]).mul(1e-4f), x);
        assertTrue(right.ok(), right.describe());
        assertTrue(right.worstRatio() < 0.5, "worst ratio " + right.worstRatio());
    }

    @Test
    void checkerTreatsAnUnreachedInputAsZeroGradient() {
        // b takes part only through detach: its analytic gradient is missing (zero), numeric a.
        Rng rng = new Rng(4);
        GradCheck.Report report = GradCheck.check(in -> in[0].mul(in[1].detach()),
                away(rng, 0.3f, 3), normal(rng, 3));
        assertEquals(3, report.mismatches().size(), report.describe());
        assertTrue(report.mismatches().stream().allMatch(m -> m.input() == 1 && m.analytic() == 0));
        assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in[0].exp(), Input.constant(new float[] {1, 2}, 2)));
    }

    @Test
    void checkerReportsNonFiniteValues() {
        GradCheck.Report atInput = GradCheck.check(in -> in[0].log(), Input.grad(new float[] {-1f, 2f}, 2));
        assertFalse(atInput.ok());
        assertTrue(atInput.describe().contains("output element 0 is NaN"), atInput.describe());
        // sqrt at 0.005: the step down (h = 0.01) leaves the domain.
        GradCheck.Report stepped = GradCheck.check(in -> in[0].sqrt(), Input.grad(new float[] {1f, 0.005f}, 2));
        assertFalse(stepped.ok());
        assertTrue(stepped.describe().contains("input 0 element 1"), stepped.describe());
    }

    // ---- pointwise binary -----------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> add() {
        return binaryCases("add", Tensor::add, GradCheckTest::normal, GradCheckTest::normal);
    }

    @TestFactory
    Stream<DynamicTest> sub() {
        return binaryCases("sub", Tensor::sub, GradCheckTest::normal, GradCheckTest::normal);
    }

    @TestFactory
    Stream<DynamicTest> mul() {
        return binaryCases("mul", Tensor::mul, GradCheckTest::normal, GradCheckTest::normal);
    }

    @TestFactory
    Stream<DynamicTest> div() {
        return binaryCases("div", Tensor::div, GradCheckTest::normal, (r, s) -> signed(r, 0.5f, 2f, s));
    }

    @TestFactory
    Stream<DynamicTest> pow() {
        List<DynamicTest> cases = new ArrayList<>(
                binaryCases("pow", Tensor::pow, (r, s) -> uniform(r, 0.5f, 2f, s),
                        (r, s) -> uniform(r, -2f, 2.5f, s)).toList());
        for (float p : new float[] {2f, 3f, 0.5f, -1.5f, 1f, 0f}) {
            cases.add(check("pow scalar " + p, r -> inputs(uniform(r, 0.5f, 2f, 3, 4)), in -> in[0].pow(p)));
        }
        for (float p : new float[] {2f, 3f, -2f}) {
            cases.add(check("pow scalar " + p + " negative base", r -> inputs(away(r, 0.2f, 3, 4)),
                    in -> in[0].pow(p)));
        }
        cases.add(check("pow constant exponent", r -> inputs(uniform(r, 0.5f, 2f, 3, 4),
                constant(uniform(r, -2f, 2f, 4))), in -> in[0].pow(in[1])));
        cases.add(check("pow constant base", r -> inputs(constant(uniform(r, 0.5f, 2f, 3, 1)),
                uniform(r, -2f, 2f, 4)), in -> in[0].pow(in[1])));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> maximum() {
        return extremumCases("maximum", Tensor::maximum);
    }

    @TestFactory
    Stream<DynamicTest> minimum() {
        return extremumCases("minimum", Tensor::minimum);
    }

    /** a and b on interleaved grids (a = k/5, b = k/5 + 1/10): never within 0.1 of each other. */
    private static Stream<DynamicTest> extremumCases(String name, java.util.function.BinaryOperator<Tensor> op) {
        return binaryCases(name, op, (r, s) -> grid(r, 0.2f, 0f, s), (r, s) -> grid(r, 0.2f, 0.1f, s));
    }

    private interface Gen {
        Input make(Rng rng, int[] shape);
    }

    /**
     * A binary op on equal shapes, broadcast shapes, size-1 dims, a 0-d operand, non-contiguous
     * operands, a constant operand, a float scalar and the same tensor on both sides.
     */
    private static Stream<DynamicTest> binaryCases(String name, java.util.function.BinaryOperator<Tensor> op,
                                                   Gen ga, Gen gb) {
        List<DynamicTest> cases = new ArrayList<>();
        cases.add(check(name + " same shape", r -> inputs(ga.make(r, s(2, 3)), gb.make(r, s(2, 3))),
                in -> op.apply(in[0], in[1])));
        cases.add(check(name + " broadcast row", r -> inputs(ga.make(r, s(2, 3)), gb.make(r, s(3))),
                in -> op.apply(in[0], in[1])));
        cases.add(check(name + " broadcast both (2,1,4) (3,1)", r -> inputs(ga.make(r, s(2, 1, 4)),
                gb.make(r, s(3, 1))), in -> op.apply(in[0], in[1])));
        cases.add(check(name + " broadcast left operand", r -> inputs(ga.make(r, s(1, 4)),
                gb.make(r, s(3, 4))), in -> op.apply(in[0], in[1])));
        cases.add(check(name + " 0-d operand", r -> inputs(ga.make(r, s(2, 3)), gb.make(r, s())),
                in -> op.apply(in[0], in[1])));
        cases.add(check(name + " 0-d both", r -> inputs(ga.make(r, s()), gb.make(r, s())),
                in -> op.apply(in[0], in[1])));
        cases.add(check(name + " transposed operands", r -> inputs(ga.make(r, s(3, 2)), gb.make(r, s(2, 3))),
                in -> op.apply(in[0].transpose(0, 1), in[1])));
        cases.add(check(name + " stepped slice and expand", r -> inputs(ga.make(r, s(2, 5)), gb.make(r, s(3, 1))),
                in -> op.apply(in[0].slice(1, 0, 5, 2), in[1].transpose(0, 1).expand(2, 3))));
        cases.add(check(name + " constant second operand", r -> inputs(ga.make(r, s(2, 3)),
                constant(gb.make(r, s(3)))), in -> op.apply(in[0], in[1])));
        cases.add(check(name + " constant first operand", r -> inputs(constant(ga.make(r, s(2, 3))),
                gb.make(r, s(2, 1))), in -> op.apply(in[0], in[1])));
        if (!name.equals("maximum") && !name.equals("minimum")) {
            cases.add(check(name + " same tensor twice", r -> inputs(ga.make(r, s(2, 3))),
                    in -> op.apply(in[0], in[0])));
        }
        if (!name.equals("pow") && !name.equals("maximum") && !name.equals("minimum")) {
            cases.add(check(name + " scalar method", r -> inputs(ga.make(r, s(2, 3))), in -> switch (name) {
                case "add" -> in[0].add(-1.25f);
                case "sub" -> in[0].sub(0.5f);
                case "mul" -> in[0].mul(-2.5f);
                default -> in[0].div(0.75f);
            }));
        }
        return cases.stream();
    }

    // ---- pointwise unary ------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> unary() {
        List<DynamicTest> cases = new ArrayList<>();
        unaryCases(cases, "neg", Tensor::neg, GradCheckTest::normal);
        unaryCases(cases, "exp", Tensor::exp, GradCheckTest::normal);
        unaryCases(cases, "log", Tensor::log, (r, s) -> uniform(r, 0.3f, 3f, s));
        unaryCases(cases, "sqrt", Tensor::sqrt, (r, s) -> uniform(r, 0.3f, 3f, s));
        unaryCases(cases, "rsqrt", Tensor::rsqrt, (r, s) -> uniform(r, 0.3f, 3f, s));
        unaryCases(cases, "abs", Tensor::abs, (r, s) -> away(r, 0.1f, s));
        unaryCases(cases, "relu", Tensor::relu, (r, s) -> away(r, 0.1f, s));
        unaryCases(cases, "sigmoid", Tensor::sigmoid, (r, s) -> scaled(normal(r, s), 2f));
        unaryCases(cases, "tanh", Tensor::tanh, (r, s) -> scaled(normal(r, s), 1.5f));
        unaryCases(cases, "gelu", Tensor::gelu, (r, s) -> scaled(normal(r, s), 2f));
        unaryCases(cases, "quickGelu", Tensor::quickGelu, (r, s) -> scaled(normal(r, s), 2f));
        unaryCases(cases, "clamp(-0.5, 0.7)", x -> x.clamp(-0.5f, 0.7f),
                (r, s) -> avoiding(r, s, 0.1f, -0.5f, 0.7f));
        unaryCases(cases, "clamp(min -0.3)", x -> x.clamp(-0.3f, Float.NaN),
                (r, s) -> avoiding(r, s, 0.1f, -0.3f));
        unaryCases(cases, "clamp(max 0.4)", x -> x.clamp(Float.NaN, 0.4f),
                (r, s) -> avoiding(r, s, 0.1f, 0.4f));
        return cases.stream();
    }

    /** Contiguous, 0-d, size-1 dims, transposed, stepped, and a chain with the op twice. */
    private static void unaryCases(List<DynamicTest> cases, String name, Function<Tensor, Tensor> op, Gen gen) {
        cases.add(check(name + " (3,4)", r -> inputs(gen.make(r, s(3, 4))), in -> op.apply(in[0])));
        cases.add(check(name + " 0-d", r -> inputs(gen.make(r, s())), in -> op.apply(in[0])));
        cases.add(check(name + " (2,1,3)", r -> inputs(gen.make(r, s(2, 1, 3))), in -> op.apply(in[0])));
        cases.add(check(name + " transposed", r -> inputs(gen.make(r, s(4, 3))),
                in -> op.apply(in[0].transpose(0, 1))));
        cases.add(check(name + " stepped slice", r -> inputs(gen.make(r, s(3, 7))),
                in -> op.apply(in[0].slice(1, 1, 7, 3))));
        cases.add(check(name + " times input", r -> inputs(gen.make(r, s(2, 3))),
                in -> op.apply(in[0]).mul(in[0])));
    }

    // ---- reductions -----------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> reductions() {
        List<DynamicTest> cases = new ArrayList<>();
        int[][] dimSets = {{}, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}};
        for (int[] dims : dimSets) {
            for (boolean keep : new boolean[] {false, true}) {
                String tag = java.util.Arrays.toString(dims) + (keep ? " keepdim" : "");
                cases.add(check("sum " + tag, r -> inputs(normal(r, 2, 3, 4)), in -> in[0].sum(dims, keep)));
                cases.add(check("mean " + tag, r -> inputs(normal(r, 2, 3, 4)), in -> in[0].mean(dims, keep)));
                cases.add(check("max " + tag, r -> inputs(grid(r, 0.1f, 0.05f, s(2, 3, 4))),
                        in -> in[0].max(dims, keep)));
                cases.add(check("min " + tag, r -> inputs(grid(r, 0.1f, 0.05f, s(2, 3, 4))),
                        in -> in[0].min(dims, keep)));
                for (int correction : new int[] {0, 1}) {
                    cases.add(check("var " + tag + " correction " + correction, r -> inputs(normal(r, 2, 3, 4)),
                            in -> in[0].var(dims, correction, keep)));
                }
            }
        }
        cases.add(check("sum()", r -> inputs(normal(r, 3, 4)), in -> in[0].sum()));
        cases.add(check("sum(dim)", r -> inputs(normal(r, 3, 4)), in -> in[0].sum(-2)));
        cases.add(check("mean()", r -> inputs(normal(r, 3, 4)), in -> in[0].mean()));
        cases.add(check("mean(dim)", r -> inputs(normal(r, 3, 4)), in -> in[0].mean(1)));
        cases.add(check("max()", r -> inputs(grid(r, 0.1f, 0f, s(3, 4))), in -> in[0].max()));
        cases.add(check("var()", r -> inputs(normal(r, 3, 4)), in -> in[0].var()));
        cases.add(check("sum 0-d", r -> inputs(normal(r)), in -> in[0].sum()));
        cases.add(check("sum size-1 dim", r -> inputs(normal(r, 3, 1, 4)), in -> in[0].sum(new int[] {1}, false)));
        cases.add(check("mean size-1 dims keepdim", r -> inputs(normal(r, 1, 3, 1)),
                in -> in[0].mean(new int[] {0, 2}, true)));
        cases.add(check("max size-1 dim", r -> inputs(grid(r, 0.1f, 0f, s(3, 1, 4))),
                in -> in[0].max(new int[] {1, 2}, false)));
        cases.add(check("var size-1 leftover", r -> inputs(normal(r, 3, 1, 4)),
                in -> in[0].var(new int[] {0, 2}, 1, true)));
        cases.add(check("sum permuted", r -> inputs(normal(r, 2, 3, 4)),
                in -> in[0].permute(2, 0, 1).sum(new int[] {1}, false)));
        cases.add(check("mean transposed", r -> inputs(normal(r, 3, 4)), in -> in[0].transpose(0, 1).mean(1)));
        cases.add(check("max stepped", r -> inputs(grid(r, 0.1f, 0f, s(3, 6))),
                in -> in[0].slice(1, 0, 6, 2).max(new int[] {0}, true)));
        cases.add(check("min transposed", r -> inputs(grid(r, 0.1f, 0f, s(3, 4))),
                in -> in[0].transpose(0, 1).min(new int[] {1}, false)));
        cases.add(check("var permuted", r -> inputs(normal(r, 2, 3, 4)),
                in -> in[0].permute(1, 2, 0).var(new int[] {1, 2}, 1, false)));
        cases.add(check("sum expanded", r -> inputs(normal(r, 3, 1)),
                in -> in[0].expand(2, 3, 4).sum(new int[] {0, 2}, false)));
        return cases.stream();
    }

    // ---- matmul ---------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> matmul() {
        Fn mm = in -> in[0].matmul(in[1]);
        return Stream.of(
                check("matmul 1-d 1-d", r -> inputs(normal(r, 4), normal(r, 4)), mm),
                check("matmul 1-d 2-d", r -> inputs(normal(r, 3), normal(r, 3, 4)), mm),
                check("matmul 2-d 1-d", r -> inputs(normal(r, 3, 4), normal(r, 4)), mm),
                check("matmul 2-d 2-d", r -> inputs(normal(r, 3, 4), normal(r, 4, 2)), mm),
                check("matmul 1-d 3-d", r -> inputs(normal(r, 3), normal(r, 2, 3, 4)), mm),
                check("matmul 3-d 1-d", r -> inputs(normal(r, 2, 3, 4), normal(r, 4)), mm),
                check("matmul batched", r -> inputs(normal(r, 2, 3, 4), normal(r, 2, 4, 2)), mm),
                check("matmul batched times 2-d", r -> inputs(normal(r, 2, 3, 4), normal(r, 4, 5)), mm),
                check("matmul 2-d times batched", r -> inputs(normal(r, 3, 4), normal(r, 2, 4, 2)), mm),
                check("matmul broadcast batch (2,1,3,4) (3,4,2)",
                        r -> inputs(normal(r, 2, 1, 3, 4), normal(r, 3, 4, 2)), mm),
                check("matmul size-1 dims (1,4) (4,1)", r -> inputs(normal(r, 1, 4), normal(r, 4, 1)), mm),
                check("matmul transposed left", r -> inputs(normal(r, 4, 3), normal(r, 4, 2)),
                        in -> in[0].transpose(0, 1).matmul(in[1])),
                check("matmul transposed right", r -> inputs(normal(r, 3, 4), normal(r, 2, 4)),
                        in -> in[0].matmul(in[1].transpose(0, 1))),
                check("matmul batched transposed both", r -> inputs(normal(r, 2, 4, 3), normal(r, 2, 2, 4)),
                        in -> in[0].transpose(-1, -2).matmul(in[1].transpose(-1, -2))),
                check("matmul stepped and permuted", r -> inputs(normal(r, 3, 8), normal(r, 4, 2, 3)),
                        in -> in[0].slice(1, 0, 8, 2).matmul(in[1].permute(1, 0, 2).select(0, 1))),
                check("matmul x x^T", r -> inputs(normal(r, 3, 4)), in -> in[0].matmul(in[0].transpose(0, 1))),
                check("matmul expanded operands", r -> inputs(normal(r, 1, 4), normal(r, 4, 1)),
                        in -> in[0].expand(3, 4).matmul(in[1].expand(4, 2))),
                check("matmul operands with offsets", r -> inputs(normal(r, 4, 4), normal(r, 6, 2)),
                        in -> in[0].narrow(0, 1, 3).matmul(in[1].narrow(0, 2, 4))),
                check("matmul column slice", r -> inputs(normal(r, 3, 6), normal(r, 4, 5)),
                        in -> in[0].narrow(1, 1, 4).matmul(in[1].narrow(1, 2, 2))),
                check("matmul constant right", r -> inputs(normal(r, 3, 4), constant(normal(r, 4, 2))), mm),
                check("matmul constant left", r -> inputs(constant(normal(r, 3, 4)), normal(r, 4, 2)), mm));
    }

    // ---- softmax, normalisation, losses ---------------------------------------------------

    @TestFactory
    Stream<DynamicTest> softmax() {
        List<DynamicTest> cases = new ArrayList<>();
        for (boolean log : new boolean[] {false, true}) {
            String name = log ? "logSoftmax" : "softmax";
            Function<Tensor, Function<Integer, Tensor>> op = x -> d -> log ? x.logSoftmax(d) : x.softmax(d);
            for (int d : new int[] {0, 1, 2, -1}) {
                cases.add(check(name + " dim " + d, r -> inputs(scaled(normal(r, 2, 3, 4), 2f)),
                        in -> op.apply(in[0]).apply(d)));
            }
            cases.add(check(name + " 0-d", r -> inputs(normal(r)), in -> op.apply(in[0]).apply(0).mul(in[0])));
            cases.add(check(name + " with an offset", r -> inputs(normal(r, 4, 3)),
                    in -> op.apply(in[0].narrow(0, 1, 2)).apply(1)));
            cases.add(check(name + " 1-d", r -> inputs(scaled(normal(r, 5), 2f)), in -> op.apply(in[0]).apply(0)));
            cases.add(check(name + " size-1 dim", r -> inputs(normal(r, 3, 1)), in -> op.apply(in[0]).apply(0)));
            cases.add(check(name + " over a size-1 dim", r -> inputs(normal(r, 3, 1)),
                    in -> op.apply(in[0]).apply(1).mul(in[0])));
            cases.add(check(name + " transposed", r -> inputs(normal(r, 4, 3)),
                    in -> op.apply(in[0].transpose(0, 1)).apply(1)));
            cases.add(check(name + " stepped, dim 0", r -> inputs(normal(r, 3, 6)),
                    in -> op.apply(in[0].slice(1, 1, 6, 2)).apply(0)));
            cases.add(check(name + " spread logits", r -> inputs(scaled(normal(r, 2, 4), 3f)),
                    in -> op.apply(in[0]).apply(1)));
            cases.add(check(name + " large logits", r -> inputs(normal(r, 2, 4)),
                    in -> op.apply(in[0].add(40f)).apply(1)));
        }
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> layerNorm() {
        float eps = 1e-5f;
        return Stream.of(
                check("layerNorm (4) no affine", r -> inputs(normal(r, 2, 3, 4)),
                        in -> Functional.layerNorm(in[0], s(4), null, null, eps)),
                check("layerNorm (4) weight and bias", r -> inputs(normal(r, 2, 3, 4), normal(r, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0], s(4), in[1], in[2], eps)),
                check("layerNorm (4) weight only", r -> inputs(normal(r, 3, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0], s(4), in[1], null, eps)),
                check("layerNorm (4) bias only", r -> inputs(normal(r, 3, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0], s(4), null, in[1], eps)),
                check("layerNorm (3,4) weight and bias", r -> inputs(normal(r, 2, 3, 4), normal(r, 3, 4),
                        normal(r, 3, 4)), in -> Functional.layerNorm(in[0], s(3, 4), in[1], in[2], eps)),
                check("layerNorm (3,4) no affine", r -> inputs(normal(r, 2, 3, 4)),
                        in -> Functional.layerNorm(in[0], s(3, 4), null, null, eps)),
                check("layerNorm 1-d input", r -> inputs(normal(r, 5), normal(r, 5), normal(r, 5)),
                        in -> Functional.layerNorm(in[0], s(5), in[1], in[2], eps)),
                check("layerNorm transposed input", r -> inputs(normal(r, 4, 3), normal(r, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0].transpose(0, 1), s(4), in[1], in[2], eps)),
                check("layerNorm constant affine", r -> inputs(normal(r, 3, 4), constant(normal(r, 4)),
                        constant(normal(r, 4))), in -> Functional.layerNorm(in[0], s(4), in[1], in[2], eps)),
                check("layerNorm affine only", r -> inputs(constant(normal(r, 3, 4)), normal(r, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0], s(4), in[1], in[2], eps)),
                check("layerNorm input with an offset", r -> inputs(normal(r, 4, 3), normal(r, 3), normal(r, 3)),
                        in -> Functional.layerNorm(in[0].narrow(0, 1, 2), s(3), in[1], in[2], eps)),
                check("layerNorm stepped weight", r -> inputs(normal(r, 3, 4), normal(r, 8)),
                        in -> Functional.layerNorm(in[0], s(4), in[1].slice(0, 0, 8, 2), null, eps)));
    }

    @TestFactory
    Stream<DynamicTest> norms() {
        List<DynamicTest> cases = new ArrayList<>();
        for (int d : new int[] {0, 1, -1}) {
            cases.add(check("normalize dim " + d, r -> inputs(normal(r, 3, 4)), in -> Functional.normalize(in[0], d)));
            for (boolean keep : new boolean[] {false, true}) {
                cases.add(check("l2Norm dim " + d + (keep ? " keepdim" : ""), r -> inputs(normal(r, 3, 4)),
                        in -> Functional.l2Norm(in[0], d, keep)));
            }
        }
        cases.add(check("normalize 3-d dim 1 eps", r -> inputs(normal(r, 2, 3, 2)),
                in -> Functional.normalize(in[0], 1, 1e-6f)));
        cases.add(check("normalize transposed", r -> inputs(normal(r, 4, 3)),
                in -> Functional.normalize(in[0].transpose(0, 1), 1)));
        cases.add(check("normalize size-1 dim", r -> inputs(normal(r, 3, 1, 4)),
                in -> Functional.normalize(in[0], -1)));
        cases.add(check("l2Norm 1-d", r -> inputs(normal(r, 5)), in -> Functional.l2Norm(in[0], 0, false)));
        cases.add(check("l2Norm permuted", r -> inputs(normal(r, 2, 3, 4)),
                in -> Functional.l2Norm(in[0].permute(2, 0, 1), 1, false)));
        cases.add(check("l2Norm times input", r -> inputs(normal(r, 3, 4)),
                in -> Functional.l2Norm(in[0], 1, true).mul(in[0])));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> cosineSimilarity() {
        float eps = 1e-8f;
        return Stream.of(
                check("cosineSimilarity default dim", r -> inputs(normal(r, 3, 4), normal(r, 3, 4)),
                        in -> Functional.cosineSimilarity(in[0], in[1])),
                check("cosineSimilarity dim 0", r -> inputs(normal(r, 3, 4), normal(r, 3, 4)),
                        in -> Functional.cosineSimilarity(in[0], in[1], 0, eps)),
                check("cosineSimilarity broadcast vector", r -> inputs(normal(r, 3, 4), normal(r, 4)),
                        in -> Functional.cosineSimilarity(in[0], in[1], -1, eps)),
                check("cosineSimilarity broadcast (2,1,4) (3,4)", r -> inputs(normal(r, 2, 1, 4), normal(r, 3, 4)),
                        in -> Functional.cosineSimilarity(in[0], in[1], 2, eps)),
                check("cosineSimilarity broadcast along dim", r -> inputs(normal(r, 2, 3), normal(r, 1, 3)),
                        in -> Functional.cosineSimilarity(in[0], in[1], 0, eps)),
                check("cosineSimilarity transposed", r -> inputs(normal(r, 4, 3), normal(r, 3, 4)),
                        in -> Functional.cosineSimilarity(in[0].transpose(0, 1), in[1], 1, eps)),
                check("cosineSimilarity same tensor shifted", r -> inputs(normal(r, 3, 4)),
                        in -> Functional.cosineSimilarity(in[0], in[0].add(1f), 1, eps)),
                check("cosineSimilarity constant second", r -> inputs(normal(r, 3, 4), constant(normal(r, 3, 4))),
                        in -> Functional.cosineSimilarity(in[0], in[1], 1, eps)));
    }

    @TestFactory
    Stream<DynamicTest> crossEntropy() {
        List<DynamicTest> cases = new ArrayList<>();
        Tensor t2 = Tensor.ofLongs(new long[] {1, 4, 0, 4}, 4);
        Tensor t3 = Tensor.ofLongs(new long[] {0, 2, 2, 1, 1, 0, 2, 2}, 2, 4);
        Tensor t4 = Tensor.ofLongs(new long[] {0, 2, 1, 1, 2, 0, 0, 0, 1, 2, 2, 1}, 2, 2, 3);
        for (String red : new String[] {"mean", "sum", "none"}) {
            cases.add(check("crossEntropy (N,C) " + red, r -> inputs(scaled(normal(r, 4, 5), 2f)),
                    in -> Functional.crossEntropy(in[0], t2, red)));
            cases.add(check("crossEntropy (N,C,d) " + red, r -> inputs(scaled(normal(r, 2, 3, 4), 2f)),
                    in -> Functional.crossEntropy(in[0], t3, red)));
            cases.add(check("crossEntropy (N,C,d1,d2) " + red, r -> inputs(normal(r, 2, 3, 2, 3)),
                    in -> Functional.crossEntropy(in[0], t4, red)));
        }
        cases.add(check("crossEntropy default", r -> inputs(normal(r, 4, 5)), in -> Functional.crossEntropy(in[0], t2)));
        cases.add(check("crossEntropy transposed logits", r -> inputs(normal(r, 5, 4)),
                in -> Functional.crossEntropy(in[0].transpose(0, 1), t2, "sum")));
        cases.add(check("crossEntropy permuted (N,d,C)", r -> inputs(normal(r, 2, 4, 3)),
                in -> Functional.crossEntropy(in[0].permute(0, 2, 1), t3, "mean")));
        cases.add(check("crossEntropy one sample", r -> inputs(normal(r, 1, 5)),
                in -> Functional.crossEntropy(in[0], Tensor.ofLongs(new long[] {3}, 1), "mean")));
        return cases.stream();
    }

    // ---- joining and indexing -------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> joining() {
        List<DynamicTest> cases = new ArrayList<>();
        cases.add(check("concat dim 0", r -> inputs(normal(r, 2, 3), normal(r, 1, 3), normal(r, 3, 3)),
                in -> Functional.concat(0, in[0], in[1], in[2])));
        cases.add(check("concat dim 1", r -> inputs(normal(r, 2, 3), normal(r, 2, 1), normal(r, 2, 2)),
                in -> Functional.concat(1, in[0], in[1], in[2])));
        cases.add(check("concat dim -1 of 3-d", r -> inputs(normal(r, 2, 2, 3), normal(r, 2, 2, 2)),
                in -> Functional.concat(-1, in[0], in[1])));
        cases.add(check("concat with a constant", r -> inputs(normal(r, 2, 3), constant(normal(r, 2, 3))),
                in -> Functional.concat(0, in[0], in[1])));
        cases.add(check("concat same tensor twice", r -> inputs(normal(r, 2, 3)),
                in -> Functional.concat(1, in[0], in[0].mul(in[0]))));
        cases.add(check("concat non-contiguous parts", r -> inputs(normal(r, 3, 2), normal(r, 2, 6)),
                in -> Functional.concat(0, in[0].transpose(0, 1), in[1].slice(1, 0, 6, 2))));
        cases.add(check("concat one part", r -> inputs(normal(r, 2, 3)), in -> Functional.concat(0, in[0])));
        for (int d : new int[] {0, 1, 2, -1}) {
            cases.add(check("stack dim " + d, r -> inputs(normal(r, 2, 3), normal(r, 2, 3), normal(r, 2, 3)),
                    in -> Functional.stack(d, in[0], in[1], in[2])));
        }
        cases.add(check("stack transposed parts", r -> inputs(normal(r, 3, 2), normal(r, 2, 3)),
                in -> Functional.stack(1, in[0].transpose(0, 1), in[1])));
        cases.add(check("stack 0-d", r -> inputs(normal(r), normal(r)), in -> Functional.stack(0, in[0], in[1])));
        for (int part = 0; part < 3; part++) {
            int p = part;
            cases.add(check("split (2,5) by 2 on dim 1 part " + p, r -> inputs(normal(r, 2, 5)),
                    in -> in[0].split(2, 1)[p]));
        }
        cases.add(check("split recombined", r -> inputs(normal(r, 6, 2)), in -> {
            Tensor[] parts = in[0].split(2, 0);
            return parts[0].mul(parts[2]).sub(parts[1].exp());
        }));
        cases.add(check("split whole", r -> inputs(normal(r, 3, 2)), in -> in[0].split(5, 0)[0]));
        cases.add(check("split transposed", r -> inputs(normal(r, 4, 3)), in -> in[0].transpose(0, 1).split(2, 1)[1]));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> indexing() {
        List<DynamicTest> cases = new ArrayList<>();
        Tensor rows = Tensor.ofLongs(new long[] {2, 0, 2, 1, 2}, 5);
        cases.add(check("indexSelect dim 0 repeated", r -> inputs(normal(r, 3, 4)), in -> in[0].indexSelect(0, rows)));
        cases.add(check("indexSelect dim 1 repeated", r -> inputs(normal(r, 2, 3)), in -> in[0].indexSelect(1, rows)));
        cases.add(check("indexSelect dim -1 of 3-d", r -> inputs(normal(r, 2, 2, 3)),
                in -> in[0].indexSelect(-1, rows)));
        cases.add(check("indexSelect transposed", r -> inputs(normal(r, 4, 3)),
                in -> in[0].transpose(0, 1).indexSelect(0, rows)));
        cases.add(check("indexSelect 1-d", r -> inputs(normal(r, 3)), in -> in[0].indexSelect(0, rows)));
        Tensor idx1 = Tensor.ofLongs(new long[] {0, 3, 3, 1, 0, 2, 2, 2, 1, 0, 3, 3, 0, 1, 1}, 3, 5);
        cases.add(check("gather dim 1 repeated", r -> inputs(normal(r, 3, 4)), in -> in[0].gather(1, idx1)));
        Tensor idx0 = Tensor.ofLongs(new long[] {2, 0, 1, 2, 2, 2, 0, 0}, 2, 4);
        cases.add(check("gather dim 0 repeated", r -> inputs(normal(r, 3, 4)), in -> in[0].gather(0, idx0)));
        Tensor small = Tensor.ofLongs(new long[] {1, 1, 0, 2}, 2, 2);
        cases.add(check("gather smaller index", r -> inputs(normal(r, 3, 4)), in -> in[0].gather(0, small)));
        Tensor idx3 = Tensor.ofLongs(new long[] {1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1}, 2, 2, 3);
        cases.add(check("gather 3-d dim 1", r -> inputs(normal(r, 2, 2, 3)), in -> in[0].gather(1, idx3)));
        Tensor strided = Tensor.ofLongs(new long[] {0, 9, 2, 9, 2, 9, 1, 9, 0, 9, 3, 9}, 2, 6).slice(1, 0, 6, 2);
        cases.add(check("gather strided index", r -> inputs(normal(r, 2, 4)), in -> in[0].gather(1, strided)));
        cases.add(check("indexSelect strided index", r -> inputs(normal(r, 4, 2)),
                in -> in[0].indexSelect(0, strided.select(0, 1))));
        Tensor offset = Tensor.ofLongs(new long[] {9, 9, 1, 0, 1, 2}, 6).narrow(0, 2, 4);
        cases.add(check("indexSelect index with an offset", r -> inputs(normal(r, 3, 2)),
                in -> in[0].indexSelect(0, offset)));
        cases.add(check("gather input with an offset", r -> inputs(normal(r, 5, 4)),
                in -> in[0].narrow(0, 2, 3).gather(1, idx1)));
        cases.add(check("indexSelect input with an offset", r -> inputs(normal(r, 5, 4)),
                in -> in[0].narrow(0, 1, 3).indexSelect(0, rows)));
        cases.add(check("gather transposed", r -> inputs(normal(r, 4, 3)),
                in -> in[0].transpose(0, 1).gather(1, idx1)));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> masking() {
        boolean[] bits = {true, false, false, true, true, false, true, true, false, false, true, false};
        Tensor cond = Tensor.ofBooleans(bits, 3, 4);
        Tensor colMask = Tensor.ofBooleans(new boolean[] {true, false, true}, 3, 1);
        Tensor rowMask = Tensor.ofBooleans(new boolean[] {false, true, true, false}, 4);
        return Stream.of(
                check("where same shape", r -> inputs(normal(r, 3, 4), normal(r, 3, 4)),
                        in -> Functional.where(cond, in[0], in[1])),
                check("where broadcast (3,1) (3,4) (4)", r -> inputs(normal(r, 3, 4), normal(r, 4)),
                        in -> Functional.where(colMask, in[0], in[1])),
                check("where broadcast condition grows both", r -> inputs(normal(r, 3, 1), normal(r)),
                        in -> Functional.where(cond, in[0], in[1])),
                check("where constant branch", r -> inputs(normal(r, 3, 4), constant(normal(r, 3, 4))),
                        in -> Functional.where(cond, in[1], in[0])),
                check("where same tensor", r -> inputs(normal(r, 3, 4)),
                        in -> Functional.where(cond, in[0], in[0].mul(in[0]))),
                check("where transposed", r -> inputs(normal(r, 4, 3), normal(r, 3, 4)),
                        in -> Functional.where(cond, in[0].transpose(0, 1), in[1])),
                check("maskedFill", r -> inputs(normal(r, 3, 4)), in -> in[0].maskedFill(cond, -2f)),
                check("maskedFill broadcast mask", r -> inputs(normal(r, 3, 4)), in -> in[0].maskedFill(rowMask, 0f)),
                check("maskedFill mask grows input", r -> inputs(normal(r, 1, 4)), in -> in[0].maskedFill(cond, 1f)),
                check("maskedFill transposed", r -> inputs(normal(r, 4, 3)),
                        in -> in[0].transpose(0, 1).maskedFill(colMask, 3f)),
                check("maskedFill then softmax", r -> inputs(normal(r, 3, 4)),
                        in -> in[0].maskedFill(rowMask, -1e9f).softmax(1)));
    }

    // ---- gradients arriving in unusual layouts ----------------------------------------------

    /**
     * Each op's backward fed an upstream gradient that is not a plain contiguous tensor: a
     * transposed view (out.transpose), a stride-0 broadcast (out.sum(0) hands back g expanded
     * over dim 0) and one expanded over dim 1. Every op here makes a (3, 4) result.
     */
    @TestFactory
    Stream<DynamicTest> upstreamLayouts() {
        record Op(String name, Function<Rng, Input[]> inputs, Fn f) {}
        Tensor idx = Tensor.ofLongs(new long[] {4, 0, 0, 2, 1, 1, 3, 4, 2, 2, 0, 4}, 3, 4);
        Tensor rows = Tensor.ofLongs(new long[] {1, 0, 1}, 3);
        Tensor mask = Tensor.ofBooleans(new boolean[] {true, false, false, true}, 4);
        List<Op> ops = List.of(
                new Op("exp", r -> inputs(normal(r, 3, 4)), in -> in[0].exp()),
                new Op("log", r -> inputs(uniform(r, 0.3f, 3f, 3, 4)), in -> in[0].log()),
                new Op("sqrt", r -> inputs(uniform(r, 0.3f, 3f, 3, 4)), in -> in[0].sqrt()),
                new Op("rsqrt", r -> inputs(uniform(r, 0.3f, 3f, 3, 4)), in -> in[0].rsqrt()),
                new Op("abs", r -> inputs(away(r, 0.1f, 3, 4)), in -> in[0].abs()),
                new Op("relu", r -> inputs(away(r, 0.1f, 3, 4)), in -> in[0].relu()),
                new Op("sigmoid", r -> inputs(normal(r, 3, 4)), in -> in[0].sigmoid()),
                new Op("tanh", r -> inputs(normal(r, 3, 4)), in -> in[0].tanh()),
                new Op("gelu", r -> inputs(normal(r, 3, 4)), in -> in[0].gelu()),
                new Op("quickGelu", r -> inputs(normal(r, 3, 4)), in -> in[0].quickGelu()),
                new Op("clamp", r -> inputs(avoiding(r, s(3, 4), 0.1f, -0.5f, 0.5f)), in -> in[0].clamp(-0.5f, 0.5f)),
                new Op("mul broadcast", r -> inputs(normal(r, 3, 4), normal(r, 4)), in -> in[0].mul(in[1])),
                new Op("div broadcast", r -> inputs(normal(r, 3, 1), signed(r, 0.5f, 2f, 4)), in -> in[0].div(in[1])),
                new Op("pow", r -> inputs(uniform(r, 0.5f, 2f, 3, 4), uniform(r, -2f, 2f, 3, 1)),
                        in -> in[0].pow(in[1])),
                new Op("maximum", r -> inputs(grid(r, 0.2f, 0f, s(3, 4)), grid(r, 0.2f, 0.1f, s(4))),
                        in -> in[0].maximum(in[1])),
                new Op("softmax", r -> inputs(normal(r, 3, 4)), in -> in[0].softmax(1)),
                new Op("logSoftmax dim 0", r -> inputs(normal(r, 3, 4)), in -> in[0].logSoftmax(0)),
                new Op("layerNorm", r -> inputs(normal(r, 3, 4), normal(r, 4), normal(r, 4)),
                        in -> Functional.layerNorm(in[0], s(4), in[1], in[2], 1e-5f)),
                new Op("matmul", r -> inputs(normal(r, 3, 5), normal(r, 5, 4)), in -> in[0].matmul(in[1])),
                new Op("gather", r -> inputs(normal(r, 3, 5)), in -> in[0].gather(1, idx)),
                new Op("indexSelect", r -> inputs(normal(r, 2, 4)), in -> in[0].indexSelect(0, rows)),
                new Op("where", r -> inputs(normal(r, 3, 4), normal(r, 3, 1)), in -> Functional.where(mask, in[0], in[1])),
                new Op("concat", r -> inputs(normal(r, 1, 4), normal(r, 2, 4)), in -> Functional.concat(0, in[0], in[1])),
                new Op("max over dim 2", r -> inputs(grid(r, 0.1f, 0f, s(3, 4, 2))),
                        in -> in[0].max(new int[] {2}, false)),
                new Op("var over dim 2", r -> inputs(normal(r, 3, 4, 3)), in -> in[0].var(new int[] {2}, 1, false)),
                new Op("l2Norm over dim 2", r -> inputs(normal(r, 3, 4, 3)), in -> Functional.l2Norm(in[0], 2, false)),
                new Op("normalize", r -> inputs(normal(r, 3, 4)), in -> Functional.normalize(in[0], 1)),
                new Op("cosineSimilarity", r -> inputs(normal(r, 3, 4, 3), normal(r, 4, 3)),
                        in -> Functional.cosineSimilarity(in[0], in[1], 2, 1e-8f)),
                new Op("select", r -> inputs(normal(r, 3, 2, 4)), in -> in[0].select(1, 1)),
                new Op("slice step 2", r -> inputs(normal(r, 3, 8)), in -> in[0].slice(1, 0, 8, 2)),
                new Op("expand", r -> inputs(normal(r, 3, 1)), in -> in[0].expand(3, 4)),
                new Op("permute", r -> inputs(normal(r, 4, 3)), in -> in[0].permute(1, 0)),
                new Op("reshape", r -> inputs(normal(r, 12)), in -> in[0].reshape(3, 4)),
                new Op("contiguous", r -> inputs(normal(r, 4, 3)), in -> in[0].transpose(0, 1).contiguous()));
        List<DynamicTest> cases = new ArrayList<>();
        for (Op op : ops) {
            cases.add(check(op.name() + " <- transposed g", op.inputs(), in -> op.f().apply(in).transpose(0, 1)));
            cases.add(check(op.name() + " <- g expanded over dim 0", op.inputs(), in -> op.f().apply(in).sum(0)));
            cases.add(check(op.name() + " <- g expanded over dim 1", op.inputs(),
                    in -> op.f().apply(in).sum(new int[] {1}, true)));
            cases.add(check(op.name() + " <- g with an offset", op.inputs(),
                    in -> Functional.concat(0, Tensor.ones(1, 4), op.f().apply(in))));
        }
        return cases.stream();
    }

    // ---- views ----------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> views() {
        return Stream.of(
                check("reshape", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].reshape(6, 4)),
                check("reshape -1", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].reshape(4, -1)),
                check("reshape to 1-d", r -> inputs(normal(r, 2, 3)), in -> in[0].reshape(-1)),
                check("reshape 0-d", r -> inputs(normal(r)), in -> in[0].reshape(1, 1)),
                check("reshape to 0-d", r -> inputs(normal(r, 1, 1)), in -> in[0].reshape()),
                check("reshape non-contiguous (copies)", r -> inputs(normal(r, 3, 4)),
                        in -> in[0].transpose(0, 1).reshape(2, 6)),
                check("reshape then mul", r -> inputs(normal(r, 2, 6), normal(r, 3, 4)),
                        in -> in[0].reshape(3, 4).mul(in[1])),
                check("view", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].view(2, 12)),
                check("view of a narrowed tensor", r -> inputs(normal(r, 4, 2, 3)),
                        in -> in[0].narrow(0, 1, 2).view(2, 6)),
                check("view splitting a transposed dim", r -> inputs(normal(r, 3, 4)),
                        in -> in[0].transpose(0, 1).view(2, 2, 3)),
                check("permute", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].permute(2, 0, 1)),
                check("permute negative dims", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].permute(-1, 1, 0)),
                check("permute then matmul", r -> inputs(normal(r, 2, 3, 4), normal(r, 3, 2)),
                        in -> in[0].permute(0, 2, 1).matmul(in[1])),
                check("transpose", r -> inputs(normal(r, 2, 3)), in -> in[0].transpose(0, 1)),
                check("transpose 3-d", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].transpose(-1, 0)),
                check("transpose twice", r -> inputs(normal(r, 2, 3, 4)), in -> in[0].transpose(0, 1).transpose(1, 2)),
                check("narrow", r -> inputs(normal(r, 4, 3)), in -> in[0].narrow(0, 1, 2)),
                check("narrow negative start", r -> inputs(normal(r, 3, 5)), in -> in[0].narrow(1, -3, 2)),
                check("narrow transposed", r -> inputs(normal(r, 3, 5)), in -> in[0].transpose(0, 1).narrow(1, 1, 2)),
                check("slice step 2", r -> inputs(normal(r, 3, 7)), in -> in[0].slice(1, 0, 7, 2)),
                check("slice step 3 offset", r -> inputs(normal(r, 8, 2)), in -> in[0].slice(0, 1, 8, 3)),
                check("slice negative bounds", r -> inputs(normal(r, 6)), in -> in[0].slice(0, -5, -1, 2)),
                check("slice clamped end", r -> inputs(normal(r, 2, 5)), in -> in[0].slice(1, 2, 100, 1)),
                check("slice of slice", r -> inputs(normal(r, 9, 2)), in -> in[0].slice(0, 1, 9, 2).slice(0, 0, 4, 3)),
                check("slice overlapping reads", r -> inputs(normal(r, 6)),
                        in -> in[0].slice(0, 0, 6, 2).mul(in[0].slice(0, 1, 6, 2))),
                check("select", r -> inputs(normal(r, 3, 4)), in -> in[0].select(0, 1)),
                check("select negative index", r -> inputs(normal(r, 3, 4)), in -> in[0].select(1, -1)),
                check("select to 0-d", r -> inputs(normal(r, 4)), in -> in[0].select(0, 2)),
                check("select from permuted", r -> inputs(normal(r, 2, 3, 4)),
                        in -> in[0].permute(2, 0, 1).select(1, 1)),
                check("select two rows combined", r -> inputs(normal(r, 3, 4)),
                        in -> in[0].select(0, 0).mul(in[0].select(0, 2))),
                check("expand size-1 dim", r -> inputs(normal(r, 3, 1)), in -> in[0].expand(3, 4)),
                check("expand new leading dims", r -> inputs(normal(r, 3)), in -> in[0].expand(2, 4, 3)),
                check("expand with -1", r -> inputs(normal(r, 1, 3)), in -> in[0].expand(2, 4, -1)),
                check("expand 0-d", r -> inputs(normal(r)), in -> in[0].expand(2, 3)),
                check("expand transposed", r -> inputs(normal(r, 1, 3)), in -> in[0].transpose(0, 1).expand(3, 2)),
                check("expand then mul", r -> inputs(normal(r, 3, 1), normal(r, 3, 4)),
                        in -> in[0].expand(3, 4).mul(in[1])),
                check("squeeze all", r -> inputs(normal(r, 1, 3, 1, 2)), in -> in[0].squeeze()),
                check("squeeze dim", r -> inputs(normal(r, 3, 1, 2)), in -> in[0].squeeze(1)),
                check("squeeze dim not 1", r -> inputs(normal(r, 3, 2)), in -> in[0].squeeze(0)),
                check("squeeze transposed", r -> inputs(normal(r, 1, 3, 2)), in -> in[0].transpose(1, 2).squeeze()),
                check("unsqueeze front", r -> inputs(normal(r, 3, 2)), in -> in[0].unsqueeze(0)),
                check("unsqueeze end", r -> inputs(normal(r, 3, 2)), in -> in[0].unsqueeze(-1)),
                check("unsqueeze middle transposed", r -> inputs(normal(r, 3, 2)),
                        in -> in[0].transpose(0, 1).unsqueeze(1)),
                check("flatten all", r -> inputs(normal(r, 2, 3, 2)), in -> in[0].flatten(0, -1)),
                check("flatten middle", r -> inputs(normal(r, 2, 3, 2, 2)), in -> in[0].flatten(1, 2)),
                check("flatten 0-d", r -> inputs(normal(r)), in -> in[0].flatten(0, -1)),
                check("flatten permuted", r -> inputs(normal(r, 2, 3, 2)), in -> in[0].permute(2, 1, 0).flatten(0, 1)),
                check("contiguous of transposed", r -> inputs(normal(r, 3, 4)), in -> in[0].transpose(0, 1).contiguous()),
                check("contiguous of contiguous", r -> inputs(normal(r, 3, 4)), in -> in[0].contiguous()),
                check("contiguous of stepped", r -> inputs(normal(r, 3, 6)),
                        in -> in[0].slice(1, 0, 6, 2).contiguous().mul(in[0].narrow(1, 0, 3))),
                check("view chain", r -> inputs(normal(r, 2, 3, 4)),
                        in -> in[0].permute(1, 2, 0).narrow(1, 1, 2).reshape(3, 4).unsqueeze(0).expand(2, 3, 4)
                                .slice(2, 0, 4, 3).select(0, 1).transpose(0, 1).contiguous().flatten(0, 1)));
    }

    // ---- inputs ---------------------------------------------------------------------------

    /** A named case whose inputs come from an Rng seeded by the name. */
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

    private static int[] s(int... shape) {
        return shape;
    }

    private static Input constant(Input in) {
        return Input.constant(in.data(), in.shape());
    }

    private static Input normal(Rng rng, int... shape) {
        return Input.grad(Tensor.randn(rng, 0f, 1f, shape));
    }

    private static Input uniform(Rng rng, float lo, float hi, int... shape) {
        return Input.grad(Tensor.rand(rng, lo, hi, shape));
    }

    private static Input scaled(Input in, float factor) {
        float[] d = in.data();
        for (int i = 0; i < d.length; i++) d[i] *= factor;
        return new Input(d, in.shape(), in.requiresGrad());
    }

    /** |x| in [lo, hi) with a random sign. */
    private static Input signed(Rng rng, float lo, float hi, int... shape) {
        float[] d = Tensor.rand(rng, lo, hi, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) if ((rng.nextInt() & 1) == 0) d[i] = -d[i];
        return Input.grad(d, shape);
    }

    /** Normal samples pushed at least {@code margin} away from 0. */
    private static Input away(Rng rng, float margin, int... shape) {
        float[] d = Tensor.randn(rng, 0f, 1f, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] = Math.copySign(margin + Math.abs(d[i]), d[i]);
        return Input.grad(d, shape);
    }

    /** Normal samples (std 1) redrawn until each is at least {@code margin} from every point. */
    private static Input avoiding(Rng rng, int[] shape, float margin, float... points) {
        float[] d = new float[Shapes.numel(shape)];
        float[] one = new float[2];
        for (int i = 0; i < d.length; i++) {
            boolean near;
            do {
                rng.fillNormal(one, 0f, 1f);
                d[i] = one[0];
                near = false;
                for (float p : points) near |= Math.abs(d[i] - p) < margin;
            } while (near);
        }
        return Input.grad(d, shape);
    }

    /**
     * Distinct values {@code offset + spacing * k} for k = -n/2 .. n/2, shuffled: no ties, and
     * neighbours farther apart than the checker's step, for max/min and maximum/minimum.
     */
    private static Input grid(Rng rng, float spacing, float offset, int[] shape) {
        int n = Shapes.numel(shape);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = offset + spacing * (i - n / 2);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = d[i];
            d[i] = d[j];
            d[j] = t;
        }
        return Input.grad(d, shape);
    }
}
