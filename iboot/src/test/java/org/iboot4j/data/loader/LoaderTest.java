package org.iboot4j.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.data.augment.ClipAugmenter;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.data.video.ClipSampler;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The loader on generated frames ({@link FakeSource}: no decoding, small frames and crops, so
 * these tests are fast); {@code LoaderVideoTest} runs it on the bundled videos.
 */
class LoaderTest {
    static final int H = 24, W = 32, T = 4, STRIDE = 2, CROP = 20;
    static final AugmentConfig SMALL = AugmentConfig.iboot().withGeometry(24, 30, CROP);

    /**
     * Frames computed from the file name and the clip time. A file called {@code bad*} fails to
     * open, {@code short*} returns one frame too few, {@code nan*} has no duration, {@code slow*}
     * (or every file, with {@code delayMs}) sleeps per read; {@code gate} blocks every open.
     */
    static final class FakeSource implements ClipSource {
        final double duration;
        long delayMs;
        CountDownLatch gate;
        final ConcurrentLinkedQueue<String> reads = new ConcurrentLinkedQueue<>();
        final AtomicInteger opens = new AtomicInteger(), closes = new AtomicInteger();

        FakeSource(double duration) {
            this.duration = duration;
        }

        @Override
        public Frames read(Path file, double start, int frames, int stride, int shortSide) throws IOException {
            String name = file.getFileName().toString();
            if (name.startsWith("bad")) throw new IOException("corrupt header in " + file);
            reads.add(name + "@" + start);
            if (delayMs > 0) {
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
            int n = name.startsWith("short") ? frames - 1 : frames;
            int seed = name.hashCode();
            byte[] rgb = new byte[n * H * W * 3];
            for (int f = 0; f < n; f++) {
                int time = (int) Math.round((start + f * stride / 30.0) * 30);
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        for (int c = 0; c < 3; c++) {
                            rgb[((f * H + y) * W + x) * 3 + c] = (byte) (seed + 17 * y + 29 * x * (c + 1) + 53 * c + 7 * time);
                        }
                    }
                }
            }
            return new Frames(n, H, W, rgb);
        }

        @Override
        public double duration(Path file) throws IOException {
            String name = file.getFileName().toString();
            if (name.startsWith("bad")) throw new IOException("corrupt header in " + file);
            return name.startsWith("nan") ? Double.NaN : duration;
        }

