package org.iboot4j.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.kernels.cuda.Cublas;
import org.iboot4j.kernels.cuda.CudaBackend;
import org.iboot4j.kernels.cuda.CudaStorage;
import org.iboot4j.kernels.cuda.DeviceBuffer;

/**
 * cuBLAS GEMMs and cuDNN 3-D convolutions at the model's shapes, against the device's peak.
 *
 * <p>GEMM (row-major C = A B through {@code Backend.matmul}, i.e. cublasSgemm, FP32 and TF32;
 * bf16 inputs with FP32 accumulation through cublasGemmEx): 2048^3, and ViT-B/16's three large
 * products (qkv 768 -> 2304, fc1 768 -> 3072, fc2 3072 -> 768) for 197 rows (one image), 8 x 197
 * (a batch of 8 images) and 64 x 197 (the frozen target over 8 clips of 8 frames). FLOPs: 2 m k n.
 *
 * <p>conv3d (through {@code Backend.conv3d}, {@code conv3dBackwardData},
 * {@code conv3dBackwardFilter}, i.e. cuDNN with the backend's algorithm choice; FP32, then
 * TF32): every distinct convolution of Slow-R50 on a batch of 8 clips of 8x224x224 (below).
 * FLOPs of every direction: 2 N Cout To Ho Wo (Cin / groups) kT kH kW.
 *
 * <p>Columns: time per call (DeviceTimer), TFLOP/s, the fraction of the data-sheet peak of that
 * precision ({@link PeakTable}; "-" for an unlisted device) and, for GEMMs, of the best GEMM
 * measured here in the same precision. {@code quick} runs one tiny GEMM and one tiny
 * convolution (a smoke run).
 */
final class LibraryBench {
    private LibraryBench() {}

    record Gemm(String name, int m, int k, int n) {}

    /** A convolution layer: input (N, Cin, T, H, W), weight (Cout, Cin, kT, kH, kW), geometry. */
    record Conv(String name, int[] x, int[] w, ConvGeometry g) {}

    static List<Gemm> gemms(boolean quick) {
        if (quick) return List.of(new Gemm("tiny", 64, 32, 48));
        List<Gemm> l = new ArrayList<>(List.of(new Gemm("square", 2048, 2048, 2048)));
        for (int images : new int[] {1, 8, 64}) {
            int m = 197 * images;
            String rows = images == 1 ? "197 rows" : images + "x197 rows";
            l.add(new Gemm("ViT qkv, " + rows, m, 768, 2304));
            l.add(new Gemm("ViT fc1, " + rows, m, 768, 3072));
            l.add(new Gemm("ViT fc2, " + rows, m, 3072, 768));
        }
        return l;
    }

    /**
     * Slow-R50 (pytorchvideo's slow_r50; the temporal kernel is 1 in res2 and res3, 3 in res4
     * and res5 conv_a) at batch 8, 8x224x224 clips: stem 224 -> 112 (then a 1x3x3 / 2 max pool
     * to 56), res2 at 56, res3 56 -> 28, res4 28 -> 14, res5 14 -> 7; each stage's first block
     * has the stride in conv_b and a 1x1x1 strided shortcut (branch1), later blocks take the
     * stage's output width. One entry per distinct shape.
     */
    static List<Conv> convs(boolean quick) {
        int b = 8, t = 8;
        if (quick) return List.of(conv("tiny stem", 1, 3, 16, 2, 16, 1, 7, 2, 3));
        List<Conv> l = new ArrayList<>();
        l.add(conv("stem 1x7x7 /2", b, 3, 64, t, 224, 1, 7, 2, 3));
        int[][] stages = { // in width, mid width, out width, input size, output size, temporal kernel of conv_a
            {64, 64, 256, 56, 56, 1}, {256, 128, 512, 56, 28, 1}, {512, 256, 1024, 28, 14, 3}, {1024, 512, 2048, 14, 7, 3}};
        for (int s = 0; s < stages.length; s++) {
            int in = stages[s][0], mid = stages[s][1], out = stages[s][2], hin = stages[s][3], hout = stages[s][4], kt = stages[s][5];
            int stride = hin / hout;
            String r = "res" + (s + 2) + ".";
            l.add(conv(r + "conv_a (first)", b, in, mid, t, hin, kt, 1, 1, 0));
            if (out != in) l.add(conv(r + "conv_a", b, out, mid, t, hout, kt, 1, 1, 0));
            l.add(conv(r + "conv_b (first)", b, mid, mid, t, hin, 1, 3, stride, 1));
            if (stride != 1) l.add(conv(r + "conv_b", b, mid, mid, t, hout, 1, 3, 1, 1));
            l.add(conv(r + "conv_c", b, mid, out, t, hout, 1, 1, 1, 0));
            l.add(conv(r + "branch1", b, in, out, t, hin, 1, 1, stride, 0));
        }
        return l;
    }

