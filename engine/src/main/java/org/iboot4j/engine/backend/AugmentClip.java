package org.iboot4j.engine.backend;

import java.util.Arrays;
import java.util.List;

/**
 * One clip's parameters for the fused clip augmentation ({@link Backend#augmentClips}), the same
 * for every frame of the clip. The fields are those of the iboot module's
 * {@code ClipAugmentation} (which converts itself with {@code toAugmentClip()}), minus what is
 * common to a batch: the output size, which is the crop size, and the frame count. The GPU
 * backend uploads it as {@code augment.ptx}'s {@code aug_params} struct.
 *
 * <p>The pipeline: bilinear resize of the {@code sourceHeight x sourceWidth} frame to
 * {@code resizedHeight x resizedWidth}, of which only the crop window at ({@code cropTop},
 * {@code cropLeft}) is computed; horizontal flip; the colour-jitter ops of {@code jitterOrder}
 * in that order ({@link #BRIGHTNESS}, {@link #CONTRAST}, {@link #SATURATION}, {@link #HUE}:
 * torchvision's ColorJitter indices; an op not listed is not applied); grayscale; Gaussian blur
 * ({@code blurKernel} taps, skipped when {@code blurSigma == 0}); {@code (x - mean[c]) / std[c]}.
 */
public record AugmentClip(int sourceHeight, int sourceWidth, int resizedHeight, int resizedWidth,
        int cropTop, int cropLeft, boolean flip,
        float brightness, float contrast, float saturation, float hue, int[] jitterOrder,
        boolean grayscale, float blurSigma, int blurKernel, float[] mean, float[] std) {

    public static final int BRIGHTNESS = 0, CONTRAST = 1, SATURATION = 2, HUE = 3;

    /** Largest Gaussian kernel (taps) accepted: radius 63, the shared-memory row of the GPU blur kernels. */
    public static final int BLUR_MAX_TAPS = 127;

    public AugmentClip {
        if (sourceHeight < 1 || sourceWidth < 1 || resizedHeight < 1 || resizedWidth < 1 || cropTop < 0 || cropLeft < 0) {
            throw new IllegalArgumentException("bad frame geometry: " + sourceHeight + "x" + sourceWidth + " -> "
                    + resizedHeight + "x" + resizedWidth + ", crop at (" + cropTop + ", " + cropLeft + ")");
        }
        jitterOrder = jitterOrder.clone();
        boolean[] seen = new boolean[4];
        for (int op : jitterOrder) {
            if (op < 0 || op > 3 || seen[op]) throw new IllegalArgumentException("bad jitter order " + Arrays.toString(jitterOrder));
            seen[op] = true;
        }
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0 && hue >= -0.5f && hue <= 0.5f)) {
            throw new IllegalArgumentException("jitter factors out of range: b=" + brightness + " c=" + contrast
                    + " s=" + saturation + " h=" + hue);
        }
        if (!(blurSigma >= 0) || blurKernel < 1 || blurKernel % 2 == 0 || blurKernel > BLUR_MAX_TAPS) {
            throw new IllegalArgumentException("blur sigma " + blurSigma + " / kernel " + blurKernel
                    + " invalid (sigma >= 0, kernel odd, at most " + BLUR_MAX_TAPS + ")");
        }
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need three values");
        mean = mean.clone();
        std = std.clone();
    }

    /** Whether the jitter contains contrast (which needs each frame's mean luma first: a second pass). */
    public boolean hasContrast() {
        return jitterSlotsBefore(CONTRAST) < jitterOrder.length;
    }

    /** How many jitter ops come before {@code op} in the order (the order's length when absent). */
    public int jitterSlotsBefore(int op) {
        for (int i = 0; i < jitterOrder.length; i++) if (jitterOrder[i] == op) return i;
        return jitterOrder.length;
    }

    /** Whether this clip is blurred. */
    public boolean blurs() {
        return blurSigma > 0;
    }

    /** Bytes of this clip's (T, H, W, 3) uint8 frames. */
    public long frameBytes(int frameCount) {
        return (long) frameCount * sourceHeight * sourceWidth * 3;
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

    /**
     * Byte offsets of each clip's frames in a buffer holding all clips back to back, in order;
     * element N is the total. Checks what every backend relies on: at least one
     * clip, the crop window inside every resized frame, the blur's reflect padding inside the
     * crop, and a buffer of exactly the total size.
     */
    public static long[] frameOffsets(List<AugmentClip> clips, int frameCount, int outH, int outW, long bufferBytes) {
        if (clips.isEmpty() || frameCount < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("augmentation of " + clips.size() + " clips x " + frameCount + " frames to "
                    + outH + "x" + outW);
        }
        long[] offsets = new long[clips.size() + 1];
        for (int n = 0; n < clips.size(); n++) {
            AugmentClip c = clips.get(n);
            if (c.cropTop + outH > c.resizedHeight || c.cropLeft + outW > c.resizedWidth) {
                throw new IllegalArgumentException("clip " + n + ": crop " + outH + "x" + outW + " at (" + c.cropTop + ", "
                        + c.cropLeft + ") is not inside the resized " + c.resizedHeight + "x" + c.resizedWidth + " frame");
            }
            if (c.blurs() && c.blurKernel / 2 >= Math.min(outH, outW)) {
                throw new IllegalArgumentException("clip " + n + ": blur kernel " + c.blurKernel + " too large for " + outH + "x" + outW);
            }
            offsets[n + 1] = offsets[n] + c.frameBytes(frameCount);
        }
        if (offsets[clips.size()] != bufferBytes) {
            throw new IllegalArgumentException("the frames of " + clips.size() + " clips x " + frameCount + " frames take "
                    + offsets[clips.size()] + " bytes, the buffer has " + bufferBytes);
        }
        return offsets;
    }
}
