/*
 * Single-precision GEMM, C = alpha * op(A) * op(B) + beta * C, row-major, on the CPU.
 *
 * Cost: 2*m*n*k flops, against m*k + k*n + m*n floats of data, so a large product is bound by
 * arithmetic, provided that every float brought into a register is used many times. The algorithm
 * is the Goto/BLIS one, which arranges exactly that:
 *
 *   for each NC-column block of C (of each batch item), in runs of MC-row blocks, one run per task
 *     for pc over K in blocks of KC
 *       pack the KC x NC block of op(B) into NR-wide micro-panels        -> SgemmPacking
 *       for ic over the run's rows in blocks of MC
 *         pack the MC x KC block of op(A) into MR-tall micro-panels      -> SgemmPacking
 *         for jr over the block's columns, step NR                       (the macro-kernel)
 *           for ir over the block's rows, step MR
 *             MR x NR tile of C += A micro-panel * B micro-panel          -> SgemmMicroKernel
 *
 * The micro-kernel keeps its MR x NR tile of C in registers (MR = 12 rows, NR = 2 vectors: 12 x 32
 * floats with AVX-512) and reads the two packed micro-panels strictly sequentially. The block sizes
 * come from the cache each operand must stay in:
 *   - KC = 256: one B micro-panel, KC x NR floats (32 KB with AVX-512, 16 KB with AVX2), is reused
 *     by every ir step, so it must stay in the 48 KB L1d next to the streaming A micro-panel
 *     (MR x KC = 12 KB). KC is also the length of the kernel's loop, long enough to amortise
 *     loading and storing the C tile (KC = 384 and 512 measured no faster).
 *   - MC = 192 (16 x MR): the packed A block, MC x KC = 192 KB, is re-read once per jr step, so it
 *     must stay in the 2 MB L2; it is kept well under half of L2 so that the B block just packed
 *     (written once, read once) does not evict it.
 *   - NC = 16 x NR (512 with AVX-512): the packed B block, KC x NC = 512 KB. Larger NC amortises
 *     packing A (each A block is packed once per NC columns), but the macro-kernel also updates
 *     an MC x NC block of C, which should still be in L2 when the next KC step comes back to it:
 *     B block + A block + C block = 512 + 192 + 384 KB fit the 2 MB L2, where NC = 1024 (1 MB +
 *     192 KB + 768 KB) did not, and measured 10-20% slower on 2048^3.
 * Packing copies each operand into the order the kernel reads it, resolving the transpose flags
 * and zero-padding ragged edges, so the kernel sees neither. A is packed once per NC columns and
 * B once per run of rows: each packed float of A serves 2*NC flops, each one of B 2*run flops.
 *
 * Threads: the (batch item, MC-block, NC-block) tiles of C are numbered MC-block fastest and handed
 * out in contiguous ranges by Parallel.forRange; the tiles of one range that share an NC-column
 * form a run and share its packed B blocks. Every tile loops over all of K itself, so tasks write
 * disjoint parts of C and need no synchronisation. Tiles are shrunk (N first, then M) until there
 * are about four per thread, so that one large product and a batch of small ones (attention
 * heads) both keep every core busy, and block boundaries are balanced (197 rows become 102 + 95
 * rather than 192 + 5). Each thread packs into its own buffers, allocated once.
 */
package org.iboot4j.engine.cpu;

import static org.iboot4j.engine.cpu.SgemmMicroKernel.MR;
import static org.iboot4j.engine.cpu.SgemmMicroKernel.NR;

import java.util.Objects;

/**
 * Single-precision general matrix multiply for the CPU backend: {@code C = alpha * op(A) * op(B)
 * + beta * C} on row-major {@code float[]} matrices, BLAS-style, multi-threaded with
 * {@link Parallel}.
 */
public final class Sgemm {

