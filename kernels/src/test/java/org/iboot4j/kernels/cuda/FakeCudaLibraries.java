package org.iboot4j.kernels.cuda;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A fake cuBLAS + cuDNN: a shared library compiled (with the machine's C compiler) from the very
 * prototype strings the bindings are made of. Each stub appends its name and the arguments it
 * received, as C sees them, to a log ({@code name(a,b,...)}, pointers in hex, the float behind
 * alpha/beta pointers, int arrays as [..]); creators hand out fake handles, the algorithm queries
 * return two results (a failed one, then algo 1 with a 4096-byte workspace). So the Java side's
 * argument order, types and values are checked at the C ABI without a GPU.
 */
@SuppressWarnings("restricted")
final class FakeCudaLibraries {
    private final NativeLibrary library;
    private final MethodHandle log, reset, fail;

    private FakeCudaLibraries(NativeLibrary library) {
        this.library = library;
        log = library.bind("fake_log", FunctionDescriptor.of(ValueLayout.ADDRESS));
        reset = library.bind("fake_reset", FunctionDescriptor.ofVoid());
        fail = library.bind("fake_fail", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** The C compiler, or null. */
    static String compiler() {
        for (String cc : List.of("/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/clang")) {
            if (Files.isExecutable(Path.of(cc))) return cc;
        }
        return null;
    }

    /** Compiles and loads the fake library into {@code dir}. */
    static FakeCudaLibraries build(Path dir) throws IOException, InterruptedException {
        Path c = dir.resolve("fake_cuda.c"), so = dir.resolve("libfake_cuda.so");
        Files.writeString(c, source());
        Process p = new ProcessBuilder(compiler(), "-shared", "-fPIC", "-O0", "-o", so.toString(), c.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("the fake library did not compile:\n" + out);
        return new FakeCudaLibraries(NativeLibrary.open(List.of(so.toString())).orElseThrow());
    }

    NativeLibrary library() {
        return library;
    }

    /** Everything logged since the last {@link #reset()}. */
    String log() {
        try {
            return ((MemorySegment) log.invokeExact()).reinterpret(1 << 20).getString(0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    void reset() {
        try {
            reset.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Makes the stub {@code name} return {@code status} from now on. */
    void fail(String name, int status) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            fail.invokeExact(arena.allocateFrom(name), status);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // ---- the C source ---------------------------------------------------------------------------

    private static final Set<String> SCALAR_POINTERS = Set.of("alpha", "beta", "alphaDataDiff", "betaDataDiff",
            "alphaParamDiff", "betaParamDiff");

    static String source() {
        StringBuilder c = new StringBuilder("""
                #include <stddef.h>
                #include <stdint.h>
                #include <stdarg.h>
                #include <stdio.h>
                #include <string.h>
                typedef struct { int algo; int status; float time; size_t memory; int determinism; int mathType;
                                 int reserved[3]; } cudnnConvolutionFwdAlgoPerf_t;
                typedef cudnnConvolutionFwdAlgoPerf_t cudnnConvolutionBwdDataAlgoPerf_t;
                typedef cudnnConvolutionFwdAlgoPerf_t cudnnConvolutionBwdFilterAlgoPerf_t;
                static char fake_buf[1 << 20];
                static size_t fake_len;
                static uintptr_t fake_next = 0x2000;
                static char fake_fail_name[128];
                static int fake_fail_status;
                static void out(const char *fmt, ...) {
                    va_list ap; va_start(ap, fmt);
                    int n = vsnprintf(fake_buf + fake_len, sizeof fake_buf - fake_len, fmt, ap);
                    va_end(ap);
                    if (n > 0) fake_len += (size_t) n;
                }
                static void ints(const int *a, int n) {
                    out("[");
                    for (int i = 0; i < n; i++) out(i ? ",%d" : "%d", a[i]);
                    out("]");
                }
                static int status_of(const char *name) {
                    return strcmp(name, fake_fail_name) == 0 ? fake_fail_status : 0;
                }
                const char *fake_log(void) { return fake_buf; }
                void fake_reset(void) { fake_len = 0; fake_buf[0] = 0; fake_next = 0x2000; fake_fail_name[0] = 0; }
                void fake_fail(const char *name, int status) {
                    strncpy(fake_fail_name, name, sizeof fake_fail_name - 1); fake_fail_status = status;
                }
                """);
        for (String h : CPrototype.HANDLES) c.append("typedef struct fake_opaque *").append(h).append(";\n");
        for (String e : CPrototype.ENUMS) c.append("typedef int ").append(e).append(";\n");
        List<String> all = new ArrayList<>(Cublas.PROTOTYPES);
        all.add(Cublas.GET_STATUS_STRING);
        all.addAll(Cudnn.PROTOTYPES);
        for (String p : all) c.append(stub(p));
        return c.toString();
    }

    private static String stub(String prototype) {
        String t = prototype.replaceAll("\\s+", " ").strip();
        t = t.substring(0, t.length() - 1); // drop ';'
        int open = t.indexOf('('), close = t.lastIndexOf(')');
        CPrototype parsed = CPrototype.parse(prototype);
        String name = parsed.name(), ret = t.substring(0, open - name.length()).strip();
        String inside = t.substring(open + 1, close).strip();
        List<String[]> params = new ArrayList<>(); // {type, name}
        if (!inside.equals("void")) {
            for (String p : inside.split(",")) {
                String q = p.strip();
                boolean array = q.endsWith("[]");
                if (array) q = q.substring(0, q.length() - 2).strip();
                int at = Math.max(q.lastIndexOf(' '), q.lastIndexOf('*'));
                params.add(new String[] {q.substring(0, at + 1).strip() + (array ? " []" : ""), q.substring(at + 1)});
            }
        }
        String count = params.stream().anyMatch(p -> p[1].equals("nbDims")) ? "nbDims" : "arrayLength";
        StringBuilder b = new StringBuilder(t).append(" {\n    out(\"").append(name).append("(\");\n");
        for (int i = 0; i < params.size(); i++) {
            String type = params.get(i)[0], n = params.get(i)[1];
            if (i > 0) b.append("    out(\",\");\n");
            if (type.endsWith("[]")) {
                b.append("    ints(").append(n).append(", ").append(count).append(");\n");
            } else if (type.contains("*") && SCALAR_POINTERS.contains(n)) {
                b.append("    out(\"%g\", (double) *(const float *) ").append(n).append(");\n");
            } else if (type.contains("*") || CPrototype.HANDLES.contains(type.replace("const", "").strip())) {
                b.append("    out(\"0x%llx\", (unsigned long long) (uintptr_t) ").append(n).append(");\n");
            } else if (type.contains("long long") ) {
                b.append("    out(\"%lld\", ").append(n).append(");\n");
            } else if (type.contains("size_t")) {
                b.append("    out(\"%zu\", ").append(n).append(");\n");
            } else if (type.equals("float") || type.equals("double")) {
                b.append("    out(\"%g\", (double) ").append(n).append(");\n");
            } else {
                b.append("    out(\"%d\", (int) ").append(n).append(");\n");
            }
        }
        b.append("    out(\")\\n\");\n");
        switch (name) {
            case "cublasCreate_v2", "cudnnCreate" -> b.append("    *handle = (void *) 0x1000;\n");
            case "cudnnCreateTensorDescriptor", "cudnnCreateFilterDescriptor", "cudnnCreateConvolutionDescriptor",
                    "cudnnCreatePoolingDescriptor" ->
                b.append("    *").append(params.get(0)[1]).append(" = (void *) (fake_next++);\n");
            case "cublasGetVersion_v2" -> b.append("    *version = 130000;\n");
            case "cublasGetProperty" -> b.append("    *value = type == 0 ? 13 : 0;\n");
            case "cudnnGetConvolutionForwardAlgorithm_v7", "cudnnGetConvolutionBackwardDataAlgorithm_v7",
                    "cudnnGetConvolutionBackwardFilterAlgorithm_v7", "cudnnFindConvolutionForwardAlgorithmEx",
                    "cudnnFindConvolutionBackwardDataAlgorithmEx", "cudnnFindConvolutionBackwardFilterAlgorithmEx" -> b.append("""
                        *returnedAlgoCount = 2;
                        memset(perfResults, 0, 2 * sizeof *perfResults);
                        perfResults[0].algo = 6; perfResults[0].status = 3000; perfResults[0].determinism = 1;
                        perfResults[1].algo = 1; perfResults[1].time = 0.5f; perfResults[1].memory = 4096;
                        perfResults[1].determinism = 1; perfResults[1].mathType = 3;
                    """);
            case "cudnnGetConvolutionForwardWorkspaceSize", "cudnnGetConvolutionBackwardDataWorkspaceSize",
                    "cudnnGetConvolutionBackwardFilterWorkspaceSize" -> b.append("    *sizeInBytes = 4096;\n");
            default -> { }
        }
        if (ret.equals("size_t")) b.append("    return 91300;\n");
        else if (ret.contains("char")) b.append("    return \"FAKE_STATUS\";\n");
        else b.append("    return status_of(\"").append(name).append("\");\n");
        return b.append("}\n").toString();
    }
}
