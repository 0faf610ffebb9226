package org.iboot4j.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.iboot4j.data.Frames;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** The augmentation against its formulas (the torchvision comparison is {@link AugmentGoldenTest}). */
class AugmentFormulaTest {

    static Frames randomClip(long seed, int t, int h, int w) {
        Rng rng = new Rng(seed);
        byte[] rgb = new byte[t * h * w * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) rng.nextInt(256);
        return new Frames(t, h, w, rgb);
    }

    static float[] randomImage(long seed, int n) {
        float[] img = new float[n];
        new Rng(seed).fillUniform(img, 0, 1);
        return img;
    }

    // ---- geometry ---------------------------------------------------------------------------

    @Test
    void shortSideSizeTruncatesTheLongSideLikeTorchvision() {
        assertArrayEquals(new int[] {13, 17}, ImageOps.shortSideSize(20, 27, 13));   // int(13 * 27 / 20) = 17
        assertArrayEquals(new int[] {17, 13}, ImageOps.shortSideSize(27, 20, 13));
        assertArrayEquals(new int[] {256, 455}, ImageOps.shortSideSize(240, 427, 256)); // 455.1 -> 455
        assertArrayEquals(new int[] {320, 320}, ImageOps.shortSideSize(64, 64, 320));
        assertThrows(IllegalArgumentException.class, () -> ImageOps.shortSideSize(0, 5, 3));
    }

