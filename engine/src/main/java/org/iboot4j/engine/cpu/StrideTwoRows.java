package org.iboot4j.engine.cpu;

import java.util.Arrays;

/**
 * The column rows of a W-stride-2 convolution, a whole kW-tap family at once (the stem's 1x7x7
 * and the 1x3x3 stride-2 convolutions of Slow-R50; {@link Im2col} lays out the column matrix).
 *
 * <p>Tap kw of output column wo reads input column 2 wo + s with s = kw - padW: for even s the
 * input's even columns shifted by s / 2, for odd s its odd columns shifted by (s - 1) / 2. So
 * per output row the input row is split once into its even and odd streams (zero outside the
 * input, which is the padding), and each of the kW rows of the family is a plain copy out of
 * one of the two: kW / 2 times less strided gathering than gathering each row on its own.
 */
final class StrideTwoRows {
    private StrideTwoRows() {}

    /** Each thread's even and odd stream buffers. */
    private static final ThreadScratch STREAMS = new ThreadScratch();

    /** Whether the convolution has the structure: W stride 2, no W dilation, more than one W tap. */
    static boolean applies(Im2col.Dims d) {
        return d.strideW() == 2 && d.dilW() == 1 && d.kw() > 1;
    }

    /**
     * Column rows {@code family * kW + kw} (kw < kW) for output positions {@code [p0, p0 + pt)},
     * where family = (c * kT + kt) * kH + kh, row kw's position q written to
     * {@code col[rowAt + kw * NR + (q / NR) * panelStride + q % NR]}: the packed panels of
     * {@link Im2col#im2colPacked} (panelStride K NR).
     */
    static void gather(float[] x, int xOff, Im2col.Dims d, int family, int p0, int pt, float[] col, int rowAt,
            int panelStride) {
        int rowStep = Sgemm.panelWidth();
        int kh = family % d.kh(), kt = family / d.kh() % d.kt(), c = family / (d.kh() * d.kt());
        int plane = xOff + c * d.inVol(), kW = d.kw(), padW = d.padW(), wo = d.wo();
        int lead = Math.floorDiv(-padW, 2), trail = Math.floorDiv(kW - 1 - padW, 2); // stream offsets
        int streamLength = wo + trail - lead + 1;
        float[] streams = STREAMS.get(2 * streamLength);
        int wo0 = p0 % wo, rest = p0 / wo, ho = rest % d.ho(), to = rest / d.ho();
        for (int j = 0; j < pt; ) {
            int span = Math.min(wo - wo0, pt - j);
            int ti = to * d.strideT() - d.padT() + kt * d.dilT();
            int hi = ho * d.strideH() - d.padH() + kh * d.dilH();
            if (ti < 0 || ti >= d.t() || hi < 0 || hi >= d.h()) {
                for (int kw = 0; kw < kW; kw++) Im2col.zeroPanels(col, rowAt + kw * rowStep, panelStride, j, span);
            } else {
                // stream element k (k from wo0 + lead) holds input column 2k (even) or 2k + 1 (odd)
                int first = wo0 + lead, count = span + trail - lead;
                int row = plane + (ti * d.h() + hi) * d.w();
                split(x, row, d.w(), first, count, streams, streamLength);
                for (int kw = 0; kw < kW; kw++) {
                    int s = kw - padW, from = Math.floorMod(s, 2) * streamLength + Math.floorDiv(s, 2) - lead;
                    Im2col.toPanels(streams, from, col, rowAt + kw * rowStep, panelStride, j, span);
                }
            }
            j += span;
            wo0 = 0;
            if (++ho == d.ho()) {
                ho = 0;
                to++;
            }
        }
    }

    /**
     * streams[k - first] = x[row + 2k] and streams[length + k - first] = x[row + 2k + 1] for k in
     * [first, first + count), zero where the column falls outside [0, w).
     */
    private static void split(float[] x, int row, int w, int first, int count, float[] streams, int length) {
        for (int parity = 0; parity < 2; parity++) {
            int base = parity * length;
            // k inside the input: 0 <= 2k + parity < w
            int lo = Math.clamp(0, first, first + count), hi = Math.clamp((w - parity + 1) / 2, lo, first + count);
            Arrays.fill(streams, base, base + lo - first, 0f);
            Im2col.gatherEven(x, row + 2 * lo + parity, streams, base + lo - first, hi - lo);
            Arrays.fill(streams, base + hi - first, base + count, 0f);
        }
    }
}
