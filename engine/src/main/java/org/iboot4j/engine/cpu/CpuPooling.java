package org.iboot4j.engine.cpu;

import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.PoolGeometry;

/**
 * 3-d pooling over (N, C, T, H, W) on the CPU: max-pool with indices, average pool and adaptive
 * average pool, forward and backward, with PyTorch's semantics.
 *
 * <h2>Windows</h2>
 * Every pooling works plane by plane: the (T, H, W) volume of one (n, c) is pooled on its own,
 * so threads take whole planes and never write to the same element. Each axis is described once
 * per call by an {@link Axis}: for output position i, the input range [lo, hi) it covers, clipped
 * to the real input, and, for the average pool's count_include_pad divisor, the length of the
 * window clipped to the padded input instead. A window of the last output in ceil_mode may run
 * past the right padding; as in PyTorch that overhang counts neither as input nor as padding.
 * <ul>
 *   <li>max-pool: window [i s - p, i s - p + k), padding never wins; the first maximum wins ties
 *       and a NaN wins over numbers (as PyTorch's CPU kernel: "v > max || isnan(v)", so among
 *       several NaNs the last one). The index is the flat position t H W + h W + w in the
 *       plane. Computed separably ({@link MaxPoolColumns}): per output row, the maximum of each
 *       input column over the window's (t, h) rows, then per output the best of its kW columns.</li>
 *   <li>average pool: the window's sum (in double) over the divisor, which is the window clipped
 *       to the padded input (count_include_pad) or to the input.</li>
 *   <li>adaptive average pool: output i of an axis of In inputs and Out outputs averages
 *       [floor(i In / Out), ceil((i + 1) In / Out)); windows may overlap.</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * A forward reads every input element once per window that contains it (kT kH kW / (sT sH sW)
 * times; once for the global pool) and writes each output once. A backward reads each upstream
 * gradient once and adds it to the window's elements (max-pool: to the one remembered element),
 * a scatter confined to the plane. Inputs (x, gradOut, indices) may be any strided view; outputs
 * and gradX are the fresh contiguous tensors of the backend contract, gradX zero-filled.
 */
final class CpuPooling {
    private CpuPooling() {}

    static void maxPool3d(Tensor x, PoolGeometry g, Tensor out, Tensor indices) {
        Volume in = new Volume(x), o = new Volume(out), ix = new Volume(indices);
        Axis at = Axis.pooled(in.t, o.t, g, 0), ah = Axis.pooled(in.h, o.h, g, 1), aw = Axis.pooled(in.w, o.w, g, 2);
        float[] xs = floats(x), os = floats(out);
        long[] is = longs(indices);
        int wLo = o.w == 0 ? 0 : aw.lo[0], wHi = o.w == 0 ? 0 : aw.hi[o.w - 1]; // the columns any window reads
        long work = (long) o.size * g.kernel()[0] * g.kernel()[1] * g.kernel()[2];
        Parallel.forRange(in.planes, grain(work), (from, to) -> {
            MaxPoolColumns columns = new MaxPoolColumns(in.w);
            for (int p = from; p < to; p++) {
                int xb = in.base(p), ob = o.base(p), ib = ix.base(p);
                for (int ot = 0; ot < o.t; ot++) {
                    for (int oh = 0; oh < o.h; oh++) {
                        int t0 = at.lo[ot], t1 = at.hi[ot], h0 = ah.lo[oh], h1 = ah.hi[oh];
                        boolean rows = t0 < t1 && h0 < h1;
                        if (rows) {
                            for (int t = t0; t < t1; t++) {
                                for (int h = h0; h < h1; h++) {
                                    columns.addRow(xs, in.at(xb, t, h, 0), in.sw, t * in.h + h, wLo, wHi, t == t0 && h == h0);
                                }
                            }
                        }
                        for (int ow = 0; ow < o.w; ow++) {
                            int w0 = aw.lo[ow], w1 = aw.hi[ow];
                            int w = rows && w0 < w1 ? columns.best(w0, w1) : -1;
                            os[o.at(ob, ot, oh, ow)] = w < 0 ? Float.NEGATIVE_INFINITY : columns.value[w];
                            is[ix.at(ib, ot, oh, ow)] = w < 0 ? in.flat(t0, h0, w0) : columns.flat(w);
                        }
                    }
                }
            }
        });
    }

