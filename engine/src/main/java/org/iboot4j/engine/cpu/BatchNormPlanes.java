package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-plane loops of {@link CpuBatchNorm}, vectorised: each reads (or writes) one plane of
 * {@code m} contiguous floats.
 *
 * <p>Sums. Floats are added in vector lanes over blocks of {@link #BLOCK} elements (each lane
 * sums BLOCK / VL of them in float), and the blocks' lane totals are added in double. The float
 * error of a block is then about (BLOCK / VL) * 2^-24 of its magnitude, far below what the
 * float outputs can show, while the plane (up to millions of elements) is summed in double as
 * before. The lanes are added in lane order ({@link VectorMath#laneSum}: the order of
 * {@code reduceLanes} differs between the interpreter and the JIT, and a resumed training run
 * would not repeat a straight one bit for bit). The result depends on the vector length, not on
 * the number of threads.
 *
 * <p>Elementwise. Deviations from the mean are taken first, {@code x - mean} in float (exact
 * when x is near the mean), and the rest is fused multiply-adds, so that a large mean does not
 * cancel the significant digits away.
 */
final class BatchNormPlanes {
    private BatchNormPlanes() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    /** Elements summed in float lanes before their total joins the double sum. */
    private static final int BLOCK = 1024;

    /** The sum of {@code x[at .. at + m)}. */
    static double sum(float[] x, int at, int m) {
        double total = 0;
        for (int b = 0; b < m; b += BLOCK) {
            int end = Math.min(m, b + BLOCK), j = b;
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int bound = b + SPECIES.loopBound(end - b); j < bound; j += VL) {
                acc = acc.add(FloatVector.fromArray(SPECIES, x, at + j));
            }
            double block = VectorMath.laneSum(acc);
            for (; j < end; j++) block += x[at + j];
            total += block;
        }
        return total;
    }

    /** The sum of {@code (x - centre)^2} over {@code x[at .. at + m)}. */
    static double sumSquaredDeviation(float[] x, int at, int m, float centre) {
        double total = 0;
        FloatVector c = FloatVector.broadcast(SPECIES, centre);
        for (int b = 0; b < m; b += BLOCK) {
            int end = Math.min(m, b + BLOCK), j = b;
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int bound = b + SPECIES.loopBound(end - b); j < bound; j += VL) {
                FloatVector d = FloatVector.fromArray(SPECIES, x, at + j).sub(c);
                acc = d.fma(d, acc);
            }
            double block = VectorMath.laneSum(acc);
            for (; j < end; j++) {
                float d = x[at + j] - centre;
                block += d * d;
            }
            total += block;
        }
        return total;
    }

    /**
     * The two sums of the backward pass over one plane: {@code sums[0] = sum g} and
     * {@code sums[1] = sum g (x - centre)}.
     */
    static void gradientSums(float[] g, int ga, float[] x, int xa, int m, float centre, double[] sums) {
        double sg = 0, sgx = 0;
        FloatVector c = FloatVector.broadcast(SPECIES, centre);
        for (int b = 0; b < m; b += BLOCK) {
            int end = Math.min(m, b + BLOCK), j = b;
            FloatVector accG = FloatVector.zero(SPECIES), accGx = FloatVector.zero(SPECIES);
            for (int bound = b + SPECIES.loopBound(end - b); j < bound; j += VL) {
                FloatVector gv = FloatVector.fromArray(SPECIES, g, ga + j);
                accG = accG.add(gv);
                accGx = gv.fma(FloatVector.fromArray(SPECIES, x, xa + j).sub(c), accGx);
            }
            double blockG = VectorMath.laneSum(accG);
            double blockGx = VectorMath.laneSum(accGx);
            for (; j < end; j++) {
                blockG += g[ga + j];
                blockGx += g[ga + j] * (x[xa + j] - centre);
            }
            sg += blockG;
            sgx += blockGx;
        }
        sums[0] = sg;
        sums[1] = sgx;
    }

    /**
     * {@code out = a (x - centre) + b + c g} over one plane, the form of both the forward
     * ({@code c = 0}, g unused) and the input gradient; {@code g} may be null when c is 0.
     */
    static void affine(float[] x, int xa, float centre, float a, float b, float[] g, int ga, float c,
            float[] out, int oa, int m) {
        FloatVector cv = FloatVector.broadcast(SPECIES, centre), av = FloatVector.broadcast(SPECIES, a);
        FloatVector bv = FloatVector.broadcast(SPECIES, b), gc = FloatVector.broadcast(SPECIES, c);
        int j = 0;
        if (g == null) {
            for (int bound = SPECIES.loopBound(m); j < bound; j += VL) {
                FloatVector.fromArray(SPECIES, x, xa + j).sub(cv).fma(av, bv).intoArray(out, oa + j);
            }
            for (; j < m; j++) out[oa + j] = Math.fma(x[xa + j] - centre, a, b);
            return;
        }
        for (int bound = SPECIES.loopBound(m); j < bound; j += VL) {
            FloatVector rest = FloatVector.fromArray(SPECIES, x, xa + j).sub(cv).fma(av, bv);
            FloatVector.fromArray(SPECIES, g, ga + j).fma(gc, rest).intoArray(out, oa + j);
        }
        for (; j < m; j++) out[oa + j] = Math.fma(g[ga + j], c, Math.fma(x[xa + j] - centre, a, b));
    }
}
