package org.iboot4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.loader.ClipLoader;
import org.iboot4j.data.loader.ClipSource;
import org.iboot4j.data.loader.LoaderConfig;
import org.iboot4j.data.loader.Seeds;
import org.iboot4j.data.loader.VideoClipSource;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;

/**
 * The video loader ({@link ClipLoader}) as pre-training's {@link ClipBatches}: epoch after epoch
 * of micro-batches, each sample's clips drawn and augmented by the loader from
 * (seed, epoch, sample) alone, so the sequence is reproducible and resumable.
 *
 * <p>Epochs are aligned with optimiser steps: an epoch hands out
 * {@code floor(batchesPerEpoch / K) * K} micro-batches (K = ACCUMULATION_STEPS), so one epoch is
 * exactly {@link #stepsPerEpoch()} steps; any leftover micro-batch of an epoch is not used.
 *
 * <p>Resuming in the middle of an epoch: the loader's prefetching epochs start at batch 0, so
 * the rest of a resumed epoch is made here, one batch at a time, each sample with
 * {@link ClipLoader#sample} (the same call the loader's workers make, so the same clips), the
 * samples of a batch in parallel; from the next epoch on the loader prefetches as usual.
 */
public final class LoaderBatches implements ClipBatches {
    private final ClipLoader loader;
    private final int accumulation, usable;
    private int epoch, batch;            // the next micro-batch to hand out
    private ClipLoader.Epoch current;   // open when handing out epoch `epoch` from batch 0 on
    private int[] order;                // the order of `epoch`, when resumed mid-epoch
    private long skippedBefore;         // bad samples counted before a resume

    public LoaderBatches(ClipLoader loader, int accumulationSteps) {
        this.loader = loader;
        this.accumulation = accumulationSteps;
        this.usable = loader.batchesPerEpoch() / accumulationSteps * accumulationSteps;
        if (usable == 0) {
            throw new IllegalArgumentException("the dataset has " + loader.dataset().size() + " videos: not enough for one"
                    + " step of " + accumulationSteps + " x " + loader.config().batchSize() + " videos");
        }
    }

    /** The loader a configuration describes, reading videos with FFmpeg. */
    public static LoaderBatches open(PretrainConfig config) throws IOException {
        return open(config, new VideoClipSource());
    }

    /** The loader a configuration describes, reading clips from {@code source}. */
    public static LoaderBatches open(PretrainConfig config, ClipSource source) throws IOException {
        return new LoaderBatches(new ClipLoader(dataset(config), source, loaderConfig(config)), config.train().accumulationSteps());
    }

    /** DATA.PATH_TO_CSV (a path,label list or a Kinetics CSV, relative to PATH_TO_DATA_DIR) or class folders. */
    static VideoDataset dataset(PretrainConfig config) throws IOException {
        PretrainConfig.Data d = config.data();
        if (d.pathToDataDir().isBlank() && d.pathToCsv().isBlank()) {
            throw new IllegalArgumentException(config.source() + ": DATA.PATH_TO_DATA_DIR (and/or DATA.PATH_TO_CSV) is"
                    + " needed to read videos; or train on one batch with --fixed-batch FILE");
        }
        Path root = Path.of(d.pathToDataDir().isBlank() ? "." : d.pathToDataDir());
        VideoDataset ds;
        if (!d.pathToCsv().isBlank()) {
            ds = VideoDataset.fromCsv(Path.of(d.pathToCsv()), root);
        } else {
            if (!Files.isDirectory(root)) throw new IllegalArgumentException("DATA.PATH_TO_DATA_DIR: no such folder " + root);
            ds = VideoDataset.fromClassFolders(root);
        }
        if (ds.size() == 0) throw new IllegalArgumentException("no videos found under " + root);
        return ds;
    }

    /** The loader settings: the paper's augmentation from AUG, normalised with DATA.MEAN / STD. */
    static LoaderConfig loaderConfig(PretrainConfig config) {
        PretrainConfig.Data d = config.data();
        PretrainConfig.Augment a = config.aug();
        AugmentConfig aug = new AugmentConfig(d.minScale(), d.maxScale(), d.cropSize(), a.flipProb(), a.colorJitterProb(),
                a.brightness(), a.contrast(), a.saturation(), a.hue(), a.grayscaleProb(), a.blurProb(), a.blurSigmaMin(),
                a.blurSigmaMax(), AugmentConfig.defaultBlurKernel(d.cropSize()), d.mean(), d.std());
        return LoaderConfig.train(config.microBatch(), Seeds.mix(config.train().seed(), 1))
                .views(config.clipsPerVideo()).frames(d.numFrames()).stride(d.samplingRate())
                .decodeShortSide(d.decodeShortSide()).augment(aug).workers(config.loader().numWorkers())
                .prefetchBatches(config.loader().prefetchBatches()).build();
    }

    @Override
    public int batchSize() {
        return loader.config().batchSize();
    }

    @Override
    public int clipsPerVideo() {
        return loader.config().views();
    }

    @Override
    public int stepsPerEpoch() {
        return usable / accumulation;
    }

    @Override
    public List<Tensor> next() {
        if (batch >= usable) {
            if (current != null) current.close();
            current = null;
            order = null;
            epoch++;
            batch = 0;
        }
        List<Tensor> views;
        if (batch == 0 && current == null) current = loader.epoch(epoch);
        if (current != null) {
            views = current.next().views();
        } else {
            views = made(epoch, batch);
        }
        batch++;
        return views;
    }

    /** Batch {@code b} of epoch {@code e}, its samples made in this thread and the common pool. */
    private List<Tensor> made(int e, int b) {
        if (order == null) order = loader.order(e);
        int n = batchSize();
        ClipLoader.Sample[] samples = new ClipLoader.Sample[n];
        IntStream.range(0, n).parallel().forEach(i -> samples[i] = loader.sample(e, order[b * n + i]));
        return loader.batch(samples).views();
    }

    @Override
    public Preprocessing normalization() {
        AugmentConfig a = loader.config().augment();
        return new Preprocessing(a.mean(), a.std());
    }

    @Override
    public long skippedVideos() {
        return skippedBefore + loader.badSamples();
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("kind", "loader");
        s.put("seed", loader.config().seed());
        s.put("epoch", (long) epoch);
        s.put("batch", (long) batch);
        s.put("skipped_videos", skippedVideos());
        return s;
    }

    @Override
    public void restore(Map<String, Object> state) {
        if (!"loader".equals(state.get("kind"))) {
            throw new IllegalArgumentException("the checkpoint's data state is " + state.get("kind") + ", not the video loader");
        }
        long seed = ((Number) state.get("seed")).longValue();
        if (seed != loader.config().seed()) {
            throw new IllegalArgumentException("the checkpoint's loader seed " + seed + " differs from " + loader.config().seed());
        }
        if (current != null) current.close();
        current = null;
        order = null;
        epoch = ((Number) state.get("epoch")).intValue();
        batch = ((Number) state.get("batch")).intValue();
        skippedBefore = ((Number) state.get("skipped_videos")).longValue() - loader.badSamples();
    }

    @Override
    public void close() {
        if (current != null) current.close();
        loader.close();
    }
}
