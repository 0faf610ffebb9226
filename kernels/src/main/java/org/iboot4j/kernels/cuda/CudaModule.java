package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataEx;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;

/**
 * A PTX module JIT-compiled by the driver for the current device, and the kernels in it.
 *
 * <p>Loading goes through {@code cuModuleLoadDataEx} with the JIT's info and error log buffers
 * (CU_JIT_INFO_LOG_BUFFER / CU_JIT_ERROR_LOG_BUFFER and their sizes): when the PTX does not
 * compile, the exception carries ptxas's own message (line number and reason), not just
 * CUDA_ERROR_INVALID_PTX. The buffers are native memory from an FFM arena; their addresses go
 * into the option-value array, which the driver reads as {@code void*[]}.
 */
public final class CudaModule implements AutoCloseable {
    /** Bytes for each JIT log. */
    static final int LOG_BYTES = 16 * 1024;

    private final String name;
    private final CUmodule module = new CUmodule();
    private final String infoLog;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private boolean closed;

    private CudaModule(String name, String ptx) {
        this.name = name;
        byte[] image = nulTerminated(ptx);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(LOG_BYTES), error = arena.allocate(LOG_BYTES);
            int[] options = jitOptions();
            long[] values = jitOptionValues(info.address(), error.address());
            int r = cuModuleLoadDataEx(module, Pointer.to(image), options.length, options, Pointer.to(values));
            String err = cString(error), inf = cString(info);
            if (r != Driver.SUCCESS) {
                throw new CudaException(loadFailure(name, r, err, inf), r);
            }
            infoLog = inf;
        }
    }

    /** JIT-compiles {@code ptx} (the text of {@code name}.ptx) for the current context's device. */
    public static CudaModule load(String name, String ptx) {
        return new CudaModule(name, ptx);
    }

    /** The option keys handed to cuModuleLoadDataEx, in the order of {@link #jitOptionValues}. */
    static int[] jitOptions() {
        return new int[] {CUjit_option.CU_JIT_INFO_LOG_BUFFER, CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    }

    /** The option values: each a {@code void*}, the sizes cast to pointers as the driver API wants. */
    static long[] jitOptionValues(long infoAddress, long errorAddress) {
        return new long[] {infoAddress, LOG_BYTES, errorAddress, LOG_BYTES};
    }

    /** The exception text for a module that did not load: the call, the code, then the JIT's logs. */
    static String loadFailure(String name, int result, String errorLog, String infoLog) {
        StringBuilder sb = new StringBuilder("cuModuleLoadDataEx(" + name + ".ptx) failed: " + Driver.name(result));
        if (!errorLog.isBlank()) sb.append("\nJIT error log:\n").append(errorLog.strip());
        if (!infoLog.isBlank()) sb.append("\nJIT info log:\n").append(infoLog.strip());
        if (errorLog.isBlank() && infoLog.isBlank()) sb.append(" (the JIT wrote no log)");
        return sb.toString();
    }

    static byte[] nulTerminated(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    /** The NUL-terminated string at the start of {@code segment} (the whole segment if no NUL). */
    static String cString(MemorySegment segment) {
        long n = 0, size = segment.byteSize();
        while (n < size && segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, n) != 0) n++;
        return new String(segment.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8);
    }

    /** The kernel {@code kernel} (its .entry name); a clear error when the module lacks it. */
    public CUfunction function(String kernel) {
        return functions.computeIfAbsent(kernel, k -> {
            CUfunction f = new CUfunction();
            Driver.check(cuModuleGetFunction(f, module, k), "cuModuleGetFunction", name + ".ptx: " + k);
            return f;
        });
    }

    public String name() {
        return name;
    }

    /** What the JIT reported on success (register and shared-memory use with verbose logs). */
    public String infoLog() {
        return infoLog;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cuModuleUnload(module);
    }
}
