package org.iboot4j.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * cuBLAS through the FFM API (see ../shared/DESIGN.md: JCublas links libcublas.so.12 with
 * versioned symbols and would not load on a CUDA 13 stack; the C API below is the same in 12 and
 * 13). Each binding is the C prototype from {@code cublas_api.h} (cuBLAS 13.0), parsed by
 * {@link CPrototype} into its FFM descriptor.
 *
 * <h2>Row-major tensors, column-major cuBLAS</h2>
 * The engine stores matrices row-major; cuBLAS reads them column-major. A row-major (M, N)
 * matrix C with leading dimension N is, read column-major, the (N, M) matrix C<sup>T</sup>. So
 * for C = A B we ask cuBLAS for C<sup>T</sup> = B<sup>T</sup> A<sup>T</sup>: the operands swap
 * places (B first), m and n swap (m = N, n = M), and every row-major operand is passed as is
 * (its column-major reading is already the transpose we want). An operand that is itself a
 * transposed view (unit stride along rows) is passed with {@code CUBLAS_OP_T} instead of being
 * copied. {@link #rowMajorGemm} does this bookkeeping.
 *
 * <h2>Precision</h2>
 * FP32 by default (CUBLAS_DEFAULT_MATH: no tensor-core down-conversion). {@link #setTf32} opts
 * into CUBLAS_TF32_TENSOR_OP_MATH (10-bit mantissa products, FP32 accumulation), and
 * {@link #gemmEx} multiplies bf16 inputs with FP32 accumulation (CUBLAS_COMPUTE_32F).
 */
@SuppressWarnings("restricted") // FFM downcalls and foreign pointers: the point of this class
public final class Cublas implements AutoCloseable {
    /** Tried in this order. */
    public static final List<String> SONAMES = List.of("libcublas.so.13", "libcublas.so.12");

    // cublasOperation_t, cublasMath_t, cudaDataType, cublasComputeType_t, cublasGemmAlgo_t, libraryPropertyType
    public static final int OP_N = 0, OP_T = 1;
    public static final int DEFAULT_MATH = 0, TF32_TENSOR_OP_MATH = 3;
    public static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
    public static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77;
    public static final int GEMM_DEFAULT = -1;
    static final int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;

    // ---- the C API we bind, verbatim from cublas_api.h --------------------------------------

    static final String CREATE = "cublasStatus_t cublasCreate_v2(cublasHandle_t* handle);";
    static final String DESTROY = "cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);";
    static final String GET_VERSION = "cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version);";
    static final String GET_PROPERTY = "cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value);";
    static final String SET_STREAM = "cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);";
    static final String SET_MATH_MODE = "cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);";
    static final String GET_STATUS_STRING = "const char* cublasGetStatusString(cublasStatus_t status);";
    static final String SGEMM = """
            cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                int m, int n, int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                const float* beta, float* C, int ldc);""";
    static final String SGEMM_STRIDED_BATCHED = """
            cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                cublasOperation_t transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                long long int strideA, const float* B, int ldb, long long int strideB, const float* beta,
                float* C, int ldc, long long int strideC, int batchCount);""";
    static final String GEMM_EX = """
            cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda,
                const void* B, cudaDataType Btype, int ldb, const void* beta, void* C, cudaDataType Ctype,
                int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo);""";
    static final String GEMM_STRIDED_BATCHED_EX = """
            cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa,
                cublasOperation_t transb, int m, int n, int k, const void* alpha, const void* A,
                cudaDataType Atype, int lda, long long int strideA, const void* B, cudaDataType Btype, int ldb,
                long long int strideB, const void* beta, void* C, cudaDataType Ctype, int ldc,
                long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo);""";

    /** Every prototype bound (the probe binds them all before declaring the backend available). */
    static final List<String> PROTOTYPES = List.of(CREATE, DESTROY, GET_VERSION, GET_PROPERTY, SET_STREAM,
            SET_MATH_MODE, SGEMM, SGEMM_STRIDED_BATCHED, GEMM_EX, GEMM_STRIDED_BATCHED_EX);

    /** The bound entry points of one loaded cuBLAS. Creating it needs no GPU (only dlsym). */
    public record Api(NativeLibrary library, MethodHandle create, MethodHandle destroy, MethodHandle getVersion,
            MethodHandle getProperty, MethodHandle setStream, MethodHandle setMathMode, MethodHandle sgemm,
            MethodHandle sgemmStridedBatched, MethodHandle gemmEx, MethodHandle gemmStridedBatchedEx,
            Optional<MethodHandle> statusString) {

        /** Binds every prototype; throws {@link NativeLibrary.MissingSymbolException} naming the first missing. */
        public static Api bind(NativeLibrary lib) {
            return new Api(lib, b(lib, CREATE), b(lib, DESTROY), b(lib, GET_VERSION), b(lib, GET_PROPERTY),
                    b(lib, SET_STREAM), b(lib, SET_MATH_MODE), b(lib, SGEMM), b(lib, SGEMM_STRIDED_BATCHED),
                    b(lib, GEMM_EX), b(lib, GEMM_STRIDED_BATCHED_EX), bOptional(lib, GET_STATUS_STRING));
        }

        /** "13.0.0" from cublasGetProperty (no handle, no GPU needed). */
        public String version() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
                int[] parts = new int[3];
                for (int i = 0; i < 3; i++) {
                    check((int) getProperty.invokeExact(i, v), "cublasGetProperty");
                    parts[i] = v.get(ValueLayout.JAVA_INT, 0);
                }
                return parts[0] + "." + parts[1] + "." + parts[2];
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void check(int status, String call) {
            if (status != 0) throw new CudaException(call + " failed: " + statusName(status), status);
        }

        String statusName(int status) {
            String s = cublasStatusName(status);
            if (statusString.isPresent()) {
                try {
                    MemorySegment p = (MemorySegment) statusString.get().invokeExact(status);
                    s = p.reinterpret(256).getString(0);
                } catch (Throwable ignored) {
                    // keep the built-in name
                }
            }
            return s + " (" + status + ")";
        }
    }

    static MethodHandle b(NativeLibrary lib, String prototype) {
        CPrototype p = CPrototype.parse(prototype);
        return lib.bind(p.name(), p.descriptor());
    }

    static Optional<MethodHandle> bOptional(NativeLibrary lib, String prototype) {
        CPrototype p = CPrototype.parse(prototype);
        return lib.bindOptional(p.name(), p.descriptor());
    }

    /** The names in cublas_api.h's cublasStatus_t. */
    static String cublasStatusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus_t";
        };
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new CudaException("native call failed: " + t, t);
    }

    // ---- one handle -------------------------------------------------------------------------

    private final Api api;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment alpha, beta; // host scalars (CUBLAS_POINTER_MODE_HOST, the default)
    private final int version;
    private boolean tf32;
    private boolean closed;

    private Cublas(Api api, long stream) {
        this.api = api;
        try {
            MemorySegment h = arena.allocate(ValueLayout.ADDRESS);
            api.check((int) api.create.invokeExact(h), "cublasCreate_v2");
            handle = h.get(ValueLayout.ADDRESS, 0);
            api.check((int) api.setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2");
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            api.check((int) api.getVersion.invokeExact(handle, v), "cublasGetVersion_v2");
            version = v.get(ValueLayout.JAVA_INT, 0);
            api.check((int) api.setMathMode.invokeExact(handle, DEFAULT_MATH), "cublasSetMathMode");
        } catch (Throwable t) {
            throw rethrow(t);
        }
        alpha = arena.allocate(ValueLayout.JAVA_FLOAT);
        beta = arena.allocate(ValueLayout.JAVA_FLOAT);
    }

    /** A handle bound to {@code stream}; the context must be current on this thread. */
    public static Cublas create(Api api, CudaStream stream) {
        return new Cublas(api, stream.raw());
    }

    /** A handle bound to the raw {@code cudaStream_t} {@code stream} (tests bind a fake library). */
    static Cublas create(Api api, long stream) {
        return new Cublas(api, stream);
    }

    /** cublasGetVersion_v2: 10000 * major + 100 * minor + patch. */
    public int version() {
        return version;
    }

    /** "13.0.0" from {@link #version()}. */
    public static String versionString(int v) {
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }

    /** Opts into (or out of) TF32 tensor-core math for FP32 GEMMs. */
    public synchronized void setTf32(boolean on) {
        try {
            api.check((int) api.setMathMode.invokeExact(handle, on ? TF32_TENSOR_OP_MATH : DEFAULT_MATH), "cublasSetMathMode");
        } catch (Throwable t) {
            throw rethrow(t);
        }
        tf32 = on;
    }

    public boolean tf32() {
        return tf32;
    }

    /** Column-major C = alpha op(A) op(B) + beta C (cublasSgemm_v2); addresses are device pointers. */
    public synchronized void sgemm(int transA, int transB, int m, int n, int k, float a, long A, int lda, long B,
            int ldb, float b, long C, int ldc) {
        alpha.set(ValueLayout.JAVA_FLOAT, 0, a);
        beta.set(ValueLayout.JAVA_FLOAT, 0, b);
        try {
            api.check((int) api.sgemm.invokeExact(handle, transA, transB, m, n, k, alpha, ptr(A), lda, ptr(B), ldb,
                    beta, ptr(C), ldc), "cublasSgemm_v2" + shape(transA, transB, m, n, k, lda, ldb, ldc));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cublasSgemmStridedBatched: {@code batch} GEMMs whose operands are {@code stride*} elements apart. */
    public synchronized void sgemmStridedBatched(int transA, int transB, int m, int n, int k, float a, long A, int lda,
            long strideA, long B, int ldb, long strideB, float b, long C, int ldc, long strideC, int batch) {
        alpha.set(ValueLayout.JAVA_FLOAT, 0, a);
        beta.set(ValueLayout.JAVA_FLOAT, 0, b);
        try {
            api.check((int) api.sgemmStridedBatched.invokeExact(handle, transA, transB, m, n, k, alpha, ptr(A), lda,
                    strideA, ptr(B), ldb, strideB, beta, ptr(C), ldc, strideC, batch),
                    "cublasSgemmStridedBatched" + shape(transA, transB, m, n, k, lda, ldb, ldc) + " x" + batch);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * cublasGemmEx / cublasGemmStridedBatchedEx with inputs of {@code inputType} (CUDA_R_16BF),
     * output FP32 and FP32 accumulation (CUBLAS_COMPUTE_32F). alpha and beta are floats, as
     * CUBLAS_COMPUTE_32F requires.
     */
    public synchronized void gemmEx(int transA, int transB, int m, int n, int k, float a, long A, int inputType,
            int lda, long strideA, long B, int ldb, long strideB, float b, long C, int ldc, long strideC, int batch) {
        alpha.set(ValueLayout.JAVA_FLOAT, 0, a);
        beta.set(ValueLayout.JAVA_FLOAT, 0, b);
        try {
            if (batch == 1) {
                api.check((int) api.gemmEx.invokeExact(handle, transA, transB, m, n, k, alpha, ptr(A), inputType, lda,
                        ptr(B), inputType, ldb, beta, ptr(C), CUDA_R_32F, ldc, COMPUTE_32F, GEMM_DEFAULT),
                        "cublasGemmEx" + shape(transA, transB, m, n, k, lda, ldb, ldc));
            } else {
                api.check((int) api.gemmStridedBatchedEx.invokeExact(handle, transA, transB, m, n, k, alpha, ptr(A),
                        inputType, lda, strideA, ptr(B), inputType, ldb, strideB, beta, ptr(C), CUDA_R_32F, ldc,
                        strideC, batch, COMPUTE_32F, GEMM_DEFAULT),
                        "cublasGemmStridedBatchedEx" + shape(transA, transB, m, n, k, lda, ldb, ldc) + " x" + batch);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Row-major, possibly batched C = A B (see the class comment), FP32 or TF32 per
     * {@link #setTf32}. Each operand is described by its address, its leading dimension and
     * whether it is stored transposed; the batch strides are in elements (0 broadcasts one
     * matrix over the batch).
     */
    public void rowMajorGemm(RowMajorGemm g) {
        ColumnMajorCall c = g.toColumnMajor();
        if (g.batch() == 1) {
            sgemm(c.transA(), c.transB(), c.m(), c.n(), c.k(), 1f, c.a(), c.lda(), c.b(), c.ldb(), 0f, c.c(), c.ldc());
        } else {
            sgemmStridedBatched(c.transA(), c.transB(), c.m(), c.n(), c.k(), 1f, c.a(), c.lda(), c.strideA(), c.b(),
                    c.ldb(), c.strideB(), 0f, c.c(), c.ldc(), c.strideC(), g.batch());
        }
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    private static String shape(int ta, int tb, int m, int n, int k, int lda, int ldb, int ldc) {
        return "(" + (ta == OP_T ? "T" : "N") + (tb == OP_T ? "T" : "N") + ", m=" + m + ", n=" + n + ", k=" + k
                + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + ")";
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            api.check((int) api.destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            arena.close();
        }
    }

    // ---- the row-major to column-major mapping, testable without a GPU -----------------------

    /**
     * A row-major GEMM C (M, N) = A (M, K) B (K, N), batched. {@code aTransposed} means A is
     * stored as its transpose (column-major, unit stride down a column) with leading dimension
     * {@code lda}; likewise B. C is contiguous row-major (ldc = N).
     */
    public record RowMajorGemm(int m, int n, int k, long a, int lda, boolean aTransposed, long strideA,
            long b, int ldb, boolean bTransposed, long strideB, long c, long strideC, int batch) {

        /** cuBLAS's call for C<sup>T</sup> = B<sup>T</sup> A<sup>T</sup>. */
        public ColumnMajorCall toColumnMajor() {
            // cuBLAS's first operand is our B: a row-major B (ld = ldb) read column-major is
            // B^T, which is what C^T = B^T A^T needs, so OP_N; a transposed B needs OP_T.
            return new ColumnMajorCall(bTransposed ? OP_T : OP_N, aTransposed ? OP_T : OP_N, n, m, k,
                    b, ldb, strideB, a, lda, strideA, c, n, strideC);
        }
    }

    /** A column-major cuBLAS call: C (m, n) = op(A) (m, k) op(B) (k, n). */
    public record ColumnMajorCall(int transA, int transB, int m, int n, int k, long a, int lda, long strideA,
            long b, int ldb, long strideB, long c, int ldc, long strideC) {}
}
