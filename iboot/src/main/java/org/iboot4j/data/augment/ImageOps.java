package org.iboot4j.data.augment;

import org.iboot4j.engine.cpu.CpuAugment;

/**
 * The image operations of the clip augmentation, each with the semantics of torchvision 0.14's
 * functional ops on float tensors ({@code torchvision.transforms.functional_tensor}, as shipped
 * with PyTorch 1.13), step for step in float32 so that results agree with torchvision to
 * rounding (see {@code AugmentGoldenTest}).
 *
 * <p>Images are planar float arrays: channel-major (C, H, W), row-major within a channel, values
 * in [0, 1] (torchvision's float path: a uint8 pixel becomes {@code v / 255f} first; the uint8
 * path, which rounds after every op, is never used). Operations that keep the size work in
 * place on three-channel RGB images of {@code h * w} pixels; those that change it return a new
 * array.
 *
 * <p>These are the augmentation one op at a time, each checked against torchvision by
 * {@code AugmentGoldenTest}. The per-pixel formulas (resize taps, luma, hue, Gaussian kernel,
 * blur, reflect padding) are the engine's fused augmentation's own ({@link CpuAugment}, which
 * {@link ClipAugmenter} runs), so the fused pipeline and these ops share one copy of the math;
 * {@code AugmentFormulaTest} checks that the fused pipeline equals these ops in sequence.
 */
public final class ImageOps {
    private ImageOps() {}

    // ---- geometry ---------------------------------------------------------------------------

    /**
     * The (height, width) that torchvision's {@code resize(img, [size])} gives: the short side
     * becomes {@code size}, the long side {@code int(size * long / short)} (truncated).
     */
    public static int[] shortSideSize(int height, int width, int size) {
        if (height < 1 || width < 1 || size < 1) {
            throw new IllegalArgumentException("shortSideSize: need positive sizes, got " + height + "x" + width + " -> " + size);
        }
        if (width <= height) return new int[] {(int) ((double) size * height / width), size};
        return new int[] {size, (int) ((double) size * width / height)};
    }

    /**
     * The source taps of one axis of a bilinear resize from {@code inSize} to {@code outSize}
     * samples (align_corners=False, no antialias), as PyTorch 1.13's CPU
     * {@code upsample_bilinear2d} computes them ({@link CpuAugment.Tap}): {@code scale = (float) in / out};
     * {@code src = (float) (scale * (dst + 0.5) - 0.5)} (the product is taken in double, as in
     * ATen), clamped at 0; {@code i0 = (int) src}, {@code i1 = i0 + 1} unless at the last
     * sample; {@code l1 = src - i0}, {@code l0 = 1 - l1}. When the sizes are equal the taps are
     * the identity.
     */
    public record Taps(int[] i0, int[] i1, float[] l0, float[] l1) {
        /** The taps for output samples {@code first .. first + count - 1} only. */
        public static Taps of(int inSize, int outSize, int first, int count) {
            int[] i0 = new int[count], i1 = new int[count];
            float[] l0 = new float[count], l1 = new float[count];
            for (int k = 0; k < count; k++) {
                CpuAugment.Tap t = CpuAugment.Tap.of(inSize, outSize, first + k);
                i0[k] = t.i0();
                i1[k] = t.i1();
                l0[k] = t.l0();
                l1[k] = t.l1();
            }
            return new Taps(i0, i1, l0, l1);
        }

        public static Taps of(int inSize, int outSize) {
            return of(inSize, outSize, 0, outSize);
        }
    }

