package org.iboot4j.data.augment;

import org.iboot4j.data.Frames;
import org.iboot4j.engine.Tensor;

/**
 * Applies a {@link ClipAugmentation} to a decoded clip: (T, H, W, 3) uint8 {@link Frames} in,
 * (3, T, cropHeight, cropWidth) float32 out — the CPU reference of the fused GPU augmentation.
 *
 * <p>Per frame: uint8 to float32 ({@code v / 255f}, torchvision's float path), then the
 * resize, crop and flip fused into one pass that computes only the cropped window of the
 * resized frame (the same taps and the same arithmetic as {@link ImageOps#resize} followed by
 * {@link ImageOps#crop} and {@link ImageOps#hflip}, so the result is identical), then the
 * jitter ops in order, grayscale, blur and normalisation with {@link ImageOps}. Contrast uses
 * each frame's own mean luma, as torchvision does on a (T, 3, H, W) clip tensor.
 *
 * <p>Stateless and thread-safe; each call allocates its own scratch buffers.
 */
public final class ClipAugmenter {
    private ClipAugmenter() {}

    private static final float[] U8_TO_FLOAT = new float[256];

    static {
        for (int v = 0; v < 256; v++) U8_TO_FLOAT[v] = v / 255f;
    }

    /** The augmented clip as a fresh (3, T, cropHeight, cropWidth) array. */
    public static float[] apply(Frames clip, ClipAugmentation aug) {
        float[] out = new float[outputSize(clip, aug)];
        applyInto(clip, aug, out, 0);
        return out;
    }

    /** The augmented clip as a (3, T, cropHeight, cropWidth) tensor. */
    public static Tensor applyTensor(Frames clip, ClipAugmentation aug) {
        return Tensor.of(apply(clip, aug), 3, clip.frames(), aug.cropHeight(), aug.cropWidth());
    }

    /** Number of floats in the output: 3 * T * cropHeight * cropWidth. */
    public static int outputSize(Frames clip, ClipAugmentation aug) {
        return 3 * clip.frames() * aug.cropHeight() * aug.cropWidth();
    }

    /**
     * Writes the augmented clip as (3, T, cropHeight, cropWidth) into {@code out} from
     * {@code offset} (so a loader can fill its batch buffer directly).
     */
    public static void applyInto(Frames clip, ClipAugmentation aug, float[] out, int offset) {
        if (clip.height() != aug.sourceHeight() || clip.width() != aug.sourceWidth()) {
            throw new IllegalArgumentException("augmentation drawn for " + aug.sourceHeight() + "x" + aug.sourceWidth()
                    + " frames, clip is " + clip.height() + "x" + clip.width());
        }
        int t = clip.frames(), ch = aug.cropHeight(), cw = aug.cropWidth(), hw = ch * cw;
        if (offset < 0 || out.length - offset < 3L * t * hw) {
            throw new IllegalArgumentException("output of " + out.length + " floats from " + offset + " cannot hold 3x" + t + "x" + ch + "x" + cw);
        }
        ImageOps.Taps ty = ImageOps.Taps.of(clip.height(), aug.resizedHeight(), aug.cropTop(), ch);
        ImageOps.Taps tx = ImageOps.Taps.of(clip.width(), aug.resizedWidth(), aug.cropLeft(), cw);
        if (aug.flip()) tx = reversed(tx);
        float[] img = new float[3 * hw], scratch = new float[hw];
        float[] mean = aug.mean(), std = aug.std();
        int[] order = aug.jitterOrder();
        for (int f = 0; f < t; f++) {
            resizedCrop(clip, f, ty, tx, img);
            for (int op : order) {
                switch (op) {
                    case ClipAugmentation.BRIGHTNESS -> ImageOps.adjustBrightness(img, hw, aug.brightness());
                    case ClipAugmentation.CONTRAST -> ImageOps.adjustContrast(img, hw, aug.contrast());
                    case ClipAugmentation.SATURATION -> ImageOps.adjustSaturation(img, hw, aug.saturation());
                    default -> ImageOps.adjustHue(img, hw, aug.hue());
                }
            }
            if (aug.grayscale()) ImageOps.grayscale(img, hw);
            if (aug.blurSigma() > 0) ImageOps.gaussianBlur(img, 3, ch, cw, aug.blurKernel(), aug.blurSigma(), scratch);
            ImageOps.normalize(img, 3, hw, mean, std);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(img, c * hw, out, offset + (c * t + f) * hw, hw);
            }
        }
    }

    /**
     * Frame f's window of the resized frame into planar {@code img} (3, rows, cols): for each
     * output sample the bilinear blend of four source pixels (as floats v / 255) with the taps'
     * weights, in ATen's order {@code l0y * (l0x * p00 + l1x * p01) + l1y * (l0x * p10 + l1x * p11)}.
     */
    static void resizedCrop(Frames clip, int f, ImageOps.Taps ty, ImageOps.Taps tx, float[] img) {
        byte[] rgb = clip.rgb();
        int w = clip.width(), rows = ty.i0().length, cols = tx.i0().length, hw = rows * cols;
        int frameBase = f * clip.height() * w;
        int[] xi0 = tx.i0(), xi1 = tx.i1();
        float[] xl0 = tx.l0(), xl1 = tx.l1();
        for (int y = 0; y < rows; y++) {
            int r0 = (frameBase + ty.i0()[y] * w) * 3, r1 = (frameBase + ty.i1()[y] * w) * 3;
            float wy0 = ty.l0()[y], wy1 = ty.l1()[y];
            for (int x = 0; x < cols; x++) {
                int a = xi0[x] * 3, b = xi1[x] * 3;
                float wx0 = xl0[x], wx1 = xl1[x];
                int o = y * cols + x;
                for (int c = 0; c < 3; c++) {
                    float p00 = U8_TO_FLOAT[rgb[r0 + a + c] & 0xFF], p01 = U8_TO_FLOAT[rgb[r0 + b + c] & 0xFF];
                    float p10 = U8_TO_FLOAT[rgb[r1 + a + c] & 0xFF], p11 = U8_TO_FLOAT[rgb[r1 + b + c] & 0xFF];
                    img[c * hw + o] = wy0 * (wx0 * p00 + wx1 * p01) + wy1 * (wx0 * p10 + wx1 * p11);
                }
            }
        }
    }

    private static ImageOps.Taps reversed(ImageOps.Taps t) {
        int n = t.i0().length;
        int[] i0 = new int[n], i1 = new int[n];
        float[] l0 = new float[n], l1 = new float[n];
        for (int k = 0; k < n; k++) {
            i0[k] = t.i0()[n - 1 - k];
            i1[k] = t.i1()[n - 1 - k];
            l0[k] = t.l0()[n - 1 - k];
            l1[k] = t.l1()[n - 1 - k];
        }
        return new ImageOps.Taps(i0, i1, l0, l1);
    }

    /** One frame of a clip as a planar (3, H, W) float image in [0, 1] ({@code v / 255f}). */
    public static float[] frameToFloat(Frames clip, int f) {
        int hw = clip.height() * clip.width();
        float[] img = new float[3 * hw];
        byte[] rgb = clip.rgb();
        int base = f * hw * 3;
        for (int i = 0; i < hw; i++) {
            for (int c = 0; c < 3; c++) img[c * hw + i] = U8_TO_FLOAT[rgb[base + i * 3 + c] & 0xFF];
        }
        return img;
    }
}
