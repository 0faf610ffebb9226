package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.PoolGeometry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cuBLAS and cuDNN wrappers driven against {@link FakeCudaLibraries}: what each call hands
 * to C, argument by argument, as the C side reads it. Needs a C compiler (skipped without one);
 * no GPU.
 */
class FakeLibraryCallsTest {
    @TempDir
    static Path dir;
    private static FakeCudaLibraries fake;
    private static CachingAllocator allocator;
    private static final long STREAM = 0x5678;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(FakeCudaLibraries.compiler() != null, "no C compiler to build the fake cuBLAS/cuDNN");
        fake = FakeCudaLibraries.build(dir);
        allocator = new CachingAllocator(new CachingAllocatorTest.FakeDevice(1L << 40), () -> {});
    }

    @BeforeEach
    void reset() {
        fake.reset();
    }

    @Test
    void theProbeBindsEverySymbolOfTheFakeLibraries() {
        CudaProbe.Environment env = new CudaProbe.Environment() {
            @Override
            public java.util.Optional<NativeLibrary> open(java.util.List<String> sonames) {
                return java.util.Optional.of(fake.library());
            }

            @Override
            public CudaProbe.DriverStatus initDriver() {
                return new CudaProbe.DriverStatus(0, 1, null);
            }
        };
        CudaProbe.Result r = CudaProbe.probe(env, 0);
        assertEquals(null, r.reason());
        assertEquals("13.0.0", r.cublas().version());
        assertEquals("9.13.0", r.cudnn().version());
    }

    @Test
    void cublasCallsCarryTheirArgumentsInOrder() {
        Cublas blas = Cublas.create(Cublas.Api.bind(fake.library()), STREAM);
        assertEquals(130000, blas.version());
        blas.setTf32(true);
        // row-major C (4 x 3) = A (4 x 5) B (5 x 3), A stored transposed (lda 4), B row-major (ldb 3)
        blas.rowMajorGemm(new Cublas.RowMajorGemm(4, 3, 5, 0xA000, 4, true, 0, 0xB000, 3, false, 0, 0xC000, 0, 1));
        blas.rowMajorGemm(new Cublas.RowMajorGemm(4, 3, 5, 0xA000, 5, false, 20, 0xB000, 3, false, 0, 0xC000, 12, 7));
        blas.gemmEx(Cublas.OP_N, Cublas.OP_T, 3, 4, 5, 2f, 0xB000, Cublas.CUDA_R_16BF, 3, 0, 0xA000, 4, 0, 0.5f, 0xC000, 3,
                0, 1);
        blas.gemmEx(Cublas.OP_N, Cublas.OP_N, 3, 4, 5, 1f, 0xB000, Cublas.CUDA_R_16BF, 3, 15, 0xA000, 5, 20, 0f, 0xC000, 3,
                12, 2);
        blas.close();
        assertEquals("""
                cublasCreate_v2(HANDLE)
                cublasSetStream_v2(0x1000,0x5678)
                cublasGetVersion_v2(0x1000,PTR)
                cublasSetMathMode(0x1000,0)
                cublasSetMathMode(0x1000,3)
                cublasSgemm_v2(0x1000,0,1,3,4,5,1,0xb000,3,0xa000,4,0,0xc000,3)
                cublasSgemmStridedBatched(0x1000,0,0,3,4,5,1,0xb000,3,0,0xa000,5,20,0,0xc000,3,12,7)
                cublasGemmEx(0x1000,0,1,3,4,5,2,0xb000,14,3,0xa000,14,4,0.5,0xc000,0,3,68,-1)
                cublasGemmStridedBatchedEx(0x1000,0,0,3,4,5,1,0xb000,14,3,15,0xa000,14,5,20,0,0xc000,0,3,12,2,68,-1)
                cublasDestroy_v2(0x1000)
                """, scrub(fake.log()));
    }

    @Test
    void cublasFailuresNameTheCallAndTheShape() {
        Cublas blas = Cublas.create(Cublas.Api.bind(fake.library()), STREAM);
        fake.fail("cublasSgemm_v2", 7);
        CudaException e = assertThrows(CudaException.class, () -> blas.sgemm(0, 0, 3, 4, 5, 1, 1, 3, 2, 5, 0, 3, 3));
        assertEquals("cublasSgemm_v2(NN, m=3, n=4, k=5, lda=3, ldb=5, ldc=3) failed: FAKE_STATUS (7)", e.getMessage());
        assertEquals(7, e.code());
    }

    @Test
    void convolutionForwardDescribesTheProblemPicksAnAlgorithmAndAddsTheBias() {
        Cudnn dnn = Cudnn.create(Cudnn.Api.bind(fake.library()), STREAM, allocator, Cudnn.AlgoSearch.HEURISTIC, 1 << 20, false);
        ConvGeometry g = new ConvGeometry(new int[] {1, 2, 2}, new int[] {1, 1, 1}, new int[] {1, 1, 1}, 2);
        int[] x = {2, 16, 4, 14, 14}, w = {32, 8, 3, 3, 3}, y = g.outputShape(x, w);
        dnn.convolutionForward(0x10000, x, 0x20000, w, 0x30000, g, 0x40000, y);
        String log = scrub(fake.log());
        assertTrue(log.startsWith("""
                cudnnCreate(HANDLE)
                cudnnSetStream(0x1000,0x5678)
                cudnnCreateTensorDescriptor(PTR)
                cudnnSetTensorNdDescriptor(0x2000,0,5,[2,16,4,14,14],[12544,784,196,14,1])
                cudnnCreateFilterDescriptor(PTR)
                cudnnSetFilterNdDescriptor(0x2001,0,0,5,[32,8,3,3,3])
                cudnnCreateConvolutionDescriptor(PTR)
                cudnnSetConvolutionNdDescriptor(0x2002,3,[1,1,1],[1,2,2],[1,1,1],1,0)
                cudnnSetConvolutionGroupCount(0x2002,2)
                cudnnSetConvolutionMathType(0x2002,3)
                cudnnCreateTensorDescriptor(PTR)
                cudnnSetTensorNdDescriptor(0x2003,0,5,[2,32,4,7,7],[6272,196,49,7,1])
                cudnnGetConvolutionForwardAlgorithm_v7(0x1000,0x2000,0x2001,0x2002,0x2003,8,PTR,PTR)
                cudnnSetConvolutionMathType(0x2002,3)
                cudnnGetConvolutionForwardWorkspaceSize(0x1000,0x2000,0x2001,0x2002,0x2003,1,PTR)
                cudnnSetConvolutionMathType(0x2002,3)
                cudnnConvolutionForward(0x1000,1,0x2000,0x10000,0x2001,0x20000,0x2002,1,DEV,4096,0,0x2003,0x40000)
                cudnnCreateTensorDescriptor(PTR)
                cudnnSetTensorNdDescriptor(0x2004,0,5,[1,32,1,1,1],[32,1,1,1,1])
                cudnnAddTensor(0x1000,1,0x2004,0x30000,1,0x2003,0x40000)
                cudnnDestroyTensorDescriptor(0x2004)
                """), log);
        assertEquals(0, allocator.stats().inUse(), "the workspace went back to the allocator...");
        assertTrue(allocator.stats().cached() >= 4096, "... and into its cache");
        fake.reset();
        dnn.convolutionForward(0x10000, x, 0x20000, w, 0, g, 0x40000, y);
        assertTrue(!fake.log().contains("Algorithm_v7") && !fake.log().contains("AddTensor"),
                "the algorithm is cached per problem; no bias, no cudnnAddTensor: " + fake.log());
    }

    @Test
    void backwardConvolutionsAndTheFindSearch() {
        Cudnn dnn = Cudnn.create(Cudnn.Api.bind(fake.library()), STREAM, allocator, Cudnn.AlgoSearch.FIND, 8192, true);
        ConvGeometry g = new ConvGeometry(new int[] {1, 1, 1}, new int[] {0, 1, 1}, new int[] {1, 1, 1}, 1);
        int[] x = {1, 4, 2, 5, 5}, w = {6, 4, 1, 3, 3}, y = g.outputShape(x, w);
        dnn.convolutionBackwardData(0x40000, y, 0x20000, w, g, 0x10000, x);
        dnn.convolutionBackwardFilter(0x40000, y, 0x10000, x, g, 0x20000, w);
        String log = scrub(fake.log());
        assertTrue(log.contains("cudnnFindConvolutionBackwardDataAlgorithmEx(0x1000,0x2001,0x20000,0x2003,0x40000,0x2002,"
                + "0x2000,0x10000,6,PTR,PTR,DEV,8192)"), log);
        assertTrue(log.contains("cudnnConvolutionBackwardData(0x1000,1,0x2001,0x20000,0x2003,0x40000,0x2002,1,DEV,4096,0,"
                + "0x2000,0x10000)"), log);
        assertTrue(log.contains("cudnnFindConvolutionBackwardFilterAlgorithmEx(0x1000,0x2004,0x10000,0x2007,0x40000,"
                + "0x2006,0x2005,0x20000,7,PTR,PTR,DEV,8192)"), log);
        assertTrue(log.contains("cudnnConvolutionBackwardFilter(0x1000,1,0x2004,0x10000,0x2007,0x40000,0x2006,1,DEV,4096,0,"
                + "0x2005,0x20000)"), log);
        fake.fail("cudnnConvolutionBackwardData", 3000);
        CudaException e = assertThrows(CudaException.class,
                () -> dnn.convolutionBackwardData(0x40000, y, 0x20000, w, g, 0x10000, x));
        assertTrue(e.getMessage().startsWith("cudnnConvolutionBackwardData(dy [1, 6, 2, 5, 5], w [6, 4, 1, 3, 3], "
                + "stride=[1, 1, 1] padding=[0, 1, 1] dilation=[1, 1, 1] groups=1, algo 1) failed: FAKE_STATUS (3000)"),
                e.getMessage());
    }

    @Test
    void batchNormAndPooling() {
        Cudnn dnn = Cudnn.create(Cudnn.Api.bind(fake.library()), STREAM, allocator, Cudnn.AlgoSearch.HEURISTIC, 1 << 20, false);
        int[] x = {4, 3, 2, 5, 5};
        dnn.batchNormTraining(0x10000, x, 0x1100, 0x1200, 1e-5, 0x20000, 0x1300, 0x1400, 0x1500);
        dnn.batchNormBackward(0x10000, x, 0x30000, 0x1100, 0x1300, 0x1600, 1e-5, 0x40000, 0x1700, 0x1800);
        dnn.batchNormInference(0x10000, new int[] {4, 3}, 0x1100, 0x1200, 0x1300, 0x1400, 1e-3, 0x20000);
        PoolGeometry pg = new PoolGeometry(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1}, false);
        int[] ps = pg.outputShape(x);
        dnn.poolingForward(Cudnn.POOLING_AVERAGE_EXCLUDE_PADDING, pg, 0x10000, x, 0x50000, ps);
        dnn.poolingBackward(Cudnn.POOLING_AVERAGE_INCLUDE_PADDING, pg, 0x60000, 0x60000, ps, 0x70000, 0x70000, x);
        String log = scrub(fake.log());
        int n = 4 * 2 * 5 * 5;
        assertTrue(log.contains("cudnnSetTensorNdDescriptor(0x2000,0,4,[4,3,50,1],[150,50,1,1])"), log);
        assertTrue(log.contains("cudnnDeriveBNTensorDescriptor(0x2001,0x2000,1)"), log);
        assertTrue(log.contains("cudnnBatchNormalizationForwardTraining(0x1000,1,1,0,0x2000,0x10000,0x2000,0x20000,0x2001,"
                + "0x1100,0x1200,1,0x1300,0x1500,1e-05,0x0,0x0)"), log);
        assertTrue(log.contains("cudnnAddTensor(0x1000," + String.format(java.util.Locale.ROOT, "%.6g", (n - 1) / (float) n)
                .replaceAll("0+$", "") + ",0x2001,0x1500,0,0x2001,0x1400)"), log);
        assertTrue(log.contains("cudnnBatchNormalizationBackward(0x1000,1,1,0,1,0,0x2002,0x10000,0x2002,0x30000,0x2002,"
                + "0x40000,0x2003,0x1100,0x1700,0x1800,1e-05,0x1300,0x1600)"), log);
        assertTrue(log.contains("cudnnSetTensorNdDescriptor(0x2004,0,4,[4,3,1,1],[3,1,1,1])"), log);
        assertTrue(log.contains("cudnnBatchNormalizationForwardInference(0x1000,1,1,0,0x2004,0x10000,0x2004,0x20000,0x2005,"
                + "0x1100,0x1200,0x1300,0x1400,0.001)"), log);
        assertTrue(log.contains("cudnnSetPoolingNdDescriptor(0x2006,2,1,3,[1,3,3],[0,1,1],[1,2,2])"), log);
        assertTrue(log.contains("cudnnPoolingForward(0x1000,0x2006,1,0x2007,0x10000,0,0x2008,0x50000)"), log);
        assertTrue(log.contains("cudnnPoolingBackward(0x1000,0x2009,1,0x200b,0x60000,0x200b,0x60000,0x200a,0x70000,0,"
                + "0x200a,0x70000)"), log);
        dnn.close();
        assertTrue(fake.log().endsWith("cudnnDestroy(0x1000)\n"));
    }

    /** Host addresses of Java-allocated scratch vary: replace them by PTR (and device workspaces by DEV). */
    private static String scrub(String log) {
        return log.replaceAll("cublasCreate_v2\\(0x[0-9a-f]+\\)", "cublasCreate_v2(HANDLE)")
                .replaceAll("cudnnCreate\\(0x[0-9a-f]+\\)", "cudnnCreate(HANDLE)")
                .replaceAll("(Create(Tensor|Filter|Convolution|Pooling)Descriptor)\\(0x[0-9a-f]+\\)", "$1(PTR)")
                .replaceAll("(cublasGetVersion_v2\\(0x1000),0x[0-9a-f]+\\)", "$1,PTR)")
                .replaceAll("(Algorithm_v7\\([^)]*,\\d+),0x[0-9a-f]+,0x[0-9a-f]+\\)", "$1,PTR,PTR)")
                .replaceAll("(AlgorithmEx\\([^)]*,\\d+),0x[0-9a-f]+,0x[0-9a-f]+,0x[0-9a-f]+,(\\d+)\\)", "$1,PTR,PTR,DEV,$2)")
                .replaceAll("(WorkspaceSize\\([^)]*,\\d+),0x[0-9a-f]+\\)", "$1,PTR)")
                .replaceAll("(Convolution(Forward|BackwardData|BackwardFilter)\\(0x1000,1,(0x[0-9a-f]+,){5}\\d+),0x[0-9a-f]+,", "$1,DEV,");
    }
}
