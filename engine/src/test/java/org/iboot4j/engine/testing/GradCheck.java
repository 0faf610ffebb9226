package org.iboot4j.engine.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;

/**
 * A gradient checker: compares the input gradients that autograd computes for a function of
 * float32 tensors with central finite differences of the same function.
 *
 * <h2>Method</h2>
 * The function {@code f} maps some input tensors (built afresh from float arrays, some marked
 * {@code requiresGrad}) to one float32 tensor {@code out}. The scalar checked is
 * {@code L = sum(out * w)} for a fixed random {@code w} of out's shape (from {@link Rng} with
 * {@link Options#seed}, values of magnitude 0.5..1.5 with random signs, so no output element is
 * ignored and no symmetry of {@code f} can hide a wrong gradient).
 * <ul>
 *   <li><b>Analytic:</b> {@code f} is run once on the leaves and {@code out.backward(w)}; the
 *       leaves' {@code grad()} are dL/dx (missing = zero, and a gradient of the wrong shape is a
 *       failure).</li>
 *   <li><b>Numeric:</b> for each element {@code x} of each grad-requiring input, the inputs are
 *       rebuilt with that element replaced by {@code xp = (float) (x + h)} and
 *       {@code xm = (float) (x - h)}, {@code f} is evaluated (without a graph), {@code L} is
 *       summed in double from the float outputs, and
 *       {@code num = (L(xp) - L(xm)) / ((double) xp - (double) xm)} is formed in double. The
 *       divisor is the step actually taken in float32, not {@code 2h}, so rounding of the
 *       perturbed input costs nothing.</li>
 * </ul>
 *
 * <h2>Step and tolerance</h2>
 * The step is {@code h = relStep * max(1, |x|)} with {@code relStep = 1e-2}. The two error
 * sources of a float32 central difference pull in opposite directions:
 * <ul>
 *   <li><b>Truncation</b> is {@code h^2 f'''(x) / 6}: with h = 1e-2 and inputs of order 1, kept
 *       away from kinks and singularities by the caller, that is ~1e-5 of the derivative for
 *       smooth ops and a few 1e-3 at worst (log, rsqrt, cosine similarity of short vectors),
 *       inside {@code rtol}.</li>
 *   <li><b>Rounding:</b> each output element carries a float32 error of a few ulps,
 *       {@code ~ 2^-23 |out_j|}, and the difference quotient divides it by the step (the double
 *       sum of L adds nothing of its own). Outputs that do not depend on {@code x} come out
 *       bit-identical in both evaluations and cancel, but the checker cannot tell them from
 *       outputs that do depend on {@code x} and merely failed to change (a saturated softmax), so
 *       it bounds the rounding over all outputs:
 *       {@code noise = noiseUlps * 2^-23 * sum_j |w_j| (|out_j(xp)| + |out_j(xm)|) / step},
 *       {@code noiseUlps = 8} allowing a few roundings along each output's chain of float32
 *       operations. For the small tensors of the tests (tens of O(1) outputs) that is
 *       ~1e-4..1e-3: a smaller h would let it swamp the derivative, a larger one would let
 *       truncation and kinks in.</li>
 * </ul>
 * An element passes when
 * <pre>  |num - ana| <= atol * scale + rtol * |num| + noise,   rtol = 1e-2, atol = 1e-3</pre>
 * where {@code scale} is the largest |num| or |ana| over all checked inputs. The atol term is
 * relative to the function's gradient magnitude rather than absolute, so a function whose
 * gradients are all tiny is held to the same relative standard as one whose gradients are O(1),
 * while an element whose true gradient is zero or near zero among large ones (where the analytic
 * value is itself a float32 cancellation, e.g. a scale-invariant input) is not held to an
 * accuracy float32 cannot give. A 1% relative error in any element of significant size, a wrong
 * sign, a missing or doubled term, or a gradient sent to the wrong element all fail. On the
 * engine's ops (GradCheckTest) the observed |num - ana| stays below ~10% of this tolerance, with
 * one case at ~60% (cosine similarity of 3-vectors), which is truncation: it falls as h^2.
 *
 * <p>Each failure names the input index, the element's flat (row-major) index and coordinates,
 * the input value, the numeric and analytic derivatives and the tolerance that was applied.
 * Kinks (relu, abs, clamp, max, min ...) must be avoided by the caller: every input element
 * should be farther than {@code 2h} from any point where {@code f} is not differentiable.
 */
public final class GradCheck {
    /** float32 machine epsilon: the spacing of floats just above 1. */
    public static final double EPS32 = 0x1p-23;

    private GradCheck() {}

    /** The function under test: the leaf tensors, in the order the inputs were given, to one tensor. */
    @FunctionalInterface
    public interface Fn {
        Tensor apply(Tensor[] inputs);
    }

