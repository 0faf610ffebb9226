package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.cpu.CpuAugment;
import org.junit.jupiter.api.Test;

/**
 * The fused clip augmentation as a backend primitive ({@link Functional#augmentClips} on the CPU
 * backend): output shape, that a batch of clips of different sizes is exactly its clips augmented
 * one by one (offsets, the split over threads), per-frame contrast, and the checks on bad
 * batches. The per-pixel values are checked by hand in {@code CpuAugmentTest} and against
 * torchvision in the iboot module ({@code AugmentGoldenTest}, through {@code ClipAugmenter}).
 */
class AugmentClipsTest {
    private static final float[] MEAN = {0.45f, 0.4f, 0.35f}, STD = {0.225f, 0.25f, 0.2f};
    private static final Backend CPU = Backends.byName("cpu");

    private static byte[] randomFrames(long seed, long bytes) {
        Rng rng = new Rng(seed);
        byte[] b = new byte[Math.toIntExact(bytes)];
        for (int i = 0; i < b.length; i++) b[i] = (byte) rng.nextInt(256);
        return b;
    }

    /** Three clips of two source sizes: jitter with contrast and hue, grayscale, blur, an unchanged frame size. */
    private static List<AugmentClip> clips() {
        return List.of(
                new AugmentClip(30, 40, 34, 45, 3, 11, true, 0.8f, 1.4f, 1.2f, 0.1f, new int[] {1, 3, 0, 2}, false, 1.3f, 5, MEAN, STD),
                new AugmentClip(30, 40, 30, 40, 9, 0, false, 1.1f, 0.6f, 0.3f, -0.2f, new int[] {3, 2, 1}, true, 0f, 5, MEAN, STD),
                new AugmentClip(24, 24, 24, 24, 0, 0, true, 1f, 1f, 1f, 0f, new int[0], false, 0.6f, 3, MEAN, STD));
    }

    private static long bytes(List<AugmentClip> clips, int frames) {
        long b = 0;
        for (AugmentClip c : clips) b += c.frameBytes(frames);
        return b;
    }

    @Test
    void aBatchIsItsClipsAugmentedOneByOne() {
        List<AugmentClip> clips = clips();
        int frames = 3, out = 20;
        byte[] u8 = randomFrames(7, bytes(clips, frames));
        Tensor batch = Functional.augmentClips(CPU, MemorySegment.ofArray(u8), clips, frames, out, out);
        assertArrayEquals(new int[] {3, 3, frames, out, out}, batch.shape());
        assertEquals(DType.F32, batch.dtype());
        float[] all = batch.toFloatArray();
        int per = 3 * frames * out * out;
        long at = 0;
        for (int n = 0; n < clips.size(); n++) {
            long len = clips.get(n).frameBytes(frames);
            MemorySegment one = MemorySegment.ofArray(Arrays.copyOfRange(u8, (int) at, (int) (at + len)));
            float[] alone = CpuAugment.apply(one, List.of(clips.get(n)), frames, out, out);
            assertArrayEquals(alone, Arrays.copyOfRange(all, n * per, (n + 1) * per), 0f, "clip " + n);
            at += len;
        }
        assertArrayEquals(all, Functional.augmentClips(CPU, MemorySegment.ofArray(u8), clips, frames, out, out)
                .toFloatArray(), 0f, "a second run (another split over threads) gives the same bits");
    }

    @Test
    void theBackendWritesIntoTheTensorItIsGiven() {
        List<AugmentClip> clips = clips().subList(1, 3);
        byte[] u8 = randomFrames(8, bytes(clips, 2));
        float[] want = CpuAugment.apply(MemorySegment.ofArray(u8), clips, 2, 12, 12);
        Tensor out = Tensor.empty(CPU, DType.F32, 2, 3, 2, 12, 12);
        CPU.augmentClips(MemorySegment.ofArray(u8), clips, out);
        assertArrayEquals(want, out.toFloatArray(), 0f);
    }

