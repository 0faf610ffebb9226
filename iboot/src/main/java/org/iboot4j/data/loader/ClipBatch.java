package org.iboot4j.data.loader;

import java.util.List;
import org.iboot4j.engine.Tensor;

/**
 * One batch from the {@link ClipLoader}: one (N, 3, T, H, W) float32 tensor per view, plus,
 * per sample, its label, the index of the video it came from (after any replacement of a bad
 * file) and, in test mode, the temporal clip index (0..K-1; 0 in training).
 *
 * <p>Training views are the rho clips of each video (for iBoot: v_ref, v1, v2, see
 * {@link #iboot()}); test views are the spatial crops of one temporal clip.
 */
public record ClipBatch(List<Tensor> views, long[] labels, int[] videoIndices, int[] clipIndices) {
    public ClipBatch {
        views = List.copyOf(views);
        int n = labels.length;
        if (videoIndices.length != n || clipIndices.length != n) throw new IllegalArgumentException("per-sample arrays differ in length");
        for (Tensor v : views) {
            if (v.dim() != 5 || v.size(0) != n) throw new IllegalArgumentException("a view must be (N=" + n + ", 3, T, H, W)");
        }
    }

    /** The number of samples N. */
    public int size() {
        return labels.length;
    }

    /** View {@code i}, (N, 3, T, H, W). */
    public Tensor view(int i) {
        return views.get(i);
    }

    /** The labels as an int64 tensor (N). */
    public Tensor labelTensor() {
        return Tensor.ofLongs(labels.clone(), labels.length);
    }

    /** This batch as iBoot's three views; needs exactly three. */
    public IBootBatch iboot() {
        if (views.size() != 3) throw new IllegalStateException("iBoot needs 3 views per video, this batch has " + views.size());
        return new IBootBatch(views.get(0), views.get(1), views.get(2), labels.clone());
    }

    /**
     * iBoot's views of a batch of videos: {@code vRef} goes to the frozen image model (frame by
     * frame), {@code v1} and {@code v2} to the video encoder; each (N, 3, T, H, W).
     */
    public record IBootBatch(Tensor vRef, Tensor v1, Tensor v2, long[] labels) {}
}
