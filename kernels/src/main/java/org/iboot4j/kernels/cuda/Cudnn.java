package org.iboot4j.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.PoolGeometry;

/**
 * cuDNN through the FFM API: convolution (forward, backward-data, backward-filter, with algorithm
 * selection and a workspace from the caching allocator), batch-norm (training, inference,
 * backward; spatial mode) and pooling. Only the "legacy" calls whose C signatures are identical
 * in cuDNN 8 and 9 are used (deprecated in 9 in favour of the graph API, still exported by
 * {@code libcudnn.so.9}, which forwards them to its sub-libraries). Each binding is the prototype
 * from cuDNN 9.13's {@code cudnn_ops.h} / {@code cudnn_cnn.h} / {@code cudnn_graph.h}, parsed by
 * {@link CPrototype}.
 *
 * <p>Tensors are fully packed NCDHW float32 ({@code cudnnSetTensorNdDescriptor} with explicit
 * row-major strides); callers make operands contiguous first.
 *
 * <p>Precision: FP32 by default ({@code CUDNN_FMA_MATH}: no tensor-core TF32, which
 * {@code CUDNN_DEFAULT_MATH} would allow on Ampere and later); TF32 is opt-in
 * ({@code CUDNN_TENSOR_OP_MATH}), together with cuBLAS's.
 */
@SuppressWarnings("restricted") // FFM downcalls and foreign pointers: the point of this class
public final class Cudnn implements AutoCloseable {
    /** Tried in this order. */
    public static final List<String> SONAMES = List.of("libcudnn.so.9", "libcudnn.so.8");

    // enums (cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h)
    public static final int DATA_FLOAT = 0;
    public static final int TENSOR_NCHW = 0;
    public static final int CROSS_CORRELATION = 1;
    public static final int DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, FMA_MATH = 3;
    public static final int BATCHNORM_SPATIAL = 1;
    public static final int POOLING_MAX = 0, POOLING_AVERAGE_INCLUDE_PADDING = 1, POOLING_AVERAGE_EXCLUDE_PADDING = 2;
    public static final int NOT_PROPAGATE_NAN = 0, PROPAGATE_NAN = 1;
    public static final int DETERMINISTIC = 1;
    static final int FWD_ALGO_COUNT = 8, BWD_DATA_ALGO_COUNT = 6, BWD_FILTER_ALGO_COUNT = 7;

    /**
     * cudnnConvolutionFwdAlgoPerf_t (and the BwdData/BwdFilter twins, same layout):
     * <pre>
     * typedef struct cudnnConvolutionFwdAlgoPerfStruct {
     *     cudnnConvolutionFwdAlgo_t algo; cudnnStatus_t status; float time; size_t memory;
     *     cudnnDeterminism_t determinism; cudnnMathType_t mathType; int reserved[3];
     * } cudnnConvolutionFwdAlgoPerf_t;
     * </pre>
     * 48 bytes on LP64 (4 bytes of padding before {@code memory} and at the end).
     */
    static final StructLayout ALGO_PERF = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("algo"), ValueLayout.JAVA_INT.withName("status"),
            ValueLayout.JAVA_FLOAT.withName("time"), MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("memory"), ValueLayout.JAVA_INT.withName("determinism"),
            ValueLayout.JAVA_INT.withName("mathType"), MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    // ---- the C API we bind, verbatim from the cuDNN 9 headers (same signatures in cuDNN 8) ----

