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
 * Bounded scratch. A whole col is K*P floats (Cin*kVol*P over all groups; 576 x 25088 floats
 * = 58 MB for a 1x3x3 64-channel layer at 8x56x56), so the output positions are cut into tiles
 * of pt positions such that the column buffer of a tile, Cin*kVol*pt floats (all groups of one
 * tile), stays within COL_BUDGET = 2^20 floats = 4 MB: pt = COL_BUDGET / (Cin*kVol), at least
 * MIN_TILE = 64 positions (so the buffer is at most max(4 MB, 256 * Cin*kVol bytes); above
 * Cin*kVol = 16384, a kernel no network here has, the 64-position floor wins). When a whole item
 * fits, several items share one tile and one batched GEMM. Each tile is one Sgemm call (batched
 * over groups, or over the items of the tile), which writes columns [p0, p0 + pt) of y in place
 * (ldc = P), so only the column buffer is extra memory. The buffer is a per-thread float[], grown
 * once and reused by every tile and call: nothing is allocated per tile.
 *
 * 1x1x1 kernels with stride 1 and no padding skip im2col altogether: x[n, g] (Cin/G x T*H*W,
 * row-major) already is col, so every pass is one GEMM batched over the N items, with no scratch.
 * (With a stride, the im2col of a 1x1x1 kernel is a cheap strided gather of K = Cin/G rows.)
 *
 * Cost: 2 * N * Cout * To*Ho*Wo * Cin/G * kT*kH*kW flops for each of the three passes, against
 * im2col/col2im traffic of N * Cin*kVol * P floats (written then read by the GEMM's packing),
 * which is small next to the GEMM whenever M = Cout/G is large; depthwise convolutions
 * (M = 1) are memory-bound and get little from the GEMM.
 *
 * Threads: Sgemm parallelises each product internally; im2col splits a tile's rows over the
 * threads and col2im its input channels (one channel's taps overlap, so they stay in one task).
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

    /** Most floats in a tile's column buffer (4 MB), unless MIN_TILE positions need more. */
    static final int COL_BUDGET = Integer.getInteger("conv.budget", 1 << 18);
    /** Fewest output positions per tile (the GEMM's N), however many rows the column has. */
    static final int MIN_TILE = Integer.getInteger("conv.minTile", 256);

    /** Tiles per thread wanted, so that threads finishing early can take more. */
    static final int TILES_PER_THREAD = 2;

    /** The column buffer of each thread: grown as needed, reused by every tile and call. */
    private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();
    /** The partial weight gradients of the calling thread (backward-filter), reused likewise. */
    private static final ThreadLocal<float[]> PARTIALS = new ThreadLocal<>();

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
        } else if (l.pointwise()) {
            for (int grp = 0; grp < groups; grp++) {
                Sgemm.sgemmBatched(n, false, false, m, p, k, 1f, ws, wo + grp * m * k, k, 0,
                        xs, xo + grp * k * p, p, l.xItem(), beta, ys, yo + grp * m * p, p, (long) cout * p);
            }
        } else {
            float b = beta;
            l.forTiles((from, to) -> {
                float[] col = scratch(l.tileFloats());
                for (int t = from; t < to; t++) {
                    int item = l.tileItem(t), p0 = l.tileStart(t), len = l.tileLength(t);
                    Im2col.im2col(xs, xo + item * l.xItem(), l.dims, 1, p0, len, col);
                    // y[item, :, p0 .. p0 + len) = w * col, one product per group
                    Sgemm.sgemmBatched(groups, false, false, m, len, k, 1f, ws, wo, k, (long) m * k,
                            col, 0, len, (long) k * len, b, ys, yo + item * cout * p + p0, p, (long) m * p);
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
        } else if (l.pointwise()) {
            for (int grp = 0; grp < groups; grp++) {
                Sgemm.sgemmBatched(n, true, false, k, p, m, 1f, ws, wo + grp * m * k, k, 0,
                        dys, dyo + grp * m * p, p, (long) cout * p,
                        0f, dxs, dxo + grp * k * p, p, l.xItem());
            }
        } else {
            // Tiles of one item overlap on dx (neighbouring positions share input elements), so
            // they run one after the other, each parallel inside; items are independent.
            Parallel.RangeBody items = (from, to) -> {
                float[] col = scratch(l.tileFloats());
                for (int item = from; item < to; item++) {
                    for (int t = item * l.tilesPerItem; t < (item + 1) * l.tilesPerItem; t++) {
                        int p0 = l.tileStart(t), len = l.tileLength(t);
                        // dcol = w^T * dy[item, :, p0 .. p0 + len), one product per group
                        Sgemm.sgemmBatched(groups, true, false, k, len, m, 1f, ws, wo, k, (long) m * k,
                                dys, dyo + item * cout * p + p0, p, (long) m * p,
                                0f, col, 0, len, (long) k * len);
                        Im2col.col2im(col, l.dims, 1, p0, len, dxs, dxo + item * l.xItem());
                    }
                }
            };
            int threads = Parallel.threads(), spread = threads > 1 ? n - n % threads : 0;
            if (spread > 0) Parallel.forRange(spread, 1, items);
            items.run(spread, n);
        }
        if (dst != gradX) CpuElementwise.copy(dst, gradX);
    }
    static final boolean PAR_ITEMS = Boolean.getBoolean("conv.parItems"), SEQ = Boolean.getBoolean("conv.seq"), PARTS1 = Boolean.getBoolean("conv.parts1");

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
        // operand col is then the GEMM's A, read along its rows) into its own partial buffer; the
        // partials are summed and transposed into dw at the end. With a single part the tiles
        // run in turn and each product is parallel inside.
        int size = cout * k;
        int parts = !PARTS1 && Parallel.threads() > 1 && l.tiles() >= Parallel.threads() ? Parallel.threads() : 1;
        float[] partials = partials(parts * size);
        Parallel.RangeBody body = (from, to) -> {
            for (int part = from; part < to; part++) {
                int accOff = part * size;
                float[] col = l.pointwise() ? null : scratch(l.tileFloats());
                float beta = 0f; // the part's first product overwrites, later ones add
                int first = (int) ((long) l.tiles() * part / parts), last = (int) ((long) l.tiles() * (part + 1) / parts);
                for (int t = first; t < last; t++) {
                    int item = l.tileItem(t), p0 = l.tileStart(t), len = l.tileLength(t);
                    int dyTile = dyo + item * cout * p + p0;
                    if (col == null) { // 1x1x1: x[item, g, p0 .. p0 + len) is the column itself
                        Sgemm.sgemmBatched(groups, false, true, k, m, len, 1f,
                                xs, xo + item * l.xItem() + p0, p, (long) k * p, dys, dyTile, p, (long) m * p,
                                beta, partials, accOff, m, (long) k * m);
                    } else {
                        Im2col.im2col(xs, xo + item * l.xItem(), l.dims, 1, p0, len, col);
                        Sgemm.sgemmBatched(groups, false, true, k, m, len, 1f,
                                col, 0, len, (long) k * len, dys, dyTile, p, (long) m * p,
                                beta, partials, accOff, m, (long) k * m);
                    }
                    beta = 1f;
                }
            }
        };
        if (parts > 1) Parallel.forRange(parts, 1, body);
        else body.run(0, 1);
        // dw[g, r, c] = sum over parts of partial[part][g, c, r]  (r < M, c < K)
        Parallel.forRange(cout, Math.max(1, StridedLoop.GRAIN / Math.max(1, k * parts)), (from, to) -> {
            for (int row = from; row < to; row++) {
                int grp = row / m, r = row - grp * m, src = grp * k * m + r, out = dwo + row * k;
                for (int c = 0; c < k; c++) {
                    float sum = partials[src + c * m];
                    for (int part = 1; part < parts; part++) sum += partials[part * size + src + c * m];
                    dws[out + c] = sum;
                }
            }
        });
        if (dst != gradWeight) CpuElementwise.copy(dst, gradWeight);
    }

    /**
     * One convolution's sizes and its tiling: each item's P output positions are cut into
     * {@code tilesPerItem} tiles of {@code tilePositions} (the last one shorter), numbered item
     * by item. {@code xShape} (N, Cin, T, H, W), {@code wShape} (Cout, Cin/G, kT, kH, kW).
     */
    private static final class Layer {
        final int n, cin, cout, groups, m, k, p;
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
            if (!SEQ && Parallel.threads() > 1 && tiles() >= Parallel.threads()) Parallel.forRange(tiles(), 1, body);
            else body.run(0, tiles());
        }

        /** A 1x1x1 kernel with stride 1 and no padding: x itself is the column matrix. */
        boolean pointwise() {
            return dims.kVol() == 1 && dims.strideT() == 1 && dims.strideH() == 1 && dims.strideW() == 1
                    && dims.padT() == 0 && dims.padH() == 0 && dims.padW() == 0;
        }

        int xItem() {
            return cin * dims.inVol();
        }

        /** The column buffer size of one tile. */
        int tileFloats() {
            return Math.multiplyExact(dims.rows(), tilePositions);
        }
    }

    /** The per-part partial weight gradients of the calling thread: grown as needed, reused. */
    private static float[] partials(int size) {
        float[] s = PARTIALS.get();
        if (s == null || s.length < size) {
            s = new float[size];
            PARTIALS.set(s);
        }
        return s;
    }

    /** A float[] of at least {@code size} floats, private to the calling thread. */
    private static float[] scratch(int size) {
        float[] s = SCRATCH.get();
        if (s == null || s.length < size) {
            s = new float[size];
            SCRATCH.set(s);
        }
        return s;
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
