package org.iboot4j.demo;

import org.iboot4j.data.Frames;

/**
 * Finds the moving object in every frame of a video of the synthetic action dataset
 * ({@code test-data/synthetic}, made by {@code test-data/scripts/make_synthetic_dataset.py}),
 * from the pixels alone: the generator writes no per-frame metadata, so the demo teacher's
 * training targets are measured here.
 *
 * <p>What the generator draws: one solid-coloured object (bar, triangle or L) over a background
 * that is a vertical linear gradient (every row one colour, rows interpolating linearly from
 * the top colour to the bottom colour) and is the same in every frame. So:
 * <ol>
 *   <li>per row and channel, the median over all frames and columns is the background (the
 *       object covers less than half of almost every row, over time);
 *   <li>per channel, a straight line through those row medians, fitted by least squares and
 *       refitted twice without the rows that lie off it (rows the object covers too much),
 *       is the background model;
 *   <li>a pixel belongs to the object in proportion to how far its colour is from the
 *       background's (largest channel difference): 0 below {@link #LOW}, 1 above {@link #HIGH},
 *       linear between (soft, so codec noise and anti-aliased edges count partly).
 * </ol>
 * An object whose colour happens to be close to the background in some rows loses those rows;
 * such frames give slightly wrong attributes, which the teacher learns through as noise.
 */
public final class ObjectMasks {
    /** Colour distance (0..255, largest channel difference) below which a pixel is background. */
    static final float LOW = 24;
    /** Colour distance above which a pixel is fully object. */
    static final float HIGH = 56;

    private ObjectMasks() {}

    /**
     * The soft object mask of every frame, (T, H, W) row-major, values in [0, 1].
     */
    public static float[] masks(Frames video) {
        return masks(video, background(video));
    }

    /** As {@link #masks(Frames)} with the background model ([channel][row]) given. */
    public static float[] masks(Frames video, float[][] background) {
        int t = video.frames(), h = video.height(), w = video.width();
        byte[] rgb = video.rgb();
        float[] out = new float[t * h * w];
        for (int f = 0; f < t; f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = ((f * h + y) * w + x);
                    float d = 0;
                    for (int c = 0; c < 3; c++) d = Math.max(d, Math.abs((rgb[p * 3 + c] & 0xFF) - background[c][y]));
                    out[p] = Math.clamp((d - LOW) / (HIGH - LOW), 0f, 1f);
                }
            }
        }
        return out;
    }

    /** The background colour of every row, per channel: [channel][row] (see the class comment). */
    public static float[][] background(Frames video) {
        int t = video.frames(), h = video.height(), w = video.width();
        byte[] rgb = video.rgb();
        float[][] model = new float[3][h];
        for (int c = 0; c < 3; c++) {
            double[] median = new double[h];
            int[] hist = new int[256];
            for (int y = 0; y < h; y++) {
                java.util.Arrays.fill(hist, 0);
                for (int f = 0; f < t; f++) {
                    for (int x = 0; x < w; x++) hist[rgb[(((f * h + y) * w + x) * 3) + c] & 0xFF]++;
                }
                median[y] = medianOf(hist, t * w);
            }
            boolean[] use = new boolean[h];
            java.util.Arrays.fill(use, true);
            double[] line = fit(median, use);
            for (int round = 0; round < 2; round++) {
                double[] residual = new double[h];
                for (int y = 0; y < h; y++) residual[y] = Math.abs(median[y] - (line[0] + line[1] * y));
                double[] sorted = residual.clone();
                java.util.Arrays.sort(sorted);
                double cut = Math.max(4.0, 3 * sorted[h / 2]);
                int kept = 0;
                for (int y = 0; y < h; y++) {
                    use[y] = residual[y] <= cut;
                    if (use[y]) kept++;
                }
                if (kept < 2) break;
                line = fit(median, use);
            }
            for (int y = 0; y < h; y++) model[c][y] = (float) (line[0] + line[1] * y);
        }
        return model;
    }

    private static double medianOf(int[] hist, int count) {
        int half = (count - 1) / 2, seen = 0;
        for (int v = 0; v < 256; v++) {
            seen += hist[v];
            if (seen > half) return v;
        }
        return 255;
    }

    /** Least-squares line {a, b} through (y, v[y]) for the rows in use. */
    private static double[] fit(double[] v, boolean[] use) {
        double n = 0, sy = 0, sv = 0, syy = 0, syv = 0;
        for (int y = 0; y < v.length; y++) {
            if (!use[y]) continue;
            n++;
            sy += y;
            sv += v[y];
            syy += (double) y * y;
            syv += y * v[y];
        }
        double den = n * syy - sy * sy;
        if (n < 2 || den == 0) return new double[] {n > 0 ? sv / n : 0, 0};
        double b = (n * syv - sy * sv) / den;
        return new double[] {(sv - b * sy) / n, b};
    }
}
