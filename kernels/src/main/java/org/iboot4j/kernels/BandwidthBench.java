package org.iboot4j.kernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.ReduceOp;
import org.iboot4j.engine.backend.SgdStep;
import org.iboot4j.engine.backend.UnaryOp;
import org.iboot4j.kernels.cuda.CudaBackend;
import org.iboot4j.kernels.cuda.DeviceBuffer;
import org.iboot4j.kernels.cuda.GpuAugment;

/**
 * Achieved bandwidth of the hand-written kernels, as a fraction of a measured device-to-device
 * copy ({@code cuMemcpyDtoDAsync} of 1 GiB, which reads and writes every byte: 2 GiB moved).
 *
 * <p>BYTES MOVED (per call, written next to each kernel below): every launch reads each of its
 * inputs once and writes each of its outputs once -- the DRAM traffic if the caches catch every
 * re-read inside a launch (softmax and layer-norm re-read their row, cosine loss its two rows).
 * Multi-launch primitives count each launch: LARS is the norms pass (reads w, g) plus the step
 * (reads w, g, buf, writes w, buf), 28 bytes per element where plain SGD moves 20; the
 * augmentation's pass 0 (contrast) reads the source window again and the blur reads and writes
 * the float clip twice more. A fraction near 1 means the kernel runs at copy speed; below it,
 * the kernel is limited by something else (re-reads that miss, latency, too few blocks, math).
 *
 * <p>Sizes: 2^26 floats (256 MiB per operand) for the elementwise family, reductions and the
 * optimiser; 65536 rows for the row-wise kernels; 16384 x 3072 (ViT-B/16's fc1 output) for the
 * bias + activation; 32 clips of 8 frames, 240x320 to 224x224 for
 * the augmentation. {@code quick} shrinks all of them (a smoke run, e.g. on the fake driver).
 */
final class BandwidthBench {
    private BandwidthBench() {}

    /** A kernel, its shape in words, bytes moved per call, and how to set it up on a backend (returns the call). */
    private record Kernel(String name, String shape, long bytes, Function<CudaBackend, Runnable> setup) {}

    static String run(CudaBackend gpu, boolean quick, double targetMs) {
        MarkdownTable t = new MarkdownTable("kernel", "shape", "bytes moved / call", "ms / call", "GB/s", "of D2D copy");
        long copyBytes = quick ? 1 << 20 : 1L << 30;
        double copyMs;
        try (TensorScope _ = TensorScope.open()) {
            var ctx = gpu.gpu().context();
            DeviceBuffer src = ctx.allocator().allocate(copyBytes), dst = ctx.allocator().allocate(copyBytes);
            ctx.memset8(src.address(), (byte) 1, copyBytes);
            copyMs = DeviceTimer.millisPerCall(gpu, () -> ctx.copy(dst.address(), src.address(), copyBytes), targetMs);
        }
        double copyGbs = 2.0 * copyBytes / copyMs / 1e6;
        t.row("cuMemcpyDtoDAsync (reference)", copyBytes + " bytes", 2 * copyBytes, f3(copyMs), f1(copyGbs), "1.00");
        for (Kernel k : kernels(quick)) {
            try (TensorScope _ = TensorScope.open()) {
                double ms = DeviceTimer.millisPerCall(gpu, k.setup.apply(gpu), targetMs);
                double gbs = k.bytes / ms / 1e6;
                t.row(k.name, k.shape, k.bytes, f3(ms), f1(gbs), String.format(Locale.ROOT, "%.2f", gbs / copyGbs));
            }
        }
        return t.toString();
    }

