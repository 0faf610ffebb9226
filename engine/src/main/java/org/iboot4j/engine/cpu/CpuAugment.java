package org.iboot4j.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.iboot4j.engine.backend.AugmentClip;

/**
 * The fused clip augmentation on the CPU ({@code Backend.augmentClips}): uint8 frames (N clips
 * of (T, H, W, 3), back to back, sizes may differ) in, float32 (N, 3, T, outH, outW) out. It is
 * the CPU backend's implementation, the reference the iboot module's {@code ClipAugmenter}
 * delegates to (checked there against torchvision 0.14 op by op and as a whole pipeline), and the
 * CPU twin of the GPU backend's {@code augment.ptx}.
 *
 * <p>THE ALGORITHM, one frame at a time (frames are independent, so clips x frames are spread
 * over {@link Parallel}); the output planes of the frame are the working buffer:
 * <ol>
 *   <li>every output pixel (y, x): the resize taps of its row and column (computed once per clip
 *       from the crop corner, the flip folded into the columns), the bilinear blend of four
 *       source pixels ({@code v / 255f}, ATen's order), then the jitter ops listed before
 *       contrast, in order;
 *   <li>if contrast is listed: the frame's mean luma of those values (summed in f64 in pixel
 *       order, as torchvision's per-frame {@code mean(rgb_to_grayscale)}), then per pixel the
 *       contrast blend and the ops after it;
 *   <li>grayscale; unblurred clips are normalised here, {@code (x - mean[c]) / std[c]};
 *   <li>blurred clips: the separable Gaussian per channel plane (rows into a scratch plane,
 *       columns back, reflect padding, taps summed in order), normalised after the columns.
 * </ol>
 * Every step is torchvision's functional op in the same f32 operations (Java never fuses a
 * multiply-add). The GPU kernels repeat them in the same order with {@code .rn} arithmetic: one
 * thread per output pixel, the contrast mean from a first pass that recomputes step 1 (this code
 * keeps step 1's values instead: the same numbers). Expected GPU differences: the blur weights
 * (a 2-ulp exp there) and the contrast mean (tree-order sum there).
 *
 * <p>COST: per output pixel 4 x 3 source bytes read and 12 bytes written, about 30 flops plus the
 * jitter (hue is the dearest: ~40 flops and 3 divisions); contrast reads the frame's planes once
 * more; the blur 2 k multiply-adds per channel value (k = 23 taps at 224).
 */
public final class CpuAugment {
    private CpuAugment() {}

    private static final float[] U8_TO_FLOAT = new float[256];

    static {
        for (int v = 0; v < 256; v++) U8_TO_FLOAT[v] = v / 255f;
    }

    /** torchvision's grayscale weights (0.2989, not ITU-R 601's 0.299). */
    public static final float GRAY_R = 0.2989f, GRAY_G = 0.587f, GRAY_B = 0.114f;

    /** The augmented batch as a new (N, 3, T, outH, outW) row-major array. */
    public static float[] apply(MemorySegment frames, List<AugmentClip> clips, int frameCount, int outH, int outW) {
        float[] out = new float[Math.toIntExact((long) clips.size() * 3 * frameCount * outH * outW)];
        apply(frames, clips, frameCount, outH, outW, out, 0);
        return out;
    }