    static final String GET_VERSION = "size_t cudnnGetVersion(void);";
    static final String GET_ERROR_STRING = "const char *cudnnGetErrorString(cudnnStatus_t status);";
    static final String CREATE = "cudnnStatus_t cudnnCreate(cudnnHandle_t *handle);";
    static final String DESTROY = "cudnnStatus_t cudnnDestroy(cudnnHandle_t handle);";
    static final String SET_STREAM = "cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId);";
    static final String CREATE_TENSOR = "cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *tensorDesc);";
    static final String SET_TENSOR_ND = """
            cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t tensorDesc, cudnnDataType_t dataType,
                int nbDims, const int dimA[], const int strideA[]);""";
    static final String DESTROY_TENSOR = "cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc);";
    static final String CREATE_FILTER = "cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *filterDesc);";
    static final String SET_FILTER_ND = """
            cudnnStatus_t cudnnSetFilterNdDescriptor(cudnnFilterDescriptor_t filterDesc, cudnnDataType_t dataType,
                cudnnTensorFormat_t format, int nbDims, const int filterDimA[]);""";
    static final String DESTROY_FILTER = "cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc);";
    static final String CREATE_CONV = "cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *convDesc);";
    static final String SET_CONV_ND = """
            cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t convDesc, int arrayLength,
                const int padA[], const int filterStrideA[], const int dilationA[], cudnnConvolutionMode_t mode,
                cudnnDataType_t computeType);""";
    static final String SET_CONV_GROUPS = "cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t convDesc, int groupCount);";
    static final String SET_CONV_MATH = "cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType);";
    static final String DESTROY_CONV = "cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc);";
    static final String GET_FWD_ALGO_V7 = """
            cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t srcDesc, const cudnnFilterDescriptor_t filterDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t destDesc,
                const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t *perfResults);""";
    static final String GET_BWD_DATA_ALGO_V7 = """
            cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t handle,
                const cudnnFilterDescriptor_t filterDesc, const cudnnTensorDescriptor_t diffDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t gradDesc,
                const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t *perfResults);""";
    static final String GET_BWD_FILTER_ALGO_V7 = """
            cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t srcDesc, const cudnnTensorDescriptor_t diffDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
                const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t *perfResults);""";
    static final String FIND_FWD_ALGO_EX = """
            cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnFilterDescriptor_t wDesc,
                const void *w, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
                void *y, const int requestedAlgoCount, int *returnedAlgoCount,
                cudnnConvolutionFwdAlgoPerf_t *perfResults, void *workSpace, size_t workSpaceSizeInBytes);""";
    static final String FIND_BWD_DATA_ALGO_EX = """
            cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t handle,
                const cudnnFilterDescriptor_t wDesc, const void *w, const cudnnTensorDescriptor_t dyDesc,
                const void *dy, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
                void *dx, const int requestedAlgoCount, int *returnedAlgoCount,
                cudnnConvolutionBwdDataAlgoPerf_t *perfResults, void *workSpace, size_t workSpaceSizeInBytes);""";
    static final String FIND_BWD_FILTER_ALGO_EX = """
            cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnTensorDescriptor_t dyDesc,
                const void *y, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t dwDesc,
                void *dw, const int requestedAlgoCount, int *returnedAlgoCount,
                cudnnConvolutionBwdFilterAlgoPerf_t *perfResults, void *workSpace, size_t workSpaceSizeInBytes);""";
    static final String FWD_WORKSPACE = """
            cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t xDesc, const cudnnFilterDescriptor_t wDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
                cudnnConvolutionFwdAlgo_t algo, size_t *sizeInBytes);""";
    static final String BWD_DATA_WORKSPACE = """
            cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle,
                const cudnnFilterDescriptor_t wDesc, const cudnnTensorDescriptor_t dyDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
                cudnnConvolutionBwdDataAlgo_t algo, size_t *sizeInBytes);""";
    static final String BWD_FILTER_WORKSPACE = """
            cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle,
                const cudnnTensorDescriptor_t xDesc, const cudnnTensorDescriptor_t dyDesc,
                const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
                cudnnConvolutionBwdFilterAlgo_t algo, size_t *sizeInBytes);""";
    static final String CONV_FORWARD = """
            cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void *alpha,
                const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnFilterDescriptor_t wDesc,
                const void *w, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
                void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                const cudnnTensorDescriptor_t yDesc, void *y);""";
    static final String CONV_BACKWARD_DATA = """
            cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void *alpha,
                const cudnnFilterDescriptor_t wDesc, const void *w, const cudnnTensorDescriptor_t dyDesc,
                const void *dy, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdDataAlgo_t algo,
                void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                const cudnnTensorDescriptor_t dxDesc, void *dx);""";
    static final String CONV_BACKWARD_FILTER = """
            cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void *alpha,
                const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnTensorDescriptor_t dyDesc,
                const void *dy, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdFilterAlgo_t algo,
                void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                const cudnnFilterDescriptor_t dwDesc, void *dw);""";
    static final String ADD_TENSOR = """
            cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void *alpha, const cudnnTensorDescriptor_t aDesc,
                const void *A, const void *beta, const cudnnTensorDescriptor_t cDesc, void *C);""";
    static final String DERIVE_BN = """
            cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc,
                const cudnnTensorDescriptor_t xDesc, cudnnBatchNormMode_t mode);""";
    static final String BN_FORWARD_TRAINING = """
            cudnnStatus_t cudnnBatchNormalizationForwardTraining(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
                const void *alpha, const void *beta, const cudnnTensorDescriptor_t xDesc, const void *x,
                const cudnnTensorDescriptor_t yDesc, void *y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
                const void *bnScale, const void *bnBias, double exponentialAverageFactor, void *resultRunningMean,
                void *resultRunningVariance, double epsilon, void *resultSaveMean, void *resultSaveInvVariance);""";
    static final String BN_FORWARD_INFERENCE = """
            cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
                const void *alpha, const void *beta, const cudnnTensorDescriptor_t xDesc, const void *x,
                const cudnnTensorDescriptor_t yDesc, void *y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
                const void *bnScale, const void *bnBias, const void *estimatedMean, const void *estimatedVariance,
                double epsilon);""";
    static final String BN_BACKWARD = """
            cudnnStatus_t cudnnBatchNormalizationBackward(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
                const void *alphaDataDiff, const void *betaDataDiff, const void *alphaParamDiff,
                const void *betaParamDiff, const cudnnTensorDescriptor_t xDesc, const void *x,
                const cudnnTensorDescriptor_t dyDesc, const void *dy, const cudnnTensorDescriptor_t dxDesc, void *dx,
                const cudnnTensorDescriptor_t dBnScaleBiasDesc, const void *bnScale, void *dBnScaleResult,
                void *dBnBiasResult, double epsilon, const void *savedMean, const void *savedInvVariance);""";
    static final String CREATE_POOLING = "cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t *poolingDesc);";
    static final String SET_POOLING_ND = """
            cudnnStatus_t cudnnSetPoolingNdDescriptor(cudnnPoolingDescriptor_t poolingDesc, const cudnnPoolingMode_t mode,
                const cudnnNanPropagation_t maxpoolingNanOpt, int nbDims, const int windowDimA[],
                const int paddingA[], const int strideA[]);""";
    static final String DESTROY_POOLING = "cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t poolingDesc);";
    static final String POOLING_FORWARD = """
            cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
                const void *alpha, const cudnnTensorDescriptor_t xDesc, const void *x, const void *beta,
                const cudnnTensorDescriptor_t yDesc, void *y);""";
    static final String POOLING_BACKWARD = """
            cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
                const void *alpha, const cudnnTensorDescriptor_t yDesc, const void *y,
                const cudnnTensorDescriptor_t dyDesc, const void *dy, const cudnnTensorDescriptor_t xDesc,
                const void *x, const void *beta, const cudnnTensorDescriptor_t dxDesc, void *dx);""";