    static void maxPool3dBackward(Tensor gradOut, Tensor indices, Tensor gradX) {
        Volume go = new Volume(gradOut), ix = new Volume(indices), gx = new Volume(gradX);
        float[] gs = floats(gradOut), dx = floats(gradX);
        long[] is = longs(indices);
        int volume = gx.size;
        Parallel.forRange(gx.planes, grain((long) go.size + volume), (from, to) -> {
            for (int p = from; p < to; p++) {
                int gb = go.base(p), ib = ix.base(p), db = gx.base(p);
                for (int ot = 0; ot < go.t; ot++) {
                    for (int oh = 0; oh < go.h; oh++) {
                        for (int ow = 0; ow < go.w; ow++) {
                            long i = is[ix.at(ib, ot, oh, ow)];
                            if (i < 0 || i >= volume) {
                                throw new IllegalArgumentException("max_pool3d backward: index " + i
                                        + " outside the input volume of " + volume + " elements");
                            }
                            dx[db + (int) i] += gs[go.at(gb, ot, oh, ow)];
                        }
                    }
                }
            }
        });
    }

    static void avgPool3d(Tensor x, PoolGeometry g, boolean countIncludePad, Tensor out) {
        Volume in = new Volume(x), o = new Volume(out);
        average(x, in, out, o, Axis.pooled(in.t, o.t, g, 0), Axis.pooled(in.h, o.h, g, 1),
                Axis.pooled(in.w, o.w, g, 2), countIncludePad);
    }

