package org.iboot4j.kernels.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.kernels.GpuBench;
import org.iboot4j.kernels.ParityCases;

/**
 * Runs in a child JVM (see {@link FakeDriverTest}): loads the fake libcuda.so.1, libcublas.so.13
 * and libcudnn.so.9 first, so that the CUDA backend finds a "GPU" and runs its real JCuda and FFM
 * plumbing against them. Prints "OK ..." / "FAIL ..." lines and exits with the failure count.
 */
@SuppressWarnings("restricted")
public final class FakeDriverMain {
    private static int failures;

    private FakeDriverMain() {}

    static void check(String what, boolean ok, Object detail) {
        System.out.println((ok ? "OK   " : "FAIL ") + what + (ok ? "" : ": " + detail));
        if (!ok) failures++;
    }

    public static void main(String[] args) throws Throwable {
        NativeLibrary driver = NativeLibrary.open(List.of(args[0])).orElseThrow();
        NativeLibrary.open(List.of(args[1])).orElseThrow();
        NativeLibrary.open(List.of(args[2])).orElseThrow();
        MethodHandle driverLog = driver.bind("fake_driver_log", FunctionDescriptor.of(ValueLayout.ADDRESS));

        CudaBackend b = (CudaBackend) Backends.byName("cuda:0"); // the ServiceLoader's instance
        check("the probe finds the fake driver, cuBLAS and cuDNN", b.unavailableReason() == null, b.unavailableReason());
        check("the CUDA backend becomes the default", Backends.current() == b, Backends.current().name());
        String info = b.toString();
        check("device line", info.startsWith("cuda:0: Fake GPU 0 (sm_90, 132 SMs, 80.0 GiB), driver API 13.0; memory 70.0 GiB"
                + " free of 80.0 GiB; cuBLAS 13.0.0 (libcublas.so.13), cuDNN 9.13.0 (libcudnn.so.9)"), info);
        String log = ((MemorySegment) driverLog.invokeExact()).reinterpret(1 << 16).getString(0);
        check("the stream is created non-blocking", log.contains("stream flags=1"), log);

        // transfers through the pinned staging buffer, including more than one 32 MiB chunk
        float[] f = new float[10_000_003];
        for (int i = 0; i < f.length; i++) f[i] = i * 0.5f - 7;
        Tensor tf = Tensor.of(f, f.length).to(b);
        check("float round trip (3 staging chunks)", Arrays.equals(f, tf.toFloatArray()), "differs");
        long[] l = {Long.MIN_VALUE, -1, 0, 1L << 40, Long.MAX_VALUE};
        check("int64 round trip", Arrays.equals(l, Tensor.ofLongs(l).to(b).toLongArray()), "differs");
        boolean[] z = {true, false, false, true};
        check("bool round trip", Arrays.equals(z, Tensor.ofBooleans(z).to(b).toBooleanArray()), "differs");
        check("allocations are zero-filled", Arrays.equals(new long[1000], Tensor.empty(b, DType.I64, 1000).toLongArray()),
                "not zero");
        Tensor fl = Tensor.empty(b, DType.F32, 33), il = Tensor.empty(b, DType.I64, 33), bl = Tensor.empty(b, DType.BOOL, 33);
        b.fill(fl, -2.25);
        b.fill(il, (1L << 40) + 3); // low and high words differ: the two strided 2-D memsets
        b.fill(bl, 1);
        float[] wantF = new float[33];
        Arrays.fill(wantF, -2.25f);
        long[] wantL = new long[33];
        Arrays.fill(wantL, (1L << 40) + 3);
        boolean[] wantB = new boolean[33];
        Arrays.fill(wantB, true);
        check("fill f32", Arrays.equals(wantF, fl.toFloatArray()), Arrays.toString(fl.toFloatArray()));
        check("fill i64 (64-bit memset)", Arrays.equals(wantL, il.toLongArray()), Arrays.toString(il.toLongArray()));
        check("fill bool", Arrays.equals(wantB, bl.toBooleanArray()), "differs");
        Tensor part = Tensor.empty(b, DType.F32, 100);
        b.copy(tf.narrow(0, 1000, 100), part); // contiguous with an offset: a device-to-device copy
        check("copy from an offset view", Arrays.equals(Arrays.copyOfRange(f, 1000, 1100), part.toFloatArray()), "differs");

        // allocator and scopes on the real allocation path
        MemoryStats before = b.memoryStats();
        try (TensorScope scope = TensorScope.open()) {
            Tensor.empty(b, DType.F32, 1 << 20);
            check("a scope tracks what is allocated in it", scope.size() == 1, scope.size());
        }
        MemoryStats after = b.memoryStats();
        check("the scope gave its memory back", after.inUse() == before.inUse() && after.cached() > 0, before + " / " + after);

        // the JIT error log surfaces in the exception
        try {
            b.gpu().context().makeCurrent();
            CudaModule.load("broken", "// FAKE_JIT_ERROR\n");
            check("a bad module fails", false, "no exception");
        } catch (CudaException e) {
            check("JIT error log in the exception", e.getMessage().equals("cuModuleLoadDataEx(broken.ptx) failed: "
                    + "CUDA_ERROR_INVALID_PTX (218)\nJIT error log:\nptxas fatal   : fake error on line 1"), e.getMessage());
        }

        // kernel parameters reach cuLaunchKernel as written
        b.gpu().kernels().launch(Kernels.args("softmax_forward_f32").ptr(0x1234).ptr(0x5678).s32(7).s32(9).s32(1),
                LaunchShape.of(3, 2, 256, 1));
        log = ((MemorySegment) driverLog.invokeExact()).reinterpret(1 << 16).getString(0);
        check("module loaded with the JIT log options", log.contains("module 4 options: 3 4 5 6"), log);
        check("launch shape and pointer parameters", log.contains("launch softmax_forward_f32 grid 3,2,1 block 256,1,1 "
                + "shared 0 stream 0x5a p0=0x1234 p1=0x5678"), log);

        // the fused augmentation: pass 0 only because clip 0 has contrast, the blur because clip 1 blurs;
        // grids (T, N) and (3 T, N); the output is (N, 3, T, out, out)
        float[] mean = {0.5f, 0.5f, 0.5f}, std = {0.25f, 0.25f, 0.25f};
        List<AugmentClip> clips = List.of(
                new AugmentClip(48, 64, 56, 74, 3, 11, true, 1f, 1.4f, 1f, 0f, new int[] {1},
                        false, 0f, 1, mean, std),
                new AugmentClip(40, 40, 40, 40, 0, 0, false, 1f, 1f, 1f, 0f, new int[0],
                        true, 0.8f, 23, mean, std));
        Tensor aug = Functional.augmentClips(b, MemorySegment.ofArray(new byte[4 * (48 * 64 + 40 * 40) * 3]), clips, 4, 40, 40);
        check("augmentation output shape", Arrays.equals(new int[] {2, 3, 4, 40, 40}, aug.shape()), Arrays.toString(aug.shape()));
        log = ((MemorySegment) driverLog.invokeExact()).reinterpret(1 << 16).getString(0);
        check("augment_clip pass 0 and pass 1, then blur_h and blur_v", log.split("launch augment_clip grid 4,2,1 block 256,1,1", -1)
                .length == 3 && log.contains("launch blur_h grid 12,2,1 block 256,1,1")
                && log.indexOf("launch blur_v grid 12,2,1") > log.indexOf("launch blur_h"), log);
        try {
            Functional.augmentClips(b, MemorySegment.ofArray(new byte[10]), clips, 4, 40, 40);
            check("a frame buffer of the wrong size is refused", false, "no exception");
        } catch (IllegalArgumentException e) {
            check("a frame buffer of the wrong size is refused", e.getMessage().contains("the buffer has 10"), e.getMessage());
        }

        // every primitive of the parity suite runs its Java side (argument checks against the
        // catalogue, descriptor setup, library calls) without an exception; the numbers are
        // meaningless here (kernels and library calls do nothing)
        Backend cpu = Backends.byName("cpu");
        int cases = 0;
        for (ParityCases.Case c : ParityCases.all(false)) {
            try {
                ParityCases.Prepared p = c.prepare().apply(b);
                p.run();
                float[][] out = p.outputs();
                cases++;
                if (out.length == 0) check(c.op() + " " + c.shape(), false, "no outputs");
            } catch (RuntimeException | Error e) {
                StringBuilder sb = new StringBuilder(e.toString());
                for (StackTraceElement s : e.getStackTrace()) {
                    if (s.getClassName().startsWith("org.iboot4j")) sb.append("\n      at ").append(s);
                }
                check(c.op() + " " + c.shape(), false, sb);
            }
        }
        check("parity cases run through the fake GPU: " + cases, cases == ParityCases.all(false).size(), cases);
        log = ((MemorySegment) driverLog.invokeExact()).reinterpret(1 << 16).getString(0);
        check("one context, one stream", log.split("stream flags", -1).length == 2, log);
        // the self-test's table runs to the end (its numbers are meaningless on the fake)
        int status = org.iboot4j.kernels.SelfTest.run(b, cpu, false, "matmul fp32|reduce SUM dims \\[1\\]");
        check("the self-test prints its table and returns a status", status == 0 || status == 1, status);
        // the benchmarks' tables (quick sizes; the fake's events always report 1.5 ms, so every
        // measurement is 34 calls in 1.5 ms: 0.044 ms per call)
        String md = GpuBench.run(b, null, true);
        System.out.print(md);
        check("bandwidth table: the copy reference and every kernel", md.contains("| cuMemcpyDtoDAsync (reference) | 1048576 bytes | 2097152 | 0.044 |")
                && md.contains("| sgd_step_norms + sgd_step (LARS) |") && md.contains("| augment_clip x2 + blur_h + blur_v (contrast, blur) |")
                && md.contains("| bias_act_backward_f32 + bias_grad (GELU) |")
                && md.split("\\| 0\\.044 \\|", -1).length - 1 == 17 + 3 + 6, md); // 17 bandwidth rows, 3 GEMMs, 6 convs
        check("GEMM and conv3d tables in three and two precisions", md.contains("| bf16 | tiny | 64x32x48 |")
                && md.contains("| tf32 | tiny stem |") && md.contains("| backward-filter |")
                && md.contains("device not in PeakTable"), md);
        System.out.println("memory: " + b.memoryStats());
        System.out.println("DONE failures=" + failures);
        System.exit(failures == 0 ? 0 : 1);
    }
}
