package org.iboot4j.data.augment;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.iboot4j.data.Frames;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.cpu.CpuAugment;

/**
 * Applies a {@link ClipAugmentation} to one decoded clip on the CPU: (T, H, W, 3) uint8
 * {@link Frames} in, (3, T, cropHeight, cropWidth) float32 out.
 *
 * <p>The work is the engine's fused CPU augmentation ({@link CpuAugment}, the CPU backend's
 * {@code Backend.augmentClips}) on a batch of one: per frame the resize, crop and flip fused
 * into one pass that computes only the cropped window of the resized frame, then the jitter ops
 * in order, grayscale, blur and normalisation, each the same f32 arithmetic as the
 * corresponding {@link ImageOps} op (AugmentFormulaTest checks the fused result against the ops
 * applied one after another, bit for bit; AugmentGoldenTest checks both against torchvision).
 * Contrast uses each frame's own mean luma, as torchvision does on a (T, 3, H, W) clip tensor.
 * Training batches go through the backend in one call per view instead
 * ({@code org.iboot4j.data.loader.BatchAugmenter}); this class is the per-clip entry point.
 *
 * <p>Stateless and thread-safe.
 */
public final class ClipAugmenter {
    private ClipAugmenter() {}

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
     * {@code offset} (so a caller can fill its batch buffer directly).
     */
    public static void applyInto(Frames clip, ClipAugmentation aug, float[] out, int offset) {
        aug.checkFits(clip);
        CpuAugment.apply(MemorySegment.ofArray(clip.rgb()), List.of(aug.toAugmentClip()), clip.frames(), aug.cropHeight(),
                aug.cropWidth(), out, offset);
    }

    /** One frame of a clip as a planar (3, H, W) float image in [0, 1] ({@code v / 255f}). */
    public static float[] frameToFloat(Frames clip, int f) {
        int hw = clip.height() * clip.width();
        float[] img = new float[3 * hw];
        byte[] rgb = clip.rgb();
        int base = f * hw * 3;
        for (int i = 0; i < hw; i++) {
            for (int c = 0; c < 3; c++) img[c * hw + i] = (rgb[base + i * 3 + c] & 0xFF) / 255f;
        }
        return img;
    }
}
