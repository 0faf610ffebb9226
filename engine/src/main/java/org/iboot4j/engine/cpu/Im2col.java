package org.iboot4j.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two data movers of the im2col convolution ({@link CpuConv3d} explains the algorithm):
 * {@link #im2colPacked} gathers a tile of output positions into the forward's packed column
 * matrix, and {@link #col2im} scatter-adds a column matrix back onto the input grid
 * (backward-filter gathers its column matrix with {@link TapPanels}).
 *
 * <p>Column layout, for a tile of {@code pt} output positions starting at flat position
 * {@code p0}: row {@code r = c * kVol + (kt * kH + kh) * kW + kw} is {@code col[r * pt + j]},
 * {@code j < pt}, holding input element
 * {@code x[c, to*sT - pT + kt*dT, ho*sH - pH + kh*dH, wo*sW - pW + kw*dW]} (0 outside the input)
 * for output position {@code p0 + j = (to * Ho + ho) * Wo + wo}. Rows of one group are therefore
 * contiguous and form a row-major K x pt matrix (K = Cin/groups * kVol): the layout of the
 * dcol that backward-data's GEMM writes, and, a panel of NR positions at a time, of the
 * forward's packed B.
 *
 * <p>Each row is walked one output row (fixed to, ho) at a time: the input row it reads is fixed,
 * the wo where the tap falls inside the input are computed up front, so the inner loop is a plain
 * copy (System.arraycopy for W stride 1, a two-vector shuffle for stride 2) between zeroed edges,
 * with no bounds test per element. When consecutive output rows read consecutive input rows
 * (unit H and W strides, Wo = W: the "same" convolutions), a whole run of rows is one stretch in
 * both arrays and is copied (or added) in one go, after which the few padding entries are zeroed
 * (in col2im: zeroed in col first, so that they add nothing to the neighbouring row).
 * Work is split over threads by column row (im2col: every row is written by one task) or by input
 * channel (col2im: the kVol rows of one channel, which overlap on the input grid, stay in one task,
 * so no two tasks add into the same element); called from a worker thread, both run inline.
 */
final class Im2col {
    private Im2col() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Lane i takes lane 2i of the concatenation of two vectors (lanes >= VL wrap to the second). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(SPECIES, i -> 2 * i);

    /** Each thread's row buffer of {@link #im2colPacked}: grown as needed, reused. */
    private static final ThreadScratch ROW = new ThreadScratch();

    /** Floats moved per task below which handing work to another thread costs more than it saves. */
    private static final int GRAIN_FLOATS = 1 << 15;

    /** The geometry of one convolution, contiguous (N, C, T, H, W) input, in ints. */
    record Dims(int cin, int t, int h, int w, int kt, int kh, int kw, int to, int ho, int wo,
            int strideT, int strideH, int strideW, int padT, int padH, int padW, int dilT, int dilH, int dilW) {
        int kVol() {
            return kt * kh * kw;
        }

        /** Column rows per item, all groups: Cin * kT * kH * kW. */
        int rows() {
            return cin * kVol();
        }

        int inVol() {
            return t * h * w;
        }

        int outVol() {
            return to * ho * wo;
        }
    }

    /**
     * Fills the column matrix of the item at {@code x[xOff]} for output positions
     * {@code [p0, p0 + pt)}, written straight into the packed B layout of
     * {@link Sgemm#multiply} (B as {@link Sgemm.Operand#packed}), one packed matrix per group: with K = rows / groups,
     * row r of group g goes to {@code col[g * Sgemm.packedBSize(K, pt) ..]} as row r - g*K of
     * that matrix, columns past pt zero. Each row is gathered into a small per-thread buffer (it
     * stays in L1) and then copied a panel width at a time, which costs less than the GEMM
     * packing the row-major column matrix from L2 afterwards. With W stride 2 the kW rows of
     * each (c, kt, kh) are gathered together, straight into the panels ({@link StrideTwoRows}).
     */
    static void im2colPacked(float[] x, int xOff, Dims d, int p0, int pt, int groups, float[] col) {
        int nr = Sgemm.panelWidth(), rowsPerGroup = d.rows() / groups;
        int groupSize = Sgemm.packedBSize(rowsPerGroup, pt), width = groupSize / rowsPerGroup;
        int panelStride = rowsPerGroup * nr;
        // rows are gathered a family at a time: the kW taps of one (c, kt, kh) for W stride 2, else one
        int family = StrideTwoRows.applies(d) ? d.kw() : 1;
        int grain = Math.max(1, GRAIN_FLOATS / (pt * family));
        Parallel.forRange(d.rows() / family, grain, (from, to) -> {
            float[] row = family > 1 ? null : ROW.get(width);
            if (row != null) Arrays.fill(row, pt, width, 0f);
            for (int f = from; f < to; f++) {
                int r = f * family, g = r / rowsPerGroup; // a family's rows are consecutive, in one group
                int dst = g * groupSize + (r - g * rowsPerGroup) * nr; // panel 0's row r
                if (family > 1) {
                    StrideTwoRows.gather(x, xOff, d, f, p0, pt, col, dst, panelStride);
                    for (int kw = 0; kw < family; kw++) zeroPanels(col, dst + kw * nr, panelStride, pt, width - pt);
                } else {
                    gatherColumnRow(x, xOff, d, f, p0, pt, row, 0);
                    for (int j = 0; j < width; j += nr) {
                        System.arraycopy(row, j, col, dst + j / nr * panelStride, nr); // panel j / nr
                    }
                }
            }
        });
    }

    /**
     * Copies {@code src[s .. s + len)} to positions {@code [j, j + len)} of one packed row: position
     * q lies in panel {@code q / NR} at {@code col[rowAt + (q / NR) * panelStride + q % NR]}.
     */
    static void toPanels(float[] src, int s, float[] col, int rowAt, int panelStride, int j, int len) {
        int nr = Sgemm.panelWidth();
        while (len > 0) {
            int in = j % nr, n = Math.min(nr - in, len);
            System.arraycopy(src, s, col, rowAt + j / nr * panelStride + in, n);
            s += n;
            j += n;
            len -= n;
        }
    }

    /** Zeroes positions {@code [j, j + len)} of one packed row (laid out as in {@link #toPanels}). */
    static void zeroPanels(float[] col, int rowAt, int panelStride, int j, int len) {
        int nr = Sgemm.panelWidth();
        while (len > 0) {
            int in = j % nr, n = Math.min(nr - in, len), at = rowAt + j / nr * panelStride + in;
            Arrays.fill(col, at, at + n, 0f);
            j += n;
            len -= n;
        }
    }

    /** Column row {@code r} (input channel, tap) for positions {@code [p0, p0 + pt)} into {@code dst[at..]}. */
    private static void gatherColumnRow(float[] x, int xOff, Dims d, int r, int p0, int pt, float[] dst, int at) {
        int c = r / d.kVol(), k = r - c * d.kVol();
        int kw = k % d.kw(), kh = k / d.kw() % d.kh(), kt = k / (d.kw() * d.kh());
        gatherRow(x, xOff + c * d.inVol(), d, kt, kh, kw, p0, pt, dst, at);
    }


    /**
     * Adds the column matrix {@code col} (row-major, the layout above) onto the
     * input-shaped gradient of the item at {@code dx[dxOff]}. Zeroes the padding entries of col.
     */
    static void col2im(float[] col, Dims d, int p0, int pt, float[] dx, int dxOff) {
        int kVol = d.kVol();
        int grain = Math.max(1, GRAIN_FLOATS / (pt * kVol));
        Parallel.forRange(d.cin(), grain, (from, to) -> {
            for (int c = from; c < to; c++) {
                for (int k = 0; k < kVol; k++) {
                    int kw = k % d.kw(), kh = k / d.kw() % d.kh(), kt = k / (d.kw() * d.kh());
                    scatterRow(col, (c * kVol + k) * pt, d, kt, kh, kw, p0, pt, dx, dxOff + c * d.inVol());
                }
            }
        });
    }

    /**
     * One column row: tap (kt, kh, kw) of the input plane starting at {@code x[plane]}, for
     * output positions {@code [p0, p0 + pt)}, written to {@code col[dst..dst + pt)}.
     */
    private static void gatherRow(float[] x, int plane, Dims d, int kt, int kh, int kw, int p0, int pt,
            float[] col, int dst) {
        int wo0 = p0 % d.wo(), rest = p0 / d.wo();
        int ho = rest % d.ho(), to = rest / d.ho();
        int shift = kw * d.dilW() - d.padW(); // input w = wo * sW + shift
        int first = Math.max(0, Math.ceilDiv(-shift, d.strideW()));                 // first wo inside
        int end = Math.max(first, Math.floorDiv(d.w() - 1 - shift, d.strideW()) + 1); // past the last
        int sw = d.strideW(), wo = d.wo();
        boolean chained = chained(d, first, end);
        for (int j = 0; j < pt; ) {
            int ti = to * d.strideT() - d.padT() + kt * d.dilT();
            int hi = ho * d.strideH() - d.padH() + kh * d.dilH();
            int o = dst + j - wo0; // col index of wo = 0 in this output row
            int span = Math.min(wo - wo0, pt - j), rows = 1;
            if (ti < 0 || ti >= d.t() || hi < 0 || hi >= d.h()) {
                Arrays.fill(col, o + wo0, o + wo0 + span, 0f);
            } else {
                if (chained) {
                    while (span < pt - j && ho + rows < d.ho() && hi + rows < d.h()) {
                        span += Math.min(wo, pt - j - span);
                        rows++;
                    }
                }
                int src = plane + (ti * d.h() + hi) * d.w() + shift; // x index of wo = 0
                if (rows > 1) {
                    // Output rows ho, ho + 1, ... read input rows hi, hi + 1, ... (wo = w and unit
                    // strides): x index = col index + (src - o) across the whole run, so one copy
                    // serves all its rows; the padding columns it overwrote are then zeroed.
                    int last = o + (rows - 1) * wo, lastLen = dst + j + span - last;
                    int a = o + Math.clamp(first, wo0, wo), b = last + Math.clamp(end, 0, lastLen);
                    System.arraycopy(x, a + src - o, col, a, b - a);
                    zeroPaddingColumns(col, o, wo, rows, wo0, lastLen, first, end);
                } else {
                    int lo = Math.clamp(first, wo0, wo0 + span), hiW = Math.clamp(end, lo, wo0 + span);
                    if (sw == 1) {
                        System.arraycopy(x, src + lo, col, o + lo, hiW - lo);
                    } else if (sw == 2) {
                        gatherEven(x, src + 2 * lo, col, o + lo, hiW - lo);
                    } else {
                        for (int w = lo; w < hiW; w++) col[o + w] = x[src + w * sw];
                    }
                    zeroOutside(col, o, wo0, wo0 + span, first, end);
                }
            }
            j += span;
            wo0 = 0;
            ho += rows;
            if (ho == d.ho()) {
                ho = 0;
                to++;
            }
        }
    }

    /** The transpose of {@link #gatherRow}: {@code dx[plane + ...] += col[src..src + pt)}. */
    private static void scatterRow(float[] col, int src, Dims d, int kt, int kh, int kw, int p0, int pt,
            float[] dx, int plane) {
        int wo0 = p0 % d.wo(), rest = p0 / d.wo();
        int ho = rest % d.ho(), to = rest / d.ho();
        int shift = kw * d.dilW() - d.padW();
        int first = Math.max(0, Math.ceilDiv(-shift, d.strideW()));
        int end = Math.max(first, Math.floorDiv(d.w() - 1 - shift, d.strideW()) + 1);
        int sw = d.strideW(), wo = d.wo();
        boolean chained = chained(d, first, end);
        for (int j = 0; j < pt; ) {
            int ti = to * d.strideT() - d.padT() + kt * d.dilT();
            int hi = ho * d.strideH() - d.padH() + kh * d.dilH();
            int o = src + j - wo0;
            int span = Math.min(wo - wo0, pt - j), rows = 1;
            if (ti >= 0 && ti < d.t() && hi >= 0 && hi < d.h()) {
                if (chained) {
                    while (span < pt - j && ho + rows < d.ho() && hi + rows < d.h()) {
                        span += Math.min(wo, pt - j - span);
                        rows++;
                    }
                }
                int base = plane + (ti * d.h() + hi) * d.w() + shift; // dx index of wo = 0
                if (rows > 1) {
                    // As in gatherRow: one add over the whole run, after zeroing the padding
                    // columns of col (scratch), which would otherwise land on the neighbouring rows.
                    int last = o + (rows - 1) * wo, lastLen = src + j + span - last;
                    zeroPaddingColumns(col, o, wo, rows, wo0, lastLen, first, end);
                    int a = o + Math.clamp(first, wo0, wo), b = last + Math.clamp(end, 0, lastLen);
                    addInto(dx, a + base - o, col, a, b - a);
                } else {
                    int lo = Math.clamp(first, wo0, wo0 + span), hiW = Math.clamp(end, lo, wo0 + span);
                    if (sw == 1) {
                        addInto(dx, base + lo, col, o + lo, hiW - lo);
                    } else {
                        for (int w = lo; w < hiW; w++) dx[base + w * sw] += col[o + w];
                    }
                }
            }
            j += span;
            wo0 = 0;
            ho += rows;
            if (ho == d.ho()) {
                ho = 0;
                to++;
            }
        }
    }

    /**
     * Whether consecutive output rows of a frame read consecutive input rows, back to back in
     * both arrays (unit H and W strides and Wo = W), so that a run of rows is one contiguous
     * stretch in col and in x; and the tap meets the input at all ({@code first < end}).
     */
    private static boolean chained(Dims d, int first, int end) {
        return d.strideW() == 1 && d.strideH() == 1 && d.wo() == d.w() && first < end;
    }

    /**
     * {@link #zeroOutside} for a run of {@code rows > 1} output rows of width {@code wo} from
     * {@code col[o]} (the first from {@code wo0}, the last up to {@code lastLen}), a padding column
     * at a time down the run: in a "same" convolution only a column or two per row are padding,
     * so this is a few strided stores rather than a call per row.
     */
    private static void zeroPaddingColumns(float[] col, int o, int wo, int rows, int wo0, int lastLen,
            int first, int end) {
        for (int w = 0; w < Math.min(first, wo); w++) zeroColumn(col, o, wo, rows, wo0, lastLen, w);
        for (int w = end; w < wo; w++) zeroColumn(col, o, wo, rows, wo0, lastLen, w);
    }

    /** Zeroes column {@code w} of each row of the run that has it. */
    private static void zeroColumn(float[] col, int o, int wo, int rows, int wo0, int lastLen, int w) {
        int r0 = w < wo0 ? 1 : 0, r1 = w < lastLen ? rows : rows - 1;
        for (int r = r0, i = o + r0 * wo + w; r < r1; r++, i += wo) col[i] = 0f;
    }

    /** Zeroes {@code col[row + w]} for w in {@code [from, to)} outside {@code [first, end)}. */
    private static void zeroOutside(float[] col, int row, int from, int to, int first, int end) {
        for (int w = from, e = Math.min(to, first); w < e; w++) col[row + w] = 0f;
        for (int w = Math.max(from, end); w < to; w++) col[row + w] = 0f;
    }

    /** {@code dst[d + i] = src[s + 2 * i]} for {@code i < n}: two vector loads, one two-vector shuffle. */
    static void gatherEven(float[] src, int s, float[] dst, int d, int n) {
        int vl = SPECIES.length(), i = 0;
        for (int bound = Math.min(SPECIES.loopBound(n), (src.length - s) / 2 - vl + 1); i < bound; i += vl) {
            FloatVector lo = FloatVector.fromArray(SPECIES, src, s + 2 * i);
            FloatVector hi = FloatVector.fromArray(SPECIES, src, s + 2 * i + vl);
            lo.rearrange(EVEN, hi).intoArray(dst, d + i);
        }
        for (; i < n; i++) dst[d + i] = src[s + 2 * i];
    }

    /** {@code dst[d + i] += src[s + i]} for {@code i < n}. */
    private static void addInto(float[] dst, int d, float[] src, int s, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, dst, d + i).add(FloatVector.fromArray(SPECIES, src, s + i))
                    .intoArray(dst, d + i);
        }
        for (; i < n; i++) dst[d + i] += src[s + i];
    }
}
