package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.backend.PoolGeometry;
import org.junit.jupiter.api.Test;

/**
 * The host-side plans of the GPU primitives, checked on the CPU: the row-major to column-major
 * GEMM mapping is run through a reference column-major SGEMM (cuBLAS's definition) and compared
 * with the CPU backend; the pooling window loop is replayed on host arrays from the same
 * geometry helpers and compared with the CPU twin. What remains for a GPU is the kernels and
 * library calls themselves.
 */
class HostPlanTest {
    private final Backend cpu = Backends.byName("cpu");

    // ---- GEMM -----------------------------------------------------------------------------------

    /** cuBLAS's SGEMM: column-major C (m, n) = op(A) op(B), elements at A[i + j lda] etc. */
    static void referenceSgemm(Cublas.ColumnMajorCall c, int batch, float[] mem) {
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < c.m(); i++) {
                for (int j = 0; j < c.n(); j++) {
                    double acc = 0;
                    for (int l = 0; l < c.k(); l++) {
                        long ai = c.a() + p * c.strideA() + (c.transA() == Cublas.OP_N ? i + (long) l * c.lda() : l + (long) i * c.lda());
                        long bi = c.b() + p * c.strideB() + (c.transB() == Cublas.OP_N ? l + (long) j * c.ldb() : j + (long) l * c.ldb());
                        acc += mem[(int) ai] * mem[(int) bi];
                    }
                    mem[(int) (c.c() + p * c.strideC() + i + (long) j * c.ldc())] = (float) acc;
                }
            }
        }
    }

    /** Runs the GPU backend's matmul plan for views a, b of one flat array through the reference SGEMM. */
    private float[] viaCublasMapping(Tensor base, Tensor a, Tensor b, int[] outShape) {
        int rank = a.dim();
        int m = a.shape()[rank - 2], k = a.shape()[rank - 1], n = b.shape()[rank - 1];
        GpuMatmul.Layout la = GpuMatmul.Layout.of(m, k, a.strides()[rank - 2], a.strides()[rank - 1]);
        GpuMatmul.Layout lb = GpuMatmul.Layout.of(k, n, b.strides()[rank - 2], b.strides()[rank - 1]);
        assertTrue(la != null && lb != null, "layouts cuBLAS reads directly");
        float[] data = base.toFloatArray();
        int outLen = Arrays.stream(outShape).reduce(1, (x, y) -> x * y);
        float[] mem = Arrays.copyOf(data, data.length + outLen);
        int[] outStrides = contiguous(outShape);
        GpuMatmul.BatchPlan plan = GpuMatmul.BatchPlan.of(Arrays.copyOf(outShape, rank - 2),
                Arrays.copyOf(outStrides, rank - 2), Arrays.copyOf(a.strides(), rank - 2), Arrays.copyOf(b.strides(), rank - 2));
        for (long[] off : plan.offsets()) {
            Cublas.RowMajorGemm g = new Cublas.RowMajorGemm(m, n, k, a.offset() + off[1], la.ld(), la.transposed(),
                    plan.strides()[1], b.offset() + off[2], lb.ld(), lb.transposed(), plan.strides()[2],
                    data.length + off[0], plan.strides()[0], plan.count());
            referenceSgemm(g.toColumnMajor(), plan.count(), mem);
        }
        return Arrays.copyOfRange(mem, data.length, mem.length);
    }

    private static int[] contiguous(int[] shape) {
        int[] s = new int[shape.length];
        for (int d = shape.length - 1, acc = 1; d >= 0; acc *= shape[d], d--) s[d] = acc;
        return s;
    }

    private void checkGemm(Tensor base, Tensor a, Tensor b) {
        int[] outShape = a.shape();
        outShape[outShape.length - 1] = b.shape()[b.dim() - 1];
        Tensor ref = Tensor.empty(cpu, DType.F32, outShape);
        cpu.matmul(a, b, ref);
        float[] got = viaCublasMapping(base, a, b, outShape), want = ref.toFloatArray();
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4, "element " + i);
    }

    @Test
    void rowMajorGemmThroughColumnMajorCublasMatchesTheCpu() {
        Rng rng = new Rng(7);
        // one flat buffer holds both operands (as device memory would)
        Tensor base = Tensor.randn(rng, 0, 1, 2000).to(cpu);
        Tensor a = base.narrow(0, 0, 3 * 5).view(3, 5), b = base.narrow(0, 100, 5 * 4).view(5, 4);
        checkGemm(base, a, b);                                                    // N N
        checkGemm(base, base.narrow(0, 200, 15).view(5, 3).transpose(0, 1), b);  // A stored transposed
        checkGemm(base, a, base.narrow(0, 300, 20).view(4, 5).transpose(0, 1));  // B stored transposed
        checkGemm(base, base.narrow(0, 400, 36).view(3, 12).narrow(1, 2, 5), b); // lda 12 > K
        Tensor ab = base.narrow(0, 500, 2 * 3 * 5).view(2, 3, 5), bb = base.narrow(0, 600, 2 * 5 * 4).view(2, 5, 4);
        checkGemm(base, ab, bb);                                                  // strided batched
        checkGemm(base, ab, b.unsqueeze(0).expand(2, 5, 4));                      // broadcast B: stride 0
        Tensor a4 = base.narrow(0, 700, 2 * 3 * 3 * 5).view(2, 3, 3, 5);
        checkGemm(base, a4.transpose(0, 1), base.narrow(0, 900, 3 * 2 * 5 * 4).view(3, 2, 5, 4)); // outer loop
    }

    @Test
    void layoutsAndBatchPlans() {
        assertEquals(new GpuMatmul.Layout(false, 7), GpuMatmul.Layout.of(3, 5, 7, 1));
        assertEquals(new GpuMatmul.Layout(true, 4), GpuMatmul.Layout.of(3, 5, 1, 4));
        assertNull(GpuMatmul.Layout.of(3, 5, 10, 2));
        assertNull(GpuMatmul.Layout.of(3, 5, 0, 1), "a stride-0 row broadcast is copied first");
        GpuMatmul.BatchPlan p = GpuMatmul.BatchPlan.of(new int[] {2, 3}, new int[] {60, 20}, new int[] {45, 15},
                new int[] {0, 0});
        assertEquals(6, p.count(), "two contiguous batch dims merge into one strided-batched call");
        assertEquals(List.of(20L, 15L, 0L), List.of(p.strides()[0], p.strides()[1], p.strides()[2]));
        assertEquals(1, p.offsets().size());
        GpuMatmul.BatchPlan q = GpuMatmul.BatchPlan.of(new int[] {2, 3}, new int[] {60, 20}, new int[] {15, 30},
                new int[] {0, 0});
        assertEquals(3, q.count());
        assertEquals(2, q.offsets().size());
        assertArrayEquals(new long[] {60, 15, 0}, q.offsets().get(1));
        assertEquals(1, GpuMatmul.BatchPlan.of(new int[0], new int[0], new int[0], new int[0]).count());
    }

    @Test
    void elementwiseGeometryTakesBroadcastViewsAndRefusesMismatchedShapes() {
        Tensor out = Tensor.empty(cpu, DType.F32, 4, 5, 6);
        Tensor a = Tensor.empty(cpu, DType.F32, 5, 1).expand(4, 5, 6), b = Tensor.empty(cpu, DType.F32, 6, 5, 4).permute(2, 1, 0);
        byte[] g = GpuElementwise.geometry(out, a, b);
        assertEquals(org.iboot4j.kernels.ptx.PtxStructs.ELEMENTWISE_GEOMETRY_BYTES, g.length);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(g).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(120, bb.getInt(0));
        assertEquals(3, bb.getInt(4));
        assertEquals(0, bb.getInt(40 + 32 + 0), "a's stride along the broadcast dim 0");
        assertEquals(1, bb.getInt(40 + 64 + 0), "b's stride along dim 0 (permuted)");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> GpuElementwise.geometry(out, Tensor.empty(cpu, DType.F32, 4, 5)));
        assertTrue(e.getMessage().contains("broadcast it first"), e.getMessage());
        assertEquals(1, java.nio.ByteBuffer.wrap(GpuElementwise.geometry(out, Tensor.empty(cpu, DType.F32, 4, 5, 6)))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4), "contiguous operands merge to rank 1");
    }

    // ---- reductions, optimiser ------------------------------------------------------------------

    @Test
    void reducePlansSplitLongRangesOnlyWhenOutputsAreFew() {
        GpuReduce.Plan full = GpuReduce.Plan.of(1, 10_000_000, 132);
        assertEquals(256, full.threadsPerOutput());
        assertTrue(full.splits() > 1 && full.splits() <= 528);
        assertTrue((long) full.splits() * full.chunk() >= 10_000_000);
        assertTrue((long) (full.splits() - 1) * full.chunk() < 10_000_000, "no empty split");
        GpuReduce.Plan rows = GpuReduce.Plan.of(100_000, 768, 132);
        assertEquals(1, rows.splits());
        assertEquals(65535, rows.gridX());
        GpuReduce.Plan tiny = GpuReduce.Plan.of(10, 3, 132);
        assertEquals(2, tiny.threadsPerOutput());
        assertEquals(1, tiny.splits());
        assertEquals(3, tiny.chunk());
        assertEquals(1, GpuOptimizer.normBlocks(1));
        assertEquals(2, GpuOptimizer.normBlocks(2049));
        assertEquals(1024, GpuOptimizer.normBlocks(1L << 30));
    }

    // ---- pooling ----------------------------------------------------------------------------------

    /** The GPU's max-pool window loop replayed on host arrays. */
    private static void windowLoopMaxPool(float[] x, int n, int c, int[] in, int[] out, PoolGeometry g, float[] best,
            float[] idx) {
        int[] pe = GpuPooling.paddedExtent(in, out, g), p = g.padding(), s = g.stride(), k = g.kernel();
        float[] cand = GpuPooling.candidateIndices(in, out, g), first = GpuPooling.firstIndices(in, out, g);
        int vol = out[0] * out[1] * out[2];
        for (int plane = 0; plane < n * c; plane++) {
            float[] xp = new float[pe[0] * pe[1] * pe[2]];
            Arrays.fill(xp, Float.NEGATIVE_INFINITY);
            for (int t = 0; t < in[0]; t++) {
                for (int h = 0; h < in[1]; h++) {
                    for (int w = 0; w < in[2]; w++) {
                        xp[((t + p[0]) * pe[1] + h + p[1]) * pe[2] + w + p[2]] = x[plane * in[0] * in[1] * in[2] + (t * in[1] + h) * in[2] + w];
                    }
                }
            }
            for (int o = 0; o < vol; o++) {
                best[plane * vol + o] = Float.NEGATIVE_INFINITY;
                idx[plane * vol + o] = first[o];
            }
            int off = 0;
            for (int dt = 0; dt < k[0]; dt++) {
                for (int dh = 0; dh < k[1]; dh++) {
                    for (int dw = 0; dw < k[2]; dw++, off++) {
                        for (int ot = 0; ot < out[0]; ot++) {
                            for (int oh = 0; oh < out[1]; oh++) {
                                for (int ow = 0; ow < out[2]; ow++) {
                                    int o = (ot * out[1] + oh) * out[2] + ow;
                                    float v = xp[((dt + ot * s[0]) * pe[1] + dh + oh * s[1]) * pe[2] + dw + ow * s[2]];
                                    boolean take = v > best[plane * vol + o] || v != v;
                                    if (take) {
                                        best[plane * vol + o] = v;
                                        idx[plane * vol + o] = cand[off * vol + o];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theMaxPoolWindowLoopMatchesTheCpuTwinIncludingTiesNanAndCeilMode() {
        Rng rng = new Rng(3);
        PoolGeometry[] geometries = {
            new PoolGeometry(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1}, false),
            new PoolGeometry(new int[] {2, 3, 3}, new int[] {2, 2, 2}, new int[] {1, 1, 0}, true),
            new PoolGeometry(new int[] {3, 2, 3}, new int[] {1, 3, 2}, new int[] {1, 1, 1}, true),
        };
        for (PoolGeometry g : geometries) {
            int[] xs = {2, 3, 5, 7, 6};
            float[] data = Tensor.randn(rng, 0, 1, xs).toFloatArray();
            for (int i = 0; i < data.length; i += 7) data[i] = (float) Math.floor(data[i]); // ties
            data[11] = Float.NaN;
            data[40] = Float.NaN;
            Tensor x = Tensor.of(data, xs).to(cpu);
            int[] os = g.outputShape(xs);
            Tensor out = Tensor.empty(cpu, DType.F32, os), ind = Tensor.empty(cpu, DType.I64, os);
            cpu.maxPool3d(x, g, out, ind);
            float[] best = new float[out.numel()], idx = new float[out.numel()];
            windowLoopMaxPool(data, xs[0], xs[1], Arrays.copyOfRange(xs, 2, 5), Arrays.copyOfRange(os, 2, 5), g, best, idx);
            float[] want = out.toFloatArray();
            long[] wantIdx = ind.toLongArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], best[i], 0, g + " value " + i);
                assertEquals(wantIdx[i], (long) idx[i], g + " index " + i);
            }
        }
    }

    @Test
    void theAveragePoolDivisorsMatchTheCpuTwin() {
        Rng rng = new Rng(5);
        for (boolean includePad : new boolean[] {true, false}) {
            for (PoolGeometry g : new PoolGeometry[] {
                new PoolGeometry(new int[] {2, 3, 3}, new int[] {2, 2, 2}, new int[] {1, 1, 1}, true),
                new PoolGeometry(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1}, false)}) {
                int[] xs = {1, 2, 5, 6, 7}, in = {5, 6, 7};
                int[] os = g.outputShape(xs), o = Arrays.copyOfRange(os, 2, 5);
                float[] data = Tensor.randn(rng, 0, 1, xs).toFloatArray();
                Tensor out = Tensor.empty(cpu, DType.F32, os);
                cpu.avgPool3d(Tensor.of(data, xs).to(cpu), g, includePad, out);
                // replay: zero-padded sums over the window offsets, divided by the divisors
                int[] pe = GpuPooling.paddedExtent(in, o, g), p = g.padding(), s = g.stride(), k = g.kernel();
                float[] div = GpuPooling.divisors(in, o, g, includePad), want = out.toFloatArray();
                int vol = o[0] * o[1] * o[2];
                for (int plane = 0; plane < 2; plane++) {
                    for (int ot = 0; ot < o[0]; ot++) {
                        for (int oh = 0; oh < o[1]; oh++) {
                            for (int ow = 0; ow < o[2]; ow++) {
                                double sum = 0;
                                for (int dt = 0; dt < k[0]; dt++) {
                                    for (int dh = 0; dh < k[1]; dh++) {
                                        for (int dw = 0; dw < k[2]; dw++) {
                                            int t = ot * s[0] + dt - p[0], h = oh * s[1] + dh - p[1], w = ow * s[2] + dw - p[2];
                                            assertTrue(ot * s[0] + dt < pe[0] && oh * s[1] + dh < pe[1] && ow * s[2] + dw < pe[2]);
                                            if (t >= 0 && t < in[0] && h >= 0 && h < in[1] && w >= 0 && w < in[2]) {
                                                sum += data[plane * 210 + (t * 6 + h) * 7 + w];
                                            }
                                        }
                                    }
                                }
                                int at = (ot * o[1] + oh) * o[2] + ow;
                                assertEquals(want[plane * vol + at], sum / div[at], 1e-5, g + " includePad=" + includePad);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(GpuPooling.cudnnCompatible(new int[] {1, 1, 8, 57, 57},
                new PoolGeometry(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1}, true)),
                "ceil_mode that changes nothing still goes to cuDNN");
        assertTrue(!GpuPooling.cudnnCompatible(new int[] {1, 1, 5, 6, 7},
                new PoolGeometry(new int[] {2, 3, 3}, new int[] {2, 2, 2}, new int[] {1, 1, 1}, true)));
    }
}