    @Test
    void bilinearTapsFollowAlignCornersFalse() {
        // 2 -> 4: source positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (last sample: i1 = i0)
        ImageOps.Taps t = ImageOps.Taps.of(2, 4);
        assertArrayEquals(new int[] {0, 0, 0, 1}, t.i0());
        assertArrayEquals(new int[] {1, 1, 1, 1}, t.i1());
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 0.25f}, t.l1());
        float[] out = ImageOps.resize(new float[] {0f, 1f}, 1, 1, 2, 1, 4);
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, out);
        // 4 -> 2 picks the pixel-centre average of neighbours: src 0.5 and 2.5
        assertArrayEquals(new float[] {1.5f, 3.5f}, ImageOps.resize(new float[] {1, 2, 3, 4}, 1, 1, 4, 1, 2));
        // equal sizes: identity
        float[] img = randomImage(1, 3 * 5 * 7);
        assertArrayEquals(img, ImageOps.resize(img, 3, 5, 7, 5, 7));
    }

    @Test
    void fusedResizeCropFlipEqualsTheSeparateOps() {
        Frames clip = randomClip(2, 3, 23, 31);
        for (boolean flip : new boolean[] {false, true}) {
            int shortSide = 40;
            int[] rs = ImageOps.shortSideSize(23, 31, shortSide);
            ClipAugmentation aug = new ClipAugmentation(23, 31, shortSide, rs[0], rs[1], 5, 9, 30, 33, flip,
                    1f, 1f, 1f, 0f, new int[0], false, 0f, 1, new float[] {0, 0, 0}, new float[] {1, 1, 1});
            float[] fused = ClipAugmenter.apply(clip, aug);
            for (int f = 0; f < 3; f++) {
                float[] img = ClipAugmenter.frameToFloat(clip, f);
                float[] ref = ImageOps.crop(ImageOps.resize(img, 3, 23, 31, rs[0], rs[1]), 3, rs[0], rs[1], 5, 9, 30, 33);
                if (flip) ImageOps.hflip(ref, 3, 30, 33);
                for (int c = 0; c < 3; c++) {
                    float[] got = Arrays.copyOfRange(fused, (c * 3 + f) * 990, (c * 3 + f + 1) * 990);
                    float[] want = Arrays.copyOfRange(ref, c * 990, (c + 1) * 990);
                    assertArrayEquals(want, got, "frame " + f + " channel " + c + " flip " + flip);
                }
            }
        }
    }

    @Test
    void cropAndFlip() {
        float[] img = {1, 2, 3, 4, 5, 6, /* channel 2 */ 7, 8, 9, 10, 11, 12};  // 2 channels of 2x3
        assertArrayEquals(new float[] {5, 6, 11, 12}, ImageOps.crop(img, 2, 2, 3, 1, 1, 1, 2));
        ImageOps.hflip(img, 2, 2, 3);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}, img);
        assertThrows(IllegalArgumentException.class, () -> ImageOps.crop(img, 2, 2, 3, 1, 1, 2, 2));
    }

    // ---- colour -----------------------------------------------------------------------------

    @Test
    void brightnessScalesAndClamps() {
        float[] img = {0.2f, 0.9f, 0.5f, 0.1f, 0.7f, 0f};
        ImageOps.adjustBrightness(img, 2, 1.2);
        assertArrayEquals(new float[] {1.2f * 0.2f, 1f, 1.2f * 0.5f, 1.2f * 0.1f, 1.2f * 0.7f, 0f}, img);
    }

    @Test
    void contrastBlendsWithTheMeanLuma() {
        float[] img = randomImage(3, 3 * 50);
        double mean = 0;
        for (int i = 0; i < 50; i++) mean += ImageOps.gray(img[i], img[50 + i], img[100 + i]);
        mean /= 50;
        float[] out = img.clone();
        ImageOps.adjustContrast(out, 50, 0.8);
        for (int i = 0; i < img.length; i++) assertEquals(0.8 * img[i] + 0.2 * mean, out[i], 1e-6);
        float[] flat = img.clone();
        ImageOps.adjustContrast(flat, 50, 0);   // factor 0: every value becomes the mean luma
        for (float v : flat) assertEquals(mean, v, 1e-6);
    }

    @Test
    void saturationZeroIsGrayscaleAndOneIsIdentity() {
        float[] img = randomImage(4, 3 * 40);
        float[] gray = img.clone();
        ImageOps.grayscale(gray, 40);
        for (int i = 0; i < 40; i++) {
            assertEquals(0.2989f * img[i] + 0.587f * img[40 + i] + 0.114f * img[80 + i], gray[i]);
            assertEquals(gray[i], gray[40 + i]);
            assertEquals(gray[i], gray[80 + i]);
        }
        float[] s0 = img.clone();
        ImageOps.adjustSaturation(s0, 40, 0);
        assertArrayEquals(gray, s0, 1e-7f);
        float[] s1 = img.clone();
        ImageOps.adjustSaturation(s1, 40, 1);
        assertArrayEquals(img, s1);
    }

    @Test
    void hueRotatesThePrimariesAndKeepsGrays() {
        // pure red shifted by +1/3 turn is pure green, by -1/3 pure blue; grays do not change
        float[] img = {1f, 0.5f, 0.25f, /* g */ 0f, 0.5f, 0.25f, /* b */ 0f, 0.5f, 0.25f};
        float[] plus = img.clone();
        ImageOps.adjustHue(plus, 3, 1.0 / 3);
        assertArrayEquals(new float[] {0f, 0.5f, 0.25f, 1f, 0.5f, 0.25f, 0f, 0.5f, 0.25f}, plus, 1e-6f);
        float[] minus = img.clone();
        ImageOps.adjustHue(minus, 3, -1.0 / 3);
        assertArrayEquals(new float[] {0f, 0.5f, 0.25f, 0f, 0.5f, 0.25f, 1f, 0.5f, 0.25f}, minus, 1e-6f);
        // zero shift is the identity up to the HSV round trip; +-0.5 are the same rotation
        float[] rnd = randomImage(5, 3 * 64);
        float[] zero = rnd.clone();
        ImageOps.adjustHue(zero, 64, 0);
        assertArrayEquals(rnd, zero, 2e-6f);
        float[] a = rnd.clone(), b = rnd.clone();
        ImageOps.adjustHue(a, 64, 0.5);
        ImageOps.adjustHue(b, 64, -0.5);
        assertArrayEquals(a, b, 2e-6f);
        assertThrows(IllegalArgumentException.class, () -> ImageOps.adjustHue(rnd.clone(), 64, 0.6));
    }

    // ---- blur and normalisation -------------------------------------------------------------

    @Test
    void gaussianKernelIsNormalisedAndSymmetric() {
        float[] k = ImageOps.gaussianKernel(23, 1.5);
        double sum = 0;
        for (int i = 0; i < 23; i++) {
            sum += k[i];
            assertEquals(k[i], k[22 - i]);
            if (i > 0 && i <= 11) assertTrue(k[i] > k[i - 1]);
        }
        assertEquals(1.0, sum, 1e-6);
        assertEquals(Math.exp(-0.5 / (1.5 * 1.5)), k[12] / k[11], 1e-6);
        assertThrows(IllegalArgumentException.class, () -> ImageOps.gaussianKernel(4, 1));
    }

    @Test
    void blurKeepsConstantsAndUsesReflectPadding() {
        float[] flat = new float[3 * 8 * 9];
        Arrays.fill(flat, 0.3f);
        ImageOps.gaussianBlur(flat, 3, 8, 9, 5, 1.7, null);
        for (float v : flat) assertEquals(0.3f, v, 1e-6f);
        // a 1-row image with a step: reflect padding mirrors without repeating the edge sample
        float[] row = {1, 0, 0, 0, 0};
        float[] k = ImageOps.gaussianKernel(3, 1.0);
        float[] img = new float[3 * 3 * 5];   // 3 channels of 3 rows x 5, every row = row
        for (int r = 0; r < 9; r++) System.arraycopy(row, 0, img, r * 5, 5);
        ImageOps.gaussianBlur(img, 3, 3, 5, 3, 1.0, null);
        // x = 0: k0 * x[1] + k1 * x[0] + k2 * x[1] = k1; x = 1: k0 * 1; the rows are equal, so the column pass keeps them
        assertEquals(k[1], img[0], 1e-6f);
        assertEquals(k[0], img[1], 1e-6f);
        assertEquals(0f, img[2], 1e-7f);
    }

    @Test
    void normalizeIsPerChannel() {
        float[] img = {0.5f, 1f, 0.25f, 0f};   // 2 channels of 2 pixels
        ImageOps.normalize(img, 2, 2, new float[] {0.5f, 0.25f}, new float[] {0.5f, 0.25f});
        assertArrayEquals(new float[] {0f, 1f, 0f, -1f}, img);
    }

    // ---- drawing parameters -----------------------------------------------------------------

    @Test
    void defaultsFollowThePaper() {
        AugmentConfig c = AugmentConfig.iboot();
        assertEquals(256, c.minShortSide());
        assertEquals(320, c.maxShortSide());
        assertEquals(224, c.cropSize());
        assertEquals(0.5, c.flipProb());
        assertEquals(0.8, c.jitterProb());
        assertEquals(0.2, c.brightness());
        assertEquals(0.2, c.contrast());
        assertEquals(0.2, c.saturation());
        assertEquals(0.05, c.hue());
        assertEquals(0.2, c.grayscaleProb());
        assertEquals(0.5, c.blurProb());
        assertEquals(0.1, c.blurSigmaMin());
        assertEquals(2.0, c.blurSigmaMax());
        assertEquals(23, c.blurKernel());
        assertEquals(11, AugmentConfig.defaultBlurKernel(112));
        assertArrayEquals(AugmentConfig.CLIP_MEAN, c.mean());
        assertEquals(c, AugmentConfig.iboot());
        assertThrows(IllegalArgumentException.class, () -> c.withGeometry(200, 190, 100));
        assertThrows(IllegalArgumentException.class, () -> c.withJitter(0.2, 0.2, 0.2, 0.7));
    }

    @Test
    void drawIsReproducibleAndWithinRange() {
        AugmentConfig cfg = AugmentConfig.iboot();
        assertEquals(ClipAugmentation.draw(cfg, new Rng(9), 240, 320), ClipAugmentation.draw(cfg, new Rng(9), 240, 320));
        assertNotEquals(ClipAugmentation.draw(cfg, new Rng(9), 240, 320), ClipAugmentation.draw(cfg, new Rng(10), 240, 320));
        Rng rng = new Rng(11);
        int n = 4000, flips = 0, jitters = 0, grays = 0, blurs = 0;
        Set<Integer> shortSides = new HashSet<>();
        Set<String> orders = new HashSet<>();
        for (int i = 0; i < n; i++) {
            ClipAugmentation a = ClipAugmentation.draw(cfg, rng, 240, 320);
            shortSides.add(a.shortSide());
            assertTrue(a.shortSide() >= 256 && a.shortSide() <= 320);
            assertEquals(a.shortSide(), a.resizedHeight());
            assertEquals((int) (a.shortSide() * 320.0 / 240), a.resizedWidth());
            assertTrue(a.cropTop() + 224 <= a.resizedHeight() && a.cropLeft() + 224 <= a.resizedWidth());
            flips += a.flip() ? 1 : 0;
            grays += a.grayscale() ? 1 : 0;
            blurs += a.blurSigma() > 0 ? 1 : 0;
            if (a.blurSigma() > 0) assertTrue(a.blurSigma() >= 0.1f && a.blurSigma() <= 2.0f);
            assertEquals(23, a.blurKernel());
            if (a.jitters()) {
                jitters++;
                assertEquals(4, a.jitterOrder().length);
                orders.add(Arrays.toString(a.jitterOrder()));
                for (float f : new float[] {a.brightness(), a.contrast(), a.saturation()}) assertTrue(f >= 0.8f && f <= 1.2f);
                assertTrue(a.hue() >= -0.05f && a.hue() <= 0.05f);
            } else {
                assertEquals(1f, a.brightness());
                assertEquals(0f, a.hue());
            }
        }
        assertEquals(65, shortSides.size(), "every short side in [256, 320] drawn");
        assertEquals(24, orders.size(), "every jitter order drawn");
        assertEquals(0.5, flips / (double) n, 0.03);
        assertEquals(0.8, jitters / (double) n, 0.03);
        assertEquals(0.2, grays / (double) n, 0.03);
        assertEquals(0.5, blurs / (double) n, 0.03);
    }

    @Test
    void zeroStrengthRemovesAJitterOp() {
        AugmentConfig cfg = AugmentConfig.iboot().withJitter(0.2, 0, 0.2, 0).withProbabilities(0, 1, 0, 0);
        for (int i = 0; i < 50; i++) {
            ClipAugmentation a = ClipAugmentation.draw(cfg, new Rng(i), 256, 256);
            int[] order = a.jitterOrder();
            assertEquals(2, order.length);
            assertFalse(Arrays.stream(order).anyMatch(op -> op == ClipAugmentation.CONTRAST || op == ClipAugmentation.HUE));
            assertEquals(1f, a.contrast());
            assertFalse(a.flip());
            assertEquals(0f, a.blurSigma());
        }
    }

    @Test
    void testViewsCropAlongTheLongSideLikePySlowFast() {
        float[] m = {0, 0, 0}, s = {1, 1, 1};
        // landscape 64x96 -> 32x48: x offsets 0, ceil(16 / 2) = 8, 16
        int[] lefts = new int[3];
        for (int i = 0; i < 3; i++) {
            ClipAugmentation a = ClipAugmentation.testView(64, 96, 32, i, m, s);
            assertEquals(32, a.resizedHeight());
            assertEquals(48, a.resizedWidth());
            assertEquals(0, a.cropTop());
            lefts[i] = a.cropLeft();
            assertFalse(a.flip() || a.jitters() || a.grayscale() || a.blurSigma() > 0);
        }
        assertArrayEquals(new int[] {0, 8, 16}, lefts);
        // portrait 99x64 -> 49x32 (int(32 * 99 / 64) = 49): y offsets 0, ceil(17 / 2) = 9, 17
        int[] tops = new int[3];
        for (int i = 0; i < 3; i++) tops[i] = ClipAugmentation.testView(99, 64, 32, i, m, s).cropTop();
        assertArrayEquals(new int[] {0, 9, 17}, tops);
        assertEquals(0, ClipAugmentation.testView(50, 50, 32, 2, m, s).cropLeft());
    }

    // ---- the clip -------------------------------------------------------------------------

    @Test
    void everyFrameGetsTheSameParameters() {
        // a clip of 4 identical frames: with everything on, the 4 output frames must be identical
        Frames one = randomClip(12, 1, 30, 40);
        byte[] rgb = new byte[4 * one.rgb().length];
        for (int f = 0; f < 4; f++) System.arraycopy(one.rgb(), 0, rgb, f * one.rgb().length, one.rgb().length);
        Frames clip = new Frames(4, 30, 40, rgb);
        AugmentConfig cfg = AugmentConfig.iboot().withGeometry(32, 40, 24).withProbabilities(1, 1, 0, 1);
        ClipAugmentation a = ClipAugmentation.draw(cfg, new Rng(3), 30, 40);
        Tensor out = ClipAugmenter.applyTensor(clip, a);
        assertArrayEquals(new int[] {3, 4, 24, 24}, out.shape());
        float[] v = out.toFloatArray();
        int hw = 24 * 24;
        for (int c = 0; c < 3; c++) {
            float[] first = Arrays.copyOfRange(v, (c * 4) * hw, (c * 4 + 1) * hw);
            for (int f = 1; f < 4; f++) assertArrayEquals(first, Arrays.copyOfRange(v, (c * 4 + f) * hw, (c * 4 + f + 1) * hw));
        }
        // and equal to augmenting the single frame on its own
        assertArrayEquals(Arrays.copyOfRange(v, 0, hw), Arrays.copyOfRange(ClipAugmenter.apply(one, a), 0, hw));
    }

    @Test
    void pipelineAppliesTheStepsInOrder() {
        Frames clip = randomClip(13, 2, 20, 26);
        int[] rs = ImageOps.shortSideSize(20, 26, 22);
        int[] order = {ClipAugmentation.HUE, ClipAugmentation.SATURATION, ClipAugmentation.BRIGHTNESS, ClipAugmentation.CONTRAST};
        float[] mean = {0.4f, 0.5f, 0.6f}, std = {0.2f, 0.3f, 0.25f};
        ClipAugmentation a = new ClipAugmentation(20, 26, 22, rs[0], rs[1], 2, 4, 16, 18, true, 1.1f, 0.85f, 1.15f,
                0.04f, order, true, 1.2f, 5, mean, std);
        float[] got = ClipAugmenter.apply(clip, a);
        for (int f = 0; f < 2; f++) {
            float[] img = ImageOps.crop(ImageOps.resize(ClipAugmenter.frameToFloat(clip, f), 3, 20, 26, rs[0], rs[1]),
                    3, rs[0], rs[1], 2, 4, 16, 18);
            ImageOps.hflip(img, 3, 16, 18);
            ImageOps.adjustHue(img, 288, 0.04f);
            ImageOps.adjustSaturation(img, 288, 1.15f);
            ImageOps.adjustBrightness(img, 288, 1.1f);
            ImageOps.adjustContrast(img, 288, 0.85f);
            ImageOps.grayscale(img, 288);
            ImageOps.gaussianBlur(img, 3, 16, 18, 5, 1.2f, null);
            ImageOps.normalize(img, 3, 288, mean, std);
            for (int c = 0; c < 3; c++) {
                assertArrayEquals(Arrays.copyOfRange(img, c * 288, (c + 1) * 288),
                        Arrays.copyOfRange(got, (c * 2 + f) * 288, (c * 2 + f + 1) * 288));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ClipAugmenter.apply(randomClip(1, 2, 21, 26), a));
    }

    @Test
    void recordValidatesItsParameters() {
        float[] m = {0, 0, 0}, s = {1, 1, 1};
        assertThrows(IllegalArgumentException.class,   // resized size inconsistent with the short side
                () -> new ClipAugmentation(20, 30, 10, 10, 16, 0, 0, 8, 8, false, 1, 1, 1, 0, new int[0], false, 0, 1, m, s));
        assertThrows(IllegalArgumentException.class,   // crop outside
                () -> new ClipAugmentation(20, 30, 10, 10, 15, 3, 0, 8, 8, false, 1, 1, 1, 0, new int[0], false, 0, 1, m, s));
        assertThrows(IllegalArgumentException.class,   // repeated jitter op
                () -> new ClipAugmentation(20, 30, 10, 10, 15, 0, 0, 8, 8, false, 1, 1, 1, 0, new int[] {1, 1}, false, 0, 1, m, s));
        assertThrows(IllegalArgumentException.class,   // blur kernel larger than the crop
                () -> new ClipAugmentation(20, 30, 10, 10, 15, 0, 0, 8, 8, false, 1, 1, 1, 0, new int[0], false, 1f, 17, m, s));
    }
}
