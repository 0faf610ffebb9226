package org.iboot4j.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies a block of an operand of {@link Sgemm} into the contiguous micro-panel layouts that
 * {@link SgemmMicroKernel} reads.
 *
 * <p>A block is a {@code depth x width} slice: {@code depth} runs along K, {@code width} along M
 * (for A) or N (for B); element {@code (p, w)} is {@code src[base + p * depthStride + w *
 * widthStride]}, so transposition is only a choice of strides. The slice is cut into panels of
 * {@code panelWidth} (MR for A, NR for B) along the width; widths past {@code width} are zero,
 * so the kernel never sees a ragged panel.
 * <ul>
 *   <li>B panels ({@link #packB}) are K step after K step: {@code panelWidth} values of one p,
 *       then the next p, the order in which the kernel loads its two B vectors.</li>
 *   <li>A panels ({@link #packA}) are row after row: the {@code depth} values of one row of A,
 *       then the next row, the six streams the kernel broadcasts from.</li>
 * </ul>
 * Whichever way round the source is stored, one of the two copies runs along the source's
 * contiguous direction: that is a plain copy. The other reads with a stride; it is done with
 * vector gathers (one instruction fetches a vector's worth of strided floats), about three times
 * faster than a scalar loop.
 */
final class SgemmPacking {

    private SgemmPacking() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();

    /** The gathers' index map for each thread: {@code i * stride} for the stride last used. */
    private static final ThreadLocal<int[]> OFFSETS = ThreadLocal.withInitial(() -> {
        int[] offsets = new int[VL + 1];
        offsets[VL] = -1; // no stride yet
        return offsets;
    });

    /** Packs the slice in B panels into {@code dst[0 .. ceil(width / panelWidth) * panelWidth * depth)}. */
    static void packB(float[] src, int base, int depthStride, int widthStride,
            int depth, int width, int panelWidth, float[] dst) {
        int panelSize = panelWidth * depth;
        for (int w0 = 0, d = 0; w0 < width; w0 += panelWidth, d += panelSize) {
            int valid = Math.min(panelWidth, width - w0);
            int start = base + w0 * widthStride;
            if (widthStride == 1) {
                // Each K step of the panel is a contiguous run of the source.
                for (int p = 0; p < depth; p++) {
                    System.arraycopy(src, start + p * depthStride, dst, d + p * panelWidth, valid);
                }
            } else if (valid % VL == 0) {
                // Each K step gathers one float from each of the panel's source rows.
                int[] offsets = offsets(widthStride);
                for (int p = 0; p < depth; p++) {
                    for (int w = 0; w < valid; w += VL) {
                        FloatVector.fromArray(SPECIES, src, start + w * widthStride + p * depthStride, offsets, 0)
                                .intoArray(dst, d + p * panelWidth + w);
                    }
                }
            } else {
                for (int w = 0; w < valid; w++) {
                    int s = start + w * widthStride;
                    for (int p = 0, t = d + w; p < depth; p++, t += panelWidth) {
                        dst[t] = src[s + p * depthStride];
                    }
                }
            }
            if (valid < panelWidth) {
                for (int p = 0, t = d; p < depth; p++, t += panelWidth) {
                    Arrays.fill(dst, t + valid, t + panelWidth, 0f);
                }
            }
        }
    }

    /**
     * Packs the slice in A panels: its column w (a row of A, {@code depth} values along K) goes
     * to {@code dst[w * depth ..]}, and the rows that pad the last panel to {@code panelWidth}
     * are zero.
     */
    static void packA(float[] src, int base, int depthStride, int widthStride,
            int depth, int width, int panelWidth, float[] dst) {
        int[] offsets = depthStride == 1 ? null : offsets(depthStride);
        for (int w = 0; w < width; w++) {
            int s = base + w * widthStride, d = w * depth;
            if (offsets == null) {
                System.arraycopy(src, s, dst, d, depth);
                continue;
            }
            int p = 0;
            for (int bound = SPECIES.loopBound(depth); p < bound; p += VL) {
                FloatVector.fromArray(SPECIES, src, s + p * depthStride, offsets, 0).intoArray(dst, d + p);
            }
            for (; p < depth; p++) dst[d + p] = src[s + p * depthStride];
        }
        int padded = Math.ceilDiv(width, panelWidth) * panelWidth;
        Arrays.fill(dst, width * depth, padded * depth, 0f);
    }

    /** The calling thread's index map {@code 0, stride, 2 stride, ...} (VL entries). */
    private static int[] offsets(int stride) {
        int[] offsets = OFFSETS.get();
        if (offsets[VL] != stride) { // the last slot remembers the stride the map is for
            for (int i = 0; i < VL; i++) offsets[i] = i * stride;
            offsets[VL] = stride;
        }
        return offsets;
    }
}