    /**
     * Writes the augmented batch, (N, 3, T, outH, outW) row-major, into {@code out} from
     * {@code offset}. Checks the batch ({@link AugmentClip#frameOffsets}) and the room in
     * {@code out} before anything runs.
     */
    public static void apply(MemorySegment frames, List<AugmentClip> clips, int frameCount, int outH, int outW,
            float[] out, int offset) {
        long[] offsets = AugmentClip.frameOffsets(clips, frameCount, outH, outW, frames.byteSize());
        long need = (long) clips.size() * 3 * frameCount * outH * outW;
        if (offset < 0 || out.length - offset < need) {
            throw new IllegalArgumentException("augmentation output of " + out.length + " floats from " + offset
                    + " cannot hold " + clips.size() + "x3x" + frameCount + "x" + outH + "x" + outW);
        }
        Clip[] plans = new Clip[clips.size()];
        for (int n = 0; n < plans.length; n++) plans[n] = new Clip(clips.get(n), outH, outW);
        int hw = outH * outW;
        Parallel.forRange(plans.length * frameCount, 1, (from, to) -> {
            float[] rgb = new float[3], scratch = new float[hw];
            for (int u = from; u < to; u++) {
                int n = u / frameCount, t = u % frameCount;
                Clip c = plans[n];
                int plane0 = offset + (n * 3 * frameCount + t) * hw, planeStep = frameCount * hw;
                frame(frames, offsets[n] + t * c.frameBytes, c, out, plane0, planeStep, rgb, scratch);
            }
        });
    }

    /** One clip's parameters, unpacked once for the per-pixel loops. */
    private static final class Clip {
        final AugmentClip p;
        final int outH, outW, sourceWidth, contrastSlot;
        final long frameBytes;
        final int[] order, rowReflect, colReflect;
        final float[] mean, std, blurKernel;
        final Tap[] rows, cols;

        Clip(AugmentClip p, int outH, int outW) {
            this.p = p;
            this.outH = outH;
            this.outW = outW;
            this.sourceWidth = p.sourceWidth();
            this.frameBytes = 3L * p.sourceHeight() * p.sourceWidth();
            this.order = p.jitterOrder();
            this.contrastSlot = p.jitterSlotsBefore(AugmentClip.CONTRAST);
            this.mean = p.mean();
            this.std = p.std();
            rows = new Tap[outH];
            for (int y = 0; y < outH; y++) rows[y] = Tap.of(p.sourceHeight(), p.resizedHeight(), p.cropTop() + y);
            cols = new Tap[outW];
            for (int x = 0; x < outW; x++) {
                cols[x] = Tap.of(p.sourceWidth(), p.resizedWidth(), p.cropLeft() + (p.flip() ? outW - 1 - x : x));
            }
            blurKernel = p.blurs() ? gaussianKernel(p.blurKernel(), p.blurSigma()) : null;
            int r = p.blurKernel() / 2;
            rowReflect = p.blurs() ? reflectTable(outW, r) : null;
            colReflect = p.blurs() ? reflectTable(outH, r) : null;
        }
    }

    /** Steps 1 to 4 for the frame at byte {@code base}; channel c's plane starts at {@code plane0 + c * planeStep}. */
    private static void frame(MemorySegment frames, long base, Clip c, float[] out, int plane0, int planeStep,
            float[] rgb, float[] scratch) {
        int hw = c.outH * c.outW, g = plane0 + planeStep, b = plane0 + 2 * planeStep;
        boolean twoPasses = c.contrastSlot < c.order.length;
        for (int y = 0; y < c.outH; y++) {
            Tap ty = c.rows[y];
            long r0 = base + 3L * ty.i0 * c.sourceWidth, r1 = base + 3L * ty.i1 * c.sourceWidth;
            for (int x = 0; x < c.outW; x++) {
                Tap tx = c.cols[x];
                long a = 3L * tx.i0, e = 3L * tx.i1;
                for (int ch = 0; ch < 3; ch++) {
                    float p00 = u8(frames, r0 + a + ch), p01 = u8(frames, r0 + e + ch);
                    float p10 = u8(frames, r1 + a + ch), p11 = u8(frames, r1 + e + ch);
                    rgb[ch] = ty.l0 * (tx.l0 * p00 + tx.l1 * p01) + ty.l1 * (tx.l0 * p10 + tx.l1 * p11);
                }
                jitter(rgb, c, 0, c.contrastSlot, 0f);
                if (!twoPasses) finish(rgb, c);
                int px = y * c.outW + x;
                out[plane0 + px] = rgb[0];
                out[g + px] = rgb[1];
                out[b + px] = rgb[2];
            }
        }
        if (twoPasses) {
            double sum = 0;
            for (int px = 0; px < hw; px++) sum += gray(out[plane0 + px], out[g + px], out[b + px]);
            float lumaMean = (float) (sum / hw);
            for (int px = 0; px < hw; px++) {
                rgb[0] = out[plane0 + px];
                rgb[1] = out[g + px];
                rgb[2] = out[b + px];
                jitter(rgb, c, c.contrastSlot, c.order.length, lumaMean);
                finish(rgb, c);
                out[plane0 + px] = rgb[0];
                out[g + px] = rgb[1];
                out[b + px] = rgb[2];
            }
        }
        if (c.blurKernel != null) {
            for (int ch = 0; ch < 3; ch++) {
                blurPlane(out, plane0 + ch * planeStep, c.outH, c.outW, c.blurKernel, c.rowReflect, c.colReflect, scratch,
                        c.mean[ch], c.std[ch]);
            }
        }
    }

