package org.iboot4j.eval;

import java.util.Locale;
import java.util.function.Consumer;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.loader.ClipBatch;
import org.iboot4j.data.loader.ClipLoader;
import org.iboot4j.data.loader.ClipSource;
import org.iboot4j.data.loader.LoaderConfig;
import org.iboot4j.data.loader.Seeds;
import org.iboot4j.data.loader.VideoClipSource;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.optim.Sgd;
import org.iboot4j.nn.optim.WarmupCosineSchedule;

/**
 * Fine-tuning (the paper's section 4.2): the WHOLE network — the pre-trained backbone and a new
 * linear head (dropout 0.5, then Linear 2048 -> classes) — trained with SGD on a labelled set
 * (UCF101 / HMDB51 splits through {@link org.iboot4j.data.dataset.VideoDataset}), or on a
 * per-class fraction of one ({@link Subsets}: the semi-supervised 1% / 10% setting).
 *
 * <p>Training: one clip per video per epoch at a random time ({@link ClipLoader} in training
 * mode, one view), with the spatial augmentation of PySlowFast's fine-tuning (short side
 * uniform in a range, random crop, horizontal flip; no colour augmentation by default);
 * batch-norm and dropout in training mode; cross-entropy; SGD with momentum, the learning rate
 * following a linear warm-up then cosine decay to 0, stepped every iteration. The paper's
 * settings: momentum 0.9, learning rate 0.0025, batch 128, 196 epochs for UCF101 / HMDB51
 * ({@link Settings#paper()}); for the semi-supervised subsets "as the linear evaluation, with an
 * initial learning rate of 0.01" ({@link Settings#semiSupervised()}: batch 64, 100 epochs, 8
 * warm-up epochs). When the set is smaller than a batch, the batch is the whole set; otherwise
 * the last incomplete batch of an epoch is dropped (batch-norm needs more than one sample).
 *
 * <p>Testing: the {@link TestProtocol}'s views of every test video (10 clips x 3 crops in the
 * paper), softmax averaged over the views, top-1 and top-5 ({@link Accuracy#ofViews}).
 */
public final class FineTune {
    private FineTune() {}

    /**
     * @param epochs        passes over the train set
     * @param batch         videos per step
     * @param lr            base learning rate (after warm-up)
     * @param warmupEpochs  linear warm-up from 0
     * @param momentum      SGD momentum
     * @param weightDecay   L2 weight decay (all parameters)
     * @param frames        T of the training clips
     * @param stride        tau of the training clips
     * @param decodeShortSide short side asked from the decoder (0: native)
     * @param augment       training augmentation (its mean/std normalise the clips)
     * @param workers       decoding threads
     * @param seed          clip sampling and shuffling seed
     */
    public record Settings(int epochs, int batch, double lr, double warmupEpochs, double momentum, double weightDecay,
            int frames, int stride, int decodeShortSide, AugmentConfig augment, int workers, long seed) {
        public Settings {
            if (epochs < 1 || batch < 1 || !(lr > 0) || warmupEpochs < 0 || warmupEpochs > epochs || momentum < 0
                    || weightDecay < 0 || frames < 1 || stride < 1 || workers < 1) {
                throw new IllegalArgumentException("fine-tune: invalid settings " + epochs + " epochs, batch " + batch + ", lr "
                        + lr + ", warm-up " + warmupEpochs + ", momentum " + momentum + ", weight decay " + weightDecay);
            }
        }

        /** The paper's UCF101 / HMDB51 fine-tuning: 196 epochs, batch 128, lr 0.0025, momentum 0.9, 8x8 clips, 224 crops. */
        public static Settings paper() {
            return new Settings(196, 128, 0.0025, 0, 0.9, 0, 8, 8, 0, spatialAugment(256, 320, 224,
                    TestProtocol.SLOWFAST_MEAN, TestProtocol.SLOWFAST_STD), Math.max(1, Runtime.getRuntime().availableProcessors()), 0);
        }

        /** The semi-supervised setting: as the linear probe (100 epochs, batch 64, 8 warm-up epochs) with lr 0.01. */
        public static Settings semiSupervised() {
            Settings p = paper();
            return new Settings(100, 64, 0.01, 8, 0.9, 0, p.frames, p.stride, p.decodeShortSide, p.augment, p.workers, p.seed);
        }
    }

    /** Scale jitter, random crop and flip only (no colour ops), normalised with mean/std. */
    public static AugmentConfig spatialAugment(int minShortSide, int maxShortSide, int crop, float[] mean, float[] std) {
        return AugmentConfig.iboot().withGeometry(minShortSide, maxShortSide, crop).withProbabilities(0.5, 0, 0, 0)
                .withNormalization(mean, std);
    }

