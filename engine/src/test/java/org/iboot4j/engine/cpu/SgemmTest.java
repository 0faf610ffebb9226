package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Checks {@link Sgemm} against a naive triple loop in double precision. */
class SgemmTest {

    private static final double TOLERANCE = 1e-5;
    private static final boolean[] BOOLEANS = {false, true};

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({
        "1, 1, 1",
        "1, 100, 1",
        "100, 1, 7",
        "7, 13, 5",
        "6, 32, 8",     // one full tile with AVX-512
        "5, 31, 3",     // m, n one short of a tile
        "13, 33, 1",    // k = 1, m and n one past a tile
        "67, 131, 259", // k just past KC
        "200, 70, 600", // k several KC blocks
    })
    void oddSizesInAllTransposeCombinations(int m, int n, int k) {
        for (boolean transA : BOOLEANS) {
            for (boolean transB : BOOLEANS) {
                new Product(m, n, k).transpose(transA, transB).check();
            }
        }
    }

    @Test
    void submatrixViewsWithOffsetsAndWideLeadingDimensions() {
        for (boolean transA : BOOLEANS) {
            for (boolean transB : BOOLEANS) {
                new Product(37, 45, 29).transpose(transA, transB).padding(5).check();
                new Product(67, 131, 259).transpose(transA, transB).padding(3)
                        .alpha(0.5f).beta(1f).check();
            }
        }
    }

    @ParameterizedTest(name = "beta = {0}")
    @ValueSource(floats = {0f, 1f, 0.5f})
    void alphaAndBetaAreAppliedAtWriteBack(float beta) {
        for (boolean transA : BOOLEANS) {
            new Product(50, 70, 300).transpose(transA, !transA).alpha(-1.75f).beta(beta).check();
        }
    }

    @Test
    void betaZeroOverwritesNaNInC() {
        for (boolean transB : BOOLEANS) {
            new Product(41, 77, 300).transpose(false, transB).alpha(2f).beta(0f).nanInC().check();
            new Product(3, 5, 2).transpose(true, transB).beta(0f).nanInC().padding(2).check();
        }
    }

    @Test
    void zeroAlphaOrEmptyKOnlyScalesC() {
        new Product(9, 40, 0).beta(0.5f).check();
        new Product(9, 40, 0).beta(0f).nanInC().check();
        new Product(9, 40, 11).alpha(0f).beta(-2f).check();
        new Product(9, 40, 11).alpha(0f).beta(0f).nanInC().check();
    }

    @Test
    void batchedWithIndependentAndBroadcastOperands() {
        new Product(23, 41, 19).batch(5, false, false).padding(2).beta(0.5f).check();
        new Product(23, 41, 19).batch(5, true, false).transpose(true, false).check();
        new Product(23, 41, 300).batch(4, false, true).transpose(false, true).alpha(0.25f).check();
        new Product(1, 1, 1).batch(7, false, false).check();
    }

    @Test
    void batchedAttentionShapes() {
        // scores = Q K^T per head, then out = P V, as in a ViT-B/16 layer at 224 px.
        new Product(197, 197, 64).batch(24, false, false).transpose(false, true)
                .alpha(0.125f).check();
        new Product(197, 64, 197).batch(24, false, false).check();
    }

    @Test
    void largeProductSplitAcrossThreads() {
        new Product(300, 700, 260).transpose(false, false).beta(1f).check();
        new Product(197, 768, 300).transpose(true, true).check();
    }

    @Test
    void prePackedB() {
        // one panel; a ragged last panel; K over several KC blocks and N over several NC blocks
        // (the panel offsets of both); batched with a shared B; transposed A
        new Product(6, 32, 8).packedB().check();
        new Product(13, 45, 7).packedB().beta(0.5f).check();
        new Product(70, 1100, 600).packedB().padding(3).check();
        new Product(23, 41, 19).batch(5, false, true).packedB().transpose(true, false).check();
        new Product(31, 70, 33).batch(3, false, false).packedB().alpha(2f).check();
    }

    @Test
    void packedAMatchesTheStridedOperand() {
        // A packed by Sgemm.packA (as stored or transposed), alone and with a packed B: ragged
        // last panel (13, 70 rows), several K blocks (600), row blocks split for threads (300),
        // batched with a shared and a per-item A
        new Product(13, 45, 7).packedA().transpose(true, false).beta(0.5f).check();
        new Product(70, 1100, 600).packedA().padding(3).check();
        new Product(300, 200, 260).packedA().transpose(false, true).check();
        new Product(70, 300, 300).packedA().packedB().transpose(true, false).padding(2).check();
        new Product(23, 41, 19).batch(5, true, false).packedA().packedB().check();
        new Product(23, 41, 19).batch(3, false, false).packedA().transpose(true, true).alpha(2f).check();
    }

