/*
 * 3-d convolution on the CPU (2-d is the T = 1 case): forward, backward-data, backward-filter,
 * any kernel, stride, zero padding, dilation and groups, as PyTorch's conv3d.
 *
 * Shapes: x (N, Cin, T, H, W), w (Cout, Cin/G, kT, kH, kW), y (N, Cout, To, Ho, Wo). Per item n
 * and group g, with P = To*Ho*Wo output positions, M = Cout/G and K = Cin/G * kT*kH*kW:
 *
 *   y[n, g]  (M x P)  =  w[g] (M x K)  *  col (K x P)        col = im2col(x[n, g])
 *
 * where row (c, kt, kh, kw) of col holds, for every output position (to, ho, wo), the input
 * element that tap meets: x[c, to*sT - pT + kt*dT, ho*sH - pH + kh*dH, wo*sW - pW + kw*dW], or 0
 * in the padding. The convolution becomes one matrix product, run by the blocked Sgemm.
 * The backwards are the same product transposed:
 *
 *   backward-data    dcol (K x P) = w[g]^T * dy[n, g]     then dx[n, g] += col2im(dcol)
 *   backward-filter  dw[g] (M x K) += dy[n, g] * col^T    summed over items and tiles (beta = 1)
 *
 * col2im is the transpose of im2col: it adds every column element back onto the input element it
 * was copied from (taps overlap when the kernel is wider than the stride, hence "add").
 *
 * Bounded scratch. A whole col is K*P floats (576 x 25088 floats = 58 MB per item for a 1x3x3
 * 64-channel layer at 8x56x56), so each item's output positions are cut into tiles of pt
 * positions, and a thread only ever holds the column of one tile: Cin*kVol*pt floats (all groups),
 * with pt = COL_BUDGET / (Cin*kVol) for COL_BUDGET = 2^18 floats (1 MB: the tile stays in L2
 * between its im2col and the GEMM that reads it), but at least MIN_TILE = 256 positions so that
 * the GEMM keeps a useful width (and packs the weights once per 256+ columns). The column buffer
 * is therefore at most max(1 MB, 1 KB * Cin*kVol) per thread: 1 MB up to Cin*kVol = 1024, and
 * 4.7 MB for the largest Slow-R50 layer (res5 conv_b, 512 x 1x3x3). It is a per-thread float[],
 * grown once and reused by every tile and call: nothing is allocated per tile. Each tile's GEMM
 * writes columns [p0, p0 + pt) of y in place (ldc = P), so no output staging is needed.
 *
 * Threads. A tile is a whole unit of work: its im2col and its product (one Sgemm call, batched
 * over groups) run on one thread, in that thread's cache, with Sgemm running inline there.
 *   forward          the tiles of all items are spread over the threads.
 *   backward-data    the tiles of one item overlap on dx, so they run in turn; whole items are
 *                    spread over the threads (the last N mod threads items run one at a time,
 *                    each GEMM and col2im parallel inside).
 *   backward-filter  the sum over (item, tile) is cut into one run of tiles per thread; each
 *                    run accumulates dw^T (K x M) = col * dy^T (col as the GEMM's packed A) into
 *                    its own partial buffer, and the partials are summed and
 *                    transposed into dw at the end: threads * Cout*K floats more, held by the
 *                    calling thread for reuse (19 MB for res5 conv_b on 2 threads).
 * When there are fewer tiles than threads (tiny layers) the tiles run in turn on the caller and
 * each Sgemm / im2col / col2im is parallel inside.
 *
 * Time-only kernels (kT x 1 x 1: the 1x1x1 projections and Slow-R50's 3x1x1 conv_a) with unit
 * strides and no spatial padding skip im2col altogether. The rows of col for tap kt are x itself
 * shifted by s = kt*dT - pT frames: output frame to reads input frame to + s, for the frames
 * [first, end) where that lies inside the input, and zeros elsewhere. Since a frame is a
 * contiguous run of H*W positions, the tap's part of the product is one GEMM on contiguous slices:
 *
 *   forward          y[n, g][:, first..end)  +=  w[g, :, :, kt] * x[n, g][:, first+s..end+s)
 *   backward-data    dx[n, g][:, first+s..end+s)  +=  w[g, :, :, kt]^T * dy[n, g][:, first..end)
 *   backward-filter  the tile loop below with x's shifted slice in place of the tap's col rows
 *
 * (frames standing for their H*W positions; each tap's weights, every kT-th float of w's rows,
 * are packed once per call as the GEMM's A operand). Forward and backward-data are kT GEMMs batched over the N items
 * (parallel inside); the tap that covers every output frame, if any, runs first and overwrites,
 * the others accumulate. With a spatial stride, the im2col of a 1x1x1 kernel is a cheap strided
 * gather of K = Cin/G rows.
 *
 * Cost: 2 * N * Cout * To*Ho*Wo * Cin/G * kT*kH*kW flops for each of the three passes, against
 * im2col/col2im traffic of N * Cin*kVol * P floats, small next to the GEMM whenever M = Cout/G
 * is large; depthwise convolutions (M = 1) are memory-bound and get little from the GEMM. The
 * forward's im2col writes its tile straight in the GEMM's packed B layout (panels of NR columns,
 * Sgemm.Operand.packed), so the product does not pack it a second time, and the weights are
 * packed once per call (Sgemm.packA; forward and backward-data), not once per tile; backward-filter
 * reads col as the GEMM's A, and gathers it from x straight into the packed A layout
 * (TapPanels: one vector gather per panel of MR taps and position). im2col copies whole runs of rows at once
 * when consecutive output rows read consecutive input rows (unit strides, "same" width).
 * Inputs that are strided views are copied to contiguous first; outputs are written in place.
 */
