package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** The weighted k-NN on hand-made features whose answer is worked out by hand. */
class KnnTest {

    private static Tensor rows(float[][] r) {
        float[] flat = new float[r.length * r[0].length];
        for (int i = 0; i < r.length; i++) System.arraycopy(r[i], 0, flat, i * r[0].length, r[0].length);
        return Tensor.of(flat, r.length, r[0].length);
    }

    /**
     * Bank in 2-d: class 0 along +x, class 1 along +y, class 2 along -x (scaled, to check the
     * l2 normalisation). A query at 30 degrees has cosines cos 30 = 0.866 with class 0 and
     * cos 60 = 0.5 with class 1.
     */
    @Test
    void votesAreWeightedByExpSimilarityOverTemperature() {
        Tensor bank = rows(new float[][] {{2, 0}, {5, 0}, {0, 3}, {0, 0.5f}, {0, 1}, {-1, 0}});
        long[] labels = {0, 0, 1, 1, 1, 2};
        double a = Math.toRadians(30);
        Tensor query = rows(new float[][] {{(float) Math.cos(a), (float) Math.sin(a)}});
        double t = 0.5;
        double[][] scores = Knn.scores(bank, labels, query, 3, 6, t);
        // all six vote (k = 6): class 0 twice with cos 30, class 1 three times with cos 60, class 2 once with cos 150
        assertEquals(2 * Math.exp(Math.cos(a) / t), scores[0][0], 1e-4);
        assertEquals(3 * Math.exp(Math.cos(Math.toRadians(60)) / t), scores[0][1], 1e-4);
        assertEquals(Math.exp(Math.cos(Math.toRadians(150)) / t), scores[0][2], 1e-4);
        // with T = 0.5: class 0 gets 2 e^1.732 = 11.31, class 1 gets 3 e^1 = 8.15: class 0 wins
        assertEquals(0, Knn.evaluate(bank, labels, query, new long[] {0}, 3, 6, t).predictions()[0]);
        // with a hot temperature the three class-1 votes outweigh the two closer class-0 votes:
        // 2 e^(0.866/5) = 2.38 < 3 e^(0.5/5) = 3.32
        assertEquals(1, Knn.evaluate(bank, labels, query, new long[] {0}, 3, 6, 5.0).predictions()[0]);
    }

    @Test
    void onlyTheKNearestVote() {
        Tensor bank = rows(new float[][] {{1, 0}, {1, 0.1f}, {0, 1}, {0.1f, 1}, {-0.2f, 1}});
        long[] labels = {0, 0, 1, 1, 1};
        Tensor query = rows(new float[][] {{1, 0.05f}, {0.05f, 1}});
        // k = 2: each query's two nearest are of its own class, so the other class gets no vote at all
        double[][] s = Knn.scores(bank, labels, query, 2, 2, 0.07);
        assertEquals(0.0, s[0][1]);
        assertEquals(0.0, s[1][0]);
        Accuracy acc = Knn.evaluate(bank, labels, query, new long[] {0, 1}, 2, 2, 0.07);
        assertEquals(1.0, acc.top1());
        // k = 5 (everything votes) with a hot temperature: class 1 has three voters and wins query 0
        assertEquals(1, Knn.evaluate(bank, labels, query, new long[] {0, 1}, 2, 5, 100).predictions()[0]);
    }

    @Test
    void topKKeepsTheLargestWithTiesByIndex() {
        float[] v = {0.5f, 0.9f, 0.1f, 0.9f, 0.7f, -1f, 0.9f};
        int[] out = new int[4];
        Knn.topK(v, 0, v.length, out);
        assertArrayEquals(new int[] {1, 3, 6, 4}, out);
        int[] two = new int[2];
        Knn.topK(new float[] {9, 9, 0.2f, 0.3f}, 2, 2, two);   // the window [0.2, 0.3]
        assertArrayEquals(new int[] {1, 0}, two);
    }

    @Test
    void topFiveAndRankingTies() {
        // 6 classes; the label is third best: top-1 wrong, top-5 right; ties go to the lower index
        double[][] scores = {{0.1, 0.5, 0.5, 0.3, 0, 0}, {1, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0.1}};
        Accuracy a = Accuracy.of(scores, new long[] {3, 0, 4});
        assertArrayEquals(new int[] {1, 0, 5}, a.predictions());
        assertEquals(1.0 / 3, a.top1(), 1e-12);
        // sample 3: label 4 ties with classes 0..3 at 0 behind class 5, ranked 6th -> not in the top 5
        assertEquals(2.0 / 3, a.top5(), 1e-12);
    }

    @Test
    void clustersAreFoundInHighDimensions() {
        // 4 classes, each a random centre in 64-d plus noise: k-NN must be (near) perfect, random labels near chance
        Rng rng = new Rng(3);
        int d = 64, per = 30;
        Tensor centres = Tensor.randn(rng, 0, 1, 4, d);
        float[] c = centres.toFloatArray();
        float[] train = new float[4 * per * d], test = new float[4 * 10 * d];
        long[] ytr = new long[4 * per], yte = new long[40];
        float[] noise = new float[(4 * per + 40) * d];
        rng.fillNormal(noise, 0, 0.6f);
        for (int i = 0; i < 4 * per; i++) {
            ytr[i] = i % 4;
            for (int j = 0; j < d; j++) train[i * d + j] = c[(i % 4) * d + j] + noise[i * d + j];
        }
        for (int i = 0; i < 40; i++) {
            yte[i] = i % 4;
            for (int j = 0; j < d; j++) test[i * d + j] = c[(i % 4) * d + j] + noise[(4 * per + i) * d + j];
        }
        Accuracy acc = Knn.evaluate(Tensor.of(train, 4 * per, d), ytr, Tensor.of(test, 40, d), yte, 4, 20, 0.07);
        assertEquals(1.0, acc.top1());
        assertEquals(1.0, acc.top5());
        long[] shuffled = ytr.clone();
        int[] order = LinearProbe.shuffled(shuffled.length, new Rng(5));
        for (int i = 0; i < order.length; i++) shuffled[i] = ytr[order[i]];
        double chance = Knn.evaluate(Tensor.of(train, 4 * per, d), shuffled, Tensor.of(test, 40, d), yte, 4, 20, 0.07).top1();
        assertEquals(0.25, chance, 0.2);
    }

    @Test
    void featureSetsAndBadInput() {
        ClassIndex classes = ClassIndex.ordered(List.of("a", "b"));
        Features tr = new Features(rows(new float[][] {{1, 0}, {0, 1}}), new long[] {0, 1}, new int[] {0, 1}, 2, classes);
        Features te = new Features(rows(new float[][] {{0.9f, 0.1f}}), new long[] {0}, new int[] {0}, 1, classes);
        assertEquals(1.0, Knn.evaluate(tr, te, 20, 0.07).top1());   // k larger than the bank: all vote
        assertThrows(IllegalArgumentException.class, () -> Knn.scores(tr.features(), new long[] {0, 2}, te.features(), 2, 1, 0.07));
        assertThrows(IllegalArgumentException.class, () -> Knn.scores(tr.features(), tr.labels(), te.features(), 2, 0, 0.07));
        assertThrows(IllegalArgumentException.class, () -> Knn.scores(tr.features(), tr.labels(), rows(new float[][] {{1, 2, 3}}), 2, 1, 0.07));
        Features other = new Features(te.features(), te.labels(), te.videos(), 1, ClassIndex.ordered(List.of("a", "c")));
        assertThrows(IllegalArgumentException.class, () -> Knn.evaluate(tr, other, 20, 0.07));
    }
}
