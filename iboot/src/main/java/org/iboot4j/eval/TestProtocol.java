package org.iboot4j.eval;

import java.util.Arrays;
import java.util.Locale;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.loader.LoaderConfig;

/**
 * How clips are taken from a video for evaluation (PySlowFast's multi-view testing): K
 * temporal clips evenly spaced over the video, each cut into 1 or 3 spatial crops of
 * {@code size} pixels (the short side resized to {@code size}; left/centre/right crops along the
 * long side), T = {@code frames} frames every {@code stride} frames of the 30 fps time base,
 * normalised with {@code mean} / {@code std}. The paper tests with 10 x 3 views; 1 x 1 (one
 * centred clip, one centre crop) is the quick setting.
 *
 * @param frames          T
 * @param stride          tau
 * @param clips           K, temporal clips per video
 * @param crops           spatial crops per clip: 1 (centre) or 3
 * @param size            crop side (and short side after the resize)
 * @param decodeShortSide short side asked from the decoder (0: native)
 * @param mean            normalisation of the encoder's input (RGB)
 * @param std             normalisation of the encoder's input (RGB)
 * @param batch           clips per forward pass
 * @param workers         decoding threads
 */
public record TestProtocol(int frames, int stride, int clips, int crops, int size, int decodeShortSide, float[] mean,
        float[] std, int batch, int workers) {

    /** PySlowFast's (and the iBoot configs') normalisation of the video encoder's input. */
    public static final float[] SLOWFAST_MEAN = {0.45f, 0.45f, 0.45f}, SLOWFAST_STD = {0.225f, 0.225f, 0.225f};

    public TestProtocol {
        if (frames < 1 || stride < 1 || clips < 1 || (crops != 1 && crops != 3) || size < 1 || decodeShortSide < 0
                || batch < 1 || workers < 1) {
            throw new IllegalArgumentException("test protocol: need frames, stride, clips, size, batch, workers >= 1,"
                    + " crops 1 or 3 and decode short side >= 0; got " + describe(frames, stride, clips, crops, size)
                    + ", batch " + batch + ", workers " + workers);
        }
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("test protocol: mean and std need 3 values");
        mean = mean.clone();
        std = std.clone();
    }

    /** The paper's protocol: 8 x 8 clips, 10 clips x 3 crops of 224, PySlowFast normalisation. */
    public static TestProtocol paper() {
        return new TestProtocol(8, 8, 10, 3, 224, 0, SLOWFAST_MEAN, SLOWFAST_STD, 8, Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /** Views per video: clips x crops. */
    public int viewsPerVideo() {
        return clips * crops;
    }

    public TestProtocol withViews(int newClips, int newCrops) {
        return new TestProtocol(frames, stride, newClips, newCrops, size, decodeShortSide, mean, std, batch, workers);
    }

    public TestProtocol withClip(int newFrames, int newStride, int newSize) {
        return new TestProtocol(newFrames, newStride, clips, crops, newSize, decodeShortSide, mean, std, batch, workers);
    }

    public TestProtocol withBatch(int newBatch, int newWorkers) {
        return new TestProtocol(frames, stride, clips, crops, size, decodeShortSide, mean, std, newBatch, newWorkers);
    }

    public TestProtocol withNormalization(float[] newMean, float[] newStd) {
        return new TestProtocol(frames, stride, clips, crops, size, decodeShortSide, newMean, newStd, batch, workers);
    }

    public TestProtocol withDecodeShortSide(int newShortSide) {
        return new TestProtocol(frames, stride, clips, crops, size, newShortSide, mean, std, batch, workers);
    }

    /** The loader configuration (test mode, in order, nothing dropped). */
    public LoaderConfig loaderConfig() {
        // Test views only use the augmentation's mean and std; the geometry just has to be valid.
        AugmentConfig aug = AugmentConfig.iboot().withGeometry(size, size, size).withNormalization(mean, std);
        return LoaderConfig.test(batch).frames(frames).stride(stride).decodeShortSide(decodeShortSide).augment(aug)
                .testClips(clips).testCrops(crops).testSize(size).workers(workers).prefetchBatches(2).build();
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
        return o instanceof TestProtocol p && frames == p.frames && stride == p.stride && clips == p.clips && crops == p.crops
                && size == p.size && decodeShortSide == p.decodeShortSide && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std) && batch == p.batch && workers == p.workers;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {frames, stride, clips, crops, size, decodeShortSide, batch, workers})
                + 31 * Arrays.hashCode(mean) + 17 * Arrays.hashCode(std);
    }

    /** "10 clips x 3 crops of 8x8 frames at 224". */
    public String describe() {
        return describe(frames, stride, clips, crops, size);
    }

    private static String describe(int frames, int stride, int clips, int crops, int size) {
        return String.format(Locale.ROOT, "%d clips x %d crops of %dx%d frames at %d", clips, crops, frames, stride, size);
    }

    @Override
    public String toString() {
        return "TestProtocol[" + describe() + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
    }
}
