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
 * Predictions are scored by {@link Accuracy} (classes ranked by score, top-1 and top-5).
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
     * Classifies {@code test} (M, D) against the bank {@code train} (N, D) with labels in
     * [0, numClasses), and scores the predictions against {@code testLabels}.
     */
    public static Accuracy evaluate(Tensor train, long[] trainLabels, Tensor test, long[] testLabels, int numClasses,
            int k, double temperature) {
        double[][] scores = scores(train, trainLabels, test, numClasses, k, temperature);
        if (testLabels.length != scores.length) {
            throw new IllegalArgumentException("k-NN: " + scores.length + " test features but " + testLabels.length + " labels");
        }
        return Accuracy.of(scores, testLabels);
    }

    /** k-NN accuracy of one feature set against another (the train set's rows are the bank). */
    public static Accuracy evaluate(Features train, Features test, int k, double temperature) {
        if (!train.classes().equals(test.classes())) {
            throw new IllegalArgumentException("k-NN: train and test sets have different classes");
        }
        return evaluate(train.features(), train.labels(), test.features(), test.labels(), train.classes().size(), k, temperature);
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