    static void avgPool3dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad, Tensor gradX) {
        Volume go = new Volume(gradOut), gx = new Volume(gradX);
        averageBackward(gradOut, go, gradX, gx, Axis.pooled(gx.t, go.t, g, 0), Axis.pooled(gx.h, go.h, g, 1),
                Axis.pooled(gx.w, go.w, g, 2), countIncludePad);
    }

    static void adaptiveAvgPool3d(Tensor x, Tensor out) {
        Volume in = new Volume(x), o = new Volume(out);
        average(x, in, out, o, Axis.adaptive(in.t, o.t), Axis.adaptive(in.h, o.h), Axis.adaptive(in.w, o.w), false);
    }

    static void adaptiveAvgPool3dBackward(Tensor gradOut, Tensor gradX) {
        Volume go = new Volume(gradOut), gx = new Volume(gradX);
        averageBackward(gradOut, go, gradX, gx, Axis.adaptive(gx.t, go.t), Axis.adaptive(gx.h, go.h),
                Axis.adaptive(gx.w, go.w), false);
    }

    /** out = the mean of each window; the divisor counts the padding when {@code includePad}. */
    private static void average(Tensor x, Volume in, Tensor out, Volume o, Axis at, Axis ah, Axis aw,
            boolean includePad) {
        float[] xs = floats(x), os = floats(out);
        long work = Math.max(in.size, (long) o.size * at.maxWindow * ah.maxWindow * aw.maxWindow);
        Parallel.forRange(in.planes, grain(work), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = in.base(p), ob = o.base(p);
                for (int ot = 0; ot < o.t; ot++) {
                    for (int oh = 0; oh < o.h; oh++) {
                        for (int ow = 0; ow < o.w; ow++) {
                            double sum = 0;
                            for (int t = at.lo[ot]; t < at.hi[ot]; t++) {
                                for (int h = ah.lo[oh]; h < ah.hi[oh]; h++) {
                                    int row = xb + t * in.st + h * in.sh;
                                    for (int w = aw.lo[ow]; w < aw.hi[ow]; w++) sum += xs[row + w * in.sw];
                                }
                            }
                            int divisor = divisor(at, ah, aw, ot, oh, ow, includePad);
                            os[o.at(ob, ot, oh, ow)] = divisor == 0 ? 0f : (float) (sum / divisor);
                        }
                    }
                }
            }
        });
    }

    /** gradX[window] += gradOut / divisor for every output; gradX is contiguous and zero-filled. */
    private static void averageBackward(Tensor gradOut, Volume go, Tensor gradX, Volume gx, Axis at, Axis ah,
            Axis aw, boolean includePad) {
        float[] gs = floats(gradOut), dx = floats(gradX);
        long work = Math.max(gx.size, (long) go.size * at.maxWindow * ah.maxWindow * aw.maxWindow);
        Parallel.forRange(gx.planes, grain(work), (from, to) -> {
            for (int p = from; p < to; p++) {
                int gb = go.base(p), db = gx.base(p);
                for (int ot = 0; ot < go.t; ot++) {
                    for (int oh = 0; oh < go.h; oh++) {
                        for (int ow = 0; ow < go.w; ow++) {
                            int divisor = divisor(at, ah, aw, ot, oh, ow, includePad);
                            if (divisor == 0) continue;
                            float share = (float) ((double) gs[go.at(gb, ot, oh, ow)] / divisor);
                            for (int t = at.lo[ot]; t < at.hi[ot]; t++) {
                                for (int h = ah.lo[oh]; h < ah.hi[oh]; h++) {
                                    int row = db + t * gx.st + h * gx.sh;
                                    for (int w = aw.lo[ow]; w < aw.hi[ow]; w++) dx[row + w * gx.sw] += share;
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    private static int divisor(Axis at, Axis ah, Axis aw, int ot, int oh, int ow, boolean includePad) {
        return includePad ? at.padded[ot] * ah.padded[oh] * aw.padded[ow]
                : (at.hi[ot] - at.lo[ot]) * (ah.hi[oh] - ah.lo[oh]) * (aw.hi[ow] - aw.lo[ow]);
    }

    /**
     * One axis of a pooling: output i reads inputs [lo[i], hi[i]) (clipped to the input);
     * padded[i] is its window clipped to the padded input instead (avg-pool's count_include_pad).
     */
    private static final class Axis {
        final int[] lo, hi, padded;
        final int maxWindow;

        private Axis(int[] lo, int[] hi, int[] padded) {
            this.lo = lo;
            this.hi = hi;
            this.padded = padded;
            int m = 0;
            for (int i = 0; i < lo.length; i++) m = Math.max(m, hi[i] - lo[i]);
            this.maxWindow = m;
        }

        /** Axis a (0 = T, 1 = H, 2 = W) of a kernel/stride/padding pooling, as PyTorch. */
        static Axis pooled(int in, int out, PoolGeometry g, int a) {
            int k = g.kernel()[a], s = g.stride()[a], pad = g.padding()[a];
            int[] lo = new int[out], hi = new int[out], padded = new int[out];
            for (int i = 0; i < out; i++) {
                int start = i * s - pad, end = Math.min(start + k, in + pad);
                padded[i] = end - start;
                lo[i] = Math.max(start, 0);
                hi[i] = Math.min(end, in);
            }
            return new Axis(lo, hi, padded);
        }

        /** [floor(i in / out), ceil((i + 1) in / out)) for each output i. */
        static Axis adaptive(int in, int out) {
            int[] lo = new int[out], hi = new int[out];
            for (int i = 0; i < out; i++) {
                lo[i] = (int) ((long) i * in / out);
                hi[i] = (int) (((long) (i + 1) * in + out - 1) / out);
            }
            return new Axis(lo, hi, hi.clone());
        }
    }

    /** A 5-d (N, C, T, H, W) tensor seen as N C planes, each a strided (T, H, W) volume. */
    private static final class Volume {
        final int c, t, h, w, planes, size;
        final int sn, sc, st, sh, sw, offset;

        Volume(Tensor x) {
            int[] shape = x.shape(), strides = x.strides();
            if (shape.length != 5) throw new IllegalArgumentException("pool3d: expected a 5-d tensor");
            c = shape[1];
            t = shape[2];
            h = shape[3];
            w = shape[4];
            planes = shape[0] * c;
            size = t * h * w;
            sn = strides[0];
            sc = strides[1];
            st = strides[2];
            sh = strides[3];
            sw = strides[4];
            offset = x.offset();
        }

        /** Where plane p = n C + c starts in the storage. */
        int base(int p) {
            return offset + (p / c) * sn + (p % c) * sc;
        }

        /** The storage position of (t, h, w) in the plane starting at base. */
        int at(int base, int ti, int hi, int wi) {
            return base + ti * st + hi * sh + wi * sw;
        }

        /** The row-major position of (t, h, w) within a plane: max-pool's index. */
        int flat(int ti, int hi, int wi) {
            return (ti * h + hi) * w + wi;
        }
    }

    /** Planes per chunk so that a chunk does roughly {@link StridedLoop#GRAIN} element visits. */
    private static int grain(long workPerPlane) {
        return (int) Math.max(1, StridedLoop.GRAIN / Math.max(1, workPerPlane));
    }

    private static float[] floats(Tensor t) {
        return CpuElementwise.storage(t).floats();
    }

    private static long[] longs(Tensor t) {
        return CpuElementwise.storage(t).longs();
    }
}
