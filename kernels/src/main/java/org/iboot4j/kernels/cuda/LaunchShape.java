package org.iboot4j.kernels.cuda;

/**
 * The grid and block of one kernel launch, checked against the hardware limits every CUDA
 * device since compute capability 3.0 shares, so a bad shape fails here with its numbers rather
 * than as CUDA_ERROR_INVALID_VALUE from the driver. Dynamic shared memory is always 0: every
 * kernel of this backend declares its shared memory statically.
 */
public record LaunchShape(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ) {
    /** Most threads in a block. */
    public static final int MAX_BLOCK_THREADS = 1024;
    /** Most blocks along y or z. */
    public static final int MAX_GRID_YZ = 65535;

    public LaunchShape {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1) {
            throw new IllegalArgumentException("launch dimensions must be >= 1: " + describe(gridX, gridY, gridZ, blockX, blockY, blockZ));
        }
        if ((long) blockX * blockY * blockZ > MAX_BLOCK_THREADS || blockZ > 64) {
            throw new IllegalArgumentException("a block has at most 1024 threads (z at most 64): "
                    + describe(gridX, gridY, gridZ, blockX, blockY, blockZ));
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid y and z are at most 65535: " + describe(gridX, gridY, gridZ, blockX, blockY, blockZ));
        }
    }

    /** A 1-D launch: {@code block} threads per block, enough blocks for {@code work} items, at most {@code maxGrid}. */
    public static LaunchShape linear(long work, int block, int maxGrid) {
        long blocks = Math.max(1, (work + block - 1) / block);
        return new LaunchShape((int) Math.min(blocks, maxGrid), 1, 1, block, 1, 1);
    }

    /** A 2-D grid of 1-D or 2-D blocks. */
    public static LaunchShape of(int gridX, int gridY, int blockX, int blockY) {
        return new LaunchShape(gridX, gridY, 1, blockX, blockY, 1);
    }

    public long threads() {
        return (long) gridX * gridY * gridZ * blockX * blockY * blockZ;
    }

    @Override
    public String toString() {
        return describe(gridX, gridY, gridZ, blockX, blockY, blockZ);
    }

    private static String describe(int gx, int gy, int gz, int bx, int by, int bz) {
        return "<<<grid (" + gx + ", " + gy + ", " + gz + "), block (" + bx + ", " + by + ", " + bz + ")>>>";
    }
}
