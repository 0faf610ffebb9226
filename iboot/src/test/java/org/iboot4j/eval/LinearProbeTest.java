package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The linear probe, the per-video averaging of views and the feature files. */
class LinearProbeTest {
    static final ClassIndex THREE = ClassIndex.ordered(List.of("a", "b", "c"));

    /**
     * Three classes that only a linear map of a few dimensions separates (the others are
     * large-variance noise), with a big offset on every dimension: the standardisation matters
     * at lr 1.0.
     */
    static Features blobs(int videos, int views, long seed) {
        Rng rng = new Rng(seed);
        int d = 16;
        float[] noise = new float[videos * views * d];
        rng.fillNormal(noise, 0, 1);
        float[] f = new float[videos * views * d];
        long[] labels = new long[videos * views];
        int[] vids = new int[videos * views];
        for (int v = 0; v < videos; v++) {
            int c = v % 3;
            for (int k = 0; k < views; k++) {
                int r = v * views + k;
                labels[r] = c;
                vids[r] = v;
                for (int j = 0; j < d; j++) f[r * d + j] = 50 + noise[r * d + j] * (j < 2 ? 0.3f : 3f);
                f[r * d] += c == 0 ? 2 : 0;
                f[r * d + 1] += c == 1 ? 2 : 0;
            }
        }
        return new Features(Tensor.of(f, videos * views, d), labels, vids, videos, THREE);
    }

    @Test
    void learnsSeparableClassesWithThePaperSchedule() {
        Features train = blobs(90, 2, 1), test = blobs(30, 3, 2);
        LinearProbe.Settings s = new LinearProbe.Settings(30, 64, 1.0, 3, 0.9, 0, LinearProbe.FeatureNorm.STANDARDIZE, 0);
        LinearProbe.Trained t = LinearProbe.train(train, s, null);
        assertTrue(t.lastLoss() < t.firstLoss() / 3, "loss " + t.firstLoss() + " -> " + t.lastLoss());
        Accuracy acc = LinearProbe.evaluate(t.classifier(), test);
        assertEquals(30, acc.count(), "one score per test video (3 views averaged)");
        assertTrue(acc.top1() >= 0.9, "top-1 " + acc.top1());
        assertEquals(1.0, acc.top5());
        // same seed, same result
        LinearProbe.Trained again = LinearProbe.train(train, s, null);
        assertArrayEquals(t.classifier().linear().weight.toFloatArray(), again.classifier().linear().weight.toFloatArray());
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new LinearProbe.Settings(10, 64, 1.0, 11, 0.9, 0, LinearProbe.FeatureNorm.NONE, 0));
        assertThrows(IllegalArgumentException.class, () -> new LinearProbe.Settings(10, 0, 1.0, 1, 0.9, 0, LinearProbe.FeatureNorm.NONE, 0));
        LinearProbe.Settings p = LinearProbe.Settings.paper();
        assertEquals(100, p.epochs());
        assertEquals(64, p.batch());
        assertEquals(1.0, p.lr());
        assertEquals(8, p.warmupEpochs());
        assertEquals(0.9, p.momentum());
    }

    @Test
    void viewsAreAveragedPerVideo() {
        // video 7: views (0.9, 0.1) and (0.2, 0.8) -> mean (0.55, 0.45): class 0; video 3: one view, class 1
        float[] scores = {0.9f, 0.1f, 0.2f, 0.8f, 0.3f, 0.7f};
        Accuracy a = Accuracy.ofViews(scores, 2, new long[] {0, 0, 0}, new int[] {7, 7, 3});
        assertArrayEquals(new int[] {0, 1}, a.predictions());
        assertEquals(0.5, a.top1());
        assertArrayEquals(new int[][] {{1, 1}, {0, 0}}, a.confusion(2));
    }

    @Test
    void featuresAverageAndRoundTrip(@TempDir Path dir) throws Exception {
        Features f = blobs(4, 3, 7);
        Features per = f.perVideo();
        assertEquals(4, per.rows());
        assertArrayEquals(new int[] {0, 1, 2, 3}, per.videos());
        float[] all = f.features().toFloatArray(), mean = per.features().toFloatArray();
        assertEquals((all[16 * 3] + all[16 * 4] + all[16 * 5]) / 3, mean[16], 1e-4);
        Path file = dir.resolve("train.safetensors");
        f.save(file, Map.of("model", "m1"));
        Features.Loaded l = Features.load(file);
        assertArrayEquals(f.features().toFloatArray(), l.features().features().toFloatArray());
        assertArrayEquals(f.labels(), l.features().labels());
        assertArrayEquals(f.videos(), l.features().videos());
        assertEquals(THREE, l.features().classes());
        assertEquals("m1", l.metadata().get("model"));
        // the cache reuses a file with the same key and recomputes for another
        int[] computed = {0};
        Features.cached(file, Map.of("model", "m1"), () -> { computed[0]++; return f; }, null);
        assertEquals(0, computed[0]);
        Features.cached(file, Map.of("model", "m2"), () -> { computed[0]++; return f; }, null);
        assertEquals(1, computed[0]);
        assertEquals("m2", Features.load(file).metadata().get("model"));
    }
}
