package org.iboot4j.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies a block of an operand of {@link Sgemm} into the contiguous micro-panel layout that
 * {@link SgemmMicroKernel} reads.
 *
 * <p>A block is a {@code depth x width} slice: {@code depth} runs along K, {@code width} along M
 * (for A) or N (for B). It is cut into panels {@code panelWidth} wide (MR for A, NR for B); panel
 * {@code q} holds the slice's columns {@code [q * panelWidth, (q + 1) * panelWidth)}, stored one K
 * step after the other, so the kernel reads it front to back. Columns past {@code width} are
 * zero, so the kernel never sees a ragged panel. Transposition is expressed by the two strides:
 * element {@code (p, w)} of the slice is {@code src[base + p * depthStride + w * widthStride]},
 * and one of the two strides is 1 for a row-major matrix.
 *
 * <p>Cost. With {@code widthStride == 1} (B as stored, A transposed) each K step of a panel is a
 * contiguous run of the source: a plain copy, by vector loads and stores. Otherwise (A as stored, B transposed: the weight of
 * a linear layer) each K step takes one float from each of the panel's source rows; that is done
 * with vector gathers, a vector's worth of strided floats per instruction, about three times
 * faster than a scalar loop (0.26 vs 0.6-0.8 ns per float measured on a 32-wide panel).
 */
final class SgemmPacking {

    private SgemmPacking() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();

    /**
     * The gathers' index map for each thread, as last built by {@link #offsets}; its two extra
     * slots remember the stride and lane count it was built for.
     */
    private static final ThreadLocal<int[]> OFFSETS = ThreadLocal.withInitial(() -> {
        int[] offsets = new int[VL + 2];
        offsets[VL] = -1; // built for no stride yet
        return offsets;
    });

    /**
     * Packs the slice into {@code dst[at .. at + ceil(width / panelWidth) * panelWidth * depth)}.
     */
    static void pack(float[] src, int base, int depthStride, int widthStride,
            int depth, int width, int panelWidth, float[] dst, int at) {
        int panelSize = panelWidth * depth;
        for (int w0 = 0, d = at; w0 < width; w0 += panelWidth, d += panelSize) {
            int valid = Math.min(panelWidth, width - w0);
            int start = base + w0 * widthStride;
            if (widthStride == 1) {
                copyPanel(src, start, depthStride, depth, valid, panelWidth, dst, d);
            } else {
                gatherPanel(src, start, depthStride, widthStride, depth, valid, panelWidth, dst, d);
            }
            if (valid < panelWidth) {
                for (int p = 0, t = d; p < depth; p++, t += panelWidth) {
                    Arrays.fill(dst, t + valid, t + panelWidth, 0f);
                }
            }
        }
    }

    /**
     * One panel whose K steps are contiguous runs of the source, {@code depthStride} apart, a
     * vector at a time: a run is only NR (or MR) floats, too short for System.arraycopy, whose
     * call costs more than the copy (it was a quarter of a K = 64 product's time).
     */
    private static void copyPanel(float[] src, int start, int depthStride, int depth, int valid,
            int panelWidth, float[] dst, int d) {
        for (int w = 0; w < valid; w += VL) {
            int lanes = Math.min(VL, valid - w);
            if (lanes == VL) {
                for (int p = 0, s = start + w, t = d + w; p < depth; p++, s += depthStride, t += panelWidth) {
                    FloatVector.fromArray(SPECIES, src, s).intoArray(dst, t);
                }
            } else {
                VectorMask<Float> mask = SPECIES.indexInRange(0, lanes);
                for (int p = 0, s = start + w, t = d + w; p < depth; p++, s += depthStride, t += panelWidth) {
                    FloatVector.fromArray(SPECIES, src, s, mask).intoArray(dst, t, mask);
                }
            }
        }
    }

    /** One panel's {@code valid} source rows, {@code widthStride} apart, by vector gathers. */
    private static void gatherPanel(float[] src, int start, int depthStride, int widthStride,
            int depth, int valid, int panelWidth, float[] dst, int d) {
        for (int w = 0; w < valid; w += VL) {
            int lanes = Math.min(VL, valid - w), s = start + w * widthStride;
            int[] offsets = offsets(widthStride, lanes);
            if (lanes == VL) { // the unmasked gather is the fast one
                for (int p = 0, t = d + w; p < depth; p++, t += panelWidth) {
                    FloatVector.fromArray(SPECIES, src, s + p * depthStride, offsets, 0).intoArray(dst, t);
                }
            } else {
                VectorMask<Float> mask = SPECIES.indexInRange(0, lanes);
                for (int p = 0, t = d + w; p < depth; p++, t += panelWidth) {
                    FloatVector.fromArray(SPECIES, src, s + p * depthStride, offsets, 0, mask).intoArray(dst, t, mask);
                }
            }
        }
    }

    /**
     * The calling thread's index map {@code 0, stride, 2 stride, ...} for the first {@code lanes}
     * lanes and 0 after them: a masked gather still range-checks the indices of its unused
     * lanes, so they must point inside the array too.
     */
    private static int[] offsets(int stride, int lanes) {
        int[] offsets = OFFSETS.get();
        if (offsets[VL] != stride || offsets[VL + 1] != lanes) {
            for (int i = 0; i < VL; i++) offsets[i] = i < lanes ? i * stride : 0;
            offsets[VL] = stride;
            offsets[VL + 1] = lanes;
        }
        return offsets;
    }
}
