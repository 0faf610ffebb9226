package org.iboot4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * conv3d and conv2d backwards (data, filter, bias) against central finite differences
 * ({@link GradCheck}), on small cases covering stride, padding, dilation, groups, bias, 1x1x1
 * kernels (the direct GEMM path, and its strided-gather variant), a non-contiguous input and a
 * weight that is itself a view. A convolution is bilinear in (x, w), so the finite differences
 * have no truncation error and the comparison is limited only by float32 rounding.
 *
 * <p>Inputs come from the engine's Philox {@link Rng} seeded by the case name; every case has
 * fewer than ~300 checked elements, each costing two tiny forwards.
 */
class ConvGradCheckTest {

    /** One conv3d case: shapes and geometry (3 values per axis). */
    private record Conv3(String name, int[] x, int[] w, boolean bias, int[] stride, int[] padding,
            int[] dilation, int groups) {}

    private static int[] v(int... values) {
        return values;
    }

    @TestFactory
    Stream<DynamicTest> conv3d() {
        List<Conv3> cases = List.of(
                new Conv3("spatial 1x3x3 stride (1,2,2) pad (0,1,1) bias", v(1, 2, 2, 5, 5), v(3, 2, 1, 3, 3),
                        true, v(1, 2, 2), v(0, 1, 1), v(1, 1, 1), 1),
                new Conv3("temporal 3x1x1 pad (1,0,0)", v(2, 3, 4, 3, 2), v(2, 3, 3, 1, 1),
                        false, v(1, 1, 1), v(1, 0, 0), v(1, 1, 1), 1),
                new Conv3("2x2x2 dilation (2,1,2) pad (2,1,1)", v(1, 2, 4, 4, 5), v(2, 2, 2, 2, 2),
                        false, v(1, 1, 1), v(2, 1, 1), v(2, 1, 2), 1),
                new Conv3("3x1x2 groups 2 stride (2,1,1) bias", v(1, 4, 5, 3, 3), v(4, 2, 3, 1, 2),
                        true, v(2, 1, 1), v(1, 0, 1), v(1, 1, 1), 2),
                new Conv3("depthwise 3x3x3 pad 1", v(1, 3, 3, 3, 4), v(3, 1, 3, 3, 3),
                        true, v(1, 1, 1), v(1, 1, 1), v(1, 1, 1), 3),
                new Conv3("temporal 3x1x1 dilation 2 pad (2,0,0) groups 2 bias (shifted GEMMs)", v(1, 4, 3, 2, 2),
                        v(2, 2, 3, 1, 1), true, v(1, 1, 1), v(2, 0, 0), v(2, 1, 1), 2),
                new Conv3("1x1x1 bias (direct GEMM)", v(2, 4, 2, 3, 3), v(3, 4, 1, 1, 1),
                        true, v(1, 1, 1), v(0, 0, 0), v(1, 1, 1), 1),
                new Conv3("1x1x1 groups 2 (direct GEMM)", v(2, 4, 2, 2, 3), v(4, 2, 1, 1, 1),
                        false, v(1, 1, 1), v(0, 0, 0), v(1, 1, 1), 2),
                new Conv3("1x1x1 stride (1,2,2) (strided gather)", v(2, 3, 2, 5, 4), v(2, 3, 1, 1, 1),
                        false, v(1, 2, 2), v(0, 0, 0), v(1, 1, 1), 1),
                new Conv3("all strides, pads and dilations differ", v(1, 2, 5, 6, 7), v(2, 2, 2, 3, 2),
                        true, v(2, 1, 3), v(1, 2, 0), v(1, 2, 3), 1));
        List<DynamicTest> tests = new ArrayList<>();
        for (Conv3 c : cases) {
            tests.add(check(c.name(), rng -> {
                List<Input> in = new ArrayList<>(List.of(normal(rng, c.x()), normal(rng, c.w())));
                if (c.bias()) in.add(normal(rng, c.w()[0]));
                return in.toArray(Input[]::new);
            }, t -> Functional.conv3d(t[0], t[1], c.bias() ? t[2] : null, c.stride(), c.padding(),
                    c.dilation(), c.groups())));
        }
        // A permuted + narrowed input view and a transposed weight view: gradients flow back
        // through the views to the leaves.
        tests.add(check("non-contiguous input and weight views", rng -> new Input[] {
                normal(rng, 2, 3, 2, 4, 6), normal(rng, 2, 2, 1, 3, 3)}, t -> Functional.conv3d(
                        t[0].permute(0, 2, 1, 3, 4).narrow(4, 1, 4), t[1].transpose(0, 1), null,
                        v(1, 1, 1), v(0, 1, 1), v(1, 1, 1), 1)));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> conv2d() {
        return Stream.of(
                check("conv2d 3x3 stride 2 pad 1 bias", rng -> new Input[] {
                        normal(rng, 2, 2, 5, 6), normal(rng, 3, 2, 3, 3), normal(rng, 3)},
                        t -> Functional.conv2d(t[0], t[1], t[2], v(2, 2), v(1, 1), v(1, 1), 1)),
                check("conv2d 3x2 groups 2 dilation (2,1) stride (1,2)", rng -> new Input[] {
                        normal(rng, 1, 4, 6, 5), normal(rng, 2, 2, 3, 2)},
                        t -> Functional.conv2d(t[0], t[1], null, v(1, 2), v(2, 0), v(2, 1), 2)),
                check("conv2d 1x1 bias", rng -> new Input[] {
                        normal(rng, 2, 3, 3, 3), normal(rng, 2, 3, 1, 1), normal(rng, 2)},
                        t -> Functional.conv2d(t[0], t[1], t[2], v(1, 1), v(0, 0), v(1, 1), 1)));
    }

    private interface Inputs {
        Input[] make(Rng rng);
    }

    private static DynamicTest check(String name, Inputs inputs, GradCheck.Fn f) {
        return DynamicTest.dynamicTest(name, () -> {
            Input[] in = inputs.make(new Rng(name.hashCode()));
            GradCheck.Report report = GradCheck.check(f, in);
            if (!report.ok()) throw new AssertionError(name + ": " + report.describe());
        });
    }

    private static Input normal(Rng rng, int... shape) {
        return Input.grad(Tensor.randn(rng, 0f, 1f, shape));
    }
}
