/*
 * im2col for backward-filter, gathered from the input straight into the packed A layout of
 * Sgemm.multiply.
 *
 * Backward-filter accumulates dw^T (K x M) += col (K x P) * dy^T (CpuConv3d), so col is the
 * product's A operand, whose packed layout interleaves MR rows: panel q holds, for each output
 * position j of the tile, the values of taps r = q*MR .. q*MR + MR-1 one after the other.
 * Writing col row by row and letting the GEMM pack it means gathering MR rows a position at a
 * time from a 1 MB tile after writing it: together a third to a half of backward-filter's time
 * for 3x3 layers. But the taps of a panel sit at fixed distances from one another in the input:
 * tap (c, kt, kh, kw) of output position (to, ho, wo) reads
 *
 *   x[origin + offset],  origin = (to*sT * H + ho*sH) * W + wo*sW,
 *                        offset = c*T*H*W + (kt*dT - pT)*H*W + (kh*dH - pH)*W + (kw*dW - pW)
 *
 * so one vector gather with the panel's offset map fetches all its taps for one position, from
 * x itself, wherever every tap of the panel lies inside the input. Within an output row that is
 * one interval of wo, found from the panel's extreme offsets; the positions outside it (the
 * padding border, a row or a column or two) take the taps one at a time with bounds tests, 0
 * outside the input. Rows of a ragged last panel past K are zero, as the layout requires.
 *
 * Cost: one gather per panel and position (MR floats; about 0.24 ns per float on AVX-512, the
 * same as the GEMM's own packing gather), and no row-major column matrix: im2col's write and the
 * packing's read of it are gone. Panels are independent, so they are spread over the threads
 * (inline when called from a worker, as backward-filter does for its tiles).
 */
package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/** Backward-filter's column matrix, gathered from x into the packed A layout (the file comment has the algorithm). */
final class TapPanels {
    private TapPanels() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    private static final int MR = Sgemm.panelHeight();
    /** Vector chunks per panel row of MR floats (1 with AVX-512, 2 with AVX2). */
    private static final int CHUNKS = Math.ceilDiv(MR, VL);
    /** Floats gathered per task below which handing work to another thread costs more than it saves. */
    private static final int GRAIN_FLOATS = 1 << 15;

    /**
     * The column matrix of the item at {@code x[xOff]} for output positions {@code [p0, p0 + pt)},
     * one packed A matrix per group: with K = rows / groups, group g's rows go to
     * {@code dst[g * Sgemm.packedASize(K, pt) ..]} as an {@code K x pt} matrix in the layout of
     * {@link Sgemm#multiply}.
     */
    static void gather(float[] x, int xOff, Im2col.Dims d, int p0, int pt, int groups, float[] dst) {
        int k = d.rows() / groups, panels = Math.ceilDiv(k, MR), groupSize = Sgemm.packedASize(k, pt);
        Parallel.forRange(groups * panels, Math.max(1, GRAIN_FLOATS / (MR * pt)), (from, to) -> {
            Panel panel = new Panel(d);
            for (int q = from; q < to; q++) {
                int g = q / panels, inGroup = q - g * panels, r0 = g * k + inGroup * MR;
                panel.set(r0, Math.min(MR, (g + 1) * k - r0));
                panel.fill(x, xOff, p0, pt, dst, g * groupSize + inGroup * pt * MR);
            }
        });
    }

    /** The taps of one panel: their offsets from the origin, per dimension and in all. */
    private static final class Panel {
        private final Im2col.Dims d;
        private final int[] channel = new int[MR], dt = new int[MR], dh = new int[MR], dw = new int[MR];
        /** The gather's index map, CHUNKS vectors of lanes: offset of each tap, lanes past the panel's taps repeat tap 0's. */
        private final int[] offsets = new int[CHUNKS * VL];
        @SuppressWarnings("unchecked")
        private final VectorMask<Float>[] taken = new VectorMask[CHUNKS], stored = new VectorMask[CHUNKS];
        private int valid, minT, maxT, minH, maxH, minW, maxW;
        /** {@link #selectRow}'s choice for an output row in the padding band of some taps. */
        private final int[] rowOffsets = new int[CHUNKS * VL];
        private final boolean[] rowLanes = new boolean[CHUNKS * VL];
        @SuppressWarnings("unchecked")
        private final VectorMask<Float>[] rowTaken = new VectorMask[CHUNKS];
        private int rowMinW, rowMaxW;

        Panel(Im2col.Dims d) {
            this.d = d;
            for (int c = 0; c < CHUNKS; c++) stored[c] = SPECIES.indexInRange(0, Math.min(VL, MR - c * VL));
        }