    /** Every prototype bound. */
    static final List<String> PROTOTYPES = List.of(GET_VERSION, GET_ERROR_STRING, CREATE, DESTROY, SET_STREAM,
            CREATE_TENSOR, SET_TENSOR_ND, DESTROY_TENSOR, CREATE_FILTER, SET_FILTER_ND, DESTROY_FILTER, CREATE_CONV,
            SET_CONV_ND, SET_CONV_GROUPS, SET_CONV_MATH, DESTROY_CONV, GET_FWD_ALGO_V7, GET_BWD_DATA_ALGO_V7,
            GET_BWD_FILTER_ALGO_V7, FIND_FWD_ALGO_EX, FIND_BWD_DATA_ALGO_EX, FIND_BWD_FILTER_ALGO_EX, FWD_WORKSPACE,
            BWD_DATA_WORKSPACE, BWD_FILTER_WORKSPACE, CONV_FORWARD, CONV_BACKWARD_DATA, CONV_BACKWARD_FILTER,
            ADD_TENSOR, DERIVE_BN, BN_FORWARD_TRAINING, BN_FORWARD_INFERENCE, BN_BACKWARD, CREATE_POOLING,
            SET_POOLING_ND, DESTROY_POOLING, POOLING_FORWARD, POOLING_BACKWARD);

    /** The bound entry points of one loaded cuDNN, by C name. Binding needs no GPU (only dlsym). */
    public static final class Api {
        private final NativeLibrary library;
        private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();

        private Api(NativeLibrary library) {
            this.library = library;
            for (String p : PROTOTYPES) {
                CPrototype c = CPrototype.parse(p);
                handles.put(c.name(), library.bind(c.name(), c.descriptor()));
            }
        }

        /** Binds every prototype; throws {@link NativeLibrary.MissingSymbolException} naming the first missing. */
        public static Api bind(NativeLibrary lib) {
            return new Api(lib);
        }

        public NativeLibrary library() {
            return library;
        }

        MethodHandle h(String name) {
            return handles.get(name);
        }

        /** cudnnGetVersion(): 10000 major + 100 minor + patch from cuDNN 9 on, 1000 major + ... before. */
        public long versionNumber() {
            try {
                return (long) h("cudnnGetVersion").invokeExact();
            } catch (Throwable t) {
                throw Cublas.rethrow(t);
            }
        }

        /** "9.13.0". */
        public String version() {
            return versionString(versionNumber());
        }

        String statusName(int status) {
            try {
                MemorySegment s = (MemorySegment) h("cudnnGetErrorString").invokeExact(status);
                return s.reinterpret(256).getString(0) + " (" + status + ")";
            } catch (Throwable t) {
                return "cudnnStatus_t " + status;
            }
        }

        void check(int status, String call) {
            if (status != 0) throw new CudaException(call + " failed: " + statusName(status), status);
        }
    }

    /** Decodes cudnnGetVersion: cuDNN 9 encodes 90300 for 9.3.0, cuDNN 8 encodes 8907 for 8.9.7. */
    public static String versionString(long v) {
        if (v >= 90000) return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
        return (v / 1000) + "." + (v / 100 % 10) + "." + (v % 100);
    }

    /** A native call returning a status. */
    @FunctionalInterface
    interface Call {
        int run() throws Throwable;
    }

    void call(String what, Call c) {
        int status;
        try {
            status = c.run();
        } catch (Throwable t) {
            throw Cublas.rethrow(t);
        }
        api.check(status, what);
    }

    // ---- one handle -------------------------------------------------------------------------

    /** How convolution algorithms are chosen: heuristics (fast to ask) or by timing them (Find*Ex). */
    public enum AlgoSearch { HEURISTIC, FIND }

    private final Api api;
    private final CachingAllocator allocator;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final Map<String, AlgoChoice> algorithms = new ConcurrentHashMap<>();
    private final AlgoSearch search;
    private final long workspaceLimit;
    private final boolean deterministic;
    private volatile boolean tf32;
    private boolean closed;

