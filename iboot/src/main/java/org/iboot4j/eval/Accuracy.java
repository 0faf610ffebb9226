package org.iboot4j.eval;

import java.util.Arrays;

/**
 * Top-1 and top-5 accuracy of class scores. Classes are ranked by score (ties: the lower class
 * index first); top-1 counts the samples whose best class is the label, top-5 those whose
 * label is among the min(5, C) best.
 *
 * @param top1        fraction in [0, 1]
 * @param top5        fraction in [0, 1]
 * @param predictions the best class of each sample
 * @param labels      the labels scored against
 */
public record Accuracy(double top1, double top5, int[] predictions, long[] labels) {

    public int count() {
        return predictions.length;
    }

    /** Scores (samples x classes) against labels. */
    public static Accuracy of(double[][] scores, long[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(scores.length + " scored samples but " + labels.length + " labels");
        }
        int m = scores.length, top1 = 0, top5 = 0;
        int[] predictions = new int[m];
        for (int i = 0; i < m; i++) {
            int[] ranked = rank(scores[i]);
            predictions[i] = ranked.length == 0 ? -1 : ranked[0];
            for (int r = 0; r < Math.min(5, ranked.length); r++) {
                if (ranked[r] == labels[i]) {
                    if (r == 0) top1++;
                    top5++;
                    break;
                }
            }
        }
        return new Accuracy(m == 0 ? 0 : (double) top1 / m, m == 0 ? 0 : (double) top5 / m, predictions, labels.clone());
    }

    /** The class indices by decreasing score, ties by increasing index. */
    static int[] rank(double[] scores) {
        Integer[] idx = new Integer[scores.length];
        for (int c = 0; c < idx.length; c++) idx[c] = c;
        Arrays.sort(idx, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : Integer.compare(a, b));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    /** The confusion matrix: [true label][predicted class] counts. */
    public int[][] confusion(int numClasses) {
        int[][] m = new int[numClasses][numClasses];
        for (int i = 0; i < predictions.length; i++) {
            if (predictions[i] >= 0) m[(int) labels[i]][predictions[i]]++;
        }
        return m;
    }

    /**
     * Per-video scores from per-view scores: the mean of the rows of each video (rows of a video
     * are those with the same entry in {@code videos}), in order of first appearance, with the
     * video's label. PySlowFast averages the softmax of its views this way.
     */
    public static Accuracy ofViews(float[] rowScores, int numClasses, long[] labels, int[] videos) {
        if (rowScores.length != (long) labels.length * numClasses || videos.length != labels.length) {
            throw new IllegalArgumentException(rowScores.length + " scores for " + labels.length + " rows of " + numClasses
                    + " classes and " + videos.length + " video indices");
        }
        java.util.Map<Integer, Integer> slot = new java.util.LinkedHashMap<>();
        for (int v : videos) slot.putIfAbsent(v, slot.size());
        double[][] scores = new double[slot.size()][numClasses];
        int[] counts = new int[slot.size()];
        long[] videoLabels = new long[slot.size()];
        for (int r = 0; r < labels.length; r++) {
            int s = slot.get(videos[r]);
            counts[s]++;
            videoLabels[s] = labels[r];
            for (int c = 0; c < numClasses; c++) scores[s][c] += rowScores[r * numClasses + c];
        }
        for (int s = 0; s < scores.length; s++) {
            for (int c = 0; c < numClasses; c++) scores[s][c] /= counts[s];
        }
        return of(scores, videoLabels);
    }
}