        /** Takes taps {@code [r0, r0 + valid)} (column rows; the rest of the panel is zero). */
        void set(int r0, int valid) {
            this.valid = valid;
            int kVol = d.kVol(), plane = d.h() * d.w();
            minT = minH = minW = Integer.MAX_VALUE;
            maxT = maxH = maxW = Integer.MIN_VALUE;
            for (int i = 0; i < valid; i++) {
                int r = r0 + i, c = r / kVol, tap = r - c * kVol;
                int kw = tap % d.kw(), kh = tap / d.kw() % d.kh(), kt = tap / (d.kw() * d.kh());
                channel[i] = c * d.inVol();
                dt[i] = kt * d.dilT() - d.padT();
                dh[i] = kh * d.dilH() - d.padH();
                dw[i] = kw * d.dilW() - d.padW();
                offsets[i] = channel[i] + dt[i] * plane + dh[i] * d.w() + dw[i];
                minT = Math.min(minT, dt[i]);
                maxT = Math.max(maxT, dt[i]);
                minH = Math.min(minH, dh[i]);
                maxH = Math.max(maxH, dh[i]);
                minW = Math.min(minW, dw[i]);
                maxW = Math.max(maxW, dw[i]);
            }
            for (int i = valid; i < offsets.length; i++) offsets[i] = offsets[0]; // in range, never stored
            for (int c = 0; c < CHUNKS; c++) taken[c] = SPECIES.indexInRange(0, Math.clamp(valid - c * VL, 0, VL));
        }

        /** Writes the panel for positions {@code [p0, p0 + pt)}: position j at {@code dst[at + j * MR ..]}. */
        void fill(float[] x, int xOff, int p0, int pt, float[] dst, int at) {
            int wo = p0 % d.wo(), rest = p0 / d.wo(), ho = rest % d.ho(), to = rest / d.ho();
            int sw = d.strideW();
            for (int j = 0; j < pt; ) {
                int span = Math.min(d.wo() - wo, pt - j), end = wo + span;
                int tb = to * d.strideT(), hb = ho * d.strideH();
                int origin = xOff + (tb * d.h() + hb) * d.w(), first = at + (j - wo) * MR; // dst of wo = 0
                // the taps inside the input in T and H for this output row; the wo where they are in W too
                int inRow = selectRow(tb, hb), lo = wo, hi = wo;
                if (inRow > 0) {
                    lo = Math.clamp(Math.ceilDiv(-rowMinW, sw), wo, end);
                    hi = Math.clamp(Math.floorDiv(d.w() - 1 - rowMaxW, sw) + 1, lo, end);
                }
                for (int w = wo; w < lo; w++) oneByOne(x, xOff, tb, hb, w * sw, dst, first + w * MR);
                int[] map = inRow == valid ? offsets : rowOffsets;
                VectorMask<Float>[] lanes = inRow == valid ? taken : rowTaken;
                for (int w = lo; w < hi; w++) {
                    for (int c = 0; c < CHUNKS; c++) {
                        FloatVector.fromArray(SPECIES, x, origin + w * sw, map, c * VL, lanes[c])
                                .intoArray(dst, first + w * MR + c * VL, stored[c]);
                    }
                }
                for (int w = hi; w < end; w++) oneByOne(x, xOff, tb, hb, w * sw, dst, first + w * MR);
                j += span;
                wo = 0;
                if (++ho == d.ho()) {
                    ho = 0;
                    to++;
                }
            }
        }

        /**
         * Selects the taps that lie inside the input in T and H for the output row whose origin
         * is (tb, hb), and returns how many. When that is some but not all of them (a row in the
         * padding band of some taps), rowOffsets and rowTaken are the gather's map and lanes for
         * just those (the others point at a selected tap and are masked off), and rowMinW and
         * rowMaxW their extreme W offsets.
         */
        private int selectRow(int tb, int hb) {
            if (tb + minT >= 0 && tb + maxT < d.t() && hb + minH >= 0 && hb + maxH < d.h()) {
                rowMinW = minW;
                rowMaxW = maxW;
                return valid;
            }
            int count = 0, some = -1;
            rowMinW = Integer.MAX_VALUE;
            rowMaxW = Integer.MIN_VALUE;
            for (int i = 0; i < valid; i++) {
                int ti = tb + dt[i], hi = hb + dh[i];
                rowLanes[i] = ti >= 0 && ti < d.t() && hi >= 0 && hi < d.h();
                if (rowLanes[i]) {
                    count++;
                    some = i;
                    rowMinW = Math.min(rowMinW, dw[i]);
                    rowMaxW = Math.max(rowMaxW, dw[i]);
                }
            }
            if (count == 0 || count == valid) return count;
            for (int i = 0; i < rowOffsets.length; i++) {
                boolean in = i < valid && rowLanes[i];
                rowOffsets[i] = offsets[in ? i : some];
                rowLanes[i] = in;
            }
            for (int c = 0; c < CHUNKS; c++) rowTaken[c] = VectorMask.fromArray(SPECIES, rowLanes, c * VL);
            return count;
        }

        /** The panel's taps for the position whose origin is (tb, hb, wb), each tested against the input's bounds. */
        private void oneByOne(float[] x, int xOff, int tb, int hb, int wb, float[] dst, int at) {
            for (int i = 0; i < MR; i++) {
                float v = 0f;
                if (i < valid) {
                    int ti = tb + dt[i], hi = hb + dh[i], wi = wb + dw[i];
                    if (ti >= 0 && ti < d.t() && hi >= 0 && hi < d.h() && wi >= 0 && wi < d.w()) {
                        v = x[xOff + channel[i] + (ti * d.h() + hi) * d.w() + wi];
                    }
                }
                dst[at + i] = v;
            }
        }
    }
}
