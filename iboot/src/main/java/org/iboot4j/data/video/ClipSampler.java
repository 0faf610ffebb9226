package org.iboot4j.data.video;

import org.iboot4j.engine.Rng;

/**
 * Where clips start in a video, in seconds (pass the start to {@link VideoReader#readClip}).
 *
 * <p>A clip of T frames with stride tau covers {@code T * tau / 30} seconds on the 30 fps clip
 * time base ({@link VideoReader#CLIP_FPS}); this is PySlowFast's {@code clip_size}
 * ({@code sampling_rate * num_frames / target_fps}), which reaches one stride past the last
 * sample. The room for a start is {@code delta = max(duration - T * tau / 30, 0)}:
 * <ul>
 *   <li>training: {@link #trainingStarts} draws rho independent starts uniformly in
 *       [0, delta] (rho-BYOL / iBoot draw rho clips per video), so every clip fits; a video
 *       shorter than one clip gives 0 for every start (the reader then repeats its last
 *       frame);</li>
 *   <li>testing: {@link #testStarts} gives K evenly spaced starts {@code delta * k / K},
 *       k = 0..K-1, PySlowFast's uniform multi-view test sampling
 *       ({@code get_start_end_idx} with {@code clip_idx = k}, {@code num_clips = K},
 *       no centring offset).</li>
 * </ul>
 */
public final class ClipSampler {
    private ClipSampler() {}

    /** Seconds a clip of {@code frames} frames with stride {@code stride} covers: T * tau / 30. */
    public static double clipSeconds(int frames, int stride) {
        check(frames, stride);
        return frames * (double) stride / VideoReader.CLIP_FPS;
    }

    /**
     * {@code rho} independent, uniformly random start times in [0, max(duration - T*tau/30, 0)]
     * (24-bit uniforms from {@code rng}, one per start).
     */
    public static double[] trainingStarts(Rng rng, double duration, int frames, int stride, int rho) {
        if (rho < 1) throw new IllegalArgumentException("rho must be >= 1, got " + rho);
        double delta = room(duration, frames, stride);
        double[] starts = new double[rho];
        for (int i = 0; i < rho; i++) starts[i] = delta * rng.nextFloat();
        return starts;
    }

    /** {@code k} evenly spaced start times delta * i / k, i = 0..k-1 (PySlowFast test views). */
    public static double[] testStarts(double duration, int frames, int stride, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        double delta = room(duration, frames, stride);
        double[] starts = new double[k];
        for (int i = 0; i < k; i++) starts[i] = delta * i / k;
        return starts;
    }

    /** The T sample times of a clip: start + i * tau / 30. */
    public static double[] sampleTimes(double start, int frames, int stride) {
        check(frames, stride);
        double[] t = new double[frames];
        for (int i = 0; i < frames; i++) t[i] = start + i * stride / VideoReader.CLIP_FPS;
        return t;
    }

    private static double room(double duration, int frames, int stride) {
        if (!(duration >= 0) || Double.isInfinite(duration)) {
            throw new IllegalArgumentException("duration must be finite and >= 0, got " + duration);
        }
        return Math.max(duration - clipSeconds(frames, stride), 0);
    }

    private static void check(int frames, int stride) {
        if (frames < 1) throw new IllegalArgumentException("frames must be >= 1, got " + frames);
        if (stride < 1) throw new IllegalArgumentException("stride must be >= 1, got " + stride);
    }
}