    /** What training reported: the mean loss of the first and last epochs, and the steps taken. */
    public record Trained(double firstLoss, double lastLoss, long steps) {}

    /** Fine-tunes {@code model} (a Slow ResNet with a head) on {@code train}, reading videos with FFmpeg. */
    public static Trained train(SlowResNet model, VideoDataset train, Settings s, Consumer<String> log) {
        return train(model, train, s, new VideoClipSource(), log);
    }

    /** As {@link #train(SlowResNet, VideoDataset, Settings, Consumer)} reading clips from {@code source}. */
    public static Trained train(SlowResNet model, VideoDataset train, Settings s, ClipSource source, Consumer<String> log) {
        if (!model.hasHead()) throw new IllegalArgumentException("fine-tune: the model needs a classification head");
        if (model.head().proj.weight.size(0) != train.classes().size()) {
            throw new IllegalArgumentException("fine-tune: the head has " + model.head().proj.weight.size(0) + " outputs, the data "
                    + train.classes().size() + " classes");
        }
        int batch = Math.min(s.batch(), train.size());
        if (batch < 2) throw new IllegalArgumentException("fine-tune: needs at least 2 training videos (batch-norm), got " + train.size());
        LoaderConfig lc = LoaderConfig.train(batch, Seeds.mix(s.seed(), 7)).views(1).frames(s.frames()).stride(s.stride())
                .decodeShortSide(s.decodeShortSide()).augment(s.augment()).workers(s.workers()).prefetchBatches(2).build();
        model.train(true);
        Sgd opt = Sgd.sgd(model.namedParameters(), 0f, (float) s.momentum(), (float) s.weightDecay(), false);
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(s.lr(), 0, 0, s.warmupEpochs(), s.epochs());
        double first = Double.NaN, last = Double.NaN;
        long steps = 0, t0 = System.nanoTime();
        try (ClipLoader loader = new ClipLoader(train, source, lc)) {
            int iters = loader.batchesPerEpoch();
            for (int epoch = 0; epoch < s.epochs(); epoch++) {
                double sum = 0;
                int seen = 0, it = 0;
                try (ClipLoader.Epoch batches = loader.epoch(epoch)) {
                    while (batches.hasNext()) {
                        opt.setLr((float) schedule.lr(epoch + (double) it / iters));
                        double v;
                        int size;
                        try (TensorScope _ = TensorScope.open()) { // the step's tensors are recycled by the next
                            ClipBatch b = batches.next();
                            size = b.size();
                            opt.zeroGrad();
                            Tensor loss = Functional.crossEntropy(model.forward(b.view(0)), b.labelTensor());
                            loss.backward();
                            opt.step();
                            opt.zeroGrad();
                            v = loss.item();
                        }
                        if (!Double.isFinite(v)) throw new IllegalStateException("fine-tune: the loss is " + v + " in epoch " + epoch + "; lower --lr");
                        sum += v * size;
                        seen += size;
                        it++;
                        steps++;
                    }
                }
                last = sum / Math.max(1, seen);
                if (epoch == 0) first = last;
                if (log != null && (epoch + 1 == s.epochs() || (epoch + 1) % Math.max(1, s.epochs() / 10) == 0)) {
                    log.accept(String.format(Locale.ROOT, "  fine-tune: epoch %d/%d  loss %.4f  lr %.4g  (%.0f s)", epoch + 1, s.epochs(),
                            last, schedule.lr(epoch + 1.0 - 1.0 / Math.max(1, iters)), (System.nanoTime() - t0) * 1e-9));
                }
            }
            if (log != null && loader.badSamples() > 0) log.accept("  fine-tune: " + loader.badSamples() + " undecodable clip(s) skipped");
        }
        model.eval();
        return new Trained(first, last, steps);
    }

    /** The accuracy of {@code model} on {@code test}: softmax averaged over the protocol's views of each video. */
    public static Accuracy evaluate(SlowResNet model, VideoDataset test, TestProtocol protocol, Consumer<String> log) {
        return evaluate(model, test, protocol, new VideoClipSource(), log);
    }

    /** As {@link #evaluate(SlowResNet, VideoDataset, TestProtocol, Consumer)} reading clips from {@code source}. */
    public static Accuracy evaluate(SlowResNet model, VideoDataset test, TestProtocol protocol, ClipSource source, Consumer<String> log) {
        Features probs = FeatureExtractor.extract(model, x -> model.forward(x).softmax(1), test, protocol, source, log);
        return Accuracy.ofViews(probs.features().contiguous().toFloatArray(), test.classes().size(), probs.labels(), probs.videos());
    }
}
