package org.iboot4j.data.loader;

import org.iboot4j.data.augment.AugmentConfig;

/**
 * How a {@link ClipLoader} samples, augments and batches.
 *
 * @param mode            TRAIN: {@code views} clips per video at random times, each with its own
 *                        random augmentation; TEST: {@code testClips} evenly spaced clips per
 *                        video (one sample each), each cut into {@code testCrops} spatial views
 * @param batchSize       samples per batch N
 * @param views           rho, clips per video in training (iBoot: 3)
 * @param frames          T, frames per clip
 * @param stride          tau, frame stride on the 30 fps clip time base
 * @param decodeShortSide short side asked from the decoder (0 = native size); the augmentation
 *                        resizes afterwards
 * @param augment         training augmentation (its mean/std also normalise test views)
 * @param testClips       K, temporal clips per video in testing (10)
 * @param testCrops       spatial crops per clip in testing: 1 (centre) or 3 (PySlowFast)
 * @param testSize        short side and crop side of test views (224)
 * @param seed            run seed; with the epoch and sample index it fixes every random choice
 * @param shuffle         shuffle the sample order each epoch (seeded by (seed, epoch))
 * @param dropLast        drop a last batch smaller than {@code batchSize}
 * @param workers         decode/augment threads
 * @param prefetchBatches batches decoded ahead (the bound on samples in flight is
 *                        {@code prefetchBatches * batchSize})
 * @param maxAttempts     bad files tolerated in a row for one sample before the loader gives up
 */
public record LoaderConfig(
        Mode mode, int batchSize, int views, int frames, int stride, int decodeShortSide,
        AugmentConfig augment, int testClips, int testCrops, int testSize,
        long seed, boolean shuffle, boolean dropLast, int workers, int prefetchBatches, int maxAttempts) {

    public enum Mode { TRAIN, TEST }

    public LoaderConfig {
        if (mode == null || augment == null) throw new IllegalArgumentException("mode and augment are required");
        if (batchSize < 1 || views < 1 || frames < 1 || stride < 1 || decodeShortSide < 0) {
            throw new IllegalArgumentException("bad loader sizes: batch " + batchSize + ", views " + views + ", clip "
                    + frames + "x" + stride + ", decode short side " + decodeShortSide);
        }
        if (testClips < 1 || (testCrops != 1 && testCrops != 3) || testSize < 1) {
            throw new IllegalArgumentException("test sampling: " + testClips + " clips x " + testCrops + " crops (1 or 3) of " + testSize);
        }
        if (workers < 1 || prefetchBatches < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("workers, prefetchBatches and maxAttempts must be >= 1");
        }
    }

    /** iBoot pre-training: 3 views of 8 x 8 frames, the paper's augmentation, shuffled, last batch dropped. */
    public static Builder train(int batchSize, long seed) {
        return new Builder(Mode.TRAIN, batchSize, seed);
    }

    /** Multi-view testing: 10 clips x 3 crops of 224, 8 x 8 frames, in order, nothing dropped. */
    public static Builder test(int batchSize) {
        return new Builder(Mode.TEST, batchSize, 0);
    }

    /** Views per sample: {@code views} in training, {@code testCrops} in testing. */
    public int viewsPerSample() {
        return mode == Mode.TRAIN ? views : testCrops;
    }

    /** Side of every output view. */
    public int viewSize() {
        return mode == Mode.TRAIN ? augment.cropSize() : testSize;
    }

    public Builder toBuilder() {
        Builder b = new Builder(mode, batchSize, seed);
        b.views = views;
        b.frames = frames;
        b.stride = stride;
        b.decodeShortSide = decodeShortSide;
        b.augment = augment;
        b.testClips = testClips;
        b.testCrops = testCrops;
        b.testSize = testSize;
        b.shuffle = shuffle;
        b.dropLast = dropLast;
        b.workers = workers;
        b.prefetchBatches = prefetchBatches;
        b.maxAttempts = maxAttempts;
        return b;
    }

    /** Defaults per mode; change what you need, then {@link #build()}. */
    public static final class Builder {
        private Mode mode;
        private int batchSize;
        private long seed;
        private int views = 3, frames = 8, stride = 8;
        private int decodeShortSide = 0;
        private AugmentConfig augment = AugmentConfig.iboot();
        private int testClips = 10, testCrops = 3, testSize = 224;
        private boolean shuffle, dropLast;
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int prefetchBatches = 2, maxAttempts = 20;

        private Builder(Mode mode, int batchSize, long seed) {
            this.mode = mode;
            this.batchSize = batchSize;
            this.seed = seed;
            this.shuffle = mode == Mode.TRAIN;
            this.dropLast = mode == Mode.TRAIN;
        }

        public Builder mode(Mode v) { mode = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder views(int v) { views = v; return this; }
        public Builder frames(int v) { frames = v; return this; }
        public Builder stride(int v) { stride = v; return this; }
        public Builder decodeShortSide(int v) { decodeShortSide = v; return this; }
        public Builder augment(AugmentConfig v) { augment = v; return this; }
        public Builder testClips(int v) { testClips = v; return this; }
        public Builder testCrops(int v) { testCrops = v; return this; }
        public Builder testSize(int v) { testSize = v; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder dropLast(boolean v) { dropLast = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder prefetchBatches(int v) { prefetchBatches = v; return this; }
        public Builder maxAttempts(int v) { maxAttempts = v; return this; }

        public LoaderConfig build() {
            return new LoaderConfig(mode, batchSize, views, frames, stride, decodeShortSide, augment, testClips,
                    testCrops, testSize, seed, shuffle, dropLast, workers, prefetchBatches, maxAttempts);
        }
    }
}
