package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel of {@link Sgemm}: one {@code MR x NR} tile of C from one packed
 * A micro-panel and one packed B micro-panel.
 *
 * <p>The tile is held in {@code MR x 2} accumulator vectors (12 with {@code MR = 6}), named locals
 * so that the JIT keeps them in registers. Each step of the K loop loads the two vectors of one B
 * row, broadcasts the {@code MR} values of one A column and issues {@code 2 x MR} fused
 * multiply-adds: 12 FMAs per 2 loads and 6 broadcasts, with 15 of the 16 (AVX2) or 32 (AVX-512)
 * vector registers live. The kernel works for any vector length; {@code NR} follows it.
 */
final class SgemmMicroKernel {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int VL = SPECIES.length();
    /** Rows of C per tile, the A micro-panel height: fixed by the six accumulator rows below. */
    static final int MR = 6;
    /** Columns of C per tile, two vectors: the B micro-panel width. */
    static final int NR = 2 * VL;

    private SgemmMicroKernel() {}

    /**
     * {@code C = alpha * A * B + beta * C} for the top-left {@code rows x cols} of one tile.
     *
     * <p>{@code a[aOffset ..]} is an A micro-panel ({@code MR} rows of {@code kc} values) and
     * {@code b[bOffset ..]} a B micro-panel ({@code kc} rows of {@code NR} values), both laid out
     * by {@link SgemmPacking} and zero-padded, so the kernel always computes a full tile and only
     * the write-back looks at {@code rows} and {@code cols}. The product goes through
     * {@code tile}, an {@code MR x NR} scratch array, on its way to C. With {@code beta == 0}, C
     * is not read.
     */
    static void multiply(int kc, float[] a, int aOffset, float[] b, int bOffset, float[] tile,
            float alpha, float beta, float[] c, int cOffset, int ldc, int rows, int cols) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        // The A micro-panel is row by row (row r at aOffset + r * kc): six sequential streams.
        int a0 = aOffset, a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc, a4 = a3 + kc, a5 = a4 + kc;
        for (int p = 0; p < kc; p++) {
            // Indices computed from p, not stepped along, let the JIT hoist the bounds checks.
            int bi = bOffset + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + VL);
            FloatVector ar = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c00 = ar.fma(b0, c00);
            c01 = ar.fma(b1, c01);
            ar = FloatVector.broadcast(SPECIES, a[a1 + p]);
            c10 = ar.fma(b0, c10);
            c11 = ar.fma(b1, c11);
            ar = FloatVector.broadcast(SPECIES, a[a2 + p]);
            c20 = ar.fma(b0, c20);
            c21 = ar.fma(b1, c21);
            ar = FloatVector.broadcast(SPECIES, a[a3 + p]);
            c30 = ar.fma(b0, c30);
            c31 = ar.fma(b1, c31);
            ar = FloatVector.broadcast(SPECIES, a[a4 + p]);
            c40 = ar.fma(b0, c40);
            c41 = ar.fma(b1, c41);
            ar = FloatVector.broadcast(SPECIES, a[a5 + p]);
            c50 = ar.fma(b0, c50);
            c51 = ar.fma(b1, c51);
        }
        // Spilling the accumulators to an array keeps them out of method calls: a vector passed to
        // a call the JIT declines to inline is boxed, and then so is every loop iteration above.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, VL);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + VL);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + VL);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + VL);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + VL);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + VL);
        writeBack(tile, alpha, beta, c, cOffset, ldc, rows, cols);
    }

    /** {@code C = alpha * tile + beta * C} for the top-left {@code rows x cols}; masked edges. */
    private static void writeBack(float[] tile, float alpha, float beta,
            float[] c, int cOffset, int ldc, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j += VL) {
                FloatVector result = FloatVector.fromArray(SPECIES, tile, r * NR + j).mul(alpha);
                int offset = cOffset + r * ldc + j;
                if (cols - j >= VL) {
                    if (beta != 0f) {
                        result = FloatVector.fromArray(SPECIES, c, offset).mul(beta).add(result);
                    }
                    result.intoArray(c, offset);
                } else {
                    VectorMask<Float> mask = SPECIES.indexInRange(j, cols);
                    if (beta != 0f) {
                        FloatVector old = FloatVector.fromArray(SPECIES, c, offset, mask);
                        result = old.mul(beta).add(result);
                    }
                    result.intoArray(c, offset, mask);
                }
            }
        }
    }
}
