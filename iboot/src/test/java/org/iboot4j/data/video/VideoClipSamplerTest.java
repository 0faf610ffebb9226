package org.iboot4j.data.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.iboot4j.engine.Rng;
import org.junit.jupiter.api.Test;

class VideoClipSamplerTest {

    @Test
    void clipSecondsIsPySlowFastClipSize() {
        assertEquals(64 / 30.0, ClipSampler.clipSeconds(8, 8), 1e-12);  // Slow-R50 8x8
        assertEquals(32 / 30.0, ClipSampler.clipSeconds(16, 2), 1e-12);
        assertEquals(1 / 30.0, ClipSampler.clipSeconds(1, 1), 1e-12);
    }

    @Test
    void sampleTimesUseTheThirtyFpsTimeBase() {
        assertArrayEquals(new double[] {1.5, 1.5 + 8 / 30.0, 1.5 + 16 / 30.0, 1.5 + 24 / 30.0},
                ClipSampler.sampleTimes(1.5, 4, 8), 1e-12);
    }

    @Test
    void trainingStartsFitTheVideoAndAreUniform() {
        double duration = 10, delta = 10 - 64 / 30.0;
        double[] s = ClipSampler.trainingStarts(new Rng(11), duration, 8, 8, 20_000);
        assertEquals(20_000, s.length);
        double sum = 0;
        int[] bins = new int[10];
        for (double x : s) {
            assertTrue(x >= 0 && x <= delta, "start " + x);
            assertTrue(x + ClipSampler.clipSeconds(8, 8) <= duration + 1e-9, "clip fits");
            sum += x;
            bins[(int) Math.min(9, x / delta * 10)]++;
        }
        assertEquals(delta / 2, sum / s.length, 0.05 * delta, "mean");
        for (int b : bins) assertEquals(2000, b, 200, "histogram " + Arrays.toString(bins));
    }

    @Test
    void trainingStartsAreIndependentAndSeeded() {
        double[] a = ClipSampler.trainingStarts(new Rng(5), 30, 8, 8, 4);
        double[] b = ClipSampler.trainingStarts(new Rng(5), 30, 8, 8, 4);
        double[] c = ClipSampler.trainingStarts(new Rng(6), 30, 8, 8, 4);
        assertArrayEquals(a, b, "same seed, same starts");
        assertFalse(Arrays.equals(a, c), "another seed, other starts");
        assertEquals(4, Arrays.stream(a).distinct().count(), "rho distinct draws");
        // the same Rng continues: consecutive videos get fresh draws
        Rng rng = new Rng(5);
        double[] first = ClipSampler.trainingStarts(rng, 30, 8, 8, 2);
        double[] next = ClipSampler.trainingStarts(rng, 30, 8, 8, 2);
        assertArrayEquals(Arrays.copyOf(a, 2), first);
        assertArrayEquals(Arrays.copyOfRange(a, 2, 4), next);
    }

    @Test
    void shortVideoStartsAtZero() {
        assertArrayEquals(new double[] {0, 0, 0}, ClipSampler.trainingStarts(new Rng(1), 1.0, 8, 8, 3));
        assertArrayEquals(new double[] {0, 0}, ClipSampler.trainingStarts(new Rng(1), 64 / 30.0, 8, 8, 2),
                "exactly one clip long");
        assertArrayEquals(new double[] {0, 0, 0}, ClipSampler.testStarts(0.5, 8, 8, 3));
        assertArrayEquals(new double[] {0}, ClipSampler.trainingStarts(new Rng(1), 0, 8, 8, 1));
    }

    /** PySlowFast: start = delta * clip_idx / num_clips, delta = max(video - clip_size, 0). */
    @Test
    void testStartsAreEvenlySpacedLikePySlowFast() {
        double duration = 10, delta = 10 - 64 / 30.0;
        double[] s = ClipSampler.testStarts(duration, 8, 8, 10);
        assertEquals(10, s.length);
        for (int i = 0; i < 10; i++) assertEquals(delta * i / 10, s[i], 1e-12);
        assertArrayEquals(new double[] {0}, ClipSampler.testStarts(duration, 8, 8, 1));
        double[] three = ClipSampler.testStarts(duration, 8, 8, 3);
        assertArrayEquals(new double[] {0, delta / 3, 2 * delta / 3}, three, 1e-12);
        for (double x : s) assertTrue(x + ClipSampler.clipSeconds(8, 8) <= duration);
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.trainingStarts(new Rng(0), 10, 8, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.trainingStarts(new Rng(0), -1, 8, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.trainingStarts(new Rng(0), Double.NaN, 8, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.testStarts(10, 0, 8, 3));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.testStarts(10, 8, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.testStarts(10, 8, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> ClipSampler.testStarts(Double.POSITIVE_INFINITY, 8, 8, 2));
    }
}
