package org.iboot4j.kernels.cuda;

import java.util.Arrays;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.PoolGeometry;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * 3-d pooling over (N, C, T, H, W) with PyTorch's semantics.
 *
 * <ul>
 *   <li><b>Average pooling</b>: cuDNN (CUDNN_POOLING_AVERAGE_COUNT_INCLUDE/EXCLUDE_PADDING)
 *       whenever ceil_mode does not change the output shape; cuDNN has no ceil_mode, so
 *       otherwise the window loop below.</li>
 *   <li><b>Max pooling</b> returns the argmax indices that PyTorch returns and the backward
 *       consumes; cuDNN's max pooling has none (its backward re-reads x and y). So max pooling
 *       is the window loop: x is copied once into a -inf-padded buffer, then for each of the
 *       kT kH kW kernel offsets a strided view of that buffer (one element of every window) is
 *       compared with the running maximum by the elementwise kernels: take = v &gt; best or
 *       isnan(v) (the CPU twin's rule: the first maximum wins ties, a NaN wins), and best and
 *       the index are updated with {@code where}. The candidate indices depend only on the
 *       geometry and are computed on the host once per call. The backward is one
 *       {@code scatter_add} of gradOut into gradX along the flattened (T H W) volume.</li>
 *   <li><b>Adaptive average pooling</b>: the hand-written {@code adaptive_avg_pool.ptx}.</li>
 * </ul>
 * Indices travel as float32 inside the loop (exact below 2^24 elements per volume, checked).
 */
final class GpuPooling {
    private final Gpu gpu;

    GpuPooling(Gpu gpu) {
        this.gpu = gpu;
    }

    // ---- geometry (pure, tested without a GPU) ------------------------------------------------

    /** Size per axis (T, H, W) of the padded buffer the window loop reads: every window fits. */
    static int[] paddedExtent(int[] in, int[] out, PoolGeometry g) {
        int[] e = new int[3];
        for (int a = 0; a < 3; a++) {
            e[a] = Math.max(in[a] + 2 * g.padding()[a], (out[a] - 1) * g.stride()[a] + g.kernel()[a]);
        }
        return e;
    }

    /**
     * For every output position (To, Ho, Wo) and kernel offset (kT, kH, kW), the flat input
     * index t H W + h W + w of the window element at that offset (0 where it lies in padding: a
     * padded -inf never wins). Laid out (offset, To, Ho, Wo).
     */
    static float[] candidateIndices(int[] in, int[] out, PoolGeometry g) {
        int[] k = g.kernel(), s = g.stride(), p = g.padding();
        int vol = out[0] * out[1] * out[2];
        float[] c = new float[k[0] * k[1] * k[2] * vol];
        int at = 0;
        for (int dt = 0; dt < k[0]; dt++) {
            for (int dh = 0; dh < k[1]; dh++) {
                for (int dw = 0; dw < k[2]; dw++) {
                    for (int ot = 0; ot < out[0]; ot++) {
                        int t = ot * s[0] - p[0] + dt;
                        for (int oh = 0; oh < out[1]; oh++) {
                            int h = oh * s[1] - p[1] + dh;
                            for (int ow = 0; ow < out[2]; ow++) {
                                int w = ow * s[2] - p[2] + dw;
                                boolean inside = t >= 0 && t < in[0] && h >= 0 && h < in[1] && w >= 0 && w < in[2];
                                c[at++] = inside ? (float) (((long) t * in[1] + h) * in[2] + w) : 0f;
                            }
                        }
                    }
                }
            }
        }
        return c;
    }

    /** The index a window reports when nothing beats -inf: its first element inside the input (CPU twin). */
    static float[] firstIndices(int[] in, int[] out, PoolGeometry g) {
        int[] s = g.stride(), p = g.padding();
        float[] f = new float[out[0] * out[1] * out[2]];
        int at = 0;
        for (int ot = 0; ot < out[0]; ot++) {
            int t = Math.max(0, ot * s[0] - p[0]);
            for (int oh = 0; oh < out[1]; oh++) {
                int h = Math.max(0, oh * s[1] - p[1]);
                for (int ow = 0; ow < out[2]; ow++) {
                    int w = Math.max(0, ow * s[2] - p[2]);
                    f[at++] = (float) (((long) t * in[1] + h) * in[2] + w);
                }
            }
        }
        return f;
    }

    /**
     * PyTorch's average-pool divisor per output position: the window clipped to the padded
     * input (count_include_pad) or to the input itself.
     */
    static float[] divisors(int[] in, int[] out, PoolGeometry g, boolean includePad) {
        int[][] div = new int[3][];
        for (int a = 0; a < 3; a++) {
            div[a] = new int[out[a]];
            for (int o = 0; o < out[a]; o++) {
                int start = o * g.stride()[a] - g.padding()[a];
                int end = Math.min(start + g.kernel()[a], in[a] + g.padding()[a]);
                int padded = end - start;
                int real = Math.min(end, in[a]) - Math.max(start, 0);
                div[a][o] = includePad ? padded : real;
            }
        }
        float[] d = new float[out[0] * out[1] * out[2]];
        int at = 0;
        for (int t = 0; t < out[0]; t++) {
            for (int h = 0; h < out[1]; h++) {
                for (int w = 0; w < out[2]; w++) d[at++] = (float) div[0][t] * div[1][h] * div[2][w];
            }
        }
        return d;
    }

    /** Whether cuDNN's (floor-mode) pooling gives PyTorch's answer for this input. */
    static boolean cudnnCompatible(int[] xShape, PoolGeometry g) {
        if (!g.ceilMode()) return true;
        PoolGeometry floor = new PoolGeometry(g.kernel(), g.stride(), g.padding(), false);
        return Arrays.equals(floor.outputShape(xShape), g.outputShape(xShape));
    }

    private static int[] spatial(int[] shape) {
        return Arrays.copyOfRange(shape, 2, 5);
    }

    // ---- max pooling --------------------------------------------------------------------------

    void maxPool3d(Tensor x, PoolGeometry g, Tensor out, Tensor indices) {
        if (out.numel() == 0) return;
        int[] xs = x.shape(), in = spatial(xs), os = out.shape(), o = spatial(os);
        if ((long) in[0] * in[1] * in[2] >= (1 << 24)) {
            throw new IllegalArgumentException("max_pool3d on the GPU: a (T, H, W) volume of "
                    + Arrays.toString(in) + " has too many elements for its float index arithmetic (2^24)");
        }
        Tensor xp = padded(x, g, o, Float.NEGATIVE_INFINITY);
        Tensor best = out.isContiguous() ? out : gpu.temp(DType.F32, os);
        gpu.elementwise.fill(best, Float.NEGATIVE_INFINITY);
        Tensor idx = gpu.temp(DType.F32, os);
        gpu.elementwise.copy(gpu.upload(firstIndices(in, o, g), o).expand(os), idx);
        Tensor candidates = gpu.upload(candidateIndices(in, o, g), g.kernel()[0] * g.kernel()[1] * g.kernel()[2], o[0],
                o[1], o[2]);
        Tensor take = gpu.temp(DType.BOOL, os), nan = gpu.temp(DType.BOOL, os);
        int offset = 0;
        for (int dt = 0; dt < g.kernel()[0]; dt++) {
            for (int dh = 0; dh < g.kernel()[1]; dh++) {
                for (int dw = 0; dw < g.kernel()[2]; dw++, offset++) {
                    Tensor v = window(xp, g, o, dt, dh, dw);
                    gpu.elementwise.binary(BinaryOp.GT, v, best, take);
                    gpu.elementwise.binary(BinaryOp.NE, v, v, nan);
                    gpu.elementwise.where(nan, nan, take, take);          // take |= isnan(v)
                    gpu.elementwise.where(take, v, best, best);
                    gpu.elementwise.where(take, candidates.select(0, offset).expand(os), idx, idx);
                }
            }
        }
        if (best != out) gpu.elementwise.copy(best, out);
        gpu.elementwise.copy(idx, indices);
    }

    void maxPool3dBackward(Tensor gradOut, Tensor indices, Tensor gradX) {
        if (gradOut.numel() == 0) return;
        int[] gs = gradX.shape(), os = gradOut.shape();
        int volume = gs[2] * gs[3] * gs[4], outVolume = os[2] * os[3] * os[4];
        Tensor gx = gradX.isContiguous() ? gradX : gpu.zeros(DType.F32, gs);
        Tensor g = gpu.contiguousF32(gradOut).reshape(os[0], os[1], outVolume);
        Tensor ix = gpu.contiguous(indices).reshape(os[0], os[1], outVolume);
        gpu.indexing.scatterAdd(gx.reshape(gs[0], gs[1], volume), 2, ix, g);
        if (gx != gradX) gpu.elementwise.copy(gx, gradX);
    }

    // ---- average pooling -------------------------------------------------------------------------

    void avgPool3d(Tensor x, PoolGeometry g, boolean countIncludePad, Tensor out) {
        if (out.numel() == 0) return;
        int[] xs = x.shape(), os = out.shape();
        Tensor o = out.isContiguous() ? out : gpu.temp(DType.F32, os);
        if (cudnnCompatible(xs, g)) {
            Tensor xc = gpu.contiguousF32(x);
            gpu.cudnn.poolingForward(countIncludePad ? Cudnn.POOLING_AVERAGE_INCLUDE_PADDING
                    : Cudnn.POOLING_AVERAGE_EXCLUDE_PADDING, g, gpu.ptr(xc), xs, gpu.ptr(o), os);
        } else {
            int[] in = spatial(xs), so = spatial(os);
            Tensor xp = padded(x, g, so, 0f);
            Tensor acc = gpu.zeros(DType.F32, os);
            for (int dt = 0; dt < g.kernel()[0]; dt++) {
                for (int dh = 0; dh < g.kernel()[1]; dh++) {
                    for (int dw = 0; dw < g.kernel()[2]; dw++) {
                        gpu.elementwise.binary(BinaryOp.ADD, acc, window(xp, g, so, dt, dh, dw), acc);
                    }
                }
            }
            Tensor div = gpu.upload(divisors(in, so, g, countIncludePad), so).expand(os);
            gpu.elementwise.binary(BinaryOp.DIV, acc, div, o);
        }
        if (o != out) gpu.elementwise.copy(o, out);
    }

    void avgPool3dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad, Tensor gradX) {
        if (gradX.numel() == 0) return;
        int[] xs = gradX.shape(), os = gradOut.shape();
        Tensor gx = gradX.isContiguous() ? gradX : gpu.temp(DType.F32, xs);
        if (cudnnCompatible(xs, g)) {
            Tensor gc = gpu.contiguousF32(gradOut);
            // average pooling reads neither y nor x: the gradients' own buffers stand in for them
            gpu.cudnn.poolingBackward(countIncludePad ? Cudnn.POOLING_AVERAGE_INCLUDE_PADDING
                    : Cudnn.POOLING_AVERAGE_EXCLUDE_PADDING, g, gpu.ptr(gc), gpu.ptr(gc), os, gpu.ptr(gx), gpu.ptr(gx), xs);
        } else {
            int[] in = spatial(xs), so = spatial(os), pe = paddedExtent(in, so, g);
            Tensor div = gpu.upload(divisors(in, so, g, countIncludePad), so).expand(os);
            Tensor share = gpu.temp(DType.F32, os);
            gpu.elementwise.binary(BinaryOp.DIV, gpu.contiguousF32(gradOut), div, share);
            Tensor gp = gpu.zeros(DType.F32, xs[0], xs[1], pe[0], pe[1], pe[2]);
            for (int dt = 0; dt < g.kernel()[0]; dt++) {
                for (int dh = 0; dh < g.kernel()[1]; dh++) {
                    for (int dw = 0; dw < g.kernel()[2]; dw++) {
                        Tensor view = window(gp, g, so, dt, dh, dw);
                        gpu.elementwise.binary(BinaryOp.ADD, view, share, view);
                    }
                }
            }
            gpu.elementwise.copy(interior(gp, g, in), gx);
        }
        if (gx != gradX) gpu.elementwise.copy(gx, gradX);
    }

    // ---- adaptive average pooling ------------------------------------------------------------------

    void adaptiveAvgPool3d(Tensor x, Tensor out) {
        if (out.numel() == 0) return;
        Tensor xf = x.dtype() == DType.F32 ? x : gpu.contiguousF32(x);
        Tensor o = out.isContiguous() ? out : gpu.temp(DType.F32, out.shape());
        byte[] geom = PtxStructs.pool(xf.shape(), o.shape(), xf.strides());
        gpu.launch(Kernels.args("adaptive_avg_pool3d_forward_f32").ptr(gpu.ptr(o)).ptr(gpu.ptr(xf)).struct(geom),
                Gpu.elementwiseShape(o.numel()));
        if (o != out) gpu.elementwise.copy(o, out);
    }

    void adaptiveAvgPool3dBackward(Tensor gradOut, Tensor gradX) {
        if (gradX.numel() == 0) return;
        Tensor g = gradOut.dtype() == DType.F32 ? gradOut : gpu.contiguousF32(gradOut);
        Tensor gx = gradX.isContiguous() ? gradX : gpu.temp(DType.F32, gradX.shape());
        byte[] geom = PtxStructs.pool(gx.shape(), g.shape(), g.strides());
        gpu.launch(Kernels.args("adaptive_avg_pool3d_backward_f32").ptr(gpu.ptr(gx)).ptr(gpu.ptr(g)).struct(geom),
                Gpu.elementwiseShape(gx.numel()));
        if (gx != gradX) gpu.elementwise.copy(gx, gradX);
    }

    // ---- the padded buffer and its views ------------------------------------------------------------

    /** x copied into a buffer padded with {@code fill} on every side (plus ceil_mode's overhang). */
    private Tensor padded(Tensor x, PoolGeometry g, int[] out, float fill) {
        int[] xs = x.shape(), in = spatial(xs), pe = paddedExtent(in, out, g);
        Tensor xp = gpu.temp(DType.F32, xs[0], xs[1], pe[0], pe[1], pe[2]);
        gpu.elementwise.fill(xp, fill);
        gpu.elementwise.copy(x, interior(xp, g, in));
        return xp;
    }

    /** The part of a padded buffer that holds the input. */
    private static Tensor interior(Tensor padded, PoolGeometry g, int[] in) {
        int[] p = g.padding();
        return padded.narrow(2, p[0], in[0]).narrow(3, p[1], in[1]).narrow(4, p[2], in[2]);
    }

    /** Element (dt, dh, dw) of every window: a strided view of the padded buffer with the output's shape. */
    private static Tensor window(Tensor padded, PoolGeometry g, int[] out, int dt, int dh, int dw) {
        int[] s = g.stride();
        return padded.slice(2, dt, dt + (out[0] - 1) * s[0] + 1, s[0])
                .slice(3, dh, dh + (out[1] - 1) * s[1] + 1, s[1])
                .slice(4, dw, dw + (out[2] - 1) * s[2] + 1, s[2]);
    }
}
