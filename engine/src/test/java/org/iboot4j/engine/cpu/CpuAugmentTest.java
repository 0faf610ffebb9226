package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.iboot4j.engine.backend.AugmentClip;
import org.junit.jupiter.api.Test;

/** The CPU augmentation on small examples worked out by hand (tolerances per assertion). */
class CpuAugmentTest {
    private static final float[] ZERO = {0, 0, 0}, ONE = {1, 1, 1};

    /** A 2x2 RGB frame from four (r, g, b) byte triples, row-major. */
    private static MemorySegment frame(int... rgb) {
        byte[] b = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) b[i] = (byte) rgb[i];
        return MemorySegment.ofArray(b);
    }

    private static AugmentClip clip(int rh, int rw, int top, int left, boolean flip, float bri, float con, float hue,
            int[] order, boolean gray, float sigma, int k, float[] mean, float[] std) {
        return new AugmentClip(2, 2, rh, rw, top, left, flip, bri, con, 1f, hue, order, gray, sigma, k, mean, std);
    }

    private static float[] run(MemorySegment f, AugmentClip c, int out) {
        return CpuAugment.apply(f, List.of(c), 1, out, out);
    }

    @Test
    void flipAndBrightness() {
        // pixels (255,0,0) (0,255,0) / (0,0,255) (51,102,204); flipped, halved: out(y, x) = src(y, 1 - x) * 0.5 / 255
        MemorySegment f = frame(255, 0, 0, 0, 255, 0, 0, 0, 255, 51, 102, 204);
        float[] got = run(f, clip(2, 2, 0, 0, true, 0.5f, 1f, 0f, new int[] {AugmentClip.BRIGHTNESS}, false, 0f, 1, ZERO, ONE), 2);
        float[] want = {0f, 0.5f, 0.1f, 0f, /* G */ 0.5f, 0f, 0.2f, 0f, /* B */ 0f, 0f, 0.4f, 0.5f};
        assertArrayEquals(want, got, 1e-7f);
    }

    @Test
    void bilinearCropOfAnUpsampledFrame() {
        // R: 0, 255 / 102, 204 -> 0, 1 / 0.4, 0.8; resized to 4x4, crop 2x2 at (1, 1): taps of rows and
        // columns 1 and 2 are (i0 0, i1 1, l1 0.25) and (0, 1, 0.75)
        MemorySegment f = frame(0, 0, 0, 255, 0, 0, 102, 0, 0, 204, 0, 0);
        float[] got = run(f, clip(4, 4, 1, 1, false, 1f, 1f, 0f, new int[0], false, 0f, 1, ZERO, ONE), 2);
        double a = 0, b = 1, c = 0.4, d = 0.8;
        double[][] l = {{0.75, 0.25}, {0.25, 0.75}};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                double want = l[y][0] * (l[x][0] * a + l[x][1] * b) + l[y][1] * (l[x][0] * c + l[x][1] * d);
                assertEquals(want, got[y * 2 + x], 1e-6, "(" + y + ", " + x + ")");
            }
        }
        assertEquals(0.3125, got[0], 1e-6); // 0.75 (0.25) + 0.25 (0.75 * 0.4 + 0.25 * 0.8)
        assertEquals(0.7125, got[3], 1e-6);
    }

    @Test
    void contrastBlendsWithTheFramesMeanLuma() {
        // gray pixels 0, 0.2, 0.4, 0.8: luma = 0.9999 v, mean 0.9999 * 0.35; factor 0.5
        MemorySegment f = frame(0, 0, 0, 51, 51, 51, 102, 102, 102, 204, 204, 204);
        float[] got = run(f, clip(2, 2, 0, 0, false, 1f, 0.5f, 0f, new int[] {AugmentClip.CONTRAST}, false, 0f, 1, ZERO, ONE), 2);
        double mean = 0.9999 * 0.35;
        double[] v = {0, 0.2, 0.4, 0.8};
        for (int i = 0; i < 12; i++) assertEquals(0.5 * v[i % 4] + 0.5 * mean, got[i], 1e-6, "element " + i);
    }

    @Test
    void grayscaleThenNormalise() {
        MemorySegment f = frame(255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0);
        float[] got = run(f, clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[0], true, 0f, 1,
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.5f, 1f}), 2);
        double[] luma = {0.2989, 0.587, 0.114, 0};
        double[] std = {0.25, 0.5, 1};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) assertEquals((luma[i] - 0.5) / std[c], got[c * 4 + i], 1e-6, "c" + c + " i" + i);
        }
    }

    @Test
    void hueRotatesRedToCyanAndGreen() {
        float[] rgb = {1, 0, 0};
        CpuAugment.hue(rgb, 0.5f);
        assertArrayEquals(new float[] {0, 1, 1}, rgb, 1e-6f);
        rgb = new float[] {1, 0, 0};
        CpuAugment.hue(rgb, 1f / 3);
        assertArrayEquals(new float[] {0, 1, 0}, rgb, 1e-6f);
        rgb = new float[] {0.4f, 0.4f, 0.4f}; // gray: no hue to turn
        CpuAugment.hue(rgb, -0.3f);
        assertArrayEquals(new float[] {0.4f, 0.4f, 0.4f}, rgb, 1e-7f);
    }

    @Test
    void blurKernelReflectionAndAConstantImage() {
        float[] k = CpuAugment.gaussianKernel(5, 1f);
        double s = 0;
        for (float w : k) s += w;
        assertEquals(1, s, 1e-6);
        assertEquals(k[0], k[4], 0f);
        // exp(-x^2 / 2) at x = 0, 1, 2 over their sum
        double z = 1 + 2 * Math.exp(-0.5) + 2 * Math.exp(-2);
        assertEquals(1 / z, k[2], 1e-7);
        assertEquals(Math.exp(-2) / z, k[0], 1e-7);
        assertEquals(1, CpuAugment.reflect(-1, 5));
        assertEquals(3, CpuAugment.reflect(5, 5));
        assertEquals(4, CpuAugment.reflect(4, 5));
        // a constant frame stays constant through the blur (weights sum to 1), then is normalised
        MemorySegment f = frame(51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51);
        float[] got = run(f, clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[0], false, 1.5f, 3,
                new float[] {0.1f, 0.1f, 0.1f}, new float[] {0.5f, 0.5f, 0.5f}), 2);
        for (float v : got) assertEquals((0.2 - 0.1) / 0.5, v, 1e-6);
    }

    @Test
    void theBatchIsCheckedBeforeAnythingRuns() {
        AugmentClip c = clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[0], false, 0f, 1, ZERO, ONE);
        MemorySegment f = MemorySegment.ofArray(new byte[12]);
        assertThrows(IllegalArgumentException.class, () -> CpuAugment.apply(f, List.of(c, c), 1, 2, 2)); // 24 bytes needed
        assertThrows(IllegalArgumentException.class, () -> CpuAugment.apply(f, List.of(c), 1, 3, 3));   // crop outside
        assertThrows(IllegalArgumentException.class, () -> CpuAugment.apply(f, List.of(
                clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[0], false, 1f, 5, ZERO, ONE)), 1, 2, 2));        // blur too wide
        assertThrows(IllegalArgumentException.class, () -> clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[] {1, 1}, false, 0f, 1, ZERO, ONE));
        assertThrows(IllegalArgumentException.class, () -> clip(2, 2, 0, 0, false, 1f, 1f, 0f, new int[0], false, 1f, 4, ZERO, ONE));
        assertEquals(2, new AugmentClip(2, 2, 2, 2, 0, 0, false, 1, 1, 1, 0, new int[] {3, 0, 1}, false, 0, 1, ZERO, ONE)
                .jitterSlotsBefore(AugmentClip.CONTRAST));
    }
}