    private static List<Kernel> kernels(boolean quick) {
        int n = quick ? 1 << 14 : 1 << 26, rows = quick ? 16 : 65536, soft = 1024, width = 768;
        long n4 = 4L * n, rowsSoft = 4L * rows * soft, rowsWide = 4L * rows * width;
        List<Kernel> k = new ArrayList<>();
        String vec = "(" + n + ")";
        // unary: read x, write y
        k.add(new Kernel("unary_relu_f32", vec, 2 * n4, b -> unary(b, UnaryOp.RELU, n)));
        k.add(new Kernel("unary_gelu_f32", vec, 2 * n4, b -> unary(b, UnaryOp.GELU, n)));
        // binary: read x, y, write z
        k.add(new Kernel("binary_add_f32", vec, 3 * n4, b -> {
            Tensor x = filled(b, 0.5, n), y = filled(b, 0.25, n), z = Tensor.empty(b, DType.F32, n);
            return () -> b.binary(BinaryOp.ADD, x, y, z);
        }));
        // bias + activation at ViT-B/16's fc1 output width (3072): read x, write y (the bias row is
        // cached); backward: read g, x, write dx (the f64 column partials, 8 S D bytes, are negligible)
        int fcRows = quick ? 16 : 16384, fcWidth = quick ? 96 : 3072;
        String fc1 = "(" + fcRows + ", " + fcWidth + ")";
        long fc1Bytes = 4L * fcRows * fcWidth;
        k.add(new Kernel("bias_act_forward_f32 (GELU)", fc1, 2 * fc1Bytes + 4L * fcWidth, b -> {
            Tensor x = filled(b, 0.5, fcRows, fcWidth), bias = filled(b, 0.25, fcWidth);
            Tensor y = Tensor.empty(b, DType.F32, fcRows, fcWidth);
            return () -> b.biasActivation(x, bias, FusedActivation.GELU, y);
        }));
        k.add(new Kernel("bias_act_backward_f32 + bias_grad (GELU)", fc1, 3 * fc1Bytes + 8L * fcWidth, b -> {
            Tensor x = filled(b, 0.5, fcRows, fcWidth), bias = filled(b, 0.25, fcWidth), g = filled(b, 0.125, fcRows, fcWidth);
            Tensor dx = Tensor.empty(b, DType.F32, fcRows, fcWidth), db = Tensor.empty(b, DType.F32, fcWidth);
            return () -> b.biasActivationBackward(g, x, bias, FusedActivation.GELU, dx, db);
        }));
        // full sum: read x (the second pass over the block partials is negligible)
        k.add(new Kernel("reduce_f32 (SUM, all)", vec, n4, b -> {
            Tensor x = filled(b, 0.5, n), out = Tensor.empty(b, DType.F32, 1);
            return () -> b.reduce(ReduceOp.SUM, x, new int[] {0}, out);
        }));
        // row sums: read x, write one float per row
        k.add(new Kernel("reduce_f32 (SUM, last dim)", "(" + rows + ", " + soft + ")", rowsSoft + 4L * rows, b -> {
            Tensor x = filled(b, 0.5, rows, soft), out = Tensor.empty(b, DType.F32, rows, 1);
            return () -> b.reduce(ReduceOp.SUM, x, new int[] {1}, out);
        }));
        // softmax: read x, write y; backward: read y, g, write dx
        k.add(new Kernel("softmax_forward_f32", "(" + rows + ", " + soft + ")", 2 * rowsSoft, b -> {
            Tensor x = filled(b, 0.5, rows, soft), y = Tensor.empty(b, DType.F32, rows, soft);
            return () -> b.softmax(x, false, y);
        }));
        k.add(new Kernel("softmax_backward_f32", "(" + rows + ", " + soft + ")", 3 * rowsSoft, b -> {
            Tensor y = filled(b, 1.0 / soft, rows, soft), g = filled(b, 0.5, rows, soft), dx = Tensor.empty(b, DType.F32, rows, soft);
            return () -> b.softmaxBackward(y, g, false, dx);
        }));
        // layer-norm: read x, w, b, write y, mean, rstd; backward: read g, x, w, mean, rstd, write dx, dw, db
        k.add(new Kernel("layer_norm_forward_f32", "(" + rows + ", " + width + ")", 2 * rowsWide + 8L * width + 8L * rows, b -> {
            Tensor x = filled(b, 0.5, rows, width), w = filled(b, 1, width), bias = filled(b, 0, width);
            Tensor y = Tensor.empty(b, DType.F32, rows, width), mean = Tensor.empty(b, DType.F32, rows), rstd = Tensor.empty(b, DType.F32, rows);
            return () -> b.layerNorm(x, w, bias, 1e-5f, y, mean, rstd);
        }));
        k.add(new Kernel("layer_norm_backward_f32 + param_grad", "(" + rows + ", " + width + ")",
                3 * rowsWide + 12L * width + 8L * rows, b -> {
            Tensor g = filled(b, 0.5, rows, width), x = filled(b, 0.25, rows, width), w = filled(b, 1, width);
            Tensor mean = filled(b, 0.25, rows), rstd = filled(b, 1, rows);
            Tensor dx = Tensor.empty(b, DType.F32, rows, width), dw = Tensor.empty(b, DType.F32, width), db = Tensor.empty(b, DType.F32, width);
            return () -> b.layerNormBackward(g, x, w, mean, rstd, dx, dw, db);
        }));
        // SGD: read w, g, buf, write w, buf; LARS adds the norms pass (read w, g)
        SgdStep sgd = new SgdStep(0.1f, 0.9f, 1e-4f, false, 0, 0), lars = new SgdStep(0.3f, 0.9f, 1e-6f, false, 0.001f, 1e-8f);
        k.add(new Kernel("sgd_step (SGD)", vec, 5 * n4, b -> step(b, sgd, n)));
        k.add(new Kernel("sgd_step_norms + sgd_step (LARS)", vec, 7 * n4, b -> step(b, lars, n)));
        // cosine loss: read q, k, write dk
        k.add(new Kernel("cosine_loss", "(" + rows + ", " + width + ")", 3 * rowsWide, b -> {
            Tensor q = filled(b, 0.5, rows, width), kk = filled(b, 0.25, rows, width);
            Tensor loss = Tensor.empty(b, DType.F32), dk = Tensor.empty(b, DType.F32, rows, width);
            return () -> b.cosineLoss(q, kk, loss, dk);
        }));
        k.add(augment(quick, false));
        k.add(augment(quick, true));
        return k;
    }

