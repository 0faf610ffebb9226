package org.iboot4j.eval;

import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.iboot4j.data.loader.Seeds;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.optim.Sgd;
import org.iboot4j.nn.optim.WarmupCosineSchedule;

/**
 * Linear evaluation (the paper's section 4.2, following rho-BYOL): a linear classifier trained
 * on FROZEN features of the train split, scored on the test split.
 *
 * <p>The features are computed once ({@link FeatureExtractor}) and kept (in memory, or in a
 * safetensors cache), so each epoch costs a pass over a (rows x D) matrix, not over the videos.
 * Every row (a clip x crop of a train video) is a training sample. Before the classifier the
 * features are optionally normalised ({@link FeatureNorm}; default: standardised per dimension
 * with the train rows' mean and standard deviation, i.e. a batch-norm without affine parameters
 * in evaluation mode, as MAE-style linear probes do), and the same transform is applied to the
 * test rows.
 *
 * <p>Optimisation (paper): SGD with momentum 0.9, the learning rate rising linearly from 0 over
 * the first 8 epochs to its base value 1.0, then cosine decay to 0 (PySlowFast's schedule,
 * {@link WarmupCosineSchedule}, stepped every iteration with the fractional epoch), mini-batches
 * of 64, 100 epochs; no weight decay by default. Rows are shuffled every epoch from the seed; the
 * last, smaller batch of an epoch is kept.
 *
 * <p>Testing: the softmax of the logits of every view of a test video, averaged
 * ({@link Accuracy#ofViews}); top-1 and top-5.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /** How features are normalised before the classifier. */
    public enum FeatureNorm {
        /** as they are */
        NONE,
        /** each row scaled to unit l2 norm */
        L2,
        /** each dimension to zero mean and unit variance over the train rows */
        STANDARDIZE
    }

    /**
     * @param epochs        passes over the train rows
     * @param batch         rows per step
     * @param lr            base learning rate (after warm-up)
     * @param warmupEpochs  linear warm-up from 0
     * @param momentum      SGD momentum
     * @param weightDecay   L2 weight decay
     * @param norm          feature normalisation
     * @param seed          initialisation and shuffling seed
     */
    public record Settings(int epochs, int batch, double lr, double warmupEpochs, double momentum, double weightDecay,
            FeatureNorm norm, long seed) {
        public Settings {
            if (epochs < 1 || batch < 1 || !(lr > 0) || warmupEpochs < 0 || warmupEpochs > epochs || momentum < 0 || weightDecay < 0) {
                throw new IllegalArgumentException("linear probe: need epochs, batch >= 1, lr > 0, 0 <= warm-up <= epochs,"
                        + " momentum and weight decay >= 0; got " + epochs + " epochs, batch " + batch + ", lr " + lr
                        + ", warm-up " + warmupEpochs + ", momentum " + momentum + ", weight decay " + weightDecay);
            }
        }

        /** The paper's: 100 epochs, batch 64, base lr 1.0, 8 warm-up epochs, momentum 0.9, standardised features. */
        public static Settings paper() {
            return new Settings(100, 64, 1.0, 8, 0.9, 0, FeatureNorm.STANDARDIZE, 0);
        }
    }

    /** A trained probe: the feature transform and the linear layer. */
    public record Classifier(Linear linear, FeatureNorm norm, float[] mean, float[] std) {
        /** The logits (N, C) of raw features (N, D). */
        public Tensor logits(Tensor features) {
            return linear.forward(normalize(features));
        }

        Tensor normalize(Tensor x) {
            return switch (norm) {
                case NONE -> x;
                case L2 -> Functional.normalize(x, 1);
                case STANDARDIZE -> x.sub(Tensor.of(mean, 1, mean.length)).div(Tensor.of(std, 1, std.length));
            };
        }

        /** The classifier's weights ({@code weight} (C, D), {@code bias} (C), and the normaliser's {@code mean}, {@code std}). */
        public Map<String, Tensor> stateDict() {
            Map<String, Tensor> m = new java.util.LinkedHashMap<>(linear.stateDict());
            if (mean != null) m.put("norm.mean", Tensor.of(mean, mean.length));
            if (std != null) m.put("norm.std", Tensor.of(std, std.length));
            return m;
        }
    }

    /** A trained probe and its last epoch's mean training loss. */
    public record Trained(Classifier classifier, double firstLoss, double lastLoss) {}

    /** Trains a probe on {@code train}'s rows (every row a sample). */
    public static Trained train(Features train, Settings s, Consumer<String> log) {
        int rows = train.rows(), d = train.dim(), classes = train.classes().size();
        if (rows == 0) throw new IllegalArgumentException("linear probe: no train features");
        float[] mean = null, std = null;
        if (s.norm() == FeatureNorm.STANDARDIZE) {
            float[] f = train.features().contiguous().toFloatArray();
            mean = new float[d];
            std = new float[d];
            double[] sum = new double[d], sq = new double[d];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < d; j++) {
                    double v = f[r * d + j];
                    sum[j] += v;
                    sq[j] += v * v;
                }
            }
            for (int j = 0; j < d; j++) {
                double m = sum[j] / rows, var = Math.max(0, sq[j] / rows - m * m);
                mean[j] = (float) m;
                std[j] = (float) Math.sqrt(var + 1e-5);   // batch-norm's eps
            }
        }
        Rng rng = new Rng(s.seed());
        Linear linear = new Linear(d, classes, true, rng);
        Classifier c = new Classifier(linear, s.norm(), mean, std);
        Tensor x;
        try (var ignored = GradMode.disable()) {
            x = c.normalize(train.features()).contiguous();
        }
        float[] xs = x.toFloatArray();
        long[] ys = train.labels();
        Sgd opt = Sgd.sgd(linear.namedParameters(), 0f, (float) s.momentum(), (float) s.weightDecay(), false);
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(s.lr(), 0, 0, s.warmupEpochs(), s.epochs());
        int iters = (rows + s.batch() - 1) / s.batch();
        double first = Double.NaN, epochLoss = 0;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            int[] order = shuffled(rows, new Rng(Seeds.mix(s.seed(), epoch)));
            epochLoss = 0;
            for (int it = 0; it < iters; it++) {
                int from = it * s.batch(), n = Math.min(s.batch(), rows - from);
                float[] bx = new float[n * d];
                long[] by = new long[n];
                for (int i = 0; i < n; i++) {
                    int r = order[from + i];
                    System.arraycopy(xs, r * d, bx, i * d, d);
                    by[i] = ys[r];
                }
                opt.setLr((float) schedule.lr(epoch + (double) it / iters));
                opt.zeroGrad();
                Tensor loss = Functional.crossEntropy(linear.forward(Tensor.of(bx, n, d)), Tensor.ofLongs(by, n));
                loss.backward();
                opt.step();
                double v = loss.item();
                if (!Double.isFinite(v)) {
                    throw new IllegalStateException("linear probe: the loss is " + v + " in epoch " + epoch + "; lower --lr");
                }
                if (Double.isNaN(first)) first = v;
                epochLoss += v * n / rows;
            }
            if (log != null && (epoch + 1 == s.epochs() || (epoch + 1) % Math.max(1, s.epochs() / 10) == 0)) {
                log.accept(String.format(Locale.ROOT, "  linear: epoch %d/%d  loss %.4f  lr %.4g", epoch + 1, s.epochs(), epochLoss,
                        schedule.lr(epoch + 1.0 - 1.0 / iters)));
            }
        }
        return new Trained(c, first, epochLoss);
    }

    /** The accuracy on {@code test}: softmax of every view, averaged per video. */
    public static Accuracy evaluate(Classifier c, Features test) {
        try (var ignored = GradMode.disable()) {
            Tensor probs = c.logits(test.features()).softmax(1).contiguous();
            return Accuracy.ofViews(probs.toFloatArray(), test.classes().size(), test.labels(), test.videos());
        }
    }

    static int[] shuffled(int n, Rng rng) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