    private Cudnn(Api api, long stream, CachingAllocator allocator, AlgoSearch search, long workspaceLimit,
            boolean deterministic) {
        this.api = api;
        this.allocator = allocator;
        this.search = search;
        this.workspaceLimit = workspaceLimit;
        this.deterministic = deterministic;
        MemorySegment h = arena.allocate(ValueLayout.ADDRESS);
        call("cudnnCreate", () -> (int) api.h("cudnnCreate").invokeExact(h));
        handle = h.get(ValueLayout.ADDRESS, 0);
        call("cudnnSetStream", () -> (int) api.h("cudnnSetStream").invokeExact(handle, MemorySegment.ofAddress(stream)));
    }

    /**
     * A handle on {@code stream} (the context must be current). Workspaces come from
     * {@code allocator}, at most {@code workspaceLimit} bytes each.
     */
    public static Cudnn create(Api api, CudaStream stream, CachingAllocator allocator, AlgoSearch search,
            long workspaceLimit, boolean deterministic) {
        return new Cudnn(api, stream.raw(), allocator, search, workspaceLimit, deterministic);
    }

    /** As above on the raw {@code cudaStream_t} {@code stream} (tests bind a fake library). */
    static Cudnn create(Api api, long stream, CachingAllocator allocator, AlgoSearch search, long workspaceLimit,
            boolean deterministic) {
        return new Cudnn(api, stream, allocator, search, workspaceLimit, deterministic);
    }

    public Api api() {
        return api;
    }

    /** Opts into TF32 tensor-core convolutions (forgets the algorithms chosen so far). */
    public void setTf32(boolean on) {
        if (on != tf32) algorithms.clear();
        tf32 = on;
    }

    // ---- descriptors --------------------------------------------------------------------------

