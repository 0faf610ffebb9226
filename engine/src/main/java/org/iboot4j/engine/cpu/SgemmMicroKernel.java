package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel of {@link Sgemm}: one {@code MR x NR} tile of C from one packed
 * A micro-panel and one packed B micro-panel.
 *
 * <p>The tile is held in {@code MR x 2} accumulator vectors (24 with {@code MR = 12}), named
 * locals so that the JIT keeps them in registers. Each step of the K loop loads the two vectors of
 * one B row, broadcasts the {@code MR} values of one A column and issues {@code 2 x MR} fused
 * multiply-adds: 24 FMAs per 2 loads and 12 broadcasts, with 27 of the 32 AVX-512 vector registers
 * live. Measured on the micro-kernel alone (AVX-512, one core, operands in cache): 6 rows ran at
 * ~145 GFLOP/s, 8 at ~167, 10 at ~172, 12 at ~175-195, 14 at ~150-175 (spills). With AVX2's 16
 * registers the 12-row tile spills, and ran 6% below a 6-row one: the one kernel is kept for
 * both. The kernel works for any vector length; {@code NR} follows it.
 */
final class SgemmMicroKernel {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int VL = SPECIES.length();
    /** Rows of C per tile, the A micro-panel height: fixed by the twelve accumulator rows below. */
    static final int MR = 12;
    /** Columns of C per tile, two vectors: the B micro-panel width. */
    static final int NR = 2 * VL;

    private SgemmMicroKernel() {}

    /**
     * {@code C = alpha * A * B + beta * C} for the top-left {@code rows x cols} of one tile.
     *
     * <p>{@code a[aOffset ..]} is an A micro-panel ({@code kc} columns of {@code MR} values) and
     * {@code b[bOffset ..]} a B micro-panel ({@code kc} rows of {@code NR} values), both laid out
     * by {@link SgemmPacking} and zero-padded, so the kernel always computes a full tile and only
     * the write-back looks at {@code rows} and {@code cols}. The product goes through
     * {@code tile}, an {@code MR x NR} scratch array, on its way to C. With {@code beta == 0}, C
     * is not read.
     */
    static void multiply(int kc, float[] a, int aOffset, float[] b, int bOffset, float[] tile,
            float alpha, float beta, float[] c, int cOffset, int ldc, int rows, int cols) {
        FloatVector c000 = FloatVector.zero(SPECIES), c001 = FloatVector.zero(SPECIES);
        FloatVector c010 = FloatVector.zero(SPECIES), c011 = FloatVector.zero(SPECIES);
        FloatVector c020 = FloatVector.zero(SPECIES), c021 = FloatVector.zero(SPECIES);
        FloatVector c030 = FloatVector.zero(SPECIES), c031 = FloatVector.zero(SPECIES);
        FloatVector c040 = FloatVector.zero(SPECIES), c041 = FloatVector.zero(SPECIES);
        FloatVector c050 = FloatVector.zero(SPECIES), c051 = FloatVector.zero(SPECIES);
        FloatVector c060 = FloatVector.zero(SPECIES), c061 = FloatVector.zero(SPECIES);
        FloatVector c070 = FloatVector.zero(SPECIES), c071 = FloatVector.zero(SPECIES);
        FloatVector c080 = FloatVector.zero(SPECIES), c081 = FloatVector.zero(SPECIES);
        FloatVector c090 = FloatVector.zero(SPECIES), c091 = FloatVector.zero(SPECIES);
        FloatVector c100 = FloatVector.zero(SPECIES), c101 = FloatVector.zero(SPECIES);
        FloatVector c110 = FloatVector.zero(SPECIES), c111 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            // Indices computed from p, not stepped along, let the JIT hoist the bounds checks.
            int ai = aOffset + p * MR, bi = bOffset + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + VL);
            FloatVector ar;
            ar = FloatVector.broadcast(SPECIES, a[ai + 0]);
            c000 = ar.fma(b0, c000);
            c001 = ar.fma(b1, c001);
            ar = FloatVector.broadcast(SPECIES, a[ai + 1]);
            c010 = ar.fma(b0, c010);
            c011 = ar.fma(b1, c011);
            ar = FloatVector.broadcast(SPECIES, a[ai + 2]);
            c020 = ar.fma(b0, c020);
            c021 = ar.fma(b1, c021);
            ar = FloatVector.broadcast(SPECIES, a[ai + 3]);
            c030 = ar.fma(b0, c030);
            c031 = ar.fma(b1, c031);
            ar = FloatVector.broadcast(SPECIES, a[ai + 4]);
            c040 = ar.fma(b0, c040);
            c041 = ar.fma(b1, c041);
            ar = FloatVector.broadcast(SPECIES, a[ai + 5]);
            c050 = ar.fma(b0, c050);
            c051 = ar.fma(b1, c051);
            ar = FloatVector.broadcast(SPECIES, a[ai + 6]);
            c060 = ar.fma(b0, c060);
            c061 = ar.fma(b1, c061);
            ar = FloatVector.broadcast(SPECIES, a[ai + 7]);
            c070 = ar.fma(b0, c070);
            c071 = ar.fma(b1, c071);
            ar = FloatVector.broadcast(SPECIES, a[ai + 8]);
            c080 = ar.fma(b0, c080);
            c081 = ar.fma(b1, c081);
            ar = FloatVector.broadcast(SPECIES, a[ai + 9]);
            c090 = ar.fma(b0, c090);
            c091 = ar.fma(b1, c091);
            ar = FloatVector.broadcast(SPECIES, a[ai + 10]);
            c100 = ar.fma(b0, c100);
            c101 = ar.fma(b1, c101);
            ar = FloatVector.broadcast(SPECIES, a[ai + 11]);
            c110 = ar.fma(b0, c110);
            c111 = ar.fma(b1, c111);
        }
        // Spilling the accumulators to an array keeps them out of method calls: a vector passed to
        // a call the JIT declines to inline is boxed, and then so is every loop iteration above.
        // (Storing them straight to C for whole tiles, 24 stores or load-add-stores written out
        // here, measured 1.3-1.6x slower on K = 64 and 576 products: the method grows past what
        // the JIT compiles well. The round trip through tile is the cheaper path.)
        c000.intoArray(tile, 0 * NR);
        c001.intoArray(tile, 0 * NR + VL);
        c010.intoArray(tile, 1 * NR);
        c011.intoArray(tile, 1 * NR + VL);
        c020.intoArray(tile, 2 * NR);
        c021.intoArray(tile, 2 * NR + VL);
        c030.intoArray(tile, 3 * NR);
        c031.intoArray(tile, 3 * NR + VL);
        c040.intoArray(tile, 4 * NR);
        c041.intoArray(tile, 4 * NR + VL);
        c050.intoArray(tile, 5 * NR);
        c051.intoArray(tile, 5 * NR + VL);
        c060.intoArray(tile, 6 * NR);
        c061.intoArray(tile, 6 * NR + VL);
        c070.intoArray(tile, 7 * NR);
        c071.intoArray(tile, 7 * NR + VL);
        c080.intoArray(tile, 8 * NR);
        c081.intoArray(tile, 8 * NR + VL);
        c090.intoArray(tile, 9 * NR);
        c091.intoArray(tile, 9 * NR + VL);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + VL);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + VL);
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