package org.iboot4j.engine.cpu;

import java.util.Arrays;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.ConvGeometry;

/**
 * conv3d forward, backward-data and backward-filter for the CPU backend: packed im2col over
 * bounded tiles of output positions, each tile one {@link Sgemm} call (the file comment above
 * has the algorithm).
 */
final class CpuConv3d {
    private CpuConv3d() {}

    /** Most floats in a tile's column buffer (1 MB), unless MIN_TILE positions need more. */
    static final int COL_BUDGET = 1 << 18;
    /** Fewest output positions per tile (the GEMM's N), however many rows the column has. */
    static final int MIN_TILE = 256;

    /** Tiles per thread wanted, so that threads finishing early can take more. */
    static final int TILES_PER_THREAD = 2;
    /** Rows of dw transposed at a time from the partial dw^T buffers (backward-filter). */
    private static final int ROW_BLOCK = 16;

    /** The column buffer of each thread: grown as needed, reused by every tile and call. */
    private static final ThreadScratch SCRATCH = new ThreadScratch();
    /** The packed weights of the calling thread (forward, backward-data), reused likewise. */
    private static final ThreadScratch PACKED_WEIGHTS = new ThreadScratch();
    /** The partial weight gradients of the calling thread (backward-filter), reused likewise. */
    private static final ThreadScratch PARTIALS = new ThreadScratch();