    @Test
    void packALaysOutPanelsOfRowsAllKDeep() {
        int m = 14, k = 3, mr = Sgemm.panelHeight();
        float[] a = new float[2 + m * k];
        for (int i = 0; i < m * k; i++) a[2 + i] = i + 1;
        float[] packed = new float[1 + Sgemm.packedASize(m, k)];
        Arrays.fill(packed, Float.NaN);
        Sgemm.packA(m, k, a, 2, k, 1, packed, 1);
        for (int i = 0; i < Sgemm.packedASize(m, k) / k; i++) {
            for (int p = 0; p < k; p++) {
                float expected = i < m ? i * k + p + 1 : 0f; // A(i, p), rows past m zero
                assertEquals(expected, packed[1 + i / mr * k * mr + p * mr + i % mr], "A(" + i + ", " + p + ")");
            }
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Sgemm.packA(m, k, a, 2, k, 1, new float[10], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Sgemm.packA(m, k, a, 3, k, 1, packed, 1));
        // every other float of each row (a tap of a temporal kernel): A(i, p) = a[i * 6 + 2p]
        float[] strided = new float[m * 2 * k];
        for (int i = 0; i < strided.length; i++) strided[i] = i;
        Sgemm.packA(m, k, strided, 0, 2 * k, 2, packed, 0);
        assertEquals(6 * 5 + 2 * 2, packed[5 + 2 * mr], "A(5, 2)");
    }

    @Test
    void rejectsOperandsOutsideTheirArrays() {
        float[] small = new float[10];
        float[] c = new float[4];
        assertThrows(IndexOutOfBoundsException.class, () ->
                Sgemm.sgemm(false, false, 2, 2, 3, 1f, small, 5, 3, small, 0, 2, 0f, c, 0, 2));
        assertThrows(IllegalArgumentException.class, () ->
                Sgemm.sgemm(false, false, 2, 2, 3, 1f, small, 0, 2, small, 0, 2, 0f, c, 0, 2));
        assertThrows(IllegalArgumentException.class, () ->
                Sgemm.sgemmBatched(2, false, false, 2, 2, 1, 1f, small, 0, 1, 0, small, 0, 2, 0,
                        0f, c, 0, 2, 0));
    }

    /**
     * One call to {@link Sgemm#sgemmBatched} on random operands, checked against the reference.
     * With padding {@code p}, every operand starts {@code p} floats into its array and has a row
     * stride {@code p} wider than its width, and the batch strides leave gaps too; C outside the
     * views must be left untouched.
     */
    private static final class Product {
        private final int m, n, k;
        private boolean transA, transB, shareA, shareB, nanInC, packedA, packedB;
        private int batch = 1, padding;
        private float alpha = 1f, beta = 0f;

        Product(int m, int n, int k) {
            this.m = m;
            this.n = n;
            this.k = k;
        }

        Product transpose(boolean transA, boolean transB) {
            this.transA = transA;
            this.transB = transB;
            return this;
        }

        Product alpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        Product beta(float beta) {
            this.beta = beta;
            return this;
        }

        Product padding(int padding) {
            this.padding = padding;
            return this;
        }

        Product batch(int batch, boolean shareA, boolean shareB) {
            this.batch = batch;
            this.shareA = shareA;
            this.shareB = shareB;
            return this;
        }

        /** A handed over packed by {@link Sgemm#packA}. */
        Product packedA() {
            this.packedA = true;
            return this;
        }

        /** B handed over in the kernel's packed layout, built here from its definition. */
        Product packedB() {
            this.packedB = true;
            return this;
        }

        Product nanInC() {
            this.nanInC = true;
            return this;
        }

        void check() {
            SplittableRandom random = new SplittableRandom(31L * m + 17L * n + k);
            Matrices a = new Matrices(transA ? k : m, transA ? m : k, shareA ? 0 : batch);
            Matrices b = new Matrices(transB ? n : k, transB ? k : n, shareB ? 0 : batch);
            Matrices c = new Matrices(m, n, batch);
            a.fill(random);
            b.fill(random);
            if (nanInC) Arrays.fill(c.data, Float.NaN);
            else c.fill(random);
            float[] before = c.data.clone();

            Sgemm.Operand aOperand = Sgemm.Operand.matrix(a.data, a.offset, a.ld, a.stride, transA);
            if (packedA) {
                int size = Sgemm.packedASize(m, k);
                long stride = shareA ? 0 : size + padding;
                float[] packed = new float[padding + (shareA ? 1 : batch) * (size + padding)];
                for (int item = 0; item < (shareA ? 1 : batch); item++) {
                    Sgemm.packA(m, k, a.data, (int) (a.offset + item * a.stride), transA ? 1 : a.ld,
                            transA ? a.ld : 1, packed, (int) (padding + item * stride));
                }
                aOperand = Sgemm.Operand.packed(packed, padding, stride);
            }
            Sgemm.Operand bOperand = Sgemm.Operand.matrix(b.data, b.offset, b.ld, b.stride, transB);
            if (packedB) {
                int size = Sgemm.packedBSize(k, n), nr = Sgemm.panelWidth();
                long stride = shareB ? 0 : size + padding;
                float[] packed = new float[padding + (shareB ? 1 : batch) * (size + padding)];
                Arrays.fill(packed, Float.NaN); // every float the kernel reads is written below
                for (int item = 0; item < (shareB ? 1 : batch); item++) {
                    for (int p = 0; p < k; p++) {
                        for (int j = 0; j < size / k; j++) {
                            float value = j >= n ? 0f : transB ? b.at(item, j, p) : b.at(item, p, j);
                            packed[(int) (padding + item * stride) + j / nr * k * nr + p * nr + j % nr] = value;
                        }
                    }
                }
                bOperand = Sgemm.Operand.packed(packed, padding, stride);
            }
            if (packedA || packedB) {
                Sgemm.multiply(batch, m, n, k, alpha, aOperand, bOperand, beta, c.data, c.offset, c.ld, c.stride);
            } else {
                Sgemm.sgemmBatched(batch, transA, transB, m, n, k, alpha,
                        a.data, a.offset, a.ld, a.stride, b.data, b.offset, b.ld, b.stride,
                        beta, c.data, c.offset, c.ld, c.stride);
            }

            boolean[] inView = new boolean[c.data.length];
            double maxError = 0, maxReference = 0;
            for (int item = 0; item < batch; item++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int p = 0; p < k; p++) {
                            double x = transA ? a.at(item, p, i) : a.at(item, i, p);
                            double y = transB ? b.at(item, j, p) : b.at(item, p, j);
                            sum += x * y;
                        }
                        int index = c.index(item, i, j);
                        double reference =
                                alpha * sum + (beta == 0f ? 0 : beta * (double) before[index]);
                        assertTrue(Float.isFinite(c.data[index]),
                                () -> "C[" + index + "] is not finite");
                        maxError = Math.max(maxError, Math.abs(c.data[index] - reference));
                        maxReference = Math.max(maxReference, Math.abs(reference));
                        inView[index] = true;
                    }
                }
            }
            for (int index = 0; index < c.data.length; index++) {
                if (!inView[index]) {
                    assertEquals(before[index], c.data[index], "C outside the views changed");
                }
            }
            double relativeError = maxError / Math.max(maxReference, Double.MIN_NORMAL);
            assertTrue(relativeError <= TOLERANCE || maxError == 0, () -> String.format(
                    "%s: max|C - ref| / max|ref| = %.3g", this, relativeError));
        }

        @Override
        public String toString() {
            return String.format(
                    "batch %d of %dx%dx%d transA=%b transB=%b packedA=%b packedB=%b alpha=%s beta=%s padding=%d",
                    batch, m, n, k, transA, transB, packedA, packedB, alpha, beta, padding);
        }

        /** {@code count} padded {@code rows x cols} matrices; one shared one if count is 0. */
        private final class Matrices {
            final int offset = padding, ld;
            final long stride;
            final float[] data;

            Matrices(int rows, int cols, int count) {
                ld = cols + padding;
                stride = count == 0 ? 0 : (long) rows * ld + padding;
                long span = Math.max(stride, (long) rows * ld);
                data = new float[(int) (offset + Math.max(1, count) * span + padding)];
            }

            void fill(SplittableRandom random) {
                for (int i = 0; i < data.length; i++) data[i] = (float) random.nextDouble(-1, 1);
            }

            int index(int item, int row, int col) {
                return (int) (offset + item * stride) + row * ld + col;
            }

            float at(int item, int row, int col) {
                return data[index(item, row, col)];
            }
        }
    }
}
