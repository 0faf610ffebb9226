package org.iboot4j.data.augment;

import java.util.Arrays;
import org.iboot4j.data.Frames;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.backend.AugmentClip;

/**
 * Every parameter of one clip's augmentation, drawn once and applied identically to all frames
 * of the clip. This record is the whole interface of the augmentation: {@link ClipAugmenter}
 * takes it, and {@link #toAugmentClip()} gives the engine's per-clip record of the fused
 * augmentation primitive ({@code Backend.augmentClips}), which carries the same fields minus the
 * crop size (common to a batch).
 *
 * <p>The pipeline, in order (each step as torchvision's functional op on float32 in [0, 1]):
 * <ol>
 *   <li>bilinear resize (antialias off) of the {@code sourceHeight x sourceWidth} frame to
 *       {@code resizedHeight x resizedWidth} (short side {@code shortSide});
 *   <li>crop the {@code cropHeight x cropWidth} window at ({@code cropTop}, {@code cropLeft});
 *   <li>horizontal flip if {@code flip};
 *   <li>colour jitter: the ops listed in {@code jitterOrder} in that order — {@link #BRIGHTNESS}
 *       (factor {@code brightness}), {@link #CONTRAST} ({@code contrast}), {@link #SATURATION}
 *       ({@code saturation}), {@link #HUE} (shift {@code hue}); empty when no jitter; ops not
 *       listed have the identity value (1, 1, 1, 0);
 *   <li>grayscale (luma copied into all three channels) if {@code grayscale};
 *   <li>Gaussian blur with {@code blurKernel} taps and {@code blurSigma} if {@code blurSigma > 0};
 *   <li>{@code (x - mean[c]) / std[c]}.
 * </ol>
 * The op codes 0..3 are torchvision's {@code ColorJitter} indices.
 */