    /** Step, tolerances and the seed of {@code w}; {@link #DEFAULT} as the class comment explains. */
    public record Options(double relStep, double rtol, double atol, double noiseUlps, long seed) {
        public static final Options DEFAULT = new Options(1e-2, 1e-2, 1e-3, 8, 0x9E3779B97F4A7C15L);

        public Options withSeed(long s) {
            return new Options(relStep, rtol, atol, noiseUlps, s);
        }
    }

    /** One float32 input: its values and shape, and whether it is differentiated. */
    public record Input(float[] data, int[] shape, boolean requiresGrad) {
        public Input {
            data = data.clone();
            shape = shape.clone();
            int n = 1;
            for (int s : shape) n *= s;
            if (n != data.length) {
                throw new IllegalArgumentException(data.length + " values do not fill shape "
                        + Arrays.toString(shape));
            }
        }

        /** An input that requires grad (its gradient is checked). */
        public static Input grad(float[] data, int... shape) {
            return new Input(data, shape, true);
        }

        /** An input that takes part in f but is not differentiated. */
        public static Input constant(float[] data, int... shape) {
            return new Input(data, shape, false);
        }

        /** An input with the values and shape of {@code t}. */
        public static Input grad(Tensor t) {
            return new Input(t.toFloatArray(), t.shape(), true);
        }

        public static Input constant(Tensor t) {
            return new Input(t.toFloatArray(), t.shape(), false);
        }

        /** A copy of the values. */
        @Override
        public float[] data() {
            return data.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        Tensor build(float[] values, boolean withGrad) {
            Tensor t = Tensor.of(values, shape);
            return withGrad && requiresGrad ? t.requiresGrad(true) : t;
        }

        @Override
        public String toString() {
            return (requiresGrad ? "grad " : "const ") + Arrays.toString(shape);
        }
    }

    /** One element whose derivatives disagree. */
    public record Mismatch(int input, int element, int[] position, float x, double numeric,
                           double analytic, double tolerance) {
        @Override
        public String toString() {
            return String.format("input %d element %d %s (x = %s): numeric %.7g, analytic %.7g,"
                    + " |diff| %.3g > tol %.3g", input, element, Arrays.toString(position), x,
                    numeric, analytic, Math.abs(numeric - analytic), tolerance);
        }
    }

    /** What one check found: the mismatches (empty if all agree) and any structural problems. */
    public static final class Report {
        private final List<Mismatch> mismatches = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private int checked;
        private double worstRatio;

        public List<Mismatch> mismatches() {
            return List.copyOf(mismatches);
        }

        /** Wrong gradient shapes, non-finite values, a non-deterministic forward. */
        public List<String> problems() {
            return List.copyOf(problems);
        }

        /** How many elements were compared. */
        public int checked() {
            return checked;
        }

        /** The largest |num - ana| / tolerance seen (below 1 when everything passed). */
        public double worstRatio() {
            return worstRatio;
        }

        public boolean ok() {
            return mismatches.isEmpty() && problems.isEmpty();
        }

        /** A readable summary listing the first problems and mismatches. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("gradcheck: ").append(mismatches.size()).append(" of ").append(checked)
                    .append(" elements disagree");
            for (String p : problems) sb.append("\n  ").append(p);
            int shown = 0;
            for (Mismatch m : mismatches) {
                if (shown++ == 20) {
                    sb.append("\n  ... ").append(mismatches.size() - 20).append(" more");
                    break;
                }
                sb.append("\n  ").append(m);
            }
            return sb.toString();
        }

        /** Throws an AssertionError with {@link #describe()} unless the check passed. */
        public void assertOk() {
            if (!ok()) throw new AssertionError(describe());
        }
    }

    /** Checks with the default options and throws an AssertionError describing any mismatch. */
    public static void assertGradients(Fn f, Input... inputs) {
        check(f, Options.DEFAULT, inputs).assertOk();
    }

    public static Report check(Fn f, Input... inputs) {
        return check(f, Options.DEFAULT, inputs);
    }

