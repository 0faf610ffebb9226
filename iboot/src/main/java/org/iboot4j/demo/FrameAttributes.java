package org.iboot4j.demo;

/**
 * The geometry of the object in one frame, measured from its soft mask by image moments, and
 * the fixed embedding of that geometry which the demo teacher learns to predict.
 *
 * <p>Moments of the mask m (pixel centres at +0.5): area A = sum m, centroid (x, y), central
 * second moments mu20, mu02, mu11. Size = sqrt(A); orientation theta = atan2(2 mu11, mu20 -
 * mu02) / 2 (the major axis, defined modulo 180 degrees, image coordinates with y down);
 * anisotropy e = (l1 - l2) / (l1 + l2) from the eigenvalues l1 >= l2 of the second-moment
 * matrix (0 for a disc, towards 1 for a thin bar).
 *
 * <p>The embedding ({@value #DIM} numbers, each in [0, 1]; the demo teacher's training target,
 * see {@link TeacherTrainer}) puts each attribute through a bank of Gaussian bumps ("place
 * cells"), so that averaging the embedding over the frames of a video gives the histograms of
 * where the object was, how big and how turned — which tell the motions apart (a left-right oscillation spreads the x histogram and leaves the others
 * peaked, a rotation spreads the orientation histogram, ...), whatever the object's colour or
 * the background:
 * <ul>
 *   <li>x and y: {@value #POSITION_BINS} bumps each, centred every S/8 pixels from 0 to S (S: the
 *       image side), width S * 3 / 32;
 *   <li>size: {@value #SIZE_BINS} bumps over log(size), centred evenly from log(S/16) to
 *       log(S/2), width 0.3;
 *   <li>orientation: {@value #ANGLE_BINS} von Mises bumps over 2 theta (centres every 45
 *       degrees of 2 theta), concentration 2, scaled by the anisotropy (an
 *       orientation means little for a round blob).
 * </ul>
 */
public record FrameAttributes(double area, double x, double y, double size, double theta, double anisotropy) {
    public static final int POSITION_BINS = 9, SIZE_BINS = 6, ANGLE_BINS = 8;
    /** The embedding's width: 9 + 9 + 6 + 8. */
    public static final int DIM = 2 * POSITION_BINS + SIZE_BINS + ANGLE_BINS;
    /** Masks with less area than this (pixels) hold no object (it left the crop, or was not found). */
    public static final double MIN_AREA = 4;

    /** Whether an object was found. */
    public boolean present() {
        return area >= MIN_AREA;
    }

    /** The attributes of a (H, W) soft mask stored at {@code offset} of {@code mask}. */
    public static FrameAttributes of(float[] mask, int offset, int h, int w) {
        double a = 0, sx = 0, sy = 0;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                double m = mask[offset + r * w + c];
                a += m;
                sx += m * (c + 0.5);
                sy += m * (r + 0.5);
            }
        }
        if (a < MIN_AREA) return new FrameAttributes(a, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        double cx = sx / a, cy = sy / a, m20 = 0, m02 = 0, m11 = 0;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                double m = mask[offset + r * w + c];
                if (m == 0) continue;
                double dx = c + 0.5 - cx, dy = r + 0.5 - cy;
                m20 += m * dx * dx;
                m02 += m * dy * dy;
                m11 += m * dx * dy;
            }
        }
        m20 /= a;
        m02 /= a;
        m11 /= a;
        double half = Math.sqrt(0.25 * (m20 - m02) * (m20 - m02) + m11 * m11), mid = 0.5 * (m20 + m02);
        double e = mid > 0 ? half / mid : 0;
        return new FrameAttributes(a, cx, cy, Math.sqrt(a), 0.5 * Math.atan2(2 * m11, m20 - m02), e);
    }

    /** The embedding (see the class comment) for an image of side {@code side}; zeros when no object. */
    public float[] embedding(int side) {
        float[] out = new float[DIM];
        if (!present()) return out;
        double step = side / 8.0, width = side * 3.0 / 32;
        for (int i = 0; i < POSITION_BINS; i++) {
            out[i] = gauss(x, i * step, width);
            out[POSITION_BINS + i] = gauss(y, i * step, width);
        }
        double lo = Math.log(side / 16.0), hi = Math.log(side / 2.0), ls = Math.log(Math.max(size, 1e-3));
        for (int i = 0; i < SIZE_BINS; i++) out[2 * POSITION_BINS + i] = gauss(ls, lo + i * (hi - lo) / (SIZE_BINS - 1), 0.3);
        for (int i = 0; i < ANGLE_BINS; i++) {
            double centre = 2 * Math.PI * i / ANGLE_BINS;
            out[2 * POSITION_BINS + SIZE_BINS + i] = (float) (anisotropy * Math.exp(2 * (Math.cos(2 * theta - centre) - 1)));
        }
        return out;
    }

    private static float gauss(double v, double centre, double width) {
        double z = (v - centre) / width;
        return (float) Math.exp(-0.5 * z * z);
    }
}
