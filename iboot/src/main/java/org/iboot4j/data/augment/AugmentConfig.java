package org.iboot4j.data.augment;

import java.util.Arrays;

/**
 * The settings of the training-time clip augmentation (the ranges and probabilities; one
 * clip's drawn values are a {@link ClipAugmentation}).
 *
 * <p>{@link #iboot()} gives the paper's setting (Saleh et al., section 4.1, following rho-BYOL):
 * short side uniform in [256, 320], a random 224 x 224 crop, horizontal flip with p = 0.5,
 * colour jitter with p = 0.8, grayscale with p = 0.2, Gaussian blur with sigma in [0.1, 2.0]
 * with p = 0.5. The paper lists the jitter strengths as "{brightness, contrast, saturation,
 * hue} = {0.2, 0.2, 0.2, 0.2, 0.05}" (five numbers for four parameters); we read it as
 * brightness 0.2, contrast 0.2, saturation 0.2, hue 0.05 — all configurable. Strengths follow
 * torchvision's {@code ColorJitter}: brightness, contrast and saturation factors are uniform in
 * [max(0, 1 - s), 1 + s], the hue shift uniform in [-h, h]; a strength of 0 turns that op off.
 *
 * <p>Blur kernel: torchvision needs a fixed odd kernel size; we use BYOL/SimCLR's choice, about
 * 10% of the crop side, made odd: 23 taps for a 224 crop ({@link #defaultBlurKernel}).
 *
 * @param minShortSide   smallest short side after the resize (inclusive)
 * @param maxShortSide   largest short side after the resize (inclusive)
 * @param cropSize       side of the square crop
 * @param flipProb       probability of a horizontal flip
 * @param jitterProb     probability of the colour jitter
 * @param brightness     jitter strength (factor in [max(0, 1 - b), 1 + b])
 * @param contrast       jitter strength
 * @param saturation     jitter strength
 * @param hue            jitter strength (shift in [-hue, hue], at most 0.5)
 * @param grayscaleProb  probability of converting to grayscale (after the jitter)
 * @param blurProb       probability of the Gaussian blur
 * @param blurSigmaMin   smallest blur sigma
 * @param blurSigmaMax   largest blur sigma
 * @param blurKernel     blur kernel size (odd)
 * @param mean           per-channel normalisation mean (RGB), for the target model
 * @param std            per-channel normalisation standard deviation (RGB)
 */
