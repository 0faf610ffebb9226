package org.iboot4j.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A fake NVIDIA driver: a {@code libcuda.so.1} whose "device memory" is host memory
 * (cuMemAlloc is an aligned malloc, copies are memcpy, memsets are loops), with one "Fake GPU"
 * (sm_90, 132 SMs, 80 GiB), a module loader that accepts any PTX (and fails with a JIT error log
 * when the text contains {@code FAKE_JIT_ERROR}), and a cuLaunchKernel that only records what it
 * was given. Every other symbol JCuda's JNI library imports is a stub returning
 * CUDA_ERROR_NOT_SUPPORTED. Loaded before JCuda, it lets the JCuda plumbing of the backend run
 * for real, without a GPU: context, stream, allocation, pinned staging, transfers, memsets,
 * kernel-parameter marshalling, JIT logs.
 */
final class FakeDriver {
    private FakeDriver() {}

    static final String CORE = """
            #include <stdint.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            typedef int CUresult;
            typedef unsigned long long CUdeviceptr;
            static char dlog[1 << 16];
            static size_t dlen;
            static void out(const char *s) { size_t n = strlen(s); if (dlen + n < sizeof dlog) { memcpy(dlog + dlen, s, n + 1); dlen += n; } }
            const char *fake_driver_log(void) { return dlog; }
            static char fname[64][128];
            static int nfn;
            CUresult cuInit(unsigned flags) { return 0; }
            CUresult cuDeviceGetCount(int *c) { *c = 1; return 0; }
            CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? 0 : 101; }
            CUresult cuDeviceGetName(char *name, int len, int d) { snprintf(name, len, "Fake GPU %d", d); return 0; }
            CUresult cuDeviceTotalMem_v2(size_t *b, int d) { *b = 80ULL << 30; return 0; }
            CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }
            CUresult cuDeviceGetAttribute(int *v, int a, int d) { *v = a == 75 ? 9 : a == 76 ? 0 : a == 16 ? 132 : 0; return 0; }
            CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = (void *) 0xC0; return 0; }
            CUresult cuDevicePrimaryCtxRelease_v2(int d) { return 0; }
            CUresult cuCtxSetCurrent(void *c) { return c == (void *) 0xC0 ? 0 : 201; }
            CUresult cuStreamCreate(void **s, unsigned flags) { *s = (void *) 0x5A; char b[64]; snprintf(b, 64, "stream flags=%u\\n", flags); out(b); return 0; }
            CUresult cuStreamDestroy_v2(void *s) { return 0; }
            CUresult cuStreamSynchronize(void *s) { return s == (void *) 0x5A ? 0 : 400; }
            CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
                void *m = aligned_alloc(256, (n + 255) / 256 * 256);
                if (!m) return 2;
                *p = (CUdeviceptr) (uintptr_t) m; return 0;
            }
            CUresult cuMemFree_v2(CUdeviceptr p) { free((void *) (uintptr_t) p); return 0; }
            CUresult cuMemHostAlloc(void **p, size_t n, unsigned flags) { *p = malloc(n); return *p ? 0 : 2; }
            CUresult cuMemFreeHost(void *p) { free(p); return 0; }
            CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *st) { memcpy((void *) (uintptr_t) d, s, n); return 0; }
            CUresult cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *st) { memcpy(d, (void *) (uintptr_t) s, n); return 0; }
            CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) { memmove((void *) (uintptr_t) d, (void *) (uintptr_t) s, n); return 0; }
            CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void *st) { memset((void *) (uintptr_t) d, v, n); return 0; }
            CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *st) {
                uint32_t *p = (uint32_t *) (uintptr_t) d; for (size_t i = 0; i < n; i++) p[i] = v; return 0;
            }
            CUresult cuMemsetD2D32Async(CUdeviceptr d, size_t pitch, unsigned v, size_t w, size_t h, void *st) {
                for (size_t r = 0; r < h; r++) { uint32_t *p = (uint32_t *) (uintptr_t) (d + r * pitch); for (size_t i = 0; i < w; i++) p[i] = v; }
                return 0;
            }
            CUresult cuMemGetInfo_v2(size_t *f, size_t *t) { *f = 70ULL << 30; *t = 80ULL << 30; return 0; }
            CUresult cuEventCreate(void **e, unsigned f) { *e = malloc(8); return 0; }
            CUresult cuEventRecord(void *e, void *s) { return 0; }
            CUresult cuEventSynchronize(void *e) { return 0; }
            CUresult cuEventElapsedTime(float *ms, void *a, void *b) { *ms = 1.5f; return 0; }
            CUresult cuEventDestroy_v2(void *e) { free(e); return 0; }
            CUresult cuModuleLoadDataEx(void **mod, const void *image, unsigned n, int *options, void **values) {
                char b[128]; snprintf(b, sizeof b, "module %u options:", n); out(b);
                for (unsigned i = 0; i < n; i++) { snprintf(b, sizeof b, " %d", options[i]); out(b); }
                out("\\n");
                if (strstr((const char *) image, "FAKE_JIT_ERROR")) {
                    char *buf = 0; size_t size = 0;
                    for (unsigned i = 0; i < n; i++) {
                        if (options[i] == 5) buf = (char *) values[i];
                        if (options[i] == 6) size = (size_t) (uintptr_t) values[i];
                    }
                    if (buf && size) snprintf(buf, size, "ptxas fatal   : fake error on line 1");
                    return 218;
                }
                *mod = (void *) 0x30; return 0;
            }
            CUresult cuModuleGetFunction(void **f, void *mod, const char *name) {
                if (nfn == 64) return 500;
                strncpy(fname[nfn], name, 127); *f = fname[nfn++]; return 0;
            }
            CUresult cuModuleUnload(void *m) { return 0; }
            CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                    unsigned shared, void *stream, void **params, void **extra) {
                char b[512];
                snprintf(b, sizeof b, "launch %s grid %u,%u,%u block %u,%u,%u shared %u stream %p p0=0x%llx p1=0x%llx\\n",
                         (const char *) f, gx, gy, gz, bx, by, bz, shared, stream,
                         *(unsigned long long *) params[0], *(unsigned long long *) params[1]);
                out(b);
                return 0;
            }
            """;

