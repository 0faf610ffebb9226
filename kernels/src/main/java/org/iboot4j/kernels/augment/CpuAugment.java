package org.iboot4j.kernels.augment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The CPU twin of {@code augment.ptx}: uint8 frames (N clips of (T, H, W, 3), back to back) in,
 * float32 (N, 3, T, outH, outW) out, computed the way the kernels compute it so that the two can
 * be compared element by element.
 *
 * <p>THE ALGORITHM (one output pixel at a time, as one GPU thread does it): the resize taps of
 * its row and column (flip folded into the column), the bilinear blend of four source pixels
 * ({@code v / 255f}), the listed jitter ops, grayscale, and — for clips that are not blurred —
 * the normalisation. Contrast needs the frame's mean luma before any pixel can be finished, so
 * it is computed first by running the same per-pixel pipeline up to the contrast op (the
 * kernel's pass 0; the sum is in f64 in pixel order here, in a tree order on the GPU).
 * Blurred clips then get the separable Gaussian (rows into a scratch plane, columns back,
 * reflect padding, taps summed in order) and are normalised after it ({@code blur_h},
 * {@code blur_v}). Every step is the same f32 operation in the same order as the PTX (Java does
 * not fuse multiply-adds; the PTX uses {@code .rn} so ptxas cannot either), which is also what
 * the iboot module's {@code ClipAugmenter} (checked against torchvision) computes.
 *
 * <p>Expected differences from the GPU: none, except the blur weights ({@code Math.exp} here, a
 * 2-ulp {@code ex2.approx}-based exp there) and the contrast mean (summation order).
 *
 * <p>COST: per output pixel 4 x 3 source bytes read and 12 bytes written, plus, for contrast
 * clips, the pipeline once more up to the contrast op, and 2 x k multiply-adds per channel for
 * blurred clips. Single-threaded: it is a reference, not a data loader.
 */
public final class CpuAugment {
    private CpuAugment() {}

    private static final float[] U8_TO_FLOAT = new float[256];

    static {
        for (int v = 0; v < 256; v++) U8_TO_FLOAT[v] = v / 255f;
    }

    /** torchvision's grayscale weights (0.2989, not 0.299). */
    static final float GRAY_R = 0.2989f, GRAY_G = 0.587f, GRAY_B = 0.114f;

    /** The augmented batch, (N, 3, T, outH, outW) row-major. */
    public static float[] apply(MemorySegment frames, List<AugmentClip> clips, int frameCount, int outH, int outW) {
        long[] offsets = AugmentClip.frameOffsets(clips, frameCount, outH, outW, frames.byteSize());
        int hw = outH * outW;
        float[] out = new float[Math.multiplyExact(clips.size() * 3 * frameCount, hw)];
        float[] rgb = new float[3];
        for (int n = 0; n < clips.size(); n++) {
            AugmentClip p = clips.get(n);
            float[] mean = p.mean(), std = p.std();
            long frameBytes = 3L * p.sourceHeight() * p.sourceWidth();
            for (int t = 0; t < frameCount; t++) {
                long base = offsets[n] + t * frameBytes;
                float lumaMean = p.hasContrast() ? frameLumaMean(frames, base, p, outH, outW) : 0f;
                for (int px = 0; px < hw; px++) {
                    pixel(frames, base, p, px / outW, px % outW, outW, p.jitterOrder().length, lumaMean, rgb);
                    if (p.grayscale()) rgb[0] = rgb[1] = rgb[2] = gray(rgb[0], rgb[1], rgb[2]);
                    for (int c = 0; c < 3; c++) {
                        float v = rgb[c];
                        if (!p.blurs()) v = (v - mean[c]) / std[c];
                        out[((n * 3 + c) * frameCount + t) * hw + px] = v;
                    }
                }
            }
            if (p.blurs()) blur(out, n, p, frameCount, outH, outW);
        }
        return out;
    }

    /** Pass 0: the mean luma of the frame after the jitter ops that come before contrast. */
    static float frameLumaMean(MemorySegment frames, long base, AugmentClip p, int outH, int outW) {
        float[] rgb = new float[3];
        int slots = p.jitterSlotsBefore(AugmentClip.CONTRAST);
        double sum = 0;
        for (int px = 0; px < outH * outW; px++) {
            pixel(frames, base, p, px / outW, px % outW, outW, slots, 0f, rgb);
            sum += gray(rgb[0], rgb[1], rgb[2]);
        }
        return (float) (sum / (outH * outW));
    }

    /** Output pixel (y, x) of the frame at {@code base}: resize + crop + flip, then the first {@code slots} jitter ops. */
    static void pixel(MemorySegment frames, long base, AugmentClip p, int y, int x, int outW, int slots, float lumaMean,
            float[] rgb) {
        Tap ty = Tap.of(p.sourceHeight(), p.resizedHeight(), p.cropTop() + y);
        Tap tx = Tap.of(p.sourceWidth(), p.resizedWidth(), p.cropLeft() + (p.flip() ? outW - 1 - x : x));
        int w = p.sourceWidth();
        long i00 = base + 3L * (ty.i0 * w + tx.i0), i01 = base + 3L * (ty.i0 * w + tx.i1);
        long i10 = base + 3L * (ty.i1 * w + tx.i0), i11 = base + 3L * (ty.i1 * w + tx.i1);
        for (int c = 0; c < 3; c++) {
            float p00 = u8(frames, i00 + c), p01 = u8(frames, i01 + c), p10 = u8(frames, i10 + c), p11 = u8(frames, i11 + c);
            rgb[c] = ty.l0 * (tx.l0 * p00 + tx.l1 * p01) + ty.l1 * (tx.l0 * p10 + tx.l1 * p11);
        }
        int[] order = p.jitterOrder();
        for (int k = 0; k < slots; k++) {
            switch (order[k]) {
                case AugmentClip.BRIGHTNESS -> {
                    for (int c = 0; c < 3; c++) rgb[c] = clamp01(p.brightness() * rgb[c]);
                }
                case AugmentClip.CONTRAST -> blend(rgb, p.contrast(), lumaMean);
                case AugmentClip.SATURATION -> blend(rgb, p.saturation(), gray(rgb[0], rgb[1], rgb[2]));
                default -> hue(rgb, p.hue());
            }
        }
    }

    /** torchvision's _blend: clamp(f x + (1 - f) y), (1 - f) computed in double and rounded. */
    private static void blend(float[] rgb, float f, float y) {
        float b = (float) (1.0 - f), by = b * y;
        for (int c = 0; c < 3; c++) rgb[c] = clamp01(f * rgb[c] + by);
    }

    /** torchvision's adjust_hue on one pixel: _rgb2hsv, h = (h + shift) mod 1, _hsv2rgb, all in f32. */
    static void hue(float[] rgb, float shift) {
        float r = rgb[0], g = rgb[1], b = rgb[2];
        float maxc = Math.max(r, Math.max(g, b)), minc = Math.min(r, Math.min(g, b));
        boolean eqc = maxc == minc;
        float cr = maxc - minc;
        float s = cr / (eqc ? 1f : maxc);
        float div = eqc ? 1f : cr;
        float rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
        float h = maxc == r ? bc - gc : maxc == g ? 2f + rc - bc : 4f + gc - rc;
        h = h / 6f + 1f;
        if (h >= 1f) h -= 1f;                  // fmod(h, 1): h is in [0.83, 1.84) here
        h += shift;                            // torch.remainder(h, 1)
        if (h >= 1f) h -= 1f;
        if (h < 0f) h += 1f;
        float h6 = h * 6f, fl = (float) Math.floor(h6), f = h6 - fl;
        int sector = (int) fl;
        if (sector >= 6) sector -= 6;
        float pv = clamp01(maxc * (1f - s)), qv = clamp01(maxc * (1f - s * f)), tv = clamp01(maxc * (1f - s * (1f - f)));
        switch (sector) {
            case 0 -> set(rgb, maxc, tv, pv);
            case 1 -> set(rgb, qv, maxc, pv);
            case 2 -> set(rgb, pv, maxc, tv);
            case 3 -> set(rgb, pv, qv, maxc);
            case 4 -> set(rgb, tv, pv, maxc);
            default -> set(rgb, maxc, pv, qv);
        }
    }

    /** blur_h then blur_v on every channel plane of clip n (not yet normalised), normalising after the columns. */
    static void blur(float[] out, int n, AugmentClip p, int frameCount, int outH, int outW) {
        float[] k = gaussianKernel(p.blurKernel(), p.blurSigma());
        int r = k.length / 2, hw = outH * outW;
        float[] tmp = new float[hw], mean = p.mean(), std = p.std();
        for (int c = 0; c < 3; c++) {
            for (int t = 0; t < frameCount; t++) {
                int plane = ((n * 3 + c) * frameCount + t) * hw;
                for (int px = 0; px < hw; px++) {
                    int y = px / outW, x = px % outW;
                    float acc = 0f;
                    for (int i = 0; i < k.length; i++) acc += k[i] * out[plane + y * outW + reflect(x + i - r, outW)];
                    tmp[px] = acc;
                }
                for (int px = 0; px < hw; px++) {
                    int y = px / outW, x = px % outW;
                    float acc = 0f;
                    for (int i = 0; i < k.length; i++) acc += k[i] * tmp[reflect(y + i - r, outH) * outW + x];
                    out[plane + px] = (acc - mean[c]) / std[c];
                }
            }
        }
    }

    /**
     * torchvision's 1-D Gaussian in f32: x_i = (i - (k - 1) / 2) / sigma, w_i = exp(-x_i^2 / 2)
     * (double exp rounded to float here), divided by their sum (in double, rounded to float).
     */
    static float[] gaussianKernel(int size, float sigma) {
        float[] k = new float[size];
        float half = (size - 1) * 0.5f;
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float x = (i - half) / sigma;
            k[i] = (float) Math.exp(-0.5f * (x * x));
            sum += k[i];
        }
        float s = (float) sum;
        for (int i = 0; i < size; i++) k[i] /= s;
        return k;
    }

    /** Reflect padding: -i maps to i, n - 1 + i to n - 1 - i (the edge sample is not repeated). */
    static int reflect(int i, int n) {
        i = Math.abs(i);
        return i >= n ? 2 * (n - 1) - i : i;
    }

    /**
     * One axis of a bilinear resize (align_corners=False, no antialias) as ATen's CPU kernel:
     * scale = (float) in / out, src = (float) (scale (dst + 0.5) - 0.5) with the product in
     * double, clamped at 0; i0 = (int) src, i1 = i0 + 1 except at the last sample,
     * l1 = clamp(src - i0, 0, 1), l0 = 1 - l1; equal sizes give the identity.
     */
    record Tap(int i0, int i1, float l0, float l1) {
        static Tap of(int in, int out, int dst) {
            if (in == out) return new Tap(dst, dst, 1f, 0f);
            float scale = (float) in / out;
            float src = Math.max((float) (scale * (dst + 0.5) - 0.5), 0f);
            int i0 = (int) src;
            float l1 = Math.min(Math.max(src - i0, 0f), 1f);
            return new Tap(i0, i0 < in - 1 ? i0 + 1 : i0, 1f - l1, l1);
        }
    }

    static float gray(float r, float g, float b) {
        return GRAY_R * r + GRAY_G * g + GRAY_B * b;
    }

    private static float u8(MemorySegment frames, long at) {
        return U8_TO_FLOAT[frames.get(ValueLayout.JAVA_BYTE, at) & 0xFF];
    }

    private static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    private static void set(float[] rgb, float r, float g, float b) {
        rgb[0] = r;
        rgb[1] = g;
        rgb[2] = b;
    }
}
