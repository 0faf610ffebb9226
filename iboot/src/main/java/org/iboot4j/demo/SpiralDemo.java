package org.iboot4j.demo;

import java.util.function.Consumer;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;

/**
 * The engine's smoke demo: a 2 -> H -> H -> 3 MLP (ReLU) learns the classic three-arm spiral
 * (300 points; arm k winds from the centre outwards, with noise) by full-batch gradient descent
 * on the cross-entropy. A linear model cannot separate the arms, so a falling loss and a high
 * accuracy mean the forward ops, autograd and the CPU backend all work together.
 *
 * <p>Until the {@code nn} module brings layers and optimisers, parameters are plain tensors
 * and the SGD step is written out: p <- p - lr * dL/dp, under no-grad.
 */
public final class SpiralDemo {
    /** Loss at the first and last step and the final training accuracy. */
    public record Result(float firstLoss, float lastLoss, float accuracy) {}

    private static final int CLASSES = 3, PER_CLASS = 100;

    private final float lr;
    private final Tensor points;   // (300, 2)
    private final Tensor labels;   // (300) int64
    private final Tensor[] params; // w1, b1, w2, b2, w3, b3

    public SpiralDemo(int hidden, float lr, long seed) {
        this.lr = lr;
        Rng rng = new Rng(seed);
        float[] xy = new float[CLASSES * PER_CLASS * 2];
        long[] y = new long[CLASSES * PER_CLASS];
        for (int k = 0, i = 0; k < CLASSES; k++) {
            for (int j = 0; j < PER_CLASS; j++, i++) {
                double r = (double) j / PER_CLASS;
                double theta = k * 4.0 + r * 4.0 + 0.2 * gaussian(rng);
                xy[2 * i] = (float) (r * Math.sin(theta));
                xy[2 * i + 1] = (float) (r * Math.cos(theta));
                y[i] = k;
            }
        }
        points = Tensor.of(xy, CLASSES * PER_CLASS, 2);
        labels = Tensor.ofLongs(y);
        params = new Tensor[] {
            kaiming(rng, 2, hidden), Tensor.zeros(hidden),
            kaiming(rng, hidden, hidden), Tensor.zeros(hidden),
            kaiming(rng, hidden, CLASSES), Tensor.zeros(CLASSES)};
        for (Tensor p : params) p.requiresGrad(true);
    }

    /** Runs {@code steps} steps, reporting every {@code every} to {@code log}. */
    public Result train(int steps, int every, Consumer<String> log) {
        float first = Float.NaN, last = Float.NaN;
        for (int step = 0; step < steps; step++) {
            Tensor loss = Functional.crossEntropy(logits(), labels);
            loss.backward();
            last = loss.item();
            if (step == 0) first = last;
            if (step % every == 0 || step == steps - 1) {
                log.accept(String.format("step %4d  loss %.4f", step, last));
            }
            sgdStep();
        }
        return new Result(first, last, accuracy());
    }

    private Tensor logits() {
        Tensor h = points.matmul(params[0]).add(params[1]).relu();
        h = h.matmul(params[2]).add(params[3]).relu();
        return h.matmul(params[4]).add(params[5]);
    }

    private void sgdStep() {
        try (var ignored = GradMode.disable()) {
            for (int i = 0; i < params.length; i++) {
                params[i] = params[i].sub(params[i].grad().mul(lr)).requiresGrad(true);
            }
        }
    }

    private float accuracy() {
        try (var ignored = GradMode.disable()) {
            long[] predicted = logits().argmax(1, false).toLongArray();
            long[] truth = labels.toLongArray();
            int right = 0;
            for (int i = 0; i < truth.length; i++) if (predicted[i] == truth[i]) right++;
            return (float) right / truth.length;
        }
    }

    /** He initialisation: N(0, 2 / fanIn), suited to ReLU. */
    private static Tensor kaiming(Rng rng, int fanIn, int fanOut) {
        return Tensor.randn(rng, 0f, (float) Math.sqrt(2.0 / fanIn), fanIn, fanOut);
    }

    private static double gaussian(Rng rng) {
        float[] one = new float[1];
        rng.fillNormal(one, 0, 1);
        return one[0];
    }
}
