package org.iboot4j.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on the bundled synthetic dataset ({@code test-data/synthetic}): FFmpeg decoding
 * through {@link VideoClipSource} ({@code org.iboot4j.data.video.VideoReader}), the paper's
 * augmentation, batching.
 */
class LoaderVideoTest {
    static Path root;
    static ClassIndex classes;
    static VideoDataset clean, broken;

    @BeforeAll
    static void open() throws IOException {
        String d = System.getProperty("iboot.testData");
        root = Path.of(d == null || d.isBlank() ? "../test-data" : d).resolve("synthetic");
        classes = ClassIndex.load(root.resolve("classes.json"));
        clean = VideoDataset.fromCsv(root.resolve("labels.csv"), root, classes);
        broken = VideoDataset.fromCsv(root.resolve("broken.csv"), root, classes);
    }

    @Test
    void feedsIbootBatchesOf8x224FromTheBundledVideos() {
        LoaderConfig cfg = LoaderConfig.train(2, 2024).workers(2).build();   // 3 views of 8 x 8 frames, paper augmentation
        assertEquals(AugmentConfig.iboot(), cfg.augment());
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        try (ClipLoader loader = new ClipLoader(clean, new VideoClipSource(), cfg);
             ClipLoader.Epoch epoch = loader.epoch(0)) {
            assertEquals(30, loader.batchesPerEpoch());
            ClipBatch.IBootBatch b = epoch.next().iboot();
            for (Tensor v : List.of(b.vRef(), b.v1(), b.v2())) {
                assertArrayEquals(new int[] {2, 3, 8, 224, 224}, v.shape());
                for (float x : v.toFloatArray()) {
                    assertTrue(Float.isFinite(x));
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
            }
            assertEquals(0, loader.badSamples());
        }
        // normalised with CLIP's mean/std: within [(0 - mean) / std, (1 - mean) / std] and spread out
        assertTrue(lo >= -0.48145466f / 0.26862954f - 1e-4f && hi <= (1 - 0.40821073f) / 0.27577711f + 1e-4f, lo + " .. " + hi);
        assertTrue(hi - lo > 1.5f, "augmented frames are not flat: " + lo + " .. " + hi);
    }

    @Test
    void decodesEveryCodecOfTheBundledSet() throws IOException {
        VideoClipSource source = new VideoClipSource();
        for (String ext : List.of(".mp4", ".webm", ".avi")) {
            VideoSample s = clean.samples().stream().filter(x -> x.path().toString().endsWith(ext)).findFirst().orElseThrow();
            try (ClipSource.Video v = source.open(s.path())) {
                assertEquals(3.0, v.duration(), 0.1, s.path().toString());
                Frames f = v.read(0.5, 8, 8, 0);
                assertEquals(8, f.frames());
                assertEquals(64, f.height());
                assertEquals(64, f.width());
            }
        }
    }

    @Test
    void brokenFilesAreSkippedAndCounted() {
        List<VideoSample> mixed = new ArrayList<>(clean.samples().subList(0, 4));
        mixed.addAll(broken.samples());
        VideoDataset ds = new VideoDataset(mixed, classes);
        // small crops keep this quick; every sample is visited (no shuffle, no drop)
        LoaderConfig cfg = LoaderConfig.train(3, 5).views(2).augment(AugmentConfig.iboot().withGeometry(64, 72, 56))
                .shuffle(false).dropLast(false).workers(2).build();
        try (ClipLoader loader = new ClipLoader(ds, new VideoClipSource(), cfg)) {
            int samples = 0;
            try (ClipLoader.Epoch epoch = loader.epoch(0)) {
                while (epoch.hasNext()) {
                    ClipBatch b = epoch.next();
                    for (int v : b.videoIndices()) {
                        // truncated.webm is cut mid-stream: it opens and its surviving part decodes
                        // (the reader repeats the last frame), so it may be used
                        String name = ds.get(v).path().getFileName().toString();
                        assertTrue(v < 4 || name.equals("truncated.webm"), "a broken file reached a batch: " + name);
                    }
                    samples += b.size();
                }
            }
            assertEquals(9, samples);
            Set<String> bad = loader.badFiles().keySet().stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            assertTrue(bad.containsAll(Set.of("truncated.mp4", "random.mp4", "empty.avi", "not_a_video.webm")), bad.toString());
            assertTrue(loader.badSamples() >= 4);
            for (String reason : loader.badFiles().values()) assertTrue(!reason.isBlank());
        }
    }

    @Test
    void testViewsOnVideos() {
        LoaderConfig cfg = LoaderConfig.test(4).testClips(2).testSize(64).workers(2).build();
        try (ClipLoader loader = new ClipLoader(clean.head(2), new VideoClipSource(), cfg)) {
            List<ClipBatch> batches = new ArrayList<>();
            try (ClipLoader.Epoch epoch = loader.epoch(0)) {
                while (epoch.hasNext()) batches.add(epoch.next());
            }
            assertEquals(1, batches.size());
            ClipBatch b = batches.get(0);
            assertArrayEquals(new int[] {0, 0, 1, 1}, b.videoIndices());
            assertArrayEquals(new int[] {0, 1, 0, 1}, b.clipIndices());
            assertEquals(3, b.views().size());
            assertArrayEquals(new int[] {4, 3, 8, 64, 64}, b.view(0).shape());
            // square 64x64 frames at size 64: all three crops are the whole frame
            assertArrayEquals(b.view(0).toFloatArray(), b.view(2).toFloatArray());
        }
    }
}