public record AugmentConfig(
        int minShortSide, int maxShortSide, int cropSize,
        double flipProb,
        double jitterProb, double brightness, double contrast, double saturation, double hue,
        double grayscaleProb,
        double blurProb, double blurSigmaMin, double blurSigmaMax, int blurKernel,
        float[] mean, float[] std) {

    /** CLIP's normalisation (OpenAI CLIP and HF CLIPImageProcessor). */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    /** ImageNet's normalisation (DINO, torchvision models). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public AugmentConfig {
        if (minShortSide < 1 || maxShortSide < minShortSide) {
            throw new IllegalArgumentException("short side range [" + minShortSide + ", " + maxShortSide + "] is empty");
        }
        if (cropSize < 1 || cropSize > minShortSide) {
            throw new IllegalArgumentException("crop " + cropSize + " must be in [1, min short side " + minShortSide + "]");
        }
        for (double p : new double[] {flipProb, jitterProb, grayscaleProb, blurProb}) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("probability " + p + " is not in [0, 1]");
        }
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0)) {
            throw new IllegalArgumentException("jitter strengths must be non-negative");
        }
        if (!(hue >= 0 && hue <= 0.5)) throw new IllegalArgumentException("hue strength " + hue + " is not in [0, 0.5]");
        if (!(blurSigmaMin > 0 && blurSigmaMax >= blurSigmaMin)) {
            throw new IllegalArgumentException("blur sigma range [" + blurSigmaMin + ", " + blurSigmaMax + "] is invalid");
        }
        if (blurKernel < 1 || blurKernel % 2 == 0 || blurKernel / 2 >= cropSize) {
            throw new IllegalArgumentException("blur kernel " + blurKernel + " must be odd and smaller than twice the crop");
        }
        if (mean == null || std == null || mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need three values (RGB)");
        }
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive, got " + s);
        mean = mean.clone();
        std = std.clone();
    }

    /** The paper's augmentation with CLIP's normalisation. */
    public static AugmentConfig iboot() {
        return new AugmentConfig(256, 320, 224, 0.5, 0.8, 0.2, 0.2, 0.2, 0.05, 0.2, 0.5, 0.1, 2.0,
                defaultBlurKernel(224), CLIP_MEAN, CLIP_STD);
    }

    /** About 10% of the crop side, odd (BYOL / SimCLR): 23 for 224, 11 for 112. */
    public static int defaultBlurKernel(int cropSize) {
        int k = Math.max(1, (int) (0.1 * cropSize));
        return k % 2 == 0 ? k + 1 : k;
    }

    /** This configuration with another normalisation. */
    public AugmentConfig withNormalization(float[] newMean, float[] newStd) {
        return new AugmentConfig(minShortSide, maxShortSide, cropSize, flipProb, jitterProb, brightness, contrast,
                saturation, hue, grayscaleProb, blurProb, blurSigmaMin, blurSigmaMax, blurKernel, newMean, newStd);
    }

    /** This configuration with another short-side range and crop (the blur kernel follows the crop). */
    public AugmentConfig withGeometry(int newMinShortSide, int newMaxShortSide, int newCropSize) {
        return new AugmentConfig(newMinShortSide, newMaxShortSide, newCropSize, flipProb, jitterProb, brightness,
                contrast, saturation, hue, grayscaleProb, blurProb, blurSigmaMin, blurSigmaMax,
                defaultBlurKernel(newCropSize), mean, std);
    }

    /** This configuration with other probabilities (flip, jitter, grayscale, blur). */
    public AugmentConfig withProbabilities(double newFlip, double newJitter, double newGray, double newBlur) {
        return new AugmentConfig(minShortSide, maxShortSide, cropSize, newFlip, newJitter, brightness, contrast,
                saturation, hue, newGray, newBlur, blurSigmaMin, blurSigmaMax, blurKernel, mean, std);
    }

    /** This configuration with other jitter strengths. */
    public AugmentConfig withJitter(double newBrightness, double newContrast, double newSaturation, double newHue) {
        return new AugmentConfig(minShortSide, maxShortSide, cropSize, flipProb, jitterProb, newBrightness,
                newContrast, newSaturation, newHue, grayscaleProb, blurProb, blurSigmaMin, blurSigmaMax, blurKernel,
                mean, std);
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
        return o instanceof AugmentConfig a && minShortSide == a.minShortSide && maxShortSide == a.maxShortSide
                && cropSize == a.cropSize && flipProb == a.flipProb && jitterProb == a.jitterProb
                && brightness == a.brightness && contrast == a.contrast && saturation == a.saturation && hue == a.hue
                && grayscaleProb == a.grayscaleProb && blurProb == a.blurProb && blurSigmaMin == a.blurSigmaMin
                && blurSigmaMax == a.blurSigmaMax && blurKernel == a.blurKernel
                && Arrays.equals(mean, a.mean) && Arrays.equals(std, a.std);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {minShortSide, maxShortSide, cropSize, flipProb, jitterProb, brightness,
                contrast, saturation, hue, grayscaleProb, blurProb, blurSigmaMin, blurSigmaMax, blurKernel})
                * 31 + Arrays.hashCode(mean) * 17 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "AugmentConfig[shortSide=[" + minShortSide + ", " + maxShortSide + "], crop=" + cropSize
                + ", flip=" + flipProb + ", jitter=" + jitterProb + " (b=" + brightness + ", c=" + contrast
                + ", s=" + saturation + ", h=" + hue + "), gray=" + grayscaleProb + ", blur=" + blurProb
                + " (sigma [" + blurSigmaMin + ", " + blurSigmaMax + "], kernel " + blurKernel + "), mean="
                + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