    /** K block: a B micro-panel, KC x NR floats, stays in L1. */
    static final int KC = 256;
    /** M block: the packed A block, MC x KC floats, stays in L2. */
    static final int MC = 16 * MR;
    /** N block: the packed B block is KC x NC floats. */
    static final int NC = 16 * NR;
    /** Smallest blocks that tiles are shrunk to for parallelism. */
    private static final int MIN_MC = 2 * MR, MIN_NC = 4 * NR;
    /** Work below which a tile (or a run of tiles) is not worth a hand-off to another thread. */
    private static final long MIN_TASK_FLOPS = 1L << 20;

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Sgemm() {}

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} for one matrix. {@code op(A)} is {@code m x k},
     * {@code op(B)} is {@code k x n}, C is {@code m x n}. A is stored row-major with row stride
     * {@code lda} starting at {@code a[aOffset]}: if {@code transA}, A is stored as {@code k x m}
     * (so {@code op(A) = A^T}). The same for B with {@code ldb}/{@code transB}. C has row stride
     * {@code ldc}. With {@code beta == 0}, C is overwritten and never read (NaNs in it do not
     * propagate); with {@code alpha == 0} or {@code k == 0}, A and B are not read.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
            float beta, float[] c, int cOffset, int ldc) {
        sgemmBatched(1, transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0,
                beta, c, cOffset, ldc, 0);
    }

    /**
     * {@link #sgemm} for {@code batch} independent products: matrix {@code i} of A starts at
     * {@code aOffset + i * strideA}, and likewise for B and C. {@code strideA} or {@code strideB}
     * may be 0 to use one operand for every product; the C matrices must not overlap.
     */
    public static void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k,
            float alpha, float[] a, int aOffset, int lda, long strideA,
            float[] b, int bOffset, int ldb, long strideB,
            float beta, float[] c, int cOffset, int ldc, long strideC) {
        if (!productNeeded(batch, m, n, k, alpha, beta, c, cOffset, ldc, strideC)) return;
        checkMatrix("A", a, aOffset, lda, strideA, transA ? k : m, transA ? m : k, batch);
        checkMatrix("B", b, bOffset, ldb, strideB, transB ? n : k, transB ? k : n, batch);
        new Job(batch, m, n, k, alpha, Operand.of(a, aOffset, lda, strideA, transA),
                Operand.of(b, bOffset, ldb, strideB, transB), beta, c, cOffset, ldc, strideC).run();
    }

    /** Floats of one B operand in the packed layout of {@link #sgemmBatchedPackedB}. */
    public static int packedBSize(int k, int n) {
        return Math.multiplyExact(k, roundUp(n, NR));
    }

    /**
     * {@link #sgemmBatched} with B already in the kernel's packed layout, for callers that can
     * produce it directly (the convolution's im2col) and so spare the product its packing pass.
     * Matrix {@code i} of B starts at {@code bOffset + i * strideB} and holds {@code op(B)(p, j)}
     * at {@code (j / NR) * k * NR + p * NR + j % NR}: panels of {@link #panelWidth()} columns,
     * each all K rows deep, one after the other, columns past n zero ({@link #packedBSize} floats).
     */
    public static void sgemmBatchedPackedB(int batch, boolean transA, int m, int n, int k,
            float alpha, float[] a, int aOffset, int lda, long strideA,
            float[] packedB, int bOffset, long strideB,
            float beta, float[] c, int cOffset, int ldc, long strideC) {
        if (!productNeeded(batch, m, n, k, alpha, beta, c, cOffset, ldc, strideC)) return;
        checkMatrix("A", a, aOffset, lda, strideA, transA ? k : m, transA ? m : k, batch);
        int size = packedBSize(k, n);
        checkMatrix("packed B", packedB, bOffset, size, strideB, 1, size, batch);
        new Job(batch, m, n, k, alpha, Operand.of(a, aOffset, lda, strideA, transA),
                new Operand(packedB, bOffset, strideB, -1, -1), beta, c, cOffset, ldc, strideC).run();
    }

    /** Columns per panel of the packed B layout (two vectors). */
    public static int panelWidth() {
        return NR;
    }

    /**
     * Checks the sizes and C, and settles the calls that need no product: nothing to write, or
     * {@code alpha * op(A) * op(B)} zero (then C is only scaled by beta). Returns whether the
     * product remains to be computed.
     */
    private static boolean productNeeded(int batch, int m, int n, int k, float alpha, float beta,
            float[] c, int cOffset, int ldc, long strideC) {
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(
                    "negative size: batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
        }
        checkMatrix("C", c, cOffset, ldc, strideC, m, n, batch);
        if (batch == 0 || m == 0 || n == 0) return false;
        if (batch > 1 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException("C matrices overlap: strideC=" + strideC);
        }
        if (k == 0 || alpha == 0f) {
            scale(batch, m, n, beta, c, cOffset, ldc, strideC);
            return false;
        }
        return true;
    }

    /**
     * Checks that {@code batch} matrices of {@code rows x cols} with row stride {@code ld}, the
     * first at {@code offset} and the others {@code stride} apart, lie inside {@code data}.
     */
    private static void checkMatrix(String name, float[] data, int offset, int ld, long stride,
            int rows, int cols, int batch) {
        Objects.requireNonNull(data, name);
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + name + "=" + ld + " < " + cols + " columns");
        }
        if (stride < 0) throw new IllegalArgumentException("stride" + name + "=" + stride + " < 0");
        if (rows == 0 || cols == 0 || batch == 0) return;
        long end = offset + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (offset < 0 || end > data.length) {
            throw new IndexOutOfBoundsException(name + " spans [" + offset + ", " + end
                    + ") but the array has length " + data.length);
        }
    }

    /** {@code C = beta * C}, the whole product when {@code alpha * op(A) * op(B)} is zero. */
    private static void scale(int batch, int m, int n, float beta, float[] c, int cOffset, int ldc,
            long strideC) {
        if (beta == 1f) return;
        for (int item = 0; item < batch; item++) {
            for (int i = 0; i < m; i++) {
                int row = (int) (cOffset + item * strideC) + i * ldc;
                for (int j = row; j < row + n; j++) {
                    c[j] = beta == 0f ? 0f : beta * c[j];
                }
            }
        }
    }

    /**
     * Where {@code op(X)} of a batched operand lives: its element {@code (r, s)} in matrix
     * {@code item} is {@code data[offset + item * batchStride + r * rowStride + s * colStride]};
     * strides of -1 mark a B operand already in the packed layout.
     */
    private record Operand(
            float[] data, int offset, long batchStride, int rowStride, int colStride) {
        static Operand of(float[] data, int offset, int ld, long batchStride, boolean transposed) {
            return transposed
                    ? new Operand(data, offset, batchStride, 1, ld)
                    : new Operand(data, offset, batchStride, ld, 1);
        }

        int start(int item) {
            return (int) (offset + item * batchStride);
        }

        boolean packed() {
            return rowStride < 0;
        }
    }

    /** Per-thread packing buffers, sized for the largest blocks. */
    private static final class Workspace {
        final float[] packedA = new float[MC * KC];
        final float[] packedB = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    /** One validated call, with the block sizes chosen for its shape; runs its tiles of C. */
    private static final class Job {
        private final int m, n, k;
        private final float alpha, beta;
        private final Operand a, b;
        private final float[] c;
        private final int cOffset, ldc;
        private final long strideC;
        private final int mc, nc, kc;
        private final int mBlocks, nBlocks, tiles;

        Job(int batch, int m, int n, int k, float alpha, Operand a, Operand b,
                float beta, float[] c, int cOffset, int ldc, long strideC) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.cOffset = cOffset;
            this.ldc = ldc;
            this.strideC = strideC;
            this.kc = Math.ceilDiv(k, Math.ceilDiv(k, KC));
            long flops = 2L * batch * m * n * k;
            long targetTiles = Math.clamp(flops / MIN_TASK_FLOPS, 1, 4L * Parallel.threads());
            long tilesPerNBlock = (long) batch * Math.ceilDiv(m, MC);
            this.nc = blockSize(n, NC, MIN_NC, NR, Math.ceilDiv(targetTiles, tilesPerNBlock));
            this.nBlocks = Math.ceilDiv(n, nc);
            long tilesPerMBlock = (long) batch * nBlocks;
            this.mc = blockSize(m, MC, MIN_MC, MR, Math.ceilDiv(targetTiles, tilesPerMBlock));
            this.mBlocks = Math.ceilDiv(m, mc);
            this.tiles = batch * mBlocks * nBlocks;
        }

        /**
         * The size of the blocks cutting {@code extent} into at least {@code wanted} pieces, as
         * far as blocks between {@code minBlock} and {@code maxBlock} allow: blocks of nearly equal
         * size, rounded up to a multiple of {@code unit}.
         */
        private static int blockSize(int extent, int maxBlock, int minBlock, int unit,
                long wanted) {
            long blocks = Math.max(Math.ceilDiv(extent, maxBlock),
                    Math.min(wanted, extent / minBlock));
            return roundUp(Math.ceilDiv(extent, (int) blocks), unit);
        }

        void run() {
            long tileFlops = 2L * mc * nc * k;
            int grain = Math.clamp(MIN_TASK_FLOPS / tileFlops, 1, tiles);
            Parallel.forRange(tiles, grain, this::runTiles);
        }

        /**
         * Runs tiles {@code [from, to)}. Tiles are numbered M-block fastest, so consecutive tiles
         * of one N-block form a column of C whose B blocks are packed once for all its M-blocks.
         */
        private void runTiles(int from, int to) {
            Workspace workspace = WORKSPACE.get();
            for (int tile = from; tile < to; ) {
                int column = tile / mBlocks; // = item * nBlocks + nBlock
                int end = Math.min(to, (column + 1) * mBlocks);
                int firstRow = (tile - column * mBlocks) * mc;
                int lastRow = Math.min(m, (end - column * mBlocks) * mc);
                int item = column / nBlocks;
                multiplyColumn(workspace, item, column % nBlocks * nc, firstRow, lastRow);
                tile = end;
            }
        }

        /**
         * Rows {@code [i0, i1)} and columns {@code [j0, j0 + nc)} of C in matrix {@code item}: the
         * pc and ic loops of the algorithm, then the macro-kernel.
         */
        private void multiplyColumn(Workspace workspace, int item, int j0, int i0, int i1) {
            int cols = Math.min(nc, n - j0);
            int aStart = a.start(item);
            int cStart = (int) (cOffset + item * strideC) + j0;
            for (int p0 = 0; p0 < k; p0 += kc) {
                int depth = Math.min(kc, k - p0);
                float blockBeta = p0 == 0 ? beta : 1f;
                // The B block's panels: in the caller's packed operand (j0 is a multiple of NR,
                // each panel all K rows deep), or packed here into the workspace.
                float[] panels = workspace.packedB;
                int panelsStart = 0, panelStride = depth * NR;
                if (b.packed()) {
                    panels = b.data();
                    panelsStart = b.start(item) + j0 * k + p0 * NR;
                    panelStride = k * NR;
                } else {
                    SgemmPacking.pack(b.data(), b.start(item) + j0 * b.colStride() + p0 * b.rowStride(),
                            b.rowStride(), b.colStride(), depth, cols, NR, panels);
                }
                for (int i = i0; i < i1; i += mc) {
                    int rows = Math.min(mc, i1 - i);
                    SgemmPacking.pack(a.data(), aStart + i * a.rowStride() + p0 * a.colStride(),
                            a.colStride(), a.rowStride(), depth, rows, MR, workspace.packedA);
                    multiplyBlock(workspace, depth, rows, cols, blockBeta, cStart + i * ldc,
                            panels, panelsStart, panelStride);
                }
            }
        }

        /**
         * The macro-kernel: {@code C = alpha * packedA * packedB + blockBeta * C} for a packed
         * {@code rows x depth} block of A and {@code depth x cols} block of B, whose panel q
         * starts at {@code panels[panelsStart + q * panelStride]}.
         */
        private void multiplyBlock(Workspace workspace, int depth, int rows, int cols,
                float blockBeta, int cStart, float[] panels, int panelsStart, int panelStride) {
            for (int j = 0; j < cols; j += NR) {
                int panel = panelsStart + j / NR * panelStride;
                for (int i = 0; i < rows; i += MR) {
                    SgemmMicroKernel.multiply(depth, workspace.packedA, i * depth,
                            panels, panel, workspace.tile, alpha, blockBeta,
                            c, cStart + i * ldc + j, ldc,
                            Math.min(MR, rows - i), Math.min(NR, cols - j));
                }
            }
        }
    }

    private static int roundUp(int x, int unit) {
        return Math.ceilDiv(x, unit) * unit;
    }
}
