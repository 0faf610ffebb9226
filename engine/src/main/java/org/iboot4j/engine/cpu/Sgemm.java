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
 * A caller may hand over either operand already packed (Sgemm.multiply with Operand.packed): the
 * convolutions pack their weights once per call (Sgemm.packA) rather than once per tile and
 * NC-block, and write im2col's output straight in the packed B layout.
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
        multiply(batch, m, n, k, alpha, Operand.matrix(a, aOffset, lda, strideA, transA),
                Operand.matrix(b, bOffset, ldb, strideB, transB), beta, c, cOffset, ldc, strideC);
    }

    /**
     * {@link #sgemmBatched} with each operand either a row-major matrix ({@link Operand#matrix})
     * or already in the kernel's packed layout ({@link Operand#packed}, made by {@link #packA},
     * or written directly by a caller that can produce it, as the convolution's im2col does for
     * B), which spares the product its packing pass: a constant operand (a convolution's weights)
     * is then packed once per call instead of once per tile.
     *
     * <p>Packed layouts, all K deep: A (m x k) in panels of {@link #panelHeight()} rows, element
     * {@code (i, p)} at {@code (i / MR) * k * MR + p * MR + i % MR}, rows past m zero
     * ({@link #packedASize} floats); B (k x n) in panels of {@link #panelWidth()} columns, element
     * {@code (p, j)} at {@code (j / NR) * k * NR + p * NR + j % NR}, columns past n zero
     * ({@link #packedBSize} floats).
     */
    public static void multiply(int batch, int m, int n, int k, float alpha, Operand a, Operand b,
            float beta, float[] c, int cOffset, int ldc, long strideC) {
        if (!productNeeded(batch, m, n, k, alpha, beta, c, cOffset, ldc, strideC)) return;
        a.check("A", m, k, packedASize(m, k), batch);
        b.check("B", k, n, packedBSize(k, n), batch);
        new Job(batch, m, n, k, alpha, a, b, beta, c, cOffset, ldc, strideC).run();
    }

    /** Floats of one A operand ({@code m x k}) in the packed layout of {@link #multiply}. */
    public static int packedASize(int m, int k) {
        return Math.multiplyExact(roundUp(m, MR), k);
    }

    /** Floats of one B operand ({@code k x n}) in the packed layout of {@link #multiply}. */
    public static int packedBSize(int k, int n) {
        return Math.multiplyExact(k, roundUp(n, NR));
    }

    /**
     * Packs an {@code m x k} matrix A, element {@code (i, p)} at
     * {@code a[aOffset + i * rowStride + p * colStride]} (any positive strides: a transposed
     * matrix, or every few floats of one), into the packed A layout of {@link #multiply} at
     * {@code dst[dstOffset ..]}, {@link #packedASize} floats.
     */
    public static void packA(int m, int k, float[] a, int aOffset, int rowStride, int colStride,
            float[] dst, int dstOffset) {
        Objects.requireNonNull(a, "A");
        if (m < 0 || k < 0 || rowStride < 1 || colStride < 1) {
            throw new IllegalArgumentException("packA: m=" + m + " k=" + k + " rowStride=" + rowStride
                    + " colStride=" + colStride);
        }
        if (m > 0 && k > 0) {
            long last = aOffset + (long) (m - 1) * rowStride + (long) (k - 1) * colStride;
            if (aOffset < 0 || last >= a.length) {
                throw new IndexOutOfBoundsException("A spans [" + aOffset + ", " + (last + 1)
                        + "] but the array has length " + a.length);
            }
        }
        Operand.packed(dst, dstOffset, 0).check("A", m, k, packedASize(m, k), 1);
        SgemmPacking.pack(a, aOffset, colStride, rowStride, k, m, MR, dst, dstOffset);
    }

    /** Rows per panel of the packed A layout. */
    public static int panelHeight() {
        return MR;
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
     * One operand of {@link #multiply}, matrix {@code item} of the batch starting at
     * {@code data[offset + item * batchStride]}: either a row-major matrix with row stride
     * {@code ld}, used as {@code X^T} if {@code transposed}, or a matrix in the kernel's packed
     * layout ({@code packed}; then {@code ld} and {@code transposed} are unused).
     */
    public record Operand(float[] data, int offset, long batchStride, int ld, boolean transposed,
            boolean packed) {

        /** A row-major matrix with row stride {@code ld}, used as {@code X^T} if {@code transposed}. */
        public static Operand matrix(float[] data, int offset, int ld, long batchStride, boolean transposed) {
            return new Operand(Objects.requireNonNull(data, "matrix"), offset, batchStride, ld, transposed, false);
        }

        /** A matrix already in the packed layout of its role (A or B) in {@link #multiply}. */
        public static Operand packed(float[] data, int offset, long batchStride) {
            return new Operand(Objects.requireNonNull(data, "packed matrix"), offset, batchStride, 0, false, true);
        }

        /** The step in data between rows of {@code op(X)}. */
        int rowStride() {
            return transposed ? 1 : ld;
        }

        /** The step in data between columns of {@code op(X)}. */
        int colStride() {
            return transposed ? ld : 1;
        }

        int start(int item) {
            return (int) (offset + item * batchStride);
        }

        /** Checks that {@code batch} operands of {@code rows x cols} ({@code packedSize} floats packed) fit. */
        void check(String name, int rows, int cols, int packedSize, int batch) {
            if (packed) {
                checkMatrix("packed " + name, data, offset, packedSize, batchStride, 1, packedSize, batch);
            } else {
                checkMatrix(name, data, offset, ld, batchStride, transposed ? cols : rows, transposed ? rows : cols, batch);
            }
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
            int cStart = (int) (cOffset + item * strideC) + j0;
            for (int p0 = 0; p0 < k; p0 += kc) {
                int depth = Math.min(kc, k - p0);
                float blockBeta = p0 == 0 ? beta : 1f;
                Panels bPanels = b.packed()
                        ? new Panels(b.data(), b.start(item) + j0 * k + p0 * NR, k * NR) // j0 is a multiple of NR
                        : pack(b.data(), b.start(item) + p0 * b.rowStride() + j0 * b.colStride(),
                                b.rowStride(), b.colStride(), depth, cols, NR, workspace.packedB);
                for (int i = i0; i < i1; i += mc) {
                    int rows = Math.min(mc, i1 - i);
                    Panels aPanels = a.packed()
                            ? new Panels(a.data(), a.start(item) + i * k + p0 * MR, k * MR) // i is a multiple of MR
                            : pack(a.data(), a.start(item) + p0 * a.colStride() + i * a.rowStride(),
                                    a.colStride(), a.rowStride(), depth, rows, MR, workspace.packedA);
                    multiplyBlock(workspace, depth, rows, cols, blockBeta, cStart + i * ldc, aPanels, bPanels);
                }
            }
        }

        /** {@link SgemmPacking#pack} into {@code buffer}; returns the panels it wrote. */
        private static Panels pack(float[] src, int base, int depthStride, int widthStride,
                int depth, int width, int panelWidth, float[] buffer) {
            SgemmPacking.pack(src, base, depthStride, widthStride, depth, width, panelWidth, buffer, 0);
            return new Panels(buffer, 0, depth * panelWidth);
        }

        /**
         * The macro-kernel: {@code C = alpha * A * B + blockBeta * C} for a packed {@code rows x
         * depth} block of A and {@code depth x cols} block of B, given by their panels.
         */
        private void multiplyBlock(Workspace workspace, int depth, int rows, int cols,
                float blockBeta, int cStart, Panels aPanels, Panels bPanels) {
            for (int j = 0; j < cols; j += NR) {
                int bAt = bPanels.at(j / NR);
                for (int i = 0; i < rows; i += MR) {
                    SgemmMicroKernel.multiply(depth, aPanels.data(), aPanels.at(i / MR),
                            bPanels.data(), bAt, workspace.tile, alpha, blockBeta,
                            c, cStart + i * ldc + j, ldc,
                            Math.min(MR, rows - i), Math.min(NR, cols - j));
                }
            }
        }
    }

    /** The packed panels of one block of an operand: panel q starts at {@code data[start + q * stride]}. */
    private record Panels(float[] data, int start, int stride) {
        int at(int panel) {
            return start + panel * stride;
        }
    }

    private static int roundUp(int x, int unit) {
        return Math.ceilDiv(x, unit) * unit;
    }
}