    @Test
    void contrastUsesEachFramesOwnMeanLuma() {
        // two constant gray frames, 51 then 204: a constant frame blends with its own mean luma 0.9999 v
        int h = 4, w = 4;
        byte[] u8 = new byte[2 * h * w * 3];
        Arrays.fill(u8, 0, h * w * 3, (byte) 51);
        Arrays.fill(u8, h * w * 3, u8.length, (byte) 204);
        float[] zero = {0, 0, 0}, one = {1, 1, 1};
        AugmentClip c = new AugmentClip(h, w, h, w, 0, 0, false, 1f, 0.5f, 1f, 0f, new int[] {AugmentClip.CONTRAST},
                false, 0f, 1, zero, one);
        float[] got = Functional.augmentClips(CPU, MemorySegment.ofArray(u8), List.of(c), 2, h, w).toFloatArray();
        for (int ch = 0; ch < 3; ch++) {
            for (int t = 0; t < 2; t++) {
                double v = t == 0 ? 0.2 : 0.8, want = 0.5 * v + 0.5 * 0.9999 * v;
                for (int px = 0; px < h * w; px++) {
                    assertEquals(want, got[(ch * 2 + t) * h * w + px], 1e-6, "channel " + ch + " frame " + t);
                }
            }
        }
    }

    @Test
    void badBatchesAreRejectedWithTheirReason() {
        List<AugmentClip> clips = clips();
        MemorySegment right = MemorySegment.ofArray(new byte[(int) bytes(clips, 2)]);
        MemorySegment short1 = MemorySegment.ofArray(new byte[(int) bytes(clips, 2) - 1]);
        expect(() -> Functional.augmentClips(CPU, short1, clips, 2, 20, 20), "3 clips x 2 frames take "
                + bytes(clips, 2) + " bytes, the buffer has " + (bytes(clips, 2) - 1));
        expect(() -> Functional.augmentClips(CPU, right, clips, 2, 20, 25), "clip 2: crop 20x25 at (0, 0) is not inside the resized 24x24 frame");
        expect(() -> Functional.augmentClips(CPU, right, clips, 2, 2, 2), "clip 0: blur kernel 5 too large for 2x2");
        expect(() -> Functional.augmentClips(CPU, right, List.of(), 2, 20, 20), "augmentation of 0 clips");
        expect(() -> Functional.augmentClips(CPU, right, clips, 0, 20, 20), "augmentation of 3 clips x 0 frames");
        expect(() -> new AugmentClip(30, 40, 34, 45, 0, 0, false, 1f, 1f, 1f, 0f, new int[0], false, 1f, 129, MEAN, STD),
                "blur sigma 1.0 / kernel 129 invalid (sigma >= 0, kernel odd, at most 127)");
        expect(() -> new AugmentClip(30, 40, 34, 45, 0, 0, false, 1f, 1f, 1f, 0.7f, new int[0], false, 0f, 1, MEAN, STD),
                "jitter factors out of range");
        expect(() -> new AugmentClip(30, 40, 34, 45, 0, 0, false, 1f, 1f, 1f, 0f, new int[] {4}, false, 0f, 1, MEAN, STD),
                "bad jitter order [4]");
        expect(() -> CpuAugment.apply(right, clips, 2, 20, 20, new float[10], 0), "cannot hold 3x3x2x20x20");
    }

    private static void expect(Runnable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(fragment), "message lacks \"" + fragment + "\": " + e.getMessage());
    }

    @Test
    void theClipRecordCopiesItsArrays() {
        int[] order = {0, 1};
        float[] mean = MEAN.clone();
        AugmentClip c = new AugmentClip(8, 8, 8, 8, 0, 0, false, 1f, 1f, 1f, 0f, order, false, 0f, 1, mean, STD);
        order[0] = 3;
        mean[0] = 9;
        c.jitterOrder()[1] = 2;
        assertArrayEquals(new int[] {0, 1}, c.jitterOrder());
        assertEquals(MEAN[0], c.mean()[0]);
        assertTrue(c.hasContrast() && !c.blurs());
        assertEquals(1, c.jitterSlotsBefore(AugmentClip.CONTRAST));
    }
}
