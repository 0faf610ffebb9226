package org.iboot4j.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.iboot4j.data.Frames;
import org.iboot4j.engine.Rng;
import org.iboot4j.kernels.augment.AugmentClip;
import org.iboot4j.kernels.augment.CpuAugment;
import org.junit.jupiter.api.Test;

/**
 * The kernels module's {@link CpuAugment} (the CPU twin of augment.ptx, which the GPU parity
 * suite compares the kernels with) is this module's {@link ClipAugmenter} (checked against
 * torchvision by AugmentGoldenTest), bit for bit, on randomly drawn augmentations. The kernels
 * module is on this module's class path at run time only, which is enough for a test.
 */
class CpuAugmentTwinTest {
    static AugmentClip toKernel(ClipAugmentation a) {
        return new AugmentClip(a.sourceHeight(), a.sourceWidth(), a.resizedHeight(), a.resizedWidth(), a.cropTop(),
                a.cropLeft(), a.flip(), a.brightness(), a.contrast(), a.saturation(), a.hue(), a.jitterOrder(),
                a.grayscale(), a.blurSigma(), a.blurKernel(), a.mean(), a.std());
    }

    @Test
    void theKernelsTwinIsClipAugmenterExactly() {
        AugmentConfig cfg = AugmentConfig.iboot().withGeometry(40, 52, 32); // blur kernel 3 for a 32 crop
        Rng rng = new Rng(2024);
        int frames = 3, contrast = 0, blurred = 0, hue = 0;
        for (int trial = 0; trial < 40; trial++) {
            int h = 30 + rng.nextInt(20), w = 30 + rng.nextInt(40);
            byte[] rgb = new byte[frames * h * w * 3];
            for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) rng.nextInt(256);
            ClipAugmentation a = ClipAugmentation.draw(cfg, rng, h, w);
            float[] want = ClipAugmenter.apply(new Frames(frames, h, w, rgb), a);
            float[] got = CpuAugment.apply(MemorySegment.ofArray(rgb), List.of(toKernel(a)), frames, 32, 32);
            assertArrayEquals(want, got, 0f, a.toString());
            AugmentClip k = toKernel(a);
            contrast += k.hasContrast() ? 1 : 0;
            blurred += k.blurs() ? 1 : 0;
            hue += a.hue() != 0 ? 1 : 0;
        }
        assertTrue(contrast > 5 && blurred > 5 && hue > 5, "draws exercised contrast " + contrast + ", blur " + blurred + ", hue " + hue);
    }
}