public record ClipAugmentation(
        int sourceHeight, int sourceWidth,
        int shortSide, int resizedHeight, int resizedWidth,
        int cropTop, int cropLeft, int cropHeight, int cropWidth,
        boolean flip,
        float brightness, float contrast, float saturation, float hue,
        int[] jitterOrder,
        boolean grayscale,
        float blurSigma, int blurKernel,
        float[] mean, float[] std) {

    public static final int BRIGHTNESS = 0, CONTRAST = 1, SATURATION = 2, HUE = 3;

    public ClipAugmentation {
        int[] expect = ImageOps.shortSideSize(sourceHeight, sourceWidth, shortSide);
        if (resizedHeight != expect[0] || resizedWidth != expect[1]) {
            throw new IllegalArgumentException("a " + sourceHeight + "x" + sourceWidth + " frame with short side "
                    + shortSide + " resizes to " + expect[0] + "x" + expect[1] + ", not " + resizedHeight + "x" + resizedWidth);
        }
        if (cropTop < 0 || cropLeft < 0 || cropHeight < 1 || cropWidth < 1
                || cropTop + cropHeight > resizedHeight || cropLeft + cropWidth > resizedWidth) {
            throw new IllegalArgumentException("crop " + cropHeight + "x" + cropWidth + " at (" + cropTop + ", "
                    + cropLeft + ") is not inside the resized " + resizedHeight + "x" + resizedWidth + " frame");
        }
        // the jitter order and factors, the blur and the normalisation: the engine record's checks
        new AugmentClip(sourceHeight, sourceWidth, resizedHeight, resizedWidth, cropTop, cropLeft, flip, brightness,
                contrast, saturation, hue, jitterOrder, grayscale, blurSigma, blurKernel, mean, std);
        if (blurSigma > 0 && blurKernel / 2 >= Math.min(cropHeight, cropWidth)) {
            throw new IllegalArgumentException("blur kernel " + blurKernel + " too large for a " + cropHeight + "x" + cropWidth + " crop");
        }
        jitterOrder = jitterOrder.clone();
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Draws one clip's parameters for a {@code sourceHeight x sourceWidth} video. The draws, in
     * this fixed order and all of them always (so a stream position never depends on an
     * earlier outcome): short side (uniform integer in [min, max]), crop top and left (uniform
     * integers, as torchvision's RandomCrop), flip (u &lt; p), jitter on/off (u &lt; p), the
     * jitter order (a Fisher-Yates shuffle of 0..3: nextInt(4), nextInt(3), nextInt(2)), the
     * brightness, contrast and saturation factors (uniform in [max(0, 1 - s), 1 + s]) and the
     * hue shift (uniform in [-h, h]), grayscale (u &lt; p), blur on/off (u &lt; p), blur sigma
     * (uniform in [min, max]).
     */
    public static ClipAugmentation draw(AugmentConfig cfg, Rng rng, int sourceHeight, int sourceWidth) {
        int shortSide = cfg.minShortSide() + rng.nextInt(cfg.maxShortSide() - cfg.minShortSide() + 1);
        int[] size = ImageOps.shortSideSize(sourceHeight, sourceWidth, shortSide);
        int crop = cfg.cropSize();
        int top = rng.nextInt(size[0] - crop + 1);
        int left = rng.nextInt(size[1] - crop + 1);
        boolean flip = rng.nextFloat() < cfg.flipProb();

        boolean jitter = rng.nextFloat() < cfg.jitterProb();
        int[] perm = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        float b = factor(rng, cfg.brightness()), c = factor(rng, cfg.contrast()), s = factor(rng, cfg.saturation());
        float h = (float) (-cfg.hue() + 2 * cfg.hue() * rng.nextFloat());
        double[] strength = {cfg.brightness(), cfg.contrast(), cfg.saturation(), cfg.hue()};
        int[] order = jitter ? Arrays.stream(perm).filter(op -> strength[op] > 0).toArray() : new int[0];
        boolean[] on = new boolean[4];
        for (int op : order) on[op] = true;

        boolean gray = rng.nextFloat() < cfg.grayscaleProb();
        boolean blur = rng.nextFloat() < cfg.blurProb();
        float sigma = (float) (cfg.blurSigmaMin() + (cfg.blurSigmaMax() - cfg.blurSigmaMin()) * rng.nextFloat());

        return new ClipAugmentation(sourceHeight, sourceWidth, shortSide, size[0], size[1], top, left, crop, crop, flip,
                on[BRIGHTNESS] ? b : 1f, on[CONTRAST] ? c : 1f, on[SATURATION] ? s : 1f, on[HUE] ? h : 0f,
                order, gray, blur ? sigma : 0f, cfg.blurKernel(), cfg.mean(), cfg.std());
    }

    private static float factor(Rng rng, double strength) {
        double lo = Math.max(0, 1 - strength), hi = 1 + strength;
        return (float) (lo + (hi - lo) * rng.nextFloat());
    }

    /**
     * A test-time view as PySlowFast makes it: the short side resized to {@code size}, then a
     * {@code size x size} crop at position {@code spatialIndex} along the LONG side (0: left or
     * top, 1: centre, 2: right or bottom; the centre offset is {@code ceil((long - size) / 2)}),
     * centred along the short side; no flip, jitter, grayscale or blur.
     */
    public static ClipAugmentation testView(int sourceHeight, int sourceWidth, int size, int spatialIndex,
                                            float[] mean, float[] std) {
        if (spatialIndex < 0 || spatialIndex > 2) throw new IllegalArgumentException("spatial index must be 0, 1 or 2, got " + spatialIndex);
        int[] rs = ImageOps.shortSideSize(sourceHeight, sourceWidth, size);
        int top = (rs[0] - size + 1) / 2, left = (rs[1] - size + 1) / 2;   // ceil(d / 2)
        if (rs[0] > rs[1]) {
            top = spatialIndex == 0 ? 0 : spatialIndex == 2 ? rs[0] - size : top;
        } else {
            left = spatialIndex == 0 ? 0 : spatialIndex == 2 ? rs[1] - size : left;
        }
        return new ClipAugmentation(sourceHeight, sourceWidth, size, rs[0], rs[1], top, left, size, size, false,
                1f, 1f, 1f, 0f, new int[0], false, 0f, 1, mean, std);
    }

    /** The engine's record of these parameters, for {@code Backend.augmentClips} (the crop size is the batch's output size). */
    public AugmentClip toAugmentClip() {
        return new AugmentClip(sourceHeight, sourceWidth, resizedHeight, resizedWidth, cropTop, cropLeft, flip, brightness,
                contrast, saturation, hue, jitterOrder, grayscale, blurSigma, blurKernel, mean, std);
    }

    /** Throws unless {@code clip}'s frames have the size these parameters were drawn for. */
    public void checkFits(Frames clip) {
        if (clip.height() != sourceHeight || clip.width() != sourceWidth) {
            throw new IllegalArgumentException("augmentation drawn for " + sourceHeight + "x" + sourceWidth
                    + " frames, clip is " + clip.height() + "x" + clip.width());
        }
    }

    /** Whether any colour jitter op is applied. */
    public boolean jitters() {
        return jitterOrder.length > 0;
    }

    @Override
    public int[] jitterOrder() {
        return jitterOrder.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipAugmentation a && sourceHeight == a.sourceHeight && sourceWidth == a.sourceWidth
                && shortSide == a.shortSide && cropTop == a.cropTop && cropLeft == a.cropLeft
                && cropHeight == a.cropHeight && cropWidth == a.cropWidth && flip == a.flip
                && Float.compare(brightness, a.brightness) == 0 && Float.compare(contrast, a.contrast) == 0
                && Float.compare(saturation, a.saturation) == 0 && Float.compare(hue, a.hue) == 0
                && Arrays.equals(jitterOrder, a.jitterOrder) && grayscale == a.grayscale
                && Float.compare(blurSigma, a.blurSigma) == 0 && blurKernel == a.blurKernel
                && Arrays.equals(mean, a.mean) && Arrays.equals(std, a.std);
    }

    @Override
    public int hashCode() {
        int h = Arrays.hashCode(new float[] {sourceHeight, sourceWidth, shortSide, cropTop, cropLeft, cropHeight,
                cropWidth, flip ? 1 : 0, brightness, contrast, saturation, hue, grayscale ? 1 : 0, blurSigma, blurKernel});
        return (h * 31 + Arrays.hashCode(jitterOrder)) * 31 + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "ClipAugmentation[" + sourceHeight + "x" + sourceWidth + " -> short " + shortSide + " (" + resizedHeight
                + "x" + resizedWidth + "), crop " + cropHeight + "x" + cropWidth + " at (" + cropTop + ", " + cropLeft
                + "), flip=" + flip + ", jitter=" + Arrays.toString(jitterOrder) + " (b=" + brightness + ", c="
                + contrast + ", s=" + saturation + ", h=" + hue + "), gray=" + grayscale + ", blur sigma=" + blurSigma
                + " k=" + blurKernel + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
