package org.iboot4j.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.data.augment.ClipAugmenter;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * A batch augmented by the backend in one call per view ({@link BatchAugmenter}) is exactly the
 * per-clip augmentation the loader used to do in its workers ({@link ClipAugmenter} on each
 * clip, the rows stacked), at tolerance 0, for samples whose sources differ in size and
 * randomly drawn augmentations with contrast, hue, grayscale and blur.
 */
class BatchAugmenterTest {
    private static final Backend CPU = Backends.byName("cpu");
    private static final int T = 3, CROP = 32;
    private static final AugmentConfig CFG = AugmentConfig.iboot().withGeometry(40, 52, CROP); // blur kernel 3 for a 32 crop

    private static Frames randomClip(Rng rng, int h, int w) {
        byte[] rgb = new byte[T * h * w * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) rng.nextInt(256);
        return new Frames(T, h, w, rgb);
    }

    /** n samples of two views each, every clip its own source size and augmentation. */
    private static ClipLoader.Sample[] samples(Rng rng, int n) {
        ClipLoader.Sample[] s = new ClipLoader.Sample[n];
        for (int i = 0; i < n; i++) {
            Frames[] clips = new Frames[2];
            ClipAugmentation[] augs = new ClipAugmentation[2];
            for (int v = 0; v < 2; v++) {
                clips[v] = randomClip(rng, 30 + rng.nextInt(20), 30 + rng.nextInt(40));
                augs[v] = ClipAugmentation.draw(CFG, rng, clips[v].height(), clips[v].width());
            }
            s[i] = new ClipLoader.Sample(i, i, 0, i % 3, clips, augs);
        }
        return s;
    }

    @Test
    void oneCallPerViewGivesThePerClipAugmentation() {
        Rng rng = new Rng(2024);
        int contrast = 0, blurred = 0, hue = 0, gray = 0;
        for (int batch = 0; batch < 8; batch++) {
            ClipLoader.Sample[] samples = samples(rng, 5);
            List<Tensor> views = BatchAugmenter.views(CPU, samples, T, CROP);
            assertEquals(2, views.size());
            int per = 3 * T * CROP * CROP;
            for (int v = 0; v < 2; v++) {
                assertArrayEquals(new int[] {5, 3, T, CROP, CROP}, views.get(v).shape());
                float[] got = views.get(v).toFloatArray();
                for (int i = 0; i < samples.length; i++) {
                    ClipAugmentation a = samples[i].augmentations()[v];
                    float[] want = ClipAugmenter.apply(samples[i].clips()[v], a);
                    assertArrayEquals(want, Arrays.copyOfRange(got, i * per, (i + 1) * per), 0f, "sample " + i + " view " + v + ": " + a);
                    assertArrayEquals(want, samples[i].views()[v], 0f);
                    contrast += Arrays.stream(a.jitterOrder()).anyMatch(op -> op == ClipAugmentation.CONTRAST) ? 1 : 0;
                    blurred += a.blurSigma() > 0 ? 1 : 0;
                    hue += a.hue() != 0 ? 1 : 0;
                    gray += a.grayscale() ? 1 : 0;
                }
            }
        }
        assertTrue(contrast > 5 && blurred > 5 && hue > 5 && gray > 2,
                "draws exercised contrast " + contrast + ", blur " + blurred + ", hue " + hue + ", grayscale " + gray);
    }

    @Test
    void aClipThatDoesNotFitItsBatchIsNamed() {
        Rng rng = new Rng(5);
        ClipLoader.Sample[] samples = samples(rng, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchAugmenter.views(CPU, samples, T + 1, CROP));
        assertTrue(e.getMessage().contains("sample 0, view 0: 3 frames cropped to 32x32, the batch is 4 frames of 32x32"), e.getMessage());
        Frames other = randomClip(rng, 44, 44);
        samples[1].clips()[1] = other;   // drawn for another source size
        e = assertThrows(IllegalArgumentException.class, () -> BatchAugmenter.views(CPU, samples, T, CROP));
        assertTrue(e.getMessage().contains("augmentation drawn for") && e.getMessage().contains("clip is 44x44"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClipLoader.Sample(0, 0, 0, 0, new Frames[1], new ClipAugmentation[2]));
        assertTrue(e.getMessage().contains("1 clips but 2 augmentations"), e.getMessage());
    }
}