    /** Row-major strides of a packed tensor. */
    static int[] packedStrides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= dims[d];
        }
        return s;
    }

    /**
     * The 4-d shape cuDNN's spatial batch-norm sees for x of shape (N, C, S...): (N, C, prod S, 1),
     * i.e. all spatial dims flattened into one (spatial mode normalises over N and them alike);
     * (N, C, 1, 1) for a 2-d x.
     */
    static int[] batchNormShape(int[] x) {
        if (x.length < 2) throw new IllegalArgumentException("batch-norm needs (N, C, ...), got " + Arrays.toString(x));
        long s = 1;
        for (int d = 2; d < x.length; d++) s *= x[d];
        return new int[] {x[0], x[1], Math.toIntExact(s), 1};
    }

    /** Elements per channel that batch-norm averages over: N * prod S. */
    static long batchNormCount(int[] x) {
        long n = x[0];
        for (int d = 2; d < x.length; d++) n *= x[d];
        return n;
    }

    final class TensorDesc implements AutoCloseable {
        final MemorySegment desc;

        TensorDesc(int[] dims) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                call("cudnnCreateTensorDescriptor", () -> (int) api.h("cudnnCreateTensorDescriptor").invokeExact(p));
                desc = p.get(ValueLayout.ADDRESS, 0);
                MemorySegment dimA = a.allocateFrom(ValueLayout.JAVA_INT, dims);
                MemorySegment strideA = a.allocateFrom(ValueLayout.JAVA_INT, packedStrides(dims));
                call("cudnnSetTensorNdDescriptor" + Arrays.toString(dims), () -> (int) api.h("cudnnSetTensorNdDescriptor")
                        .invokeExact(desc, DATA_FLOAT, dims.length, dimA, strideA));
            }
        }

        /** An uninitialised descriptor (for cudnnDeriveBNTensorDescriptor). */
        TensorDesc() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                call("cudnnCreateTensorDescriptor", () -> (int) api.h("cudnnCreateTensorDescriptor").invokeExact(p));
                desc = p.get(ValueLayout.ADDRESS, 0);
            }
        }

        @Override
        public void close() {
            call("cudnnDestroyTensorDescriptor", () -> (int) api.h("cudnnDestroyTensorDescriptor").invokeExact(desc));
        }
    }

    final class FilterDesc implements AutoCloseable {
        final MemorySegment desc;

        /** (Cout, Cin / groups, kT, kH, kW), NCHW-ordered ("KCRS"). */
        FilterDesc(int[] dims) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                call("cudnnCreateFilterDescriptor", () -> (int) api.h("cudnnCreateFilterDescriptor").invokeExact(p));
                desc = p.get(ValueLayout.ADDRESS, 0);
                MemorySegment dimA = a.allocateFrom(ValueLayout.JAVA_INT, dims);
                call("cudnnSetFilterNdDescriptor" + Arrays.toString(dims), () -> (int) api.h("cudnnSetFilterNdDescriptor")
                        .invokeExact(desc, DATA_FLOAT, TENSOR_NCHW, dims.length, dimA));
            }
        }

        @Override
        public void close() {
            call("cudnnDestroyFilterDescriptor", () -> (int) api.h("cudnnDestroyFilterDescriptor").invokeExact(desc));
        }
    }

    final class ConvDesc implements AutoCloseable {
        final MemorySegment desc;

        ConvDesc(ConvGeometry g, int mathType) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                call("cudnnCreateConvolutionDescriptor", () -> (int) api.h("cudnnCreateConvolutionDescriptor").invokeExact(p));
                desc = p.get(ValueLayout.ADDRESS, 0);
                MemorySegment pad = a.allocateFrom(ValueLayout.JAVA_INT, g.padding());
                MemorySegment stride = a.allocateFrom(ValueLayout.JAVA_INT, g.stride());
                MemorySegment dil = a.allocateFrom(ValueLayout.JAVA_INT, g.dilation());
                call("cudnnSetConvolutionNdDescriptor(" + g + ")", () -> (int) api.h("cudnnSetConvolutionNdDescriptor")
                        .invokeExact(desc, 3, pad, stride, dil, CROSS_CORRELATION, DATA_FLOAT));
                call("cudnnSetConvolutionGroupCount", () -> (int) api.h("cudnnSetConvolutionGroupCount")
                        .invokeExact(desc, g.groups()));
                mathType(mathType);
            }
        }

        void mathType(int m) {
            call("cudnnSetConvolutionMathType", () -> (int) api.h("cudnnSetConvolutionMathType").invokeExact(desc, m));
        }

        @Override
        public void close() {
            call("cudnnDestroyConvolutionDescriptor", () -> (int) api.h("cudnnDestroyConvolutionDescriptor").invokeExact(desc));
        }
    }

    final class PoolDesc implements AutoCloseable {
        final MemorySegment desc;

        PoolDesc(int mode, PoolGeometry g) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                call("cudnnCreatePoolingDescriptor", () -> (int) api.h("cudnnCreatePoolingDescriptor").invokeExact(p));
                desc = p.get(ValueLayout.ADDRESS, 0);
                MemorySegment win = a.allocateFrom(ValueLayout.JAVA_INT, g.kernel());
                MemorySegment pad = a.allocateFrom(ValueLayout.JAVA_INT, g.padding());
                MemorySegment stride = a.allocateFrom(ValueLayout.JAVA_INT, g.stride());
                call("cudnnSetPoolingNdDescriptor(" + g + ")", () -> (int) api.h("cudnnSetPoolingNdDescriptor")
                        .invokeExact(desc, mode, PROPAGATE_NAN, 3, win, pad, stride));
            }
        }

        @Override
        public void close() {
            call("cudnnDestroyPoolingDescriptor", () -> (int) api.h("cudnnDestroyPoolingDescriptor").invokeExact(desc));
        }
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    private static MemorySegment f32(Arena a, float v) {
        return a.allocateFrom(ValueLayout.JAVA_FLOAT, v);
    }

    // ---- convolution -----------------------------------------------------------------------------

    /** The algorithm chosen for one convolution problem, and the workspace it needs. */
    record AlgoChoice(int algo, long workspace, int mathType) {}

    /** One row of cuDNN's algorithm list. */
    record AlgoPerf(int algo, int status, float time, long memory, int determinism, int mathType) {}

    static AlgoPerf[] readPerf(MemorySegment results, int count) {
        AlgoPerf[] out = new AlgoPerf[count];
        long size = ALGO_PERF.byteSize();
        for (int i = 0; i < count; i++) {
            MemorySegment r = results.asSlice(i * size, size);
            out[i] = new AlgoPerf(r.get(ValueLayout.JAVA_INT, 0), r.get(ValueLayout.JAVA_INT, 4),
                    r.get(ValueLayout.JAVA_FLOAT, 8), r.get(ValueLayout.JAVA_LONG, 16), r.get(ValueLayout.JAVA_INT, 24),
                    r.get(ValueLayout.JAVA_INT, 28));
        }
        return out;
    }

    /**
     * The first usable algorithm in cuDNN's order (fastest first): it succeeded, fits in the
     * workspace limit, is deterministic if that was asked for, and, in strict FP32 mode, does not
     * use tensor-core math. Null when none qualifies.
     */
    static AlgoPerf choose(AlgoPerf[] perf, long workspaceLimit, boolean deterministic, boolean allowTensorOps) {
        for (AlgoPerf p : perf) {
            if (p.status() != 0 || p.memory() > workspaceLimit) continue;
            if (deterministic && p.determinism() != DETERMINISTIC) continue;
            if (!allowTensorOps && (p.mathType() == TENSOR_OP_MATH || p.mathType() == 2)) continue;
            return p;
        }
        return null;
    }

    enum ConvKind { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    private AlgoChoice algorithm(ConvKind kind, int[] x, int[] w, int[] y, ConvGeometry g, TensorDesc xd, FilterDesc wd,
            ConvDesc cd, TensorDesc yd, long xPtr, long wPtr, long yPtr) {
        String key = kind + Arrays.toString(x) + Arrays.toString(w) + g + (tf32 ? " tf32" : "");
        AlgoChoice c = algorithms.get(key);
        if (c != null) return c;
        int requested = switch (kind) {
            case FORWARD -> FWD_ALGO_COUNT;
            case BACKWARD_DATA -> BWD_DATA_ALGO_COUNT;
            case BACKWARD_FILTER -> BWD_FILTER_ALGO_COUNT;
        };
        AlgoPerf[] perf;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment results = a.allocate(ALGO_PERF, requested);
            MemorySegment returned = a.allocate(ValueLayout.JAVA_INT);
            if (search == AlgoSearch.FIND) {
                try (DeviceBuffer ws = allocator.allocate(Math.max(1, workspaceLimit))) {
                    long wsPtr = ws.address();
                    switch (kind) {
                        case FORWARD -> call("cudnnFindConvolutionForwardAlgorithmEx", () -> (int) api
                                .h("cudnnFindConvolutionForwardAlgorithmEx").invokeExact(handle, xd.desc, ptr(xPtr), wd.desc,
                                        ptr(wPtr), cd.desc, yd.desc, ptr(yPtr), requested, returned, results, ptr(wsPtr),
                                        workspaceLimit));
                        case BACKWARD_DATA -> call("cudnnFindConvolutionBackwardDataAlgorithmEx", () -> (int) api
                                .h("cudnnFindConvolutionBackwardDataAlgorithmEx").invokeExact(handle, wd.desc, ptr(wPtr),
                                        yd.desc, ptr(yPtr), cd.desc, xd.desc, ptr(xPtr), requested, returned, results,
                                        ptr(wsPtr), workspaceLimit));
                        case BACKWARD_FILTER -> call("cudnnFindConvolutionBackwardFilterAlgorithmEx", () -> (int) api
                                .h("cudnnFindConvolutionBackwardFilterAlgorithmEx").invokeExact(handle, xd.desc, ptr(xPtr),
                                        yd.desc, ptr(yPtr), cd.desc, wd.desc, ptr(wPtr), requested, returned, results,
                                        ptr(wsPtr), workspaceLimit));
                    }
                }
            } else {
                switch (kind) {
                    case FORWARD -> call("cudnnGetConvolutionForwardAlgorithm_v7", () -> (int) api
                            .h("cudnnGetConvolutionForwardAlgorithm_v7").invokeExact(handle, xd.desc, wd.desc, cd.desc,
                                    yd.desc, requested, returned, results));
                    case BACKWARD_DATA -> call("cudnnGetConvolutionBackwardDataAlgorithm_v7", () -> (int) api
                            .h("cudnnGetConvolutionBackwardDataAlgorithm_v7").invokeExact(handle, wd.desc, yd.desc, cd.desc,
                                    xd.desc, requested, returned, results));
                    case BACKWARD_FILTER -> call("cudnnGetConvolutionBackwardFilterAlgorithm_v7", () -> (int) api
                            .h("cudnnGetConvolutionBackwardFilterAlgorithm_v7").invokeExact(handle, xd.desc, yd.desc, cd.desc,
                                    wd.desc, requested, returned, results));
                }
            }
            perf = readPerf(results, returned.get(ValueLayout.JAVA_INT, 0));
        }
        AlgoPerf p = choose(perf, workspaceLimit, deterministic, tf32);
        if (p == null) {
            throw new CudaException("cuDNN offers no usable " + kind + " algorithm for x " + Arrays.toString(x) + ", w "
                    + Arrays.toString(w) + ", " + g + " (workspace limit " + workspaceLimit + " bytes"
                    + (deterministic ? ", deterministic" : "") + "): " + Arrays.toString(perf), -1);
        }
        int mathType = tf32 ? p.mathType() : FMA_MATH;
        cd.mathType(mathType);
        long size = workspaceSize(kind, xd, wd, cd, yd, p.algo());
        c = new AlgoChoice(p.algo(), size, mathType);
        algorithms.put(key, c);
        return c;
    }

    private long workspaceSize(ConvKind kind, TensorDesc xd, FilterDesc wd, ConvDesc cd, TensorDesc yd, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            switch (kind) {
                case FORWARD -> call("cudnnGetConvolutionForwardWorkspaceSize", () -> (int) api
                        .h("cudnnGetConvolutionForwardWorkspaceSize").invokeExact(handle, xd.desc, wd.desc, cd.desc, yd.desc,
                                algo, size));
                case BACKWARD_DATA -> call("cudnnGetConvolutionBackwardDataWorkspaceSize", () -> (int) api
                        .h("cudnnGetConvolutionBackwardDataWorkspaceSize").invokeExact(handle, wd.desc, yd.desc, cd.desc,
                                xd.desc, algo, size));
                case BACKWARD_FILTER -> call("cudnnGetConvolutionBackwardFilterWorkspaceSize", () -> (int) api
                        .h("cudnnGetConvolutionBackwardFilterWorkspaceSize").invokeExact(handle, xd.desc, yd.desc, cd.desc,
                                wd.desc, algo, size));
            }
            return size.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private int convMath() {
        return tf32 ? TENSOR_OP_MATH : FMA_MATH;
    }

    /** y = conv(x, w) (+ bias broadcast over (N, ., T, H, W) if {@code bias != 0}); all packed NCDHW. */
    public synchronized void convolutionForward(long x, int[] xShape, long w, int[] wShape, long bias, ConvGeometry g,
            long y, int[] yShape) {
        try (TensorDesc xd = new TensorDesc(xShape); FilterDesc wd = new FilterDesc(wShape);
                ConvDesc cd = new ConvDesc(g, convMath()); TensorDesc yd = new TensorDesc(yShape);
                Arena a = Arena.ofConfined()) {
            AlgoChoice c = algorithm(ConvKind.FORWARD, xShape, wShape, yShape, g, xd, wd, cd, yd, x, w, y);
            cd.mathType(c.mathType());
            try (DeviceBuffer ws = c.workspace() > 0 ? allocator.allocate(c.workspace()) : null) {
                long wsPtr = ws == null ? 0 : ws.address();
                MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
                call("cudnnConvolutionForward(x " + Arrays.toString(xShape) + ", w " + Arrays.toString(wShape) + ", " + g
                        + ", algo " + c.algo() + ")", () -> (int) api.h("cudnnConvolutionForward").invokeExact(handle, one,
                        xd.desc, ptr(x), wd.desc, ptr(w), cd.desc, c.algo(), ptr(wsPtr), c.workspace(), zero, yd.desc, ptr(y)));
                if (bias != 0) {
                    try (TensorDesc bd = new TensorDesc(new int[] {1, wShape[0], 1, 1, 1})) {
                        call("cudnnAddTensor(bias)", () -> (int) api.h("cudnnAddTensor").invokeExact(handle, one, bd.desc,
                                ptr(bias), one, yd.desc, ptr(y)));
                    }
                }
            }
        }
    }

    /** dx = conv backward-data(dy, w), overwriting dx. */
    public synchronized void convolutionBackwardData(long dy, int[] dyShape, long w, int[] wShape, ConvGeometry g,
            long dx, int[] dxShape) {
        try (TensorDesc xd = new TensorDesc(dxShape); FilterDesc wd = new FilterDesc(wShape);
                ConvDesc cd = new ConvDesc(g, convMath()); TensorDesc yd = new TensorDesc(dyShape);
                Arena a = Arena.ofConfined()) {
            AlgoChoice c = algorithm(ConvKind.BACKWARD_DATA, dxShape, wShape, dyShape, g, xd, wd, cd, yd, dx, w, dy);
            cd.mathType(c.mathType());
            try (DeviceBuffer ws = c.workspace() > 0 ? allocator.allocate(c.workspace()) : null) {
                long wsPtr = ws == null ? 0 : ws.address();
                MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
                call("cudnnConvolutionBackwardData(dy " + Arrays.toString(dyShape) + ", w " + Arrays.toString(wShape) + ", "
                        + g + ", algo " + c.algo() + ")", () -> (int) api.h("cudnnConvolutionBackwardData").invokeExact(handle,
                        one, wd.desc, ptr(w), yd.desc, ptr(dy), cd.desc, c.algo(), ptr(wsPtr), c.workspace(), zero, xd.desc,
                        ptr(dx)));
            }
        }
    }

    /** dw = conv backward-filter(x, dy), overwriting dw. */
    public synchronized void convolutionBackwardFilter(long dy, int[] dyShape, long x, int[] xShape, ConvGeometry g,
            long dw, int[] wShape) {
        try (TensorDesc xd = new TensorDesc(xShape); FilterDesc wd = new FilterDesc(wShape);
                ConvDesc cd = new ConvDesc(g, convMath()); TensorDesc yd = new TensorDesc(dyShape);
                Arena a = Arena.ofConfined()) {
            AlgoChoice c = algorithm(ConvKind.BACKWARD_FILTER, xShape, wShape, dyShape, g, xd, wd, cd, yd, x, dw, dy);
            cd.mathType(c.mathType());
            try (DeviceBuffer ws = c.workspace() > 0 ? allocator.allocate(c.workspace()) : null) {
                long wsPtr = ws == null ? 0 : ws.address();
                MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
                call("cudnnConvolutionBackwardFilter(x " + Arrays.toString(xShape) + ", dy " + Arrays.toString(dyShape) + ", "
                        + g + ", algo " + c.algo() + ")", () -> (int) api.h("cudnnConvolutionBackwardFilter").invokeExact(
                        handle, one, xd.desc, ptr(x), yd.desc, ptr(dy), cd.desc, c.algo(), ptr(wsPtr), c.workspace(), zero,
                        wd.desc, ptr(dw)));
            }
        }
    }

    // ---- batch-norm (spatial) ---------------------------------------------------------------------

    /**
     * Training-mode batch-norm of packed x (N, C, S...): y, the batch mean and the biased
     * variance per channel. cuDNN returns the running statistics: with exponentialAverageFactor
     * 1 they are the batch mean and the <em>unbiased</em> variance (cuDNN's running variance
     * carries Bessel's correction), so the biased variance the engine wants is the running one
     * times (n - 1) / n, applied with cudnnAddTensor (C = alpha A + beta C). {@code mean} and
     * {@code runningVar} must be zero-filled (0 * NaN would poison them). scale/bias are device
     * arrays of C floats (the caller supplies ones/zeros when the module has none).
     */
    public synchronized void batchNormTraining(long x, int[] xShape, long scale, long bias, double eps, long y,
            long mean, long var, long runningVar) {
        int[] shape = batchNormShape(xShape);
        long n = batchNormCount(xShape);
        try (TensorDesc xd = new TensorDesc(shape); TensorDesc bn = new TensorDesc(); Arena a = Arena.ofConfined()) {
            call("cudnnDeriveBNTensorDescriptor", () -> (int) api.h("cudnnDeriveBNTensorDescriptor").invokeExact(bn.desc,
                    xd.desc, BATCHNORM_SPATIAL));
            MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
            call("cudnnBatchNormalizationForwardTraining(x " + Arrays.toString(xShape) + ")", () -> (int) api
                    .h("cudnnBatchNormalizationForwardTraining").invokeExact(handle, BATCHNORM_SPATIAL, one, zero, xd.desc,
                            ptr(x), xd.desc, ptr(y), bn.desc, ptr(scale), ptr(bias), 1.0, ptr(mean), ptr(runningVar), eps,
                            MemorySegment.NULL, MemorySegment.NULL));
            MemorySegment unbias = f32(a, n > 1 ? (float) ((n - 1) / (double) n) : 0f);
            call("cudnnAddTensor(biased variance)", () -> (int) api.h("cudnnAddTensor").invokeExact(handle, unbias, bn.desc,
                    ptr(runningVar), zero, bn.desc, ptr(var)));
        }
    }

    /** Inference-mode batch-norm with given statistics: y = (x - mean) / sqrt(var + eps) * scale + bias. */
    public synchronized void batchNormInference(long x, int[] xShape, long scale, long bias, long mean, long var,
            double eps, long y) {
        int[] shape = batchNormShape(xShape);
        try (TensorDesc xd = new TensorDesc(shape); TensorDesc bn = new TensorDesc(); Arena a = Arena.ofConfined()) {
            call("cudnnDeriveBNTensorDescriptor", () -> (int) api.h("cudnnDeriveBNTensorDescriptor").invokeExact(bn.desc,
                    xd.desc, BATCHNORM_SPATIAL));
            MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
            call("cudnnBatchNormalizationForwardInference(x " + Arrays.toString(xShape) + ")", () -> (int) api
                    .h("cudnnBatchNormalizationForwardInference").invokeExact(handle, BATCHNORM_SPATIAL, one, zero, xd.desc,
                            ptr(x), xd.desc, ptr(y), bn.desc, ptr(scale), ptr(bias), ptr(mean), ptr(var), eps));
        }
    }

    /**
     * Batch-norm backward from the saved mean and inverse standard deviation: dx, dscale, dbias
     * (all overwritten; dscale/dbias must be real buffers, cuDNN always writes them).
     */
    public synchronized void batchNormBackward(long x, int[] xShape, long dy, long scale, long mean, long invStd,
            double eps, long dx, long dScale, long dBias) {
        int[] shape = batchNormShape(xShape);
        try (TensorDesc xd = new TensorDesc(shape); TensorDesc bn = new TensorDesc(); Arena a = Arena.ofConfined()) {
            call("cudnnDeriveBNTensorDescriptor", () -> (int) api.h("cudnnDeriveBNTensorDescriptor").invokeExact(bn.desc,
                    xd.desc, BATCHNORM_SPATIAL));
            MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
            call("cudnnBatchNormalizationBackward(x " + Arrays.toString(xShape) + ")", () -> (int) api
                    .h("cudnnBatchNormalizationBackward").invokeExact(handle, BATCHNORM_SPATIAL, one, zero, one, zero,
                            xd.desc, ptr(x), xd.desc, ptr(dy), xd.desc, ptr(dx), bn.desc, ptr(scale), ptr(dScale),
                            ptr(dBias), eps, ptr(mean), ptr(invStd)));
        }
    }

    // ---- pooling ------------------------------------------------------------------------------

    /** Pooling forward over packed (N, C, T, H, W) (max or average per {@code mode}). */
    public synchronized void poolingForward(int mode, PoolGeometry g, long x, int[] xShape, long y, int[] yShape) {
        try (PoolDesc pd = new PoolDesc(mode, g); TensorDesc xd = new TensorDesc(xShape); TensorDesc yd = new TensorDesc(yShape);
                Arena a = Arena.ofConfined()) {
            MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
            call("cudnnPoolingForward(" + g + ", x " + Arrays.toString(xShape) + ")", () -> (int) api
                    .h("cudnnPoolingForward").invokeExact(handle, pd.desc, one, xd.desc, ptr(x), zero, yd.desc, ptr(y)));
        }
    }

    /**
     * Pooling backward. Average pooling reads neither x nor y, so callers without them pass the
     * gradients' addresses (the descriptors have the right shapes either way).
     */
    public synchronized void poolingBackward(int mode, PoolGeometry g, long y, long dy, int[] yShape, long x, long dx,
            int[] xShape) {
        try (PoolDesc pd = new PoolDesc(mode, g); TensorDesc xd = new TensorDesc(xShape); TensorDesc yd = new TensorDesc(yShape);
                Arena a = Arena.ofConfined()) {
            MemorySegment one = f32(a, 1f), zero = f32(a, 0f);
            call("cudnnPoolingBackward(" + g + ", x " + Arrays.toString(xShape) + ")", () -> (int) api
                    .h("cudnnPoolingBackward").invokeExact(handle, pd.desc, one, yd.desc, ptr(y), yd.desc, ptr(dy), xd.desc,
                            ptr(x), zero, xd.desc, ptr(dx)));
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            call("cudnnDestroy", () -> (int) api.h("cudnnDestroy").invokeExact(handle));
        } finally {
            arena.close();
        }
    }
}
