package org.iboot4j.eval;

import java.util.ArrayList;
import java.util.List;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.data.loader.Seeds;
import org.iboot4j.engine.Rng;

/**
 * Labelled subsets for semi-supervised evaluation (the paper's section 4.2, following rho-BYOL
 * and SimCLR): a fraction of the videos of EACH class (1% or 10%), so every class is in it.
 *
 * <p>Per class c with n_c videos: k_c = max(1, round(fraction x n_c)) videos (at least one per
 * class, round half up), chosen by a Fisher-Yates shuffle of the class's videos (in dataset
 * order) seeded by {@code Seeds.mix(seed, c)}: the same seed gives the same subset on every
 * machine, and a class's choice does not depend on the other classes. The subset keeps the
 * dataset's order and classes.
 */
public final class Subsets {
    private Subsets() {}

    /** The per-class subset (see the class comment); {@code fraction} in (0, 1]. */
    public static VideoDataset perClass(VideoDataset ds, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("subset fraction must be in (0, 1], got " + fraction);
        }
        int classes = ds.classes().size();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < ds.size(); i++) byClass.get(ds.get(i).label()).add(i);
        boolean[] keep = new boolean[ds.size()];
        for (int c = 0; c < classes; c++) {
            List<Integer> members = byClass.get(c);
            if (members.isEmpty()) continue;
            int k = Math.max(1, (int) Math.floor(fraction * members.size() + 0.5));
            int[] order = LinearProbe.shuffled(members.size(), new Rng(Seeds.mix(seed, c)));
            for (int j = 0; j < Math.min(k, members.size()); j++) keep[members.get(order[j])] = true;
        }
        List<VideoSample> out = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) if (keep[i]) out.add(ds.get(i));
        return new VideoDataset(out, ds.classes());
    }
}