    /** out = conv3d(x, weight) + bias; out is overwritten. */
    static void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor out) {
        Tensor xc = contiguous(x), wc = contiguous(weight);
        Tensor dst = out.isContiguous() ? out : Tensor.empty(out.backend(), DType.F32, out.shape());
        Layer l = new Layer(xc.shape(), wc.shape(), g);
        float[] xs = data(xc), ws = data(wc), ys = data(dst);
        int xo = xc.offset(), wo = wc.offset(), yo = dst.offset();
        int n = l.n, cout = l.cout, p = l.p, groups = l.groups, m = l.m, k = l.k;

        float beta = 0f;
        if (bias != null) {
            Tensor bc = contiguous(bias);
            float[] bs = data(bc);
            int bo = bc.offset();
            Parallel.forRange(n * cout, Math.max(1, StridedLoop.GRAIN / p), (from, to) -> {
                for (int r = from; r < to; r++) {
                    Arrays.fill(ys, yo + r * p, yo + (r + 1) * p, bs[bo + r % cout]);
                }
            });
            beta = 1f;
        }
        if (n == 0 || cout == 0) {
            // nothing to compute
        } else if (k == 0) {
            if (bias == null) Arrays.fill(ys, yo, yo + n * cout * p, 0f);
        } else if (l.shiftOnly()) {
            int cg = l.cg, inVol = l.dims.inVol();
            if (l.coveringTap() < 0 && beta == 0f) {
                Arrays.fill(ys, yo, yo + n * cout * p, 0f); // no tap writes every output frame
                beta = 1f;
            }
            float[] packedW = l.packWeights(ws, wo, false);
            l.forEachTap(beta, (kt, outPos, inPos, len, tapBeta) -> {
                for (int grp = 0; grp < groups; grp++) {
                    // y[:, g][:, outPos ..) (+)= w_kt[g] * x[:, g][:, inPos ..), len columns, all items
                    Sgemm.multiply(n, m, len, cg, 1f, Sgemm.Operand.packed(packedW, l.packedWeightsAt(kt, grp, false), 0),
                            Sgemm.Operand.matrix(xs, xo + grp * cg * inVol + inPos, inVol, l.xItem(), false),
                            tapBeta, ys, yo + grp * m * p + outPos, p, (long) cout * p);
                }
            });
        } else {
            float tileBeta = beta;
            Sgemm.Operand packedW = Sgemm.Operand.packed(l.packWeights(ws, wo, false), 0, l.packedWeightSize(false));
            l.forTiles((from, to) -> {
                float[] col = SCRATCH.get(l.tileFloats());
                for (int t = from; t < to; t++) {
                    int item = l.tileItem(t), p0 = l.tileStart(t), len = l.tileLength(t);
                    Im2col.im2colPacked(xs, xo + item * l.xItem(), l.dims, p0, len, groups, col);
                    // y[item, :, p0 .. p0 + len) = w * col, one product per group
                    Sgemm.multiply(groups, m, len, k, 1f, packedW, Sgemm.Operand.packed(col, 0, Sgemm.packedBSize(k, len)),
                            tileBeta, ys, yo + item * cout * p + p0, p, (long) m * p);
                }
            });
        }
        if (dst != out) CpuElementwise.copy(dst, out);
    }

    /** gradX += dL/dx of conv3d given gradOut = dL/dy; gradX arrives zero-filled. */
    static void backwardData(Tensor gradOut, Tensor weight, ConvGeometry g, Tensor gradX) {
        Tensor dyc = contiguous(gradOut), wc = contiguous(weight);
        Tensor dst = gradX.isContiguous() ? gradX : Tensor.empty(gradX.backend(), DType.F32, gradX.shape());
        Layer l = new Layer(gradX.shape(), wc.shape(), g);
        float[] dys = data(dyc), ws = data(wc), dxs = data(dst);
        int dyo = dyc.offset(), wo = wc.offset(), dxo = dst.offset();
        int n = l.n, cout = l.cout, p = l.p, groups = l.groups, m = l.m, k = l.k;

        if (n == 0 || cout == 0 || k == 0) {
            // dx is empty, or receives nothing (no output channels)
        } else if (l.shiftOnly()) {
            int cg = l.cg, inVol = l.dims.inVol();
            // dx arrives zero-filled, so a covering tap may overwrite and the others add
            float[] packedWt = l.packWeights(ws, wo, true);
            l.forEachTap(0f, (kt, outPos, inPos, len, tapBeta) -> {
                for (int grp = 0; grp < groups; grp++) {
                    // dx[:, g][:, inPos ..) (+)= w_kt[g]^T * dy[:, g][:, outPos ..), len columns, all items
                    Sgemm.multiply(n, cg, len, m, 1f, Sgemm.Operand.packed(packedWt, l.packedWeightsAt(kt, grp, true), 0),
                            Sgemm.Operand.matrix(dys, dyo + grp * m * p + outPos, p, (long) cout * p, false),
                            tapBeta, dxs, dxo + grp * cg * inVol + inPos, inVol, l.xItem());
                }
            });
        } else {
            // The tiles of one item overlap on dx (neighbouring positions share input elements),
            // so they run one after the other; whole items are spread over the threads, and the
            // last N mod threads items run one at a time, each GEMM and col2im parallel inside.
            Sgemm.Operand packedWt = Sgemm.Operand.packed(l.packWeights(ws, wo, true), 0, l.packedWeightSize(true));
            Parallel.RangeBody items = (from, to) -> {
                float[] col = SCRATCH.get(l.tileFloats());
                for (int item = from; item < to; item++) {
                    for (int t = item * l.tilesPerItem; t < (item + 1) * l.tilesPerItem; t++) {
                        int p0 = l.tileStart(t), len = l.tileLength(t);
                        // dcol = w^T * dy[item, :, p0 .. p0 + len), one product per group
                        Sgemm.multiply(groups, k, len, m, 1f, packedWt,
                                Sgemm.Operand.matrix(dys, dyo + item * cout * p + p0, p, (long) m * p, false),
                                0f, col, 0, len, (long) k * len);
                        Im2col.col2im(col, l.dims, p0, len, dxs, dxo + item * l.xItem());
                    }
                }
            };
            int threads = Parallel.threads(), spread = threads > 1 ? n - n % threads : 0;
            if (spread > 0) Parallel.forRange(spread, 1, items);
            items.run(spread, n);
        }
        if (dst != gradX) CpuElementwise.copy(dst, gradX);
    }

    /** gradWeight = dL/dweight of conv3d given gradOut = dL/dy; gradWeight arrives zero-filled. */
    static void backwardFilter(Tensor gradOut, Tensor x, ConvGeometry g, Tensor gradWeight) {
        Tensor dyc = contiguous(gradOut), xc = contiguous(x);
        Tensor dst = gradWeight.isContiguous() ? gradWeight
                : Tensor.empty(gradWeight.backend(), DType.F32, gradWeight.shape());
        Layer l = new Layer(xc.shape(), gradWeight.shape(), g);
        float[] dys = data(dyc), xs = data(xc), dws = data(dst);
        int dyo = dyc.offset(), xo = xc.offset(), dwo = dst.offset();
        int n = l.n, cout = l.cout, p = l.p, groups = l.groups, m = l.m, k = l.k;
        if (n == 0 || cout == 0 || k == 0) return; // dw is empty, or stays as it arrived (zero)

        // The reduction over (item, position) is split into `parts` contiguous runs of tiles, one
        // per thread, each accumulating dw^T (K x M per group: the product col * dy^T, whose big
        // operand col is the GEMM's A, gathered already packed) into its own partial buffer; the
        // partials are summed and transposed into dw at the end. With a single part the tiles
        // run in turn and each product is parallel inside.
        int size = cout * k;
        int parts = Parallel.threads() > 1 && l.tiles() >= Parallel.threads() ? Parallel.threads() : 1;
        float[] partials = PARTIALS.get(parts * size);
        Parallel.RangeBody body = (from, to) -> {
            for (int part = from; part < to; part++) {
                int accOff = part * size;
                float[] col = l.shiftOnly() ? null : SCRATCH.get(l.packedATileFloats());
                // The part's first product overwrites, later ones add; the taps of a time-only
                // kernel each fill their own rows, over frames that may miss the first tile.
                float beta = 0f;
                if (col == null) {
                    Arrays.fill(partials, accOff, accOff + size, 0f);
                    beta = 1f;
                }
                int first = (int) ((long) l.tiles() * part / parts), last = (int) ((long) l.tiles() * (part + 1) / parts);
                for (int t = first; t < last; t++) {
                    int item = l.tileItem(t), p0 = l.tileStart(t), len = l.tileLength(t);
                    int dyTile = dyo + item * cout * p + p0;
                    if (col == null) { // time-only kernel: x shifted by each tap is its col rows
                        for (int kt = 0; kt < l.dims.kt(); kt++) {
                            int q0 = Math.max(p0, l.tapFirst(kt) * l.frame());
                            int q1 = Math.min(p0 + len, l.tapEnd(kt) * l.frame());
                            if (q0 >= q1) continue;
                            // rows (c, kt) of dw^T, i.e. every kT-th row from kt: ldc = kT * M
                            Sgemm.sgemmBatched(groups, false, true, l.cg, m, q1 - q0, 1f,
                                    xs, xo + item * l.xItem() + q0 + l.tapShift(kt) * l.frame(), l.dims.inVol(),
                                    (long) l.cg * l.dims.inVol(), dys, dyTile + q0 - p0, p, (long) m * p,
                                    beta, partials, accOff + kt * m, l.dims.kt() * m, (long) k * m);
                        }
                    } else {
                        TapPanels.gather(xs, xo + item * l.xItem(), l.dims, p0, len, groups, col);
                        // dw^T[g] (K x M) += col[g] (K x len, packed) * dy[item, g]^T, one product per group
                        Sgemm.multiply(groups, k, m, len, 1f, Sgemm.Operand.packed(col, 0, Sgemm.packedASize(k, len)),
                                Sgemm.Operand.matrix(dys, dyTile, p, (long) m * p, true),
                                beta, partials, accOff, m, (long) k * m);
                    }
                    beta = 1f;
                }
            }
        };
        if (parts > 1) Parallel.forRange(parts, 1, body);
        else body.run(0, 1);
        // dw[g, r, c] = sum over parts of partial[part][g, c, r]  (r < M, c < K), a block of
        // ROW_BLOCK rows of dw at a time so that the partials are read in runs, not with stride M
        int blocksPerGroup = Math.ceilDiv(m, ROW_BLOCK);
        Parallel.forRange(groups * blocksPerGroup, Math.max(1, StridedLoop.GRAIN / (ROW_BLOCK * k * parts)), (from, to) -> {
            for (int block = from; block < to; block++) {
                int grp = block / blocksPerGroup, r0 = block % blocksPerGroup * ROW_BLOCK;
                int rows = Math.min(ROW_BLOCK, m - r0), out = dwo + (grp * m + r0) * k;
                for (int c = 0; c < k; c++) {
                    int src = (grp * k + c) * m + r0;
                    for (int r = 0; r < rows; r++) {
                        float sum = partials[src + r];
                        for (int part = 1; part < parts; part++) sum += partials[part * size + src + r];
                        dws[out + r * k + c] = sum;
                    }
                }
            }
        });
        if (dst != gradWeight) CpuElementwise.copy(dst, gradWeight);
    }

    /** The product of one tap of a time-only kernel ({@link Layer#forEachTap}). */
    @FunctionalInterface
    private interface TapProduct {
        /**
         * @param kt     the tap (its packed weights: {@link Layer#packedWeightsAt})
         * @param outPos the first output position the tap writes, {@code len} of them per channel
         * @param inPos  the input position it reads there
         * @param beta   0 for the first product into a zero or unwritten output, else 1
         */
        void run(int kt, int outPos, int inPos, int len, float beta);
    }

    /**
     * One convolution's sizes and its tiling: each item's P output positions are cut into
     * {@code tilesPerItem} tiles of {@code tilePositions} (the last one shorter), numbered item
     * by item. {@code xShape} (N, Cin, T, H, W), {@code wShape} (Cout, Cin/G, kT, kH, kW).
     */
    private static final class Layer {
        final int n, cin, cout, groups, m, k, p;
        /** Input channels per group, Cin / G. */
        final int cg;
        final Im2col.Dims dims;
        final int tilesPerItem, tilePositions;

        Layer(int[] xShape, int[] wShape, ConvGeometry g) {
            int[] s = g.stride(), pad = g.padding(), dil = g.dilation();
            int[] yShape = g.outputShape(xShape, wShape);
            n = xShape[0];
            cin = xShape[1];
            cout = wShape[0];
            groups = g.groups();
            m = cout / groups;
            cg = wShape[1];
            dims = new Im2col.Dims(cin, xShape[2], xShape[3], xShape[4], wShape[2], wShape[3], wShape[4],
                    yShape[2], yShape[3], yShape[4], s[0], s[1], s[2], pad[0], pad[1], pad[2],
                    dil[0], dil[1], dil[2]);
            k = wShape[1] * dims.kVol();
            p = dims.outVol();
            int rows = Math.max(1, dims.rows());
            int maxTile = Math.max(MIN_TILE, COL_BUDGET / rows);
            // Enough tiles for every thread to get TILES_PER_THREAD, as far as MIN_TILE allows.
            int wanted = Math.ceilDiv(TILES_PER_THREAD * Parallel.threads(), Math.max(1, n));
            int perItem = Math.max(Math.ceilDiv(p, maxTile), Math.min(wanted, p / MIN_TILE));
            tilesPerItem = Math.max(1, perItem);
            tilePositions = Math.ceilDiv(p, tilesPerItem);
        }

        int tiles() {
            return n * tilesPerItem;
        }

        int tileItem(int t) {
            return t / tilesPerItem;
        }

        int tileStart(int t) {
            return t % tilesPerItem * tilePositions;
        }

        int tileLength(int t) {
            return Math.min(tilePositions, p - tileStart(t));
        }

        /**
         * Runs {@code body} over all tiles: spread over the threads when there are enough tiles
         * (each tile then runs on one thread, its im2col and product inline), else in turn on the
         * calling thread (each im2col and product then parallel inside).
         */
        void forTiles(Parallel.RangeBody body) {
            if (Parallel.threads() > 1 && tiles() >= Parallel.threads()) Parallel.forRange(tiles(), 1, body);
            else body.run(0, tiles());
        }

        /**
         * A time-only kernel (kT x 1 x 1) with unit strides and no spatial padding: the column rows
         * of each tap are x shifted in time, so no im2col is needed.
         */
        boolean shiftOnly() {
            return dims.kh() == 1 && dims.kw() == 1 && dims.strideT() == 1 && dims.strideH() == 1
                    && dims.strideW() == 1 && dims.padH() == 0 && dims.padW() == 0;
        }

        /** Positions per frame, H*W (= Ho*Wo for a time-only kernel). */
        int frame() {
            return dims.ho() * dims.wo();
        }

        /** Tap kt of a time-only kernel reads input frame {@code to + tapShift(kt)} for output frame to. */
        int tapShift(int kt) {
            return kt * dims.dilT() - dims.padT();
        }

        /** The first output frame whose input frame for tap kt lies inside the input. */
        int tapFirst(int kt) {
            return Math.clamp(-tapShift(kt), 0, dims.to());
        }

        /** Past the last output frame whose input frame for tap kt lies inside the input. */
        int tapEnd(int kt) {
            return Math.clamp(dims.t() - tapShift(kt), tapFirst(kt), dims.to());
        }

        /**
         * Runs the product of each tap of a time-only kernel that meets the input: the tap that
         * covers every output frame (if any) first, with {@code firstBeta}, then the others with
         * beta 1. With no covering tap every product adds, so the output must already hold its
         * starting value.
         */
        void forEachTap(float firstBeta, TapProduct product) {
            int lead = coveringTap();
            for (int i = -1; i < dims.kt(); i++) {
                int kt = i < 0 ? lead : i;
                if (kt < 0 || (i >= 0 && kt == lead)) continue;
                int outPos = tapFirst(kt) * frame(), len = tapEnd(kt) * frame() - outPos;
                if (len == 0) continue;
                product.run(kt, outPos, outPos + tapShift(kt) * frame(), len, kt == lead ? firstBeta : 1f);
            }
        }

        /** A tap that meets the input for every output frame, or -1. */
        int coveringTap() {
            for (int kt = 0; kt < dims.kt(); kt++) {
                if (tapFirst(kt) == 0 && tapEnd(kt) == dims.to()) return kt;
            }
            return -1;
        }

        /**
         * The weights packed once per call as the products' A operand, in the calling thread's
         * buffer, one block per (tap, group) ({@link #packedWeightsAt}): w[g] (M x K), or its
         * transpose (K x M) for backward-data; for a time-only kernel, one block per tap kt:
         * w[g, :, :, kt] (M x Cin/G, every kT-th float of w's rows) or its transpose.
         */
        float[] packWeights(float[] ws, int wo, boolean transpose) {
            int taps = packedTaps(), inner = k / taps, size = packedWeightSize(transpose);
            float[] packed = PACKED_WEIGHTS.get(taps * groups * size);
            for (int tap = 0; tap < taps; tap++) {
                for (int grp = 0; grp < groups; grp++) {
                    int at = wo + grp * m * k + tap, dst = packedWeightsAt(tap, grp, transpose); // (o, c) at at + o*k + c*taps
                    if (transpose) Sgemm.packA(inner, m, ws, at, taps, k, packed, dst);
                    else Sgemm.packA(m, inner, ws, at, k, taps, packed, dst);
                }
            }
            return packed;
        }

        /** Where {@link #packWeights}'s block for tap {@code kt} and group {@code grp} starts. */
        int packedWeightsAt(int kt, int grp, boolean transpose) {
            return (kt * groups + grp) * packedWeightSize(transpose);
        }

        /** Floats of one {@link #packWeights} block: an M x K/taps matrix, or its transpose. */
        int packedWeightSize(boolean transpose) {
            int inner = k / packedTaps();
            return Sgemm.packedASize(transpose ? inner : m, transpose ? m : inner);
        }

        /** Weight blocks per group: the kT taps of a time-only kernel, else 1 (all of K). */
        private int packedTaps() {
            return shiftOnly() ? dims.kt() : 1;
        }

        int xItem() {
            return cin * dims.inVol();
        }

        /** The column buffer size of one tile as the forward's packed B (its width rounded up to panels). */
        int tileFloats() {
            return Math.multiplyExact(groups, Sgemm.packedBSize(dims.rows() / groups, tilePositions));
        }

        /** The column buffer size of one tile as backward-filter's packed A (its height rounded up to panels). */
        int packedATileFloats() {
            return Math.multiplyExact(groups, Sgemm.packedASize(dims.rows() / groups, tilePositions));
        }
    }


    /** t itself when its elements are contiguous (from its offset), else a contiguous copy. */
    private static Tensor contiguous(Tensor t) {
        if (t.isContiguous()) return t;
        Tensor copy = Tensor.empty(t.backend(), DType.F32, t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }

    private static float[] data(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }
}