        @Override
        public Video open(Path file) throws IOException {
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
            opens.incrementAndGet();
            Video inner = ClipSource.super.open(file);
            return new Video() {
                @Override
                public double duration() throws IOException {
                    return inner.duration();
                }

                @Override
                public Frames read(double s, int frames, int stride, int shortSide) throws IOException {
                    return inner.read(s, frames, stride, shortSide);
                }

                @Override
                public void close() {
                    closes.incrementAndGet();
                }
            };
        }
    }

    static VideoDataset dataset(String... names) {
        List<VideoSample> samples = new ArrayList<>();
        for (int i = 0; i < names.length; i++) samples.add(new VideoSample(Path.of("/videos", names[i]), i % 3));
        return new VideoDataset(samples, ClassIndex.sorted(List.of("a", "b", "c")));
    }

    static VideoDataset dataset(int n) {
        String[] names = new String[n];
        for (int i = 0; i < n; i++) names[i] = "v" + i + ".mp4";
        return dataset(names);
    }

    static LoaderConfig.Builder train(int batch) {
        return LoaderConfig.train(batch, 42).frames(T).stride(STRIDE).augment(SMALL).workers(3);
    }

    static List<ClipBatch> all(ClipLoader loader, int epoch) {
        List<ClipBatch> out = new ArrayList<>();
        try (ClipLoader.Epoch e = loader.epoch(epoch)) {
            while (e.hasNext()) out.add(e.next());
        }
        return out;
    }

    static void assertSameBatches(List<ClipBatch> a, List<ClipBatch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).videoIndices(), b.get(i).videoIndices());
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
            for (int v = 0; v < a.get(i).views().size(); v++) {
                assertArrayEquals(a.get(i).view(v).toFloatArray(), b.get(i).view(v).toFloatArray(), "batch " + i + " view " + v);
            }
        }
    }

    static List<Thread> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix) && t.isAlive()).toList();
    }

    // ---- shapes and determinism -------------------------------------------------------------

    @Test
    void batchesHaveOneTensorPerView() {
        VideoDataset ds = dataset(10);
        try (ClipLoader loader = new ClipLoader(ds, new FakeSource(5), train(4).build())) {
            assertEquals(2, loader.batchesPerEpoch());   // 10 videos, batch 4, last one dropped
            List<ClipBatch> batches = all(loader, 0);
            assertEquals(2, batches.size());
            for (ClipBatch b : batches) {
                assertEquals(4, b.size());
                assertEquals(3, b.views().size());
                for (Tensor v : b.views()) assertArrayEquals(new int[] {4, 3, T, CROP, CROP}, v.shape());
                for (int i = 0; i < 4; i++) assertEquals(ds.get(b.videoIndices()[i]).label(), b.labels()[i]);
                ClipBatch.IBootBatch ib = b.iboot();
                assertArrayEquals(b.view(0).toFloatArray(), ib.vRef().toFloatArray());
                assertArrayEquals(b.view(2).toFloatArray(), ib.v2().toFloatArray());
                assertArrayEquals(new int[] {4}, b.labelTensor().shape());
                // the three views of a video are different clips with different augmentations
                assertFalse(Arrays.equals(b.view(1).toFloatArray(), b.view(2).toFloatArray()));
            }
            assertEquals(0, loader.badSamples());
        }
    }

    @Test
    void sameSeedSameBatchesForAnyThreadCount() {
        VideoDataset ds = dataset(9);
        List<ClipBatch> one, many, again, resumed;
        ClipLoader.Sample direct;
        try (ClipLoader l1 = new ClipLoader(ds, new FakeSource(5), train(3).workers(1).prefetchBatches(1).build())) {
            one = all(l1, 0);
            one.addAll(all(l1, 1));
        }
        try (ClipLoader l5 = new ClipLoader(ds, new FakeSource(5), train(3).workers(5).prefetchBatches(3).build())) {
            many = all(l5, 0);
            many.addAll(all(l5, 1));
            again = all(l5, 0);
            try (ClipLoader.Epoch e = l5.epoch(1, 1)) {   // epoch 1 from its second batch (a resume)
                resumed = new ArrayList<>();
                while (e.hasNext()) resumed.add(e.next());
            }
            direct = l5.sample(1, many.get(3).videoIndices()[1]);
        }
        assertSameBatches(one, many);
        assertSameBatches(one.subList(0, 3), again);
        assertSameBatches(many.subList(4, 6), resumed);
        // a sample made in the calling thread is the one the workers made
        float[] fromBatch = Arrays.copyOfRange(many.get(3).view(2).toFloatArray(), 3 * T * CROP * CROP, 2 * 3 * T * CROP * CROP);
        assertArrayEquals(direct.views()[2], fromBatch);
        // another epoch: another order and other clips
        assertFalse(Arrays.equals(one.get(0).view(0).toFloatArray(), one.get(3).view(0).toFloatArray()));
        try (ClipLoader other = new ClipLoader(ds, new FakeSource(5), train(3).seed(43).build())) {
            assertNotEquals(Arrays.toString(one.get(0).view(0).toFloatArray()), Arrays.toString(all(other, 0).get(0).view(0).toFloatArray()));
        }
    }

    @Test
    void everyEpochVisitsEverySampleOnce() {
        VideoDataset ds = dataset(11);
        try (ClipLoader loader = new ClipLoader(ds, new FakeSource(5), train(4).dropLast(false).build())) {
            assertEquals(3, loader.batchesPerEpoch());
            List<int[]> orders = new ArrayList<>();
            for (int epoch = 0; epoch < 2; epoch++) {
                int[] seen = all(loader, epoch).stream().flatMapToInt(b -> Arrays.stream(b.videoIndices())).toArray();
                assertEquals(11, seen.length);
                orders.add(seen.clone());
                Arrays.sort(seen);
                assertArrayEquals(java.util.stream.IntStream.range(0, 11).toArray(), seen);
            }
            assertFalse(Arrays.equals(orders.get(0), orders.get(1)), "shuffled differently per epoch");
            assertArrayEquals(orders.get(0), loader.order(0));
        }
        try (ClipLoader loader = new ClipLoader(ds, new FakeSource(5), train(4).shuffle(false).dropLast(false).build())) {
            assertArrayEquals(new int[] {8, 9, 10}, all(loader, 3).get(2).videoIndices());
        }
    }

    @Test
    void clipTimesAndAugmentationsComeFromTheSampleSeed() throws IOException {
        VideoDataset ds = dataset(5);
        FakeSource src = new FakeSource(7.5);
        LoaderConfig cfg = train(2).build();
        try (ClipLoader loader = new ClipLoader(ds, src, cfg)) {
            ClipLoader.Sample s = loader.sample(4, 3);
            Rng rng = new Rng(Seeds.mix(42, 4, 3, 0));
            double[] starts = ClipSampler.trainingStarts(rng, 7.5, T, STRIDE, 3);
            List<String> reads = new ArrayList<>(src.reads);
            for (int v = 0; v < 3; v++) assertEquals("v3.mp4@" + starts[v], reads.get(v));
            for (int v = 0; v < 3; v++) {
                Frames f = src.read(Path.of("/videos/v3.mp4"), starts[v], T, STRIDE, 0);
                ClipAugmentation aug = ClipAugmentation.draw(SMALL, rng, H, W);
                assertArrayEquals(ClipAugmenter.apply(f, aug), s.views()[v]);
            }
            assertEquals(src.opens.get(), src.closes.get(), "every opened video closed");
        }
    }

    // ---- test mode --------------------------------------------------------------------------

    @Test
    void testModeGivesKClipsTimesThreeCrops() throws IOException {
        VideoDataset ds = dataset(3);
        FakeSource src = new FakeSource(6.0);
        LoaderConfig cfg = LoaderConfig.test(5).frames(T).stride(STRIDE).testClips(4).testSize(CROP).augment(SMALL).workers(2).build();
        try (ClipLoader loader = new ClipLoader(ds, src, cfg)) {
            assertEquals(12, loader.samplesPerEpoch());
            List<ClipBatch> batches = all(loader, 0);
            assertEquals(List.of(5, 5, 2), batches.stream().map(ClipBatch::size).toList());
            int[] videos = batches.stream().flatMapToInt(b -> Arrays.stream(b.videoIndices())).toArray();
            int[] clips = batches.stream().flatMapToInt(b -> Arrays.stream(b.clipIndices())).toArray();
            assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, videos);
            assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, clips);
            ClipBatch b = batches.get(1);   // samples 5..9; sample 6 = video 1, clip 2
            assertEquals(3, b.views().size());
            assertArrayEquals(new int[] {5, 3, T, CROP, CROP}, b.view(0).shape());
            double start = ClipSampler.testStarts(6.0, T, STRIDE, 4)[2];
            assertEquals(6.0 - T * STRIDE / 30.0, 4 * ClipSampler.testStarts(6.0, T, STRIDE, 4)[1] * 1.0, 1e-9);
            Frames f = src.read(Path.of("/videos/v1.mp4"), start, T, STRIDE, 0);
            int per = 3 * T * CROP * CROP;
            for (int crop = 0; crop < 3; crop++) {
                ClipAugmentation aug = ClipAugmentation.testView(H, W, CROP, crop, SMALL.mean(), SMALL.std());
                assertEquals(new int[] {0, 3, 6}[crop], aug.cropLeft());   // 24x32 -> 20x26: left, centre, right
                assertArrayEquals(ClipAugmenter.apply(f, aug), Arrays.copyOfRange(b.view(crop).toFloatArray(), per, 2 * per));
            }
        }
        LoaderConfig centre = cfg.toBuilder().testCrops(1).build();
        try (ClipLoader loader = new ClipLoader(ds, src, centre)) {
            ClipBatch b = all(loader, 0).get(0);
            assertEquals(1, b.views().size());
        }
    }

    // ---- bad files --------------------------------------------------------------------------

    @Test
    void badFilesAreSkippedNamedCountedAndReplaced() {
        VideoDataset ds = dataset("v0.mp4", "bad1.mp4", "v2.mp4", "short3.webm", "v4.mp4", "nan5.avi", "v6.mp4",
                "bad7.mp4", "v8.mp4", "v9.mp4", "v10.mp4", "bad11.mp4");
        List<String> warnings = new ArrayList<>();
        Logger jul = Logger.getLogger(ClipLoader.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (warnings) {
                    warnings.add(new java.util.logging.SimpleFormatter().formatMessage(r));
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(h);
        long[] counts = new long[2];
        List<List<ClipBatch>> runs = new ArrayList<>();
        try {
            for (int run = 0; run < 2; run++) {
                try (ClipLoader loader = new ClipLoader(ds, new FakeSource(4), train(4).dropLast(false).workers(run == 0 ? 1 : 4).build())) {
                    List<ClipBatch> batches = all(loader, 0);
                    runs.add(batches);
                    assertEquals(3, batches.size());
                    for (ClipBatch b : batches) {
                        assertEquals(4, b.size());
                        for (int v : b.videoIndices()) {
                            String name = ds.get(v).path().getFileName().toString();
                            assertTrue(name.startsWith("v"), "a bad video reached a batch: " + name);
                        }
                    }
                    Map<Path, String> bad = loader.badFiles();
                    assertEquals(List.of("bad1.mp4", "bad11.mp4", "bad7.mp4", "nan5.avi", "short3.webm"),
                            bad.keySet().stream().map(p -> p.getFileName().toString()).sorted().toList());
                    assertTrue(bad.get(Path.of("/videos/bad1.mp4")).contains("corrupt header"));
                    assertTrue(bad.get(Path.of("/videos/short3.webm")).contains("3 frames"));
                    assertTrue(bad.get(Path.of("/videos/nan5.avi")).contains("duration"));
                    counts[run] = loader.badSamples();
                    assertTrue(counts[run] >= 5);
                }
            }
        } finally {
            jul.removeHandler(h);
        }
        assertEquals(counts[0], counts[1], "the count does not depend on thread timing");
        assertSameBatches(runs.get(0), runs.get(1));
        synchronized (warnings) {
            for (String f : List.of("bad1.mp4", "bad7.mp4", "bad11.mp4", "short3.webm", "nan5.avi")) {
                assertTrue(warnings.stream().anyMatch(w -> w.contains(f) && w.contains("skipping")), "warning names " + f + ": " + warnings);
            }
        }
    }

    @Test
    void aDatasetOfBadFilesStopsWithAClearError() {
        VideoDataset ds = dataset("bad0.mp4", "bad1.mp4", "bad2.mp4");
        try (ClipLoader loader = new ClipLoader(ds, new FakeSource(4), train(2).maxAttempts(4).build());
             ClipLoader.Epoch e = loader.epoch(0)) {
            IllegalStateException x = assertThrows(IllegalStateException.class, e::next);
            assertTrue(x.getMessage().contains("4 bad videos in a row"), x.getMessage());
            assertFalse(e.hasNext());
        }
    }

    // ---- threads ----------------------------------------------------------------------------

    @Test
    void closeStopsTheWorkersWithoutLeaks() {
        FakeSource slow = new FakeSource(4);
        slow.delayMs = 30;
        ClipLoader loader = new ClipLoader(dataset(40), slow, train(4).workers(4).prefetchBatches(3).build());
        String prefix = loader.threadNamePrefix();
        ClipLoader.Epoch e = loader.epoch(0);
        e.next();
        assertFalse(threads(prefix).isEmpty());
        loader.close();                                  // samples are still being decoded
        assertEquals(List.of(), threads(prefix), "worker threads still alive after close()");
        assertThrows(RuntimeException.class, e::next);
        assertThrows(IllegalStateException.class, () -> loader.epoch(1));
        loader.close();                                  // idempotent
        assertEquals(slow.opens.get(), slow.closes.get(), "every opened video closed");
        assertEquals(0, loader.badSamples(), "cancelled samples are not counted as bad");
    }

    @Test
    void prefetchIsBounded() throws InterruptedException {
        FakeSource gated = new FakeSource(4);
        gated.gate = new CountDownLatch(1);
        try (ClipLoader loader = new ClipLoader(dataset(40), gated, train(2).workers(8).prefetchBatches(2).build())) {
            ClipLoader.Epoch e = loader.epoch(0);
            Thread.sleep(100);
            gated.gate.countDown();
            // at most prefetchBatches * batchSize = 4 samples were queued before the first batch was taken
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gated.opens.get() < 4 && System.nanoTime() < deadline) Thread.sleep(5);
            Thread.sleep(100);
            assertEquals(4, gated.opens.get());
            e.next();
            while (gated.opens.get() < 6 && System.nanoTime() < deadline) Thread.sleep(5);
            Thread.sleep(100);
            assertEquals(6, gated.opens.get(), "taking one batch of 2 makes room for 2 more");
        }
    }

    // ---- benchmark --------------------------------------------------------------------------

    @Test
    void benchmarkReportsClipsPerSecond() {
        LoaderBenchmark.Result r = LoaderBenchmark.measure(dataset(6), new FakeSource(4), train(2).workers(2).build(), 12);
        assertTrue(r.clips() >= 12, r.toString());
        assertTrue(r.clipsPerSecond() > 0 && r.clipsPerSecondPerCore() > 0, r.toString());
        assertEquals(2, r.workers());
        // the JVM's CPU time is counted in clock ticks (10 ms): at least 0, at most every core's
        // whole timed part plus a tick per core
        assertTrue(r.cpuSeconds() >= 0 && r.cpuSeconds() <= (r.seconds() + 0.01) * r.cores(), r.toString());
    }
}
