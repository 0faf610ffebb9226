package org.iboot4j.engine.cpu;

import java.util.Arrays;

/**
 * Copies a block of an operand of {@link Sgemm} into the contiguous micro-panel layout that
 * {@link SgemmMicroKernel} reads.
 *
 * <p>A block is a {@code depth x width} slice: {@code depth} runs along K, {@code width} along M
 * (for A) or N (for B). It is cut into panels {@code panelWidth} wide (MR for A, NR for B); panel
 * {@code q} holds the slice's columns {@code [q * panelWidth, (q + 1) * panelWidth)}, stored one K
 * step after the other, so the kernel reads it front to back. Columns past {@code width} are
 * zero, so the kernel never sees a ragged panel. Transposition is expressed by the two strides and
 * costs nothing here: element {@code (p, w)} of the slice is {@code src[base + p * depthStride +
 * w * widthStride]}, and one of the two strides is 1 for a row-major matrix.
 */
final class SgemmPacking {

    private SgemmPacking() {}

    /** Packs the slice into {@code dst[0 .. ceil(width / panelWidth) * panelWidth * depth)}. */
    static void pack(float[] src, int base, int depthStride, int widthStride,
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
            } else {
                // Each panel column is a contiguous run of the source (depthStride == 1): read it
                // in order.
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
}
