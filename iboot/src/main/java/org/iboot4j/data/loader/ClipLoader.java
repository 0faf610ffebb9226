package org.iboot4j.data.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.data.augment.ClipAugmenter;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.data.video.ClipSampler;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.Backends;

/**
 * Decodes clips on a pool of worker threads and hands them out as batches of augmented tensors,
 * in an order that does not depend on thread timing.
 *
 * <pre>{@code
 * try (ClipLoader loader = new ClipLoader(dataset, source, LoaderConfig.train(8, seed).build())) {
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         try (ClipLoader.Epoch batches = loader.epoch(epoch)) {
 *             while (batches.hasNext()) {
 *                 ClipBatch.IBootBatch b = batches.next().iboot();   // vRef, v1, v2: (N, 3, 8, 224, 224)
 *             }
 *         }
 *         metrics.put("bad_samples", loader.badSamples());
 *     }
 * }
 * }</pre>
 *
 * <p><b>Samples.</b> In training, sample i is video i: {@code views} (rho) clips at independent
 * random times ({@link ClipSampler#trainingStarts}), each with its own
 * {@link ClipAugmentation}. In testing, sample i is temporal clip {@code i % K} of video
 * {@code i / K} (K = {@code testClips}, evenly spaced as PySlowFast: {@link ClipSampler#testStarts}),
 * cut into {@code testCrops} spatial views ({@link ClipAugmentation#testView}: the short side
 * resized to the crop size, left/centre/right or top/centre/bottom crops). Each view is
 * (3, T, S, S). A video is opened once per sample ({@link ClipSource#open}).
 *
 * <p><b>Augmentation.</b> The workers decode each view's uint8 clip and draw its
 * {@link ClipAugmentation}; {@link Epoch#next()} then augments the batch on the current backend
 * ({@link BatchAugmenter}: one {@code Backend.augmentClips} call per view, so on a GPU the
 * frames travel as bytes and become floats on the device). The values are those of
 * {@link ClipAugmenter} on each clip, bit for bit on the CPU. A queued sample holds its decoded
 * frames, 3 bytes per source pixel: set {@code decodeShortSide} for high-resolution sources.
 *
 * <p><b>Determinism.</b> The epoch's order is a Fisher-Yates shuffle seeded by
 * {@code Seeds.mix(seed, epoch, -1)} (identity order when not shuffling). Everything about
 * sample i in epoch e — clip times, augmentation parameters, which video replaces a bad one —
 * comes from one {@link Rng} seeded by {@code Seeds.mix(seed, e, i, attempt)}. Batches are
 * assembled in epoch order whatever thread finishes first, so the same seed gives the same
 * batches for any number of workers.
 *
 * <p><b>Bounded prefetch.</b> At most {@code prefetchBatches * batchSize} samples are queued,
 * being decoded or waiting to be taken; {@link Epoch#next()} takes the oldest batch and tops the
 * window up.
 *
 * <p><b>Bad files.</b> A sample whose video cannot be read (the source throws, returns the
 * wrong frame count, or the duration is not a number) is skipped: a warning naming the file and
 * the reason is logged (once per file), {@link #badSamples()} counts it, and a replacement video
 * drawn from the sample's own random stream is tried instead. Every attempt really reads the
 * file (a truncated file fails for some clips only, so "known bad" would make the outcome depend
 * on timing); a broken file fails at open, which is cheap. Only {@code maxAttempts} failures in
 * a row for ONE sample end the epoch with an exception (a dataset that is mostly broken).
 *
 * <p><b>Shutdown.</b> {@link #close()} cancels what is queued, interrupts and stops the workers
 * and joins their threads, so none outlives it; the threads are daemons named
 * {@code iboot-loader-<n>-<k>}.
 */
