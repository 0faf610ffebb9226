package org.iboot4j.train;

import java.util.Arrays;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;

/**
 * Moving clips from one per-channel normalisation to another. Where normalisation happens, in
 * one place:
 * <ul>
 *   <li>the data (loader or fixed-batch file) delivers clips normalised ONCE, with the
 *       normalisation it declares ({@link ClipBatches#normalization()}; the loader's is its
 *       augmentation's mean/std, which the trainer sets to DATA.MEAN/STD);
 *   <li>the online network takes DATA.MEAN/STD (PySlowFast's [0.45]*3 / [0.225]*3 in the paper
 *       configs): the clips are converted only if the data's normalisation differs;
 *   <li>each teacher takes its own (CLIP's, ImageNet's for DINO/DeiT/torchvision, or the
 *       teacher's MEAN/STD keys): v_ref is converted per teacher, just before its forward.
 * </ul>
 * Converting x normalised with (m1, s1) to (m2, s2) is the affine map per channel
 * {@code x * (s1 / s2) + (m1 - m2) / s2} (the scale and shift computed in double and rounded to
 * float once), which equals de-normalising to [0, 1] and normalising again up to rounding.
 */
public final class Normalization {
    private Normalization() {}

    /** [0, 1] values: mean 0, std 1. */
    public static final Preprocessing UNIT = new Preprocessing(new float[] {0, 0, 0}, new float[] {1, 1, 1});

    public static boolean same(Preprocessing a, Preprocessing b) {
        return Arrays.equals(a.mean(), b.mean()) && Arrays.equals(a.std(), b.std());
    }

    /**
     * {@code x} (N, 3, ...) normalised with {@code from}, re-expressed in {@code to}; {@code x}
     * itself when the two are equal.
     */
    public static Tensor convert(Tensor x, Preprocessing from, Preprocessing to) {
        if (same(from, to)) return x;
        if (x.dim() < 2 || x.size(1) != 3) {
            throw new IllegalArgumentException("normalisation: expected (N, 3, ...), got " + Arrays.toString(x.shape()));
        }
        float[] fm = from.mean(), fs = from.std(), tm = to.mean(), ts = to.std();
        float[] scale = new float[3], shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) ((double) fs[c] / ts[c]);
            shift[c] = (float) (((double) fm[c] - tm[c]) / ts[c]);
        }
        int[] shape = new int[x.dim()];
        Arrays.fill(shape, 1);
        shape[1] = 3;
        return x.mul(Tensor.of(scale, shape)).add(Tensor.of(shift, shape));
    }
}
