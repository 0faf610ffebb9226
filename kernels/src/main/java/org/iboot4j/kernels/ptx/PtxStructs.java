package org.iboot4j.kernels.ptx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Packs the small structs that kernels take by value (or, for the augmentation, from a device
 * array), little-endian, with the exact layouts the PTX reads. Each layout is also written out in
 * the header comment of the PTX that reads it; keep the two in step.
 */
public final class PtxStructs {
    private PtxStructs() {}

    /** Most dimensions a strided operand may have (after {@link #elementwise} merges what it can). */
    public static final int MAX_RANK = 8;

    // ---- elementwise ---------------------------------------------------------------------------

    /**
     * {@code ew_geom}, 168 bytes:
     * <pre>
     *   +0    s32 n               elements of the output
     *   +4    s32 rank            1..8
     *   +8    s32 shape[8]        dims 0..rank-1, outermost first (the rest unused)
     *   +40   s32 stride[4][8]    per operand (0 = out, then the inputs in parameter order), in elements
     * </pre>
     */
    public static final int ELEMENTWISE_GEOMETRY_BYTES = 168;

    /** Operands an elementwise geometry describes: out plus up to three inputs (where). */
    public static final int ELEMENTWISE_OPERANDS = 4;

    /**
     * The elementwise geometry for an output of {@code shape} and one stride array per operand
     * (output first). Size-1 dimensions are dropped and neighbouring dimensions that are
     * contiguous with each other in every operand are merged, so contiguous tensors become rank
     * 1 whatever their shape. Throws if more than {@link #MAX_RANK} dimensions remain (the caller
     * should copy an operand to contiguous first).
     */
    public static byte[] elementwise(int[] shape, int[]... strides) {
        if (strides.length < 1 || strides.length > ELEMENTWISE_OPERANDS) {
            throw new IllegalArgumentException("an elementwise geometry has 1 to 4 operands, got " + strides.length);
        }
        long n = 1;
        for (int s : shape) n *= s;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many elements: " + n);
        int[][] merged = merge(shape, strides);
        int[] mshape = merged[0];
        if (mshape.length > MAX_RANK) {
            throw new IllegalArgumentException("elementwise operand of rank " + mshape.length + " after merging (max " + MAX_RANK + ")");
        }
        ByteBuffer b = buffer(ELEMENTWISE_GEOMETRY_BYTES);
        b.putInt(0, (int) n);
        b.putInt(4, mshape.length);
        for (int d = 0; d < mshape.length; d++) b.putInt(8 + 4 * d, mshape[d]);
        for (int k = 0; k < strides.length; k++) {
            for (int d = 0; d < mshape.length; d++) b.putInt(40 + 32 * k + 4 * d, merged[1 + k][d]);
        }
        return b.array();
    }