    /** The jitter ops {@code order[from .. to)} on one pixel; {@code lumaMean} is the frame's, for contrast. */
    private static void jitter(float[] rgb, Clip c, int from, int to, float lumaMean) {
        AugmentClip p = c.p;
        for (int k = from; k < to; k++) {
            switch (c.order[k]) {
                case AugmentClip.BRIGHTNESS -> {
                    for (int ch = 0; ch < 3; ch++) rgb[ch] = clamp01(p.brightness() * rgb[ch]);
                }
                case AugmentClip.CONTRAST -> blend(rgb, p.contrast(), lumaMean);
                case AugmentClip.SATURATION -> blend(rgb, p.saturation(), gray(rgb[0], rgb[1], rgb[2]));
                default -> hue(rgb, p.hue());
            }
        }
    }

    /** Grayscale, and the normalisation of clips that are not blurred. */
    private static void finish(float[] rgb, Clip c) {
        if (c.p.grayscale()) rgb[0] = rgb[1] = rgb[2] = gray(rgb[0], rgb[1], rgb[2]);
        if (c.blurKernel == null) {
            for (int ch = 0; ch < 3; ch++) rgb[ch] = (rgb[ch] - c.mean[ch]) / c.std[ch];
        }
    }

    /**
     * torchvision's {@code _blend(img, other, f)} on one pixel: {@code clamp(f x + (1 - f) y, 0, 1)},
     * {@code (1 - f)} computed in double and rounded, as Python does it.
     */
    public static void blend(float[] rgb, float f, float y) {
        float b = (float) (1.0 - f), by = b * y;
        for (int c = 0; c < 3; c++) rgb[c] = clamp01(f * rgb[c] + by);
    }

