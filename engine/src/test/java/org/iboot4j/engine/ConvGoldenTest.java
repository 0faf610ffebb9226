package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.iboot4j.engine.testing.FloatAsserts;
import org.iboot4j.engine.testing.GoldenCases;
import org.iboot4j.engine.testing.SafetensorsFixture;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * conv3d and conv2d, forward and both backwards, against PyTorch 1.13:
 * test-data/golden/conv3d.safetensors, made by test-data/scripts/make_conv_golden.py.
 *
 * <p>Each case here has the name, the geometry (stride, padding, dilation, groups), the bias flag
 * and the input view of a case in the script. The fixture holds the input leaf {@code NAME.x},
 * weight {@code NAME.w}, bias {@code NAME.b} (when the case has one), torch's output
 * {@code NAME.out}, an upstream gradient {@code NAME.gout} and the leaves' gradients
 * {@code NAME.gx}, {@code NAME.gw}, {@code NAME.gb} after {@code out.backward(gout)}. The test
 * rebuilds the leaves with requiresGrad, convolves, compares the output, back-propagates
 * {@code gout} and compares every gradient. Non-contiguous inputs are views of the leaf taken
 * inside the case (permute + narrow), so the gradient is checked on the leaf, through the views.
 *
 * <p>Tolerance: {@code max|ours - torch| / max|torch| <= 1e-5} for every tensor of every case,
 * with no exception. The longest reductions here are a few hundred terms (the stem: 147 taps per
 * output, 64 channels x up to 16 taps per input gradient, 256 positions per weight gradient), and
 * float32 sums that differ only in order agree far inside 1e-5 at these lengths: the worst case
 * measured when the fixture was made was 5.2e-7 (slow_spatial_3x3_s1's weight gradient).
 * A case in the fixture that is missing here, or the other way round, fails
 * {@code caseListsMatch}.
 */
class ConvGoldenTest {

    private static final String FIXTURE = "conv3d.safetensors";
    private static final double RTOL = 1e-5;

    /** One case: the input view, the geometry per spatial axis (2 or 3 values), bias or not. */
    private record Case(UnaryOperator<Tensor> view, int[] stride, int[] padding, int[] dilation,
            int groups, boolean bias) {
        boolean is2d() {
            return stride.length == 2;
        }
    }

    private static final Map<String, Case> CASES = new LinkedHashMap<>();

    private static void add(String name, int[] stride, int[] padding, int[] dilation, int groups,
            boolean bias, UnaryOperator<Tensor> view) {
        if (CASES.put(name, new Case(view, stride, padding, dilation, groups, bias)) != null) {
            throw new IllegalStateException("duplicate case " + name);
        }
    }

    private static int[] v(int... values) {
        return values;
    }

    private static final UnaryOperator<Tensor> PLAIN = x -> x;

    /** Script view "noncontig", 3-d: leaf (N, T, C, H, W + 3) -> (N, C, T, H, W + 3) -> narrow W. */
    private static UnaryOperator<Tensor> permutedNarrowed(int w) {
        return x -> x.permute(0, 2, 1, 3, 4).narrow(4, 1, w);
    }

    /** Script view "noncontig", 2-d: leaf (N, C, H, W + 3) -> narrow W. */
    private static UnaryOperator<Tensor> narrowed2d(int w) {
        return x -> x.narrow(3, 1, w);
    }

    static {
        int[] one = v(1, 1, 1), zero = v(0, 0, 0);
        // ---- Slow-R50 layer geometries ----
        add("slow_stem", v(1, 2, 2), v(0, 3, 3), one, 1, false, PLAIN);
        add("slow_temporal_3x1x1", one, v(1, 0, 0), one, 1, false, PLAIN);
        add("slow_spatial_3x3_s2", v(1, 2, 2), v(0, 1, 1), one, 1, false, PLAIN);
        add("slow_spatial_3x3_s1", one, v(0, 1, 1), one, 1, false, PLAIN);
        add("slow_proj_1x1_s2", v(1, 2, 2), zero, one, 1, false, PLAIN);
        add("slow_proj_1x1_s1", one, zero, one, 1, false, PLAIN);
        // ---- odd shapes ----
        add("dilation_2_1_3", one, v(2, 1, 3), v(2, 1, 3), 1, true, PLAIN);
        add("dilation_strided", v(2, 1, 2), v(1, 2, 1), v(2, 2, 3), 1, false, PLAIN);
        add("groups2", v(1, 2, 1), one, one, 2, true, PLAIN);
        add("groups3_pointwise", one, zero, one, 3, false, PLAIN);
        add("depthwise", one, one, one, 5, true, PLAIN);
        add("depthwise_mult2_strided", v(2, 2, 2), one, one, 4, false, PLAIN);
        add("asymmetric_kernel", v(2, 1, 3), v(1, 2, 0), one, 1, true, PLAIN);
        add("kernel_covers_input", one, zero, one, 1, true, PLAIN);
        add("padded_pointwise", v(1, 1, 2), one, one, 1, false, PLAIN);
        add("batch3", one, one, one, 1, true, PLAIN);
        add("spatial_3x3_noncontig", one, v(0, 1, 1), one, 1, true, permutedNarrowed(7));
        add("proj_1x1_noncontig", one, zero, one, 1, false, permutedNarrowed(5));
        add("temporal_dilated_grouped", one, v(2, 0, 0), v(2, 1, 1), 2, true, PLAIN);
        add("temporal_padded_uncovered", one, v(2, 0, 0), one, 1, false, PLAIN);
        add("temporal_single_frame", one, v(1, 0, 0), one, 1, false, PLAIN);
        // ---- conv2d (4-d API) ----
        add("conv2d_resnet_stem", v(2, 2), v(3, 3), v(1, 1), 1, false, PLAIN);
        add("conv2d_3x3_s2", v(2, 2), v(1, 1), v(1, 1), 1, true, PLAIN);
        add("conv2d_1x1", v(1, 1), v(0, 0), v(1, 1), 1, true, PLAIN);
        add("conv2d_groups_dilation", v(1, 2), v(2, 1), v(2, 1), 2, false, PLAIN);
        add("conv2d_noncontig", v(1, 1), v(1, 1), v(1, 1), 1, true, narrowed2d(5));
    }

    /** The case names in the fixture: every tensor name's part before the first dot. */
    @TestFactory
    Stream<DynamicTest> goldenCases() {
        SafetensorsFixture f = SafetensorsFixture.golden(FIXTURE);
        return GoldenCases.tests(f, "make_conv_golden.py", CASES, (name, c) -> check(f, name, c));
    }

    private static void check(SafetensorsFixture f, String name, Case c) {
        Set<String> expected = new TreeSet<>(List.of(name + ".x", name + ".w", name + ".out",
                name + ".gout", name + ".gx", name + ".gw"));
        if (c.bias()) expected.addAll(List.of(name + ".b", name + ".gb"));
        Set<String> actual = new TreeSet<>();
        for (String t : f.names()) if (t.startsWith(name + ".")) actual.add(t);
        assertEquals(expected, actual, name + ": fixture entries (bias flag or view out of step with the script?)");

        Tensor x = load(f, name + ".x").requiresGrad(true);
        Tensor w = load(f, name + ".w").requiresGrad(true);
        Tensor b = c.bias() ? load(f, name + ".b").requiresGrad(true) : null;
        assertEquals(c.is2d() ? 4 : 5, w.dim(), name + ": weight rank vs the case's conv2d/conv3d");

        Tensor input = c.view().apply(x);
        if (c.view() != PLAIN) assertFalse(input.isContiguous(), name + ": the view should be non-contiguous");
        Tensor out = c.is2d()
                ? Functional.conv2d(input, w, b, c.stride(), c.padding(), c.dilation(), c.groups())
                : Functional.conv3d(input, w, b, c.stride(), c.padding(), c.dilation(), c.groups());
        assertArrayEquals(f.shape(name + ".out"), out.shape(), name + ": output shape");
        FloatAsserts.assertClose(name + ".out", f.floats(name + ".out"), out.toFloatArray(), RTOL);

        out.backward(load(f, name + ".gout"));
        compareGrad(f, name + ".gx", x);
        compareGrad(f, name + ".gw", w);
        if (b != null) compareGrad(f, name + ".gb", b);
    }

    private static void compareGrad(SafetensorsFixture f, String key, Tensor leaf) {
        Tensor grad = leaf.grad();
        assertNotNull(grad, key + ": torch has a gradient, the engine none");
        assertArrayEquals(f.shape(key), grad.shape(), key + ": gradient shape");
        FloatAsserts.assertClose(key, f.floats(key), grad.toFloatArray(), RTOL);
    }

    private static Tensor load(SafetensorsFixture f, String key) {
        return Tensor.of(f.floats(key), f.shape(key));
    }
}