public final class ClipLoader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClipLoader.class.getName());
    private static final AtomicInteger LOADERS = new AtomicInteger();

    /**
     * One decoded sample: per view its uint8 clip (the test views of a sample share one) and the
     * augmentation drawn for it; {@link #batch} augments a batch of them.
     */
    public record Sample(int sampleIndex, int videoIndex, int clipIndex, int label, Frames[] clips,
            ClipAugmentation[] augmentations) {
        public Sample {
            if (clips.length != augmentations.length) {
                throw new IllegalArgumentException(clips.length + " clips but " + augmentations.length + " augmentations");
            }
        }

        /** Its views augmented one at a time on the CPU ({@link ClipAugmenter}), each (3, T, S, S) flattened: its rows of a batch. */
        public float[][] views() {
            float[][] views = new float[clips.length][];
            for (int v = 0; v < views.length; v++) views[v] = ClipAugmenter.apply(clips[v], augmentations[v]);
            return views;
        }
    }

    private final VideoDataset dataset;
    private final ClipSource source;
    private final LoaderConfig cfg;
    private final ExecutorService pool;
    private final String threadPrefix;
    private final AtomicLong badSamples = new AtomicLong();
    private final Map<Path, String> badFiles = new ConcurrentHashMap<>();
    private final Set<Epoch> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> workers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public ClipLoader(VideoDataset dataset, ClipSource source, LoaderConfig config) {
        if (dataset.size() == 0) throw new IllegalArgumentException("empty dataset");
        this.dataset = dataset;
        this.source = source;
        this.cfg = config;
        this.threadPrefix = "iboot-loader-" + LOADERS.incrementAndGet() + "-";
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
            t.setDaemon(true);
            workers.add(t);
            return t;
        };
        this.pool = Executors.newFixedThreadPool(config.workers(), threads);
    }

    public LoaderConfig config() {
        return cfg;
    }

    public VideoDataset dataset() {
        return dataset;
    }

    /** Prefix of this loader's worker thread names. */
    public String threadNamePrefix() {
        return threadPrefix;
    }

    /** Samples per epoch: the videos in training, videos x testClips in testing. */
    public int samplesPerEpoch() {
        return cfg.mode() == LoaderConfig.Mode.TRAIN ? dataset.size() : dataset.size() * cfg.testClips();
    }

    /** Batches per epoch (a short last batch counts unless dropLast). */
    public int batchesPerEpoch() {
        int n = samplesPerEpoch(), b = cfg.batchSize();
        return cfg.dropLast() ? n / b : (n + b - 1) / b;
    }

    /** Bad samples skipped so far (every failed attempt counts, also of a file that failed before). */
    public long badSamples() {
        return badSamples.get();
    }

    /** The distinct bad files met so far, with the first reason seen (sorted by path). */
    public Map<Path, String> badFiles() {
        return Collections.unmodifiableMap(new TreeMap<>(badFiles));
    }

    /** The order in which epoch {@code epoch} visits the samples. */
    public int[] order(int epoch) {
        int n = samplesPerEpoch();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (cfg.shuffle()) {
            Rng rng = new Rng(Seeds.mix(cfg.seed(), epoch, -1));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Starts epoch {@code epoch}: workers begin decoding its first batches at once. */
    public Epoch epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * Starts epoch {@code epoch} at batch {@code firstBatch} (to resume mid-epoch): the batches
     * are those the full epoch would give from there on, the same samples made the same way.
     */
    public Epoch epoch(int epoch, int firstBatch) {
        if (closed) throw new IllegalStateException("loader is closed");
        if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
            throw new IllegalArgumentException("batch " + firstBatch + " of an epoch of " + batchesPerEpoch() + " batches");
        }
        Epoch e = new Epoch(epoch, firstBatch * cfg.batchSize());
        open.add(e);
        e.refill();
        return e;
    }

    /**
     * Sample {@code sampleIndex} of epoch {@code epoch}, made in the calling thread: exactly what
     * a worker makes for it (bad files are skipped and counted the same way).
     */
    public Sample sample(int epoch, int sampleIndex) {
        return produce(epoch, sampleIndex, () -> closed);
    }

    /** Stops the workers (cancelling queued work) and waits for them to end. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Epoch e : List.copyOf(open)) e.close();
        pool.shutdownNow();
        boolean interrupted = false;
        try {
            while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "waiting for loader workers {0}* to finish", threadPrefix);
            }
            // the pool is terminated when its last task ends; join so no worker thread outlives close()
            for (Thread t : workers) {
                if (t != Thread.currentThread()) t.join();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    // ---- making one sample -----------------------------------------------------------------

    private interface Cancelled {
        boolean get();
    }

    private Sample produce(int epoch, int sampleIndex, Cancelled cancelled) {
        boolean train = cfg.mode() == LoaderConfig.Mode.TRAIN;
        int video = train ? sampleIndex : sampleIndex / cfg.testClips();
        int clip = train ? 0 : sampleIndex % cfg.testClips();
        String lastReason = null;
        for (int attempt = 0; attempt < cfg.maxAttempts(); attempt++) {
            Rng rng = new Rng(Seeds.mix(cfg.seed(), epoch, sampleIndex, attempt));
            if (attempt > 0) video = rng.nextInt(dataset.size());
            VideoSample vs = dataset.get(video);
            // No shortcut for files that failed before: a truncated file fails for some clips
            // only, and whether an earlier failure had been seen would depend on thread timing.
            try {
                return train ? trainSample(sampleIndex, video, vs, rng) : testSample(sampleIndex, video, clip, vs);
            } catch (Exception e) {
                if (cancelled.get() || Thread.currentThread().isInterrupted()) {
                    throw new CancellationException("loader closed while reading " + vs.path());
                }
                lastReason = reason(e);
                badSamples.incrementAndGet();
                if (badFiles.putIfAbsent(vs.path(), lastReason) == null) {
                    LOG.log(System.Logger.Level.WARNING, "skipping bad video {0}: {1} (replaced by another sample; {2} bad so far)",
                            vs.path(), lastReason, badSamples.get());
                }
            }
        }
        throw new IllegalStateException(cfg.maxAttempts() + " bad videos in a row for sample " + sampleIndex
                + " of epoch " + epoch + " (last: " + lastReason + "); is the dataset readable?");
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private Frames read(ClipSource.Video video, Path file, double start) throws IOException {
        Frames f = video.read(start, cfg.frames(), cfg.stride(), cfg.decodeShortSide());
        if (f == null || f.frames() != cfg.frames()) {
            throw new IOException("decoder gave " + (f == null ? "no clip" : f.frames() + " frames") + " at " + start
                    + " s of " + file + ", expected " + cfg.frames());
        }
        return f;
    }

    private static double duration(ClipSource.Video video) throws IOException {
        double d = video.duration();
        if (!(d >= 0) || Double.isInfinite(d)) throw new IOException("unusable duration " + d + " s");
        return d;
    }

    /** rho clips at independent random times ({@link ClipSampler#trainingStarts}), each with its own augmentation. */
    private Sample trainSample(int sampleIndex, int videoIndex, VideoSample vs, Rng rng) throws IOException {
        try (ClipSource.Video video = source.open(vs.path())) {
            double[] starts = ClipSampler.trainingStarts(rng, duration(video), cfg.frames(), cfg.stride(), cfg.views());
            Frames[] clips = new Frames[starts.length];
            ClipAugmentation[] augs = new ClipAugmentation[starts.length];
            for (int v = 0; v < starts.length; v++) {
                clips[v] = read(video, vs.path(), starts[v]);
                augs[v] = ClipAugmentation.draw(cfg.augment(), rng, clips[v].height(), clips[v].width());
            }
            return new Sample(sampleIndex, videoIndex, 0, vs.label(), clips, augs);
        }
    }

    /** Test clip {@code clip} of K ({@link ClipSampler#testStarts}), cut into the spatial crops. */
    private Sample testSample(int sampleIndex, int videoIndex, int clip, VideoSample vs) throws IOException {
        try (ClipSource.Video video = source.open(vs.path())) {
            double start = ClipSampler.testStarts(duration(video), cfg.frames(), cfg.stride(), cfg.testClips())[clip];
            Frames f = read(video, vs.path(), start);
            Frames[] clips = new Frames[cfg.testCrops()];
            ClipAugmentation[] augs = new ClipAugmentation[clips.length];
            for (int s = 0; s < clips.length; s++) {
                int spatial = cfg.testCrops() == 1 ? 1 : s;
                clips[s] = f;
                augs[s] = ClipAugmentation.testView(f.height(), f.width(), cfg.testSize(), spatial,
                        cfg.augment().mean(), cfg.augment().std());
            }
            return new Sample(sampleIndex, videoIndex, clip, vs.label(), clips, augs);
        }
    }

    // ---- one epoch -------------------------------------------------------------------------

    /**
     * The batches of one epoch, in order. Close it (or the loader) to stop its prefetching early;
     * running out of batches does not need a close.
     */
    public final class Epoch implements Iterator<ClipBatch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int limit;
        private final ConcurrentLinkedDeque<Future<Sample>> window = new ConcurrentLinkedDeque<>();
        private int submitted;
        private volatile int taken;
        private volatile boolean stopped;

        private Epoch(int epoch, int first) {
            this.epoch = epoch;
            this.order = order(epoch);
            int n = order.length, b = cfg.batchSize();
            this.limit = cfg.dropLast() ? n / b * b : n;
            this.submitted = Math.min(first, limit);
            this.taken = submitted;
        }

        public int epoch() {
            return epoch;
        }

        private synchronized void refill() {
            int capacity = cfg.prefetchBatches() * cfg.batchSize();
            while (!stopped && submitted < limit && window.size() < capacity) {
                int sampleIndex = order[submitted++];
                Future<Sample> f = pool.submit(() -> produce(epoch, sampleIndex, () -> stopped || closed));
                window.add(f);
                if (stopped) f.cancel(true);   // close() ran meanwhile
            }
        }

        @Override
        public boolean hasNext() {
            return !stopped && taken < limit;
        }

        /** The next batch; waits for its samples. */
        @Override
        public synchronized ClipBatch next() {
            if (!hasNext()) throw new NoSuchElementException(stopped ? "epoch closed" : "epoch " + epoch + " is over");
            int n = Math.min(cfg.batchSize(), limit - taken);
            Sample[] samples = new Sample[n];
            for (int i = 0; i < n; i++) {
                Future<Sample> f = window.poll();
                if (f == null) throw new CancellationException("epoch closed");
                try {
                    samples[i] = f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                    throw new CancellationException("interrupted while waiting for a batch");
                } catch (ExecutionException e) {
                    close();
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException("loader worker failed", e.getCause());
                }
            }
            taken += n;
            refill();
            if (taken >= limit) open.remove(this);
            return batch(samples);
        }

        /**
         * Cancels the samples still queued or running. Idempotent; may be called from another
         * thread while {@link #next()} waits (which then throws {@link CancellationException}).
         */
        @Override
        public void close() {
            stopped = true;
            for (Future<Sample> f : window) f.cancel(true);
            open.remove(this);
        }
    }

    /**
     * A batch of samples (made by the workers or by {@link #sample}) as tensors: each view
     * augmented on the current backend in one call ({@link BatchAugmenter}), plus labels and
     * indices.
     */
    public ClipBatch batch(Sample[] samples) {
        int n = samples.length;
        List<Tensor> tensors = BatchAugmenter.views(Backends.current(), samples, cfg.frames(), cfg.viewSize());
        long[] labels = new long[n];
        int[] videos = new int[n], clips = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = samples[i].label();
            videos[i] = samples[i].videoIndex();
            clips[i] = samples[i].clipIndex();
        }
        return new ClipBatch(tensors, labels, videos, clips);
    }
}