    /**
     * The augmentation of N clips of T frames, H x W sources resized to RH x RW, an out x out
     * crop. Pass 1 reads the crop's preimage in the source, T H W 3 (out out) / (RH RW) bytes
     * per clip, and writes 12 T out^2; pass 0 (contrast) reads the preimage again; the blur
     * reads and writes the float clip twice (2 x 2 x 12 T out^2).
     */
    private static Kernel augment(boolean quick, boolean contrastAndBlur) {
        int clips = quick ? 2 : 32, frames = quick ? 2 : 8, h = quick ? 48 : 240, w = quick ? 64 : 320;
        int rh = quick ? 56 : 256, rw = quick ? 74 : 341, out = quick ? 40 : 224;
        float[] mean = {0.45f, 0.45f, 0.45f}, std = {0.225f, 0.225f, 0.225f};
        List<AugmentClip> list = new ArrayList<>();
        for (int i = 0; i < clips; i++) {
            int[] order = contrastAndBlur ? new int[] {1, 3, 0, 2} : new int[] {3, 0, 2};
            list.add(new AugmentClip(h, w, rh, rw, (rh - out) * i / clips, (rw - out) * (clips - i) / clips, i % 2 == 0,
                    1.2f, 0.8f, 0.7f, 0.1f, order, i % 5 == 0, contrastAndBlur ? 1.1f : 0f, 23, mean, std));
        }
        long window = Math.round((double) frames * h * w * 3 * out * out / ((double) rh * rw)), plane = 12L * frames * out * out;
        long bytes = clips * (window + plane + (contrastAndBlur ? window + 4L * frames + 4 * plane : 0));
        String name = contrastAndBlur ? "augment_clip x2 + blur_h + blur_v (contrast, blur)" : "augment_clip (jitter w/o contrast)";
        String shape = clips + " x " + frames + " x " + h + "x" + w + " -> " + rh + "x" + rw + ", crop " + out;
        return new Kernel(name, shape, bytes, b -> {
            byte[] u8 = new byte[(int) (clips * list.get(0).frameBytes(frames))];
            for (int i = 0; i < u8.length; i++) u8[i] = (byte) (i * 131 + (i >> 9));
            GpuAugment.Uploaded up = GpuAugment.upload(b, MemorySegment.ofArray(u8), list, frames, out, out); // in the row's scope
            Tensor batch = Tensor.empty(b, DType.F32, clips, 3, frames, out, out);
            return () -> {
                try (TensorScope _ = TensorScope.open()) {
                    up.run(batch);
                }
            };
        });
    }

    private static Runnable unary(CudaBackend b, UnaryOp op, int n) {
        Tensor x = filled(b, 0.5, n), y = Tensor.empty(b, DType.F32, n);
        return () -> b.unary(op, x, y);
    }

    private static Runnable step(CudaBackend b, SgdStep s, int n) {
        Tensor w = filled(b, 0.5, n), g = filled(b, 0.01, n), buf = Tensor.empty(b, DType.F32, n);
        return () -> b.sgdStep(w, g, buf, s);
    }

    private static Tensor filled(CudaBackend b, double value, int... shape) {
        Tensor t = Tensor.empty(b, DType.F32, shape);
        b.fill(t, value);
        return t;
    }

    static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