    public static Report check(Fn f, Options options, Input... inputs) {
        if (Arrays.stream(inputs).noneMatch(Input::requiresGrad)) {
            throw new IllegalArgumentException("gradcheck: no input requires grad");
        }
        Report report = new Report();

        // Analytic: one forward with a graph, then backward(w).
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = inputs[i].build(inputs[i].data(), true);
        Tensor out = f.apply(leaves);
        if (out.dtype() != DType.F32) {
            throw new IllegalArgumentException("gradcheck: f returned a " + out.dtype() + " tensor");
        }
        int[] outShape = out.shape();
        float[] outValues = out.toFloatArray();
        double[] w = weights(options.seed(), outValues.length);
        float[] wf = new float[w.length];
        for (int j = 0; j < w.length; j++) wf[j] = (float) w[j];
        for (int j = 0; j < outValues.length; j++) {
            if (!Float.isFinite(outValues[j])) {
                report.problems.add("output element " + j + " is " + outValues[j]);
                return report;
            }
        }
        if (out.requiresGrad()) out.backward(Tensor.of(wf, outShape));

        // The forward must be reproducible, or finite differences mean nothing.
        float[] again = evaluate(f, inputs, -1, -1, 0, outShape, report);
        if (again != null && !Arrays.equals(again, outValues)) {
            report.problems.add("f is not deterministic: a second forward (without a graph)"
                    + " gave different values");
        }

        double[][] numerics = new double[inputs.length][], analytics = new double[inputs.length][];
        double[][] noises = new double[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            Input in = inputs[k];
            if (!in.requiresGrad()) continue;
            int n = in.data().length;
            double[] analytic = new double[n];
            Tensor g = leaves[k].grad();
            if (g != null) {
                if (!Arrays.equals(g.shape(), in.shape())) {
                    report.problems.add("input " + k + ": gradient has shape "
                            + Arrays.toString(g.shape()) + ", the input " + Arrays.toString(in.shape()));
                    continue;
                }
                float[] gv = g.toFloatArray();
                for (int e = 0; e < n; e++) analytic[e] = gv[e];
            }
            double[] numeric = new double[n], noise = new double[n];
            float[] xs = in.data();
            for (int e = 0; e < n; e++) {
                float x = xs[e];
                double h = options.relStep() * Math.max(1.0, Math.abs(x));
                float xp = (float) (x + h), xm = (float) (x - h);
                float[] op = evaluate(f, inputs, k, e, xp, outShape, report);
                float[] om = evaluate(f, inputs, k, e, xm, outShape, report);
                if (op == null || om == null) return report;
                double lp = 0, lm = 0, magnitude = 0;
                for (int j = 0; j < op.length; j++) {
                    lp += w[j] * op[j];
                    lm += w[j] * om[j];
                    magnitude += Math.abs(w[j]) * (Math.abs(op[j]) + Math.abs(om[j]));
                }
                double step = (double) xp - (double) xm;
                numeric[e] = (lp - lm) / step;
                noise[e] = options.noiseUlps() * EPS32 * magnitude / step;
            }
            numerics[k] = numeric;
            analytics[k] = analytic;
            noises[k] = noise;
        }
        double scale = 0;
        for (int k = 0; k < inputs.length; k++) {
            if (numerics[k] == null) continue;
            for (int e = 0; e < numerics[k].length; e++) {
                scale = Math.max(scale, Math.max(Math.abs(numerics[k][e]), Math.abs(analytics[k][e])));
            }
        }
        for (int k = 0; k < inputs.length; k++) {
            if (numerics[k] == null) continue;
            double[] numeric = numerics[k], analytic = analytics[k], noise = noises[k];
            float[] xs = inputs[k].data();
            for (int e = 0; e < numeric.length; e++) {
                report.checked++;
                double tol = options.atol() * scale + options.rtol() * Math.abs(numeric[e]) + noise[e];
                double diff = Math.abs(numeric[e] - analytic[e]);
                if (!(diff <= tol)) {
                    report.mismatches.add(new Mismatch(k, e, position(e, inputs[k].shape()), xs[e],
                            numeric[e], analytic[e], tol));
                }
                double ratio = tol > 0 ? diff / tol : diff > 0 ? Double.POSITIVE_INFINITY : 0;
                report.worstRatio = Math.max(report.worstRatio, ratio);
            }
        }
        return report;
    }

    /**
     * f on fresh graph-free leaves, element {@code e} of input {@code k} replaced by {@code value}
     * (k = -1: unperturbed); null (and a problem recorded) if the output shape changed or a value
     * is not finite.
     */
    private static float[] evaluate(Fn f, Input[] inputs, int k, int e, float value, int[] outShape,
                                    Report report) {
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            float[] values = inputs[i].data();
            if (i == k) values[e] = value;
            leaves[i] = inputs[i].build(values, false);
        }
        Tensor out;
        try (var ignored = GradMode.disable()) {
            out = f.apply(leaves);
        }
        if (!Arrays.equals(out.shape(), outShape)) {
            report.problems.add("f changed its output shape from " + Arrays.toString(outShape)
                    + " to " + Arrays.toString(out.shape()));
            return null;
        }
        float[] values = out.toFloatArray();
        for (float v : values) {
            if (!Float.isFinite(v)) {
                report.problems.add("input " + k + " element " + e + " = " + value
                        + " makes f non-finite");
                return null;
            }
        }
        return values;
    }

    /** w: magnitudes in [0.5, 1.5) with random signs, from a Philox stream. */
    private static double[] weights(long seed, int n) {
        Rng rng = new Rng(seed);
        double[] w = new double[n];
        for (int j = 0; j < n; j++) {
            float magnitude = 0.5f + rng.nextFloat();
            w[j] = (rng.nextInt() & 1) == 0 ? magnitude : -magnitude;
        }
        return w;
    }

    private static int[] position(int flat, int[] shape) {
        int[] pos = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return pos;
    }
}