    /** The cu* symbols libJCudaDriver imports, read with {@code nm -D --undefined-only}. */
    static List<String> importedSymbols(Path dir) throws IOException, InterruptedException {
        Path so = dir.resolve("libJCudaDriver.so");
        try (InputStream in = FakeDriver.class.getResourceAsStream("/lib/libJCudaDriver-12.6.0-linux-x86_64.so")) {
            if (in == null) throw new IllegalStateException("jcuda-natives (linux-x86_64) is not on the class path");
            Files.copy(in, so);
        }
        Process p = new ProcessBuilder("nm", "-D", "--undefined-only", so.toString()).redirectErrorStream(true).start();
        List<String> symbols = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            String[] w = line.strip().split("\\s+");
            if (w.length == 2 && w[0].equals("U") && w[1].startsWith("cu")) symbols.add(w[1]);
        }
        if (p.waitFor() != 0 || symbols.isEmpty()) throw new IllegalStateException("nm found no cu* imports");
        return symbols;
    }

    /** Builds {@code libcuda.so.1} (soname libcuda.so.1) in {@code dir}; returns its path. */
    static Path build(Path dir) throws IOException, InterruptedException {
        Set<String> defined = new LinkedHashSet<>();
        for (String line : CORE.split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^CUresult (cu\\w+)\\(").matcher(line);
            if (m.find()) defined.add(m.group(1));
        }
        StringBuilder c = new StringBuilder(CORE);
        for (String s : importedSymbols(dir)) {
            if (!defined.contains(s)) c.append("CUresult ").append(s).append("(void) { return 801; }\n");
        }
        Path src = dir.resolve("fake_libcuda.c"), so = dir.resolve("libcuda.so.1");
        Files.writeString(src, c);
        compile(src, so, "libcuda.so.1");
        return so;
    }

    /** Builds the fake cuBLAS and cuDNN under their real sonames; returns {cublas, cudnn}. */
    static Path[] buildLibraries(Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("fake_cuda_libs.c");
        Files.writeString(src, FakeCudaLibraries.source());
        Path blas = dir.resolve("libcublas.so.13"), dnn = dir.resolve("libcudnn.so.9");
        compile(src, blas, "libcublas.so.13");
        compile(src, dnn, "libcudnn.so.9");
        return new Path[] {blas, dnn};
    }

    private static void compile(Path src, Path so, String soname) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(FakeCudaLibraries.compiler(), "-shared", "-fPIC", "-O0", "-Wl,-soname," + soname,
                "-o", so.toString(), src.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(soname + " did not compile:\n" + out);
    }
}
