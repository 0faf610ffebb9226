package org.iboot4j.eval;

import java.util.Arrays;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;

/**
 * The weighted k-nearest-neighbour classifier of InstDisc (Wu et al. 2018) and DINO (Caron et
 * al. 2021), the k-NN protocol of the iBoot paper (section 4.2): frozen features of the train
 * split are the memory bank; each test feature votes with its k most similar train features.
 *
 * <pre>
 *   f <- f / ||f||                      (train and test features, l2-normalised)
 *   s_j = &lt;f_test, f_train_j&gt;          (cosine similarity)
 *   N  = the k train features with the largest s_j
 *   score(c) = sum over j in N with label c of exp(s_j / T)
 * </pre>
 * The predicted classes are sorted by score (ties: the lower class index first); top-1 is
 * correct when the first is the label, top-5 when the label is among the first min(5, C).
 * Defaults: k = 20, T = 0.07 (DINO's {@code eval_knn.py}). When the bank holds fewer than k
 * features, all of them vote.
 */
public final class Knn {
    /** DINO's and the paper's k. */
    public static final int DEFAULT_K = 20;
    /** DINO's temperature. */
    public static final double DEFAULT_TEMPERATURE = 0.07;

    /** Test rows scored per similarity matrix (bounds the memory to CHUNK x bank size). */
    private static final int CHUNK = 512;

    private Knn() {}

    /**
     * The outcome on a test set.
     *
     * @param top1        fraction of test samples whose best-scored class is the label
     * @param top5        fraction whose label is among the min(5, C) best-scored classes
     * @param predictions the best-scored class of each test sample
     * @param scores      the votes (test samples x classes)
     */
    public record Result(double top1, double top5, int[] predictions, double[][] scores) {
        public int count() {
            return predictions.length;
        }
    }

    /**
     * Classifies {@code test} (M, D) against the bank {@code train} (N, D) with labels in
     * [0, numClasses), and scores the predictions against {@code testLabels}.
     */
    public static Result evaluate(Tensor train, long[] trainLabels, Tensor test, long[] testLabels, int numClasses,
            int k, double temperature) {
        double[][] scores = scores(train, trainLabels, test, numClasses, k, temperature);
        if (testLabels.length != scores.length) {
            throw new IllegalArgumentException("k-NN: " + scores.length + " test features but " + testLabels.length + " labels");
        }
        return score(scores, testLabels);
    }

    /** Top-1 / top-5 of class scores (samples x classes) against labels. */
    public static Result score(double[][] scores, long[] labels) {
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
        return new Result(m == 0 ? 0 : (double) top1 / m, m == 0 ? 0 : (double) top5 / m, predictions, scores);
    }

    /** The class indices by decreasing score, ties by increasing index. */
    static int[] rank(double[] scores) {
        Integer[] idx = new Integer[scores.length];
        for (int c = 0; c < idx.length; c++) idx[c] = c;
        Arrays.sort(idx, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : Integer.compare(a, b));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    /** The weighted votes (M, numClasses) of the k nearest train features of each test feature. */
    public static double[][] scores(Tensor train, long[] trainLabels, Tensor test, int numClasses, int k, double temperature) {
        if (train.dim() != 2 || test.dim() != 2 || train.size(1) != test.size(1)) {
            throw new IllegalArgumentException("k-NN: expected features (N, D) and (M, D), got " + Arrays.toString(train.shape())
                    + " and " + Arrays.toString(test.shape()));
        }
        int n = train.size(0), m = test.size(0);
        if (trainLabels.length != n) throw new IllegalArgumentException("k-NN: " + n + " train features but " + trainLabels.length + " labels");
        if (n == 0) throw new IllegalArgumentException("k-NN: the train set is empty");
        if (k < 1) throw new IllegalArgumentException("k-NN: k must be >= 1, got " + k);
        if (!(temperature > 0)) throw new IllegalArgumentException("k-NN: the temperature must be > 0, got " + temperature);
        for (long l : trainLabels) {
            if (l < 0 || l >= numClasses) throw new IllegalArgumentException("k-NN: train label " + l + " outside [0, " + numClasses + ")");
        }
        int kk = Math.min(k, n);
        double[][] out = new double[m][numClasses];
        try (var ignored = GradMode.disable()) {
            Tensor bankT = Functional.normalize(train, 1).transpose(0, 1).contiguous();   // (D, N)
            Tensor queries = Functional.normalize(test, 1);
            for (int start = 0; start < m; start += CHUNK) {
                int rows = Math.min(CHUNK, m - start);
                float[] sim = queries.narrow(0, start, rows).matmul(bankT).contiguous().toFloatArray();   // (rows, N)
                int[] nearest = new int[kk];
                for (int r = 0; r < rows; r++) {
                    topK(sim, r * n, n, nearest);
                    double[] votes = out[start + r];
                    for (int j : nearest) votes[(int) trainLabels[j]] += Math.exp(sim[r * n + j] / temperature);
                }
            }
        }
        return out;
    }

    /**
     * The indices of the {@code out.length} largest values of {@code v[offset .. offset + n)}
     * (relative to offset), ties by lower index; a bounded min-heap, O(n log k).
     */
    static void topK(float[] v, int offset, int n, int[] out) {
        int k = out.length, size = 0;
        int[] heap = out;   // min-heap on (value, -index): the root is the weakest kept
        for (int j = 0; j < n; j++) {
            if (size < k) {
                heap[size] = j;
                siftUp(v, offset, heap, size++);
            } else if (better(v, offset, j, heap[0])) {
                heap[0] = j;
                siftDown(v, offset, heap, size);
            }
        }
        // sort the kept indices best first (not needed for voting, but makes the order defined)
        Integer[] sorted = new Integer[k];
        for (int i = 0; i < k; i++) sorted[i] = heap[i];
        Arrays.sort(sorted, (a, b) -> better(v, offset, a, b) ? -1 : better(v, offset, b, a) ? 1 : 0);
        for (int i = 0; i < k; i++) out[i] = sorted[i];
    }

    /** Whether a ranks before b: a larger value, or an equal value and a lower index. */
    private static boolean better(float[] v, int offset, int a, int b) {
        float x = v[offset + a], y = v[offset + b];
        return x > y || (x == y && a < b);
    }

    private static void siftUp(float[] v, int offset, int[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(v, offset, heap[parent], heap[i])) break;
            int t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
    }

    private static void siftDown(float[] v, int offset, int[] heap, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, weakest = i;
            if (l < size && better(v, offset, heap[weakest], heap[l])) weakest = l;
            if (r < size && better(v, offset, heap[weakest], heap[r])) weakest = r;
            if (weakest == i) return;
            int t = heap[weakest];
            heap[weakest] = heap[i];
            heap[i] = t;
            i = weakest;
        }
    }
}