    /**
     * torchvision's {@code adjust_hue} on one pixel: {@code _rgb2hsv}, {@code h = (h + shift) mod 1}
     * (torch's remainder), {@code _hsv2rgb}, each in torchvision's f32 steps; shift in [-0.5, 0.5].
     */
    public static void hue(float[] rgb, float shift) {
        float r = rgb[0], g = rgb[1], b = rgb[2];
        float maxc = Math.max(r, Math.max(g, b)), minc = Math.min(r, Math.min(g, b));
        boolean eqc = maxc == minc;
        float cr = maxc - minc;
        float s = cr / (eqc ? 1f : maxc);
        float div = eqc ? 1f : cr;
        float rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
        float h = maxc == r ? bc - gc : maxc == g ? 2f + rc - bc : 4f + gc - rc;
        h = h / 6f + 1f;
        if (h >= 1f) h -= 1f;                  // fmod(h, 1): h is in [0.83, 1.84) here, so exact
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

    /**
     * torchvision's {@code gaussian_blur} of the (h, w) plane at {@code plane} in place, then
     * {@code (x - mean) / std}: rows into {@code scratch} (h w floats), columns back, each output
     * the taps {@code k} summed in order over the reflect-padded neighbours ({@link #reflectTable}
     * of w and of h with radius k.length / 2). torchvision convolves with the outer product of the
     * 1-D kernel; rows then columns is the same sum, rounded differently (about 1e-6).
     */
    public static void blurPlane(float[] data, int plane, int h, int w, float[] k, int[] rowReflect, int[] colReflect,
            float[] scratch, float mean, float std) {
        for (int y = 0; y < h; y++) {
            int row = plane + y * w;
            for (int x = 0; x < w; x++) {
                float acc = 0f;
                for (int i = 0; i < k.length; i++) acc += k[i] * data[row + rowReflect[x + i]];
                scratch[y * w + x] = acc;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float acc = 0f;
                for (int i = 0; i < k.length; i++) acc += k[i] * scratch[colReflect[y + i] * w + x];
                data[plane + y * w + x] = (acc - mean) / std;
            }
        }
    }

    /**
     * torchvision's 1-D Gaussian in f32: x_i = (i - (k - 1) / 2) / sigma, w_i = exp(-x_i^2 / 2)
     * (double exp rounded to float), divided by their sum (in double, rounded to float).
     */
    public static float[] gaussianKernel(int size, float sigma) {
        if (size < 1 || size % 2 == 0) throw new IllegalArgumentException("Gaussian kernel size must be odd and positive, got " + size);
        if (!(sigma > 0)) throw new IllegalArgumentException("Gaussian sigma must be positive, got " + sigma);
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
    public static int reflect(int i, int n) {
        i = Math.abs(i);
        return i >= n ? 2 * (n - 1) - i : i;
    }

    /** For padded positions p in [0, n + 2 r): the sample {@link #reflect}{@code (p - r, n)}. */
    public static int[] reflectTable(int n, int r) {
        int[] t = new int[n + 2 * r];
        for (int p = 0; p < t.length; p++) t[p] = reflect(p - r, n);
        return t;
    }

    /**
     * One output sample of one axis of a bilinear resize (align_corners=False, no antialias), as
     * PyTorch 1.13's CPU {@code upsample_bilinear2d}: scale = (float) in / out, src = (float)
     * (scale (dst + 0.5) - 0.5) with the product in double, clamped at 0; i0 = (int) src, i1 =
     * i0 + 1 except at the last sample, l1 = clamp(src - i0, 0, 1), l0 = 1 - l1; equal sizes
     * give the identity. A sample is {@code l0 v[i0] + l1 v[i1]}; in 2-d
     * {@code l0y (l0x p00 + l1x p01) + l1y (l0x p10 + l1x p11)}.
     */
    public record Tap(int i0, int i1, float l0, float l1) {
        public static Tap of(int in, int out, int dst) {
            if (in == out) return new Tap(dst, dst, 1f, 0f);
            float scale = (float) in / out;
            float src = Math.max((float) (scale * (dst + 0.5) - 0.5), 0f);
            int i0 = (int) src;
            float l1 = Math.min(Math.max(src - i0, 0f), 1f);
            return new Tap(i0, i0 < in - 1 ? i0 + 1 : i0, 1f - l1, l1);
        }
    }

    /** torchvision's luma in f32: {@code (0.2989 r + 0.587 g) + 0.114 b}. */
    public static float gray(float r, float g, float b) {
        return GRAY_R * r + GRAY_G * g + GRAY_B * b;
    }

    public static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    private static float u8(MemorySegment frames, long at) {
        return U8_TO_FLOAT[frames.get(ValueLayout.JAVA_BYTE, at) & 0xFF];
    }

    private static void set(float[] rgb, float r, float g, float b) {
        rgb[0] = r;
        rgb[1] = g;
        rgb[2] = b;
    }
}