    /** A conv of kernel kt x k x k, spatial stride s, temporal padding kt / 2, spatial padding p. */
    private static Conv conv(String name, int n, int cin, int cout, int t, int hw, int kt, int k, int s, int p) {
        return new Conv(name, new int[] {n, cin, t, hw, hw}, new int[] {cout, cin, kt, k, k},
                new ConvGeometry(new int[] {1, s, s}, new int[] {kt / 2, p, p}, new int[] {1, 1, 1}, 1));
    }

    static String run(CudaBackend gpu, boolean quick, double targetMs) {
        Optional<PeakTable> peak = PeakTable.forDevice(gpu.device().name());
        StringBuilder md = new StringBuilder();
        md.append("Peak: ").append(peak.map(p -> String.format(Locale.ROOT, "%s (FP32 %.1f, TF32 %.1f, BF16 %.1f TFLOP/s dense)",
                p.source(), p.fp32(), p.tf32(), p.bf16())).orElse("device not in PeakTable; fractions of the best GEMM only"))
                .append("\n\n");
        md.append(gemmTable(gpu, quick, targetMs, peak)).append('\n');
        md.append(convTable(gpu, quick, targetMs, peak));
        return md.toString();
    }

    private static String gemmTable(CudaBackend gpu, boolean quick, double targetMs, Optional<PeakTable> peak) {
        List<String[]> rows = new ArrayList<>();
        List<Double> tflops = new ArrayList<>();
        Map<String, Double> best = new HashMap<>();
        for (String precision : new String[] {"fp32", "tf32", "bf16"}) {
            setTf32(gpu, precision.equals("tf32"));
            try {
                for (Gemm g : gemms(quick)) {
                    double ms;
                    try (TensorScope _ = TensorScope.open()) {
                        ms = DeviceTimer.millisPerCall(gpu, precision.equals("bf16") ? bf16(gpu, g) : fp32(gpu, g), targetMs);
                    }
                    double tf = 2.0 * g.m * g.k * g.n / ms / 1e9;
                    best.merge(precision, tf, Math::max);
                    tflops.add(tf);
                    rows.add(new String[] {precision, g.name, g.m + "x" + g.k + "x" + g.n, BandwidthBench.f3(ms),
                            String.format(Locale.ROOT, "%.1f", tf), fraction(peak.map(p -> p.peak(precision)), tf)});
                }
            } finally {
                setTf32(gpu, Boolean.getBoolean("iboot.cuda.tf32"));
            }
        }
        MarkdownTable t = new MarkdownTable("precision", "GEMM", "m x k x n", "ms / call", "TFLOP/s", "of peak", "of best GEMM");
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            t.row(r[0], r[1], r[2], r[3], r[4], r[5], String.format(Locale.ROOT, "%.2f", tflops.get(i) / best.get(r[0])));
        }
        return t.toString();
    }

    private static String convTable(CudaBackend gpu, boolean quick, double targetMs, Optional<PeakTable> peak) {
        MarkdownTable t = new MarkdownTable("precision", "layer", "x", "w", "stride / pad", "direction", "ms / call", "TFLOP/s",
                "of peak");
        for (String precision : new String[] {"fp32", "tf32"}) {
            setTf32(gpu, precision.equals("tf32"));
            try {
                for (Conv c : convs(quick)) {
                    int[] y = c.g.outputShape(c.x, c.w);
                    double flops = 2.0 * y[0] * y[1] * y[2] * y[3] * y[4] * c.w[1] * c.w[2] * c.w[3] * c.w[4];
                    try (TensorScope _ = TensorScope.open()) {
                        Tensor x = filled(gpu, c.x), w = filled(gpu, c.w), dy = filled(gpu, y);
                        Tensor out = Tensor.empty(gpu, DType.F32, y), dx = Tensor.empty(gpu, DType.F32, c.x);
                        Tensor dw = Tensor.empty(gpu, DType.F32, c.w);
                        String[] dirs = {"forward", "backward-data", "backward-filter"};
                        Runnable[] calls = {() -> gpu.conv3d(x, w, null, c.g, out), () -> gpu.conv3dBackwardData(dy, w, c.g, dx),
                                () -> gpu.conv3dBackwardFilter(dy, x, c.g, dw)};
                        for (int d = 0; d < 3; d++) {
                            double ms = DeviceTimer.millisPerCall(gpu, calls[d], targetMs), tf = flops / ms / 1e9;
                            t.row(precision, c.name, dims(c.x), dims(c.w), "s" + dims(c.g.stride()) + " p" + dims(c.g.padding()),
                                    dirs[d], BandwidthBench.f3(ms), String.format(Locale.ROOT, "%.1f", tf),
                                    fraction(peak.map(p -> p.peak(precision)), tf));
                        }
                    }
                }
            } finally {
                setTf32(gpu, Boolean.getBoolean("iboot.cuda.tf32"));
            }
        }
        return t.toString();
    }

    /** C = A B in FP32 (or TF32, as the handle is set) through the backend. */
    private static Runnable fp32(CudaBackend gpu, Gemm g) {
        Tensor a = filled(gpu, g.m, g.k), b = filled(gpu, g.k, g.n), c = Tensor.empty(gpu, DType.F32, g.m, g.n);
        return () -> gpu.matmul(a, b, c);
    }

    /** C = A B with bf16 A and B (all 0.5), FP32 C: cublasGemmEx, row-major as column-major C^T = B^T A^T. */
    private static Runnable bf16(CudaBackend gpu, Gemm g) {
        var ctx = gpu.gpu().context();
        DeviceBuffer a = ctx.allocator().allocate(2L * g.m * g.k), b = ctx.allocator().allocate(2L * g.k * g.n);
        ctx.memset32(a.address(), 0x3F003F00, ((long) g.m * g.k + 1) / 2); // two bf16 0.5 per word (blocks are 512-byte multiples)
        ctx.memset32(b.address(), 0x3F003F00, ((long) g.k * g.n + 1) / 2);
        Tensor c = Tensor.empty(gpu, DType.F32, g.m, g.n);
        long cPtr = ((CudaStorage) c.storage()).address();
        return () -> gpu.gpu().cublas().gemmEx(Cublas.OP_N, Cublas.OP_N, g.n, g.m, g.k, 1f, b.address(), Cublas.CUDA_R_16BF,
                g.n, 0, a.address(), g.k, 0, 0f, cPtr, g.n, 0, 1);
    }

    private static void setTf32(CudaBackend gpu, boolean on) {
        gpu.gpu().cublas().setTf32(on);
        gpu.gpu().cudnn().setTf32(on);
    }

    private static Tensor filled(CudaBackend gpu, int... shape) {
        Tensor t = Tensor.empty(gpu, DType.F32, shape);
        gpu.fill(t, 0.5);
        return t;
    }

    private static String fraction(Optional<Double> peak, double tflops) {
        return peak.map(p -> String.format(Locale.ROOT, "%.2f", tflops / p)).orElse("-");
    }

    private static String dims(int[] d) {
        return Arrays.toString(d).replace(" ", "");
    }
}