    /**
     * Drops size-1 dims and merges dims d, d+1 where every operand has stride[d] == stride[d+1] *
     * shape[d+1]. Returns {shape, strides of operand 0, strides of operand 1, ...}; rank >= 1.
     */
    static int[][] merge(int[] shape, int[][] strides) {
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) if (shape[d] != 1) dims.add(d);
        int ops = strides.length;
        List<int[]> out = new ArrayList<>();   // each: {size, stride_0, ..., stride_{ops-1}}
        for (int[] s : strides) {
            if (s.length != shape.length) throw new IllegalArgumentException("stride rank differs from shape rank");
        }
        for (int d : dims) {
            if (!out.isEmpty()) {
                int[] last = out.get(out.size() - 1);
                boolean mergeable = true;
                for (int k = 0; k < ops; k++) {
                    if ((long) last[1 + k] != (long) strides[k][d] * shape[d]) mergeable = false;
                }
                if (mergeable) {
                    last[0] *= shape[d];
                    for (int k = 0; k < ops; k++) last[1 + k] = strides[k][d];
                    continue;
                }
            }
            int[] e = new int[1 + ops];
            e[0] = shape[d];
            for (int k = 0; k < ops; k++) e[1 + k] = strides[k][d];
            out.add(e);
        }
        if (out.isEmpty()) {                               // a single element: shape 1, strides 0
            int[] one = new int[1 + ops];
            one[0] = 1;
            out.add(one);
        }
        int rank = out.size();
        int[][] r = new int[1 + ops][rank];
        for (int d = 0; d < rank; d++) {
            r[0][d] = out.get(d)[0];
            for (int k = 0; k < ops; k++) r[1 + k][d] = out.get(d)[1 + k];
        }
        return r;
    }

    // ---- reductions ----------------------------------------------------------------------------

    /**
     * {@code red_geom}, 144 bytes:
     * <pre>
     *   +0    s32 outCount         outputs (product of the kept dims)
     *   +4    s32 redCount         elements reduced into each output
     *   +8    s32 keptRank         0..8
     *   +12   s32 redRank          1..8
     *   +16   s32 keptShape[8]     the kept dims, outermost first (the output is contiguous in them)
     *   +48   s32 keptStride[8]    x's strides of the kept dims
     *   +80   s32 redShape[8]      the reduced dims, outermost first
     *   +112  s32 redStride[8]     x's strides of the reduced dims
     * </pre>
     */
    public static final int REDUCE_GEOMETRY_BYTES = 144;

    /**
     * The geometry for reducing {@code dims} of a tensor of {@code shape} and {@code strides}:
     * size-1 dims are dropped and contiguous runs of kept (or of reduced) dims merged.
     */
    public static byte[] reduce(int[] shape, int[] strides, int[] dims) {
        boolean[] reduced = new boolean[shape.length];
        for (int d : dims) reduced[d] = true;
        List<int[]> kept = new ArrayList<>(), red = new ArrayList<>();
        long outCount = 1, redCount = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (reduced[d]) {
                red.add(new int[] {shape[d], strides[d]});
                redCount *= shape[d];
            } else {
                kept.add(new int[] {shape[d], strides[d]});
                outCount *= shape[d];
            }
        }
        mergeRuns(kept);
        mergeRuns(red);
        if (red.isEmpty()) red.add(new int[] {1, 0});
        if (kept.size() > MAX_RANK || red.size() > MAX_RANK) throw new IllegalArgumentException("rank above " + MAX_RANK);
        ByteBuffer b = buffer(REDUCE_GEOMETRY_BYTES);
        b.putInt(0, (int) outCount);
        b.putInt(4, (int) redCount);
        b.putInt(8, kept.size());
        b.putInt(12, red.size());
        for (int i = 0; i < kept.size(); i++) {
            b.putInt(16 + 4 * i, kept.get(i)[0]);
            b.putInt(48 + 4 * i, kept.get(i)[1]);
        }
        for (int i = 0; i < red.size(); i++) {
            b.putInt(80 + 4 * i, red.get(i)[0]);
            b.putInt(112 + 4 * i, red.get(i)[1]);
        }
        return b.array();
    }

    /**
     * Merges consecutive {size, stride} entries where the outer one's stride is the inner one's
     * stride times its size (a contiguous run): the index decomposition then needs fewer divisions.
     */
    private static void mergeRuns(List<int[]> dims) {
        for (int i = dims.size() - 1; i > 0; i--) {
            int[] outer = dims.get(i - 1), inner = dims.get(i);
            if ((long) outer[1] == (long) inner[1] * inner[0]) {
                dims.set(i - 1, new int[] {outer[0] * inner[0], inner[1]});
                dims.remove(i);
            }
        }
    }

    // ---- gather / scatter_add ------------------------------------------------------------------

    /**
     * {@code gather_geom}, 80 bytes:
     * <pre>
     *   +0    s32 n               elements of the index tensor
     *   +4    s32 rank            1..8
     *   +8    s32 dim             the indexed dimension
     *   +12   s32 dimSize         x's (gather) or dst's (scatter_add) size along dim
     *   +16   s32 indexShape[8]   the index tensor's shape (it is contiguous, as are out and src)
     *   +48   s32 stride[8]       x's (gather) or dst's (scatter_add) strides
     * </pre>
     */
    public static final int GATHER_GEOMETRY_BYTES = 80;

    public static byte[] gather(int[] indexShape, int dim, int dimSize, int[] strides) {
        if (indexShape.length < 1 || indexShape.length > MAX_RANK) throw new IllegalArgumentException("rank must be 1..8");
        long n = 1;
        for (int s : indexShape) n *= s;
        ByteBuffer b = buffer(GATHER_GEOMETRY_BYTES);
        b.putInt(0, (int) n);
        b.putInt(4, indexShape.length);
        b.putInt(8, dim);
        b.putInt(12, dimSize);
        for (int d = 0; d < indexShape.length; d++) {
            b.putInt(16 + 4 * d, indexShape[d]);
            b.putInt(48 + 4 * d, strides[d]);
        }
        return b.array();
    }

    // ---- adaptive average pooling --------------------------------------------------------------

    /**
     * {@code pool_geom}, 56 bytes:
     * <pre>
     *   +0    s32 N, C, T, H, W        the input (x, or gradX)
     *   +20   s32 To, Ho, Wo           the output (out, or gradOut)
     *   +32   s32 stride[5]            strides (N, C, T, H, W order) of the strided operand: x (forward) or gradOut (backward)
     *   +52   s32 (padding)
     * </pre>
     */
    public static final int POOL_GEOMETRY_BYTES = 56;

    public static byte[] pool(int[] inShape, int[] outShape, int[] strides) {
        if (inShape.length != 5 || outShape.length != 5 || strides.length != 5) throw new IllegalArgumentException("need (N, C, T, H, W)");
        ByteBuffer b = buffer(POOL_GEOMETRY_BYTES);
        for (int i = 0; i < 5; i++) b.putInt(4 * i, inShape[i]);
        for (int i = 0; i < 3; i++) b.putInt(20 + 4 * i, outShape[2 + i]);
        for (int i = 0; i < 5; i++) b.putInt(32 + 4 * i, strides[i]);
        return b.array();
    }

    // ---- workspaces of the named kernels -------------------------------------------------------

    /** Byte offset of (decay f64, scale f64) in the sgd_step_norms workspace: pass ws + this as coeff. */
    public static final int SGD_COEFF_OFFSET = 8;

    /**
     * sgd_step_norms workspace: +0 u32 ticket (zero at allocation; each launch leaves it zero),
     * +8 f64 decay, +16 f64 scale, +32 (f64 sum w^2, f64 sum g^2) per block.
     */
    public static long sgdWorkspaceBytes(int blocks) {
        return 32 + 16L * blocks;
    }

    /** cosine_loss workspace: +0 u32 ticket (zero at allocation, left zero), +8 f64 loss per row. */
    public static long cosineWorkspaceBytes(int rows) {
        return 8 + 8L * rows;
    }

    // ---- augmentation --------------------------------------------------------------------------

    /**
     * One clip's {@code aug_params}, 104 bytes, an array of them per batch (the fields of
     * {@code org.iboot4j.data.augment.ClipAugmentation}):
     * <pre>
     *   +0    u64 frameOffset       byte offset of this clip's (T, H, W, 3) uint8 frames in the frames buffer
     *   +8    s32 sourceHeight      H
     *   +12   s32 sourceWidth       W
     *   +16   s32 resizedHeight     the frame's size after the short-side resize
     *   +20   s32 resizedWidth
     *   +24   s32 cropTop           the crop window in the resized frame (its size is the kernel's outH x outW)
     *   +28   s32 cropLeft
     *   +32   s32 flip              0 / 1
     *   +36   s32 grayscale         0 / 1
     *   +40   f32 brightness        factor (1 = identity)
     *   +44   f32 contrast          factor
     *   +48   f32 saturation        factor
     *   +52   f32 hue               shift in [-0.5, 0.5]
     *   +56   s32 jitterOrder[4]    op codes 0 brightness, 1 contrast, 2 saturation, 3 hue, in order; -1 ends the list
     *   +72   f32 blurSigma         0 = no blur for this clip
     *   +76   s32 blurKernel        taps (odd, at most 127)
     *   +80   f32 mean[3]
     *   +92   f32 std[3]
     * </pre>
     */
    public static final int AUGMENT_PARAMS_BYTES = 104;

    /** Writes one clip's parameters at {@code at} (a multiple of 104) of {@code b} (little-endian). */
    public static void augment(ByteBuffer b, int at, long frameOffset, int sourceHeight, int sourceWidth,
            int resizedHeight, int resizedWidth, int cropTop, int cropLeft, boolean flip, boolean grayscale,
            float brightness, float contrast, float saturation, float hue, int[] jitterOrder,
            float blurSigma, int blurKernel, float[] mean, float[] std) {
        if (jitterOrder.length > 4 || mean.length != 3 || std.length != 3) throw new IllegalArgumentException("bad clip parameters");
        if (blurSigma > 0 && (blurKernel < 1 || blurKernel % 2 == 0 || blurKernel > KernelCatalogue.BLUR_MAX_TAPS)) {
            throw new IllegalArgumentException("blur kernel must be odd and at most " + KernelCatalogue.BLUR_MAX_TAPS + ", got " + blurKernel);
        }
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(at, frameOffset);
        b.putInt(at + 8, sourceHeight);
        b.putInt(at + 12, sourceWidth);
        b.putInt(at + 16, resizedHeight);
        b.putInt(at + 20, resizedWidth);
        b.putInt(at + 24, cropTop);
        b.putInt(at + 28, cropLeft);
        b.putInt(at + 32, flip ? 1 : 0);
        b.putInt(at + 36, grayscale ? 1 : 0);
        b.putFloat(at + 40, brightness);
        b.putFloat(at + 44, contrast);
        b.putFloat(at + 48, saturation);
        b.putFloat(at + 52, hue);
        for (int i = 0; i < 4; i++) b.putInt(at + 56 + 4 * i, i < jitterOrder.length ? jitterOrder[i] : -1);
        b.putFloat(at + 72, blurSigma);
        b.putInt(at + 76, blurKernel);
        for (int i = 0; i < 3; i++) {
            b.putFloat(at + 80 + 4 * i, mean[i]);
            b.putFloat(at + 92 + 4 * i, std[i]);
        }
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.wrap(new byte[bytes]).order(ByteOrder.LITTLE_ENDIAN);
    }
}
