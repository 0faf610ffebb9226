package org.iboot4j.kernels.cuda;

import java.util.List;
import java.util.Optional;

/**
 * Decides whether the CUDA backend can run here, and if not says why in one line: the first
 * missing piece among the NVIDIA driver ({@code libcuda.so.1}), JCuda's JNI library, a CUDA
 * device, cuBLAS and cuDNN (found by soname) and the C functions bound from them.
 *
 * <p>Nothing here runs at class-load time, and nothing throws: a missing library is an answer.
 * The driver library is looked up with FFM before JCuda is touched, because JCuda's class
 * initialiser would otherwise fail with an UnsatisfiedLinkError that poisons the class.
 */
public final class CudaProbe {
    private CudaProbe() {}

    /** What the probe found. {@code reason} is null when everything is there. */
    public record Result(String reason, int deviceCount, Cublas.Api cublas, Cudnn.Api cudnn) {
        public boolean available() {
            return reason == null;
        }
    }

    /** The driver's state after cuInit: the result code, the device count, or why JCuda did not load. */
    public record DriverStatus(int initResult, int deviceCount, String loadError) {}

    /** Where the probe looks; tests substitute a fake. */
    public interface Environment {
        /** The first of {@code sonames} that loads. */
        Optional<NativeLibrary> open(List<String> sonames);

        /** cuInit(0) and cuDeviceGetCount through JCuda (called only once libcuda.so.1 loads). */
        DriverStatus initDriver();

        /** Binds the cuBLAS API (throws NativeLibrary.MissingSymbolException). */
        default Cublas.Api bindCublas(NativeLibrary lib) {
            return Cublas.Api.bind(lib);
        }

        /** Binds the cuDNN API (throws NativeLibrary.MissingSymbolException). */
        default Cudnn.Api bindCudnn(NativeLibrary lib) {
            return Cudnn.Api.bind(lib);
        }
    }

    /** The soname of the NVIDIA driver's CUDA library. */
    public static final String DRIVER_SONAME = "libcuda.so.1";

    /** Checks everything, in the order a person would fix it. */
    public static Result probe(Environment env, int ordinal) {
        try {
            if (env.open(List.of(DRIVER_SONAME)).isEmpty()) {
                return fail("no NVIDIA driver: " + DRIVER_SONAME + " not found by the dynamic loader");
            }
            DriverStatus d = env.initDriver();
            if (d.loadError() != null) return fail("JCuda's native library did not load: " + d.loadError());
            if (d.initResult() == 100) return fail("no CUDA device (cuInit: " + Driver.name(100) + ")");
            if (d.initResult() != Driver.SUCCESS) return fail("cuInit failed: " + Driver.name(d.initResult()));
            if (d.deviceCount() <= 0) return fail("no CUDA device (cuDeviceGetCount = 0)");
            if (ordinal < 0 || ordinal >= d.deviceCount()) {
                return fail("device " + ordinal + " requested (-Diboot.cuda.device) but " + d.deviceCount()
                        + " present");
            }
            Optional<NativeLibrary> cublas = env.open(Cublas.SONAMES), cudnn = env.open(Cudnn.SONAMES);
            if (cublas.isEmpty() && cudnn.isEmpty()) {
                return fail("cuBLAS and cuDNN not found (tried " + String.join(", ", Cublas.SONAMES) + ", "
                        + String.join(", ", Cudnn.SONAMES) + "; add their folders to LD_LIBRARY_PATH)");
            }
            if (cublas.isEmpty()) {
                return fail("cuBLAS not found (tried " + String.join(", ", Cublas.SONAMES)
                        + "; add its folder to LD_LIBRARY_PATH)");
            }
            if (cudnn.isEmpty()) {
                return fail("cuDNN not found (tried " + String.join(", ", Cudnn.SONAMES)
                        + "; add its folder to LD_LIBRARY_PATH)");
            }
            Cublas.Api blas = env.bindCublas(cublas.get());
            Cudnn.Api dnn = env.bindCudnn(cudnn.get());
            return new Result(null, d.deviceCount(), blas, dnn);
        } catch (NativeLibrary.MissingSymbolException e) {
            return fail(e.getMessage());
        } catch (Throwable t) {
            return fail("probe failed: " + t);
        }
    }

    private static Result fail(String reason) {
        return new Result(oneLine(reason), 0, null, null);
    }

    /** Collapses a message to one line (the backend contract: one line saying what is missing). */
    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** The real machine: FFM for the libraries, JCuda for the driver. */
    public static final class RealEnvironment implements Environment {
        @Override
        public Optional<NativeLibrary> open(List<String> sonames) {
            return NativeLibrary.open(sonames);
        }

        @Override
        public DriverStatus initDriver() {
            try {
                jcuda.driver.JCudaDriver.setExceptionsEnabled(false);
                int r = jcuda.driver.JCudaDriver.cuInit(0);
                if (r != Driver.SUCCESS) return new DriverStatus(r, 0, null);
                int[] count = new int[1];
                int c = jcuda.driver.JCudaDriver.cuDeviceGetCount(count);
                return new DriverStatus(c, c == Driver.SUCCESS ? count[0] : 0, null);
            } catch (LinkageError | RuntimeException e) {
                String m = e.getMessage() == null ? e.toString() : e.getMessage();
                return new DriverStatus(-1, 0, oneLine(m));
            }
        }
    }
}