    /**
     * Bilinear resize of a (c, h, w) image to (c, outH, outW): torchvision's
     * {@code resize(img, [outH, outW], BILINEAR, antialias=False)}, i.e.
     * {@code F.interpolate(mode="bilinear", align_corners=False)}. Each output sample is
     * {@code l0y * (l0x * p00 + l1x * p01) + l1y * (l0x * p10 + l1x * p11)} (ATen's order).
     */
    public static float[] resize(float[] img, int c, int h, int w, int outH, int outW) {
        checkSize(img, c, h, w);
        Taps ty = Taps.of(h, outH), tx = Taps.of(w, outW);
        float[] out = new float[c * outH * outW];
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w, obase = ch * outH * outW;
            for (int y = 0; y < outH; y++) {
                int r0 = base + ty.i0[y] * w, r1 = base + ty.i1[y] * w;
                float wy0 = ty.l0[y], wy1 = ty.l1[y];
                for (int x = 0; x < outW; x++) {
                    int x0 = tx.i0[x], x1 = tx.i1[x];
                    float wx0 = tx.l0[x], wx1 = tx.l1[x];
                    out[obase + y * outW + x] = wy0 * (wx0 * img[r0 + x0] + wx1 * img[r0 + x1])
                            + wy1 * (wx0 * img[r1 + x0] + wx1 * img[r1 + x1]);
                }
            }
        }
        return out;
    }

    /** The (c, ch, cw) window at (top, left): torchvision's {@code crop(img, top, left, ch, cw)} (inside the image only). */
    public static float[] crop(float[] img, int c, int h, int w, int top, int left, int cropH, int cropW) {
        checkSize(img, c, h, w);
        if (top < 0 || left < 0 || cropH < 1 || cropW < 1 || top + cropH > h || left + cropW > w) {
            throw new IllegalArgumentException("crop: window " + cropH + "x" + cropW + " at (" + top + ", " + left
                    + ") is not inside a " + h + "x" + w + " image");
        }
        float[] out = new float[c * cropH * cropW];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < cropH; y++) {
                System.arraycopy(img, (ch * h + top + y) * w + left, out, (ch * cropH + y) * cropW, cropW);
            }
        }
        return out;
    }

    /** Mirrors each row in place: torchvision's {@code hflip}. */
    public static void hflip(float[] img, int c, int h, int w) {
        checkSize(img, c, h, w);
        for (int row = 0; row < c * h; row++) {
            for (int a = row * w, b = a + w - 1; a < b; a++, b--) {
                float t = img[a];
                img[a] = img[b];
                img[b] = t;
            }
        }
    }

    // ---- colour (3-channel RGB, in place) ---------------------------------------------------

    /** The luma of one pixel as torchvision computes it in float32: {@code (0.2989 r + 0.587 g) + 0.114 b}. */
    public static float gray(float r, float g, float b) {
        return CpuAugment.gray(r, g, b);
    }

    /** torchvision's {@code rgb_to_grayscale(img, num_output_channels=3)}: every channel becomes the luma. */
    public static void grayscale(float[] img, int hw) {
        checkRgb(img, hw);
        for (int i = 0; i < hw; i++) {
            float l = gray(img[i], img[hw + i], img[2 * hw + i]);
            img[i] = l;
            img[hw + i] = l;
            img[2 * hw + i] = l;
        }
    }

    /**
     * torchvision's {@code adjust_brightness}: {@code _blend(img, 0, f)} =
     * {@code clamp(f * x + (1 - f) * 0, 0, 1)}, which is {@code clamp(f * x)}.
     */
    public static void adjustBrightness(float[] img, int hw, double factor) {
        checkRgb(img, hw);
        checkFactor("brightness", factor);
        float f = (float) factor;
        for (int i = 0; i < 3 * hw; i++) img[i] = clamp01(f * img[i]);
    }

    /**
     * torchvision's {@code adjust_contrast}: blends every pixel with the MEAN LUMA of the image
     * ({@code mean(rgb_to_grayscale(img))}): {@code clamp(f * x + (1 - f) * mean, 0, 1)}. On a
     * clip the mean is taken per frame (torchvision on a (T, 3, H, W) tensor reduces dims
     * (-3, -2, -1), i.e. per frame), which is what {@link ClipAugmenter} does.
     */
    public static void adjustContrast(float[] img, int hw, double factor) {
        checkRgb(img, hw);
        checkFactor("contrast", factor);
        double sum = 0;
        for (int i = 0; i < hw; i++) sum += gray(img[i], img[hw + i], img[2 * hw + i]);
        blend(img, hw, factor, null, (float) (sum / hw));
    }

    /** torchvision's {@code adjust_saturation}: {@code clamp(f * x + (1 - f) * luma(pixel), 0, 1)}. */
    public static void adjustSaturation(float[] img, int hw, double factor) {
        checkRgb(img, hw);
        checkFactor("saturation", factor);
        float[] luma = new float[hw];
        for (int i = 0; i < hw; i++) luma[i] = gray(img[i], img[hw + i], img[2 * hw + i]);
        blend(img, hw, factor, luma, 0f);
    }

    /**
     * torchvision's {@code _blend(img1, img2, ratio)}: {@code clamp(a * x + b * y, 0, 1)} with
     * {@code a = (float) ratio}, {@code b = (float) (1 - ratio)} (the subtraction in double, as
     * Python does it); y is {@code other[i % hw]} when {@code other} is given, else the constant.
     */
    private static void blend(float[] img, int hw, double ratio, float[] other, float constant) {
        float a = (float) ratio, b = (float) (1.0 - ratio);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < hw; i++) {
                int k = c * hw + i;
                float y = other == null ? constant : other[i];
                img[k] = clamp01(a * img[k] + b * y);
            }
        }
    }

    /**
     * torchvision's {@code adjust_hue}: RGB to HSV ({@code _rgb2hsv}), {@code h = (h + f) mod 1}
     * (torch's remainder, sign of the divisor), back to RGB ({@code _hsv2rgb}), each in the same
     * float32 steps as torchvision. {@code factor} must be in [-0.5, 0.5].
     */
    public static void adjustHue(float[] img, int hw, double factor) {
        checkRgb(img, hw);
        if (!(factor >= -0.5 && factor <= 0.5)) throw new IllegalArgumentException("hue factor " + factor + " is not in [-0.5, 0.5]");
        float shift = (float) factor;
        float[] rgb = new float[3];
        for (int i = 0; i < hw; i++) {
            rgb[0] = img[i];
            rgb[1] = img[hw + i];
            rgb[2] = img[2 * hw + i];
            CpuAugment.hue(rgb, shift);
            img[i] = rgb[0];
            img[hw + i] = rgb[1];
            img[2 * hw + i] = rgb[2];
        }
    }

    // ---- blur and normalisation -------------------------------------------------------------

    /**
     * torchvision's 1-D Gaussian kernel in float32: {@code x = linspace(-(k-1)/2, (k-1)/2, k)},
     * {@code pdf = exp(-0.5 * (x / sigma)^2)}, {@code pdf / sum(pdf)}.
     */
    public static float[] gaussianKernel(int size, double sigma) {
        return CpuAugment.gaussianKernel(size, (float) sigma);
    }

    /**
     * torchvision's {@code gaussian_blur(img, [k, k], [sigma, sigma])}: reflect padding of
     * {@code k / 2} (the edge sample is not repeated; needs {@code k / 2 < min(h, w)}), then the
     * separable k x k Gaussian (torchvision convolves with the outer product of the 1-D kernel;
     * applying it as a row pass then a column pass is the same sum, up to float rounding).
     * Works on any number of channels, in place; {@code scratch} (length >= h * w) may be null.
     */
    public static void gaussianBlur(float[] img, int c, int h, int w, int size, double sigma, float[] scratch) {
        checkSize(img, c, h, w);
        float[] k = gaussianKernel(size, sigma);
        int r = size / 2;
        if (r >= h || r >= w) {
            throw new IllegalArgumentException("gaussian_blur: kernel " + size + " needs an image larger than "
                    + r + " pixels per side (reflect padding), got " + h + "x" + w);
        }
        int[] rx = CpuAugment.reflectTable(w, r), ry = CpuAugment.reflectTable(h, r);
        float[] tmp = scratch != null && scratch.length >= h * w ? scratch : new float[h * w];
        for (int ch = 0; ch < c; ch++) CpuAugment.blurPlane(img, ch * h * w, h, w, k, rx, ry, tmp, 0f, 1f);
    }

    /** torchvision's {@code normalize}: {@code (x - mean[c]) / std[c]} per channel, in place. */
    public static void normalize(float[] img, int c, int hw, float[] mean, float[] std) {
        if (mean.length != c || std.length != c) throw new IllegalArgumentException("normalize: need " + c + " means and stds");
        for (int ch = 0; ch < c; ch++) {
            float m = mean[ch], s = std[ch];
            for (int i = ch * hw; i < (ch + 1) * hw; i++) img[i] = (img[i] - m) / s;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    static float clamp01(float v) {
        return CpuAugment.clamp01(v);
    }

    private static void checkFactor(String what, double factor) {
        if (!(factor >= 0)) throw new IllegalArgumentException(what + " factor must be non-negative, got " + factor);
    }

    private static void checkSize(float[] img, int c, int h, int w) {
        if (c < 1 || h < 1 || w < 1 || img.length < (long) c * h * w) {
            throw new IllegalArgumentException("image of " + img.length + " floats is not " + c + "x" + h + "x" + w);
        }
    }

    private static void checkRgb(float[] img, int hw) {
        if (hw < 1 || img.length < 3L * hw) throw new IllegalArgumentException("need a 3-channel image of " + hw + " pixels, got " + img.length + " floats");
    }
}
