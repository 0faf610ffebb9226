package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * FFM binding without cuBLAS/cuDNN: soname search and symbol binding against libc, and the C
 * prototypes of every cuBLAS/cuDNN function we bind parsed into the descriptors the downcalls use.
 */
class NativeBindingTest {

    @Test
    void theFirstLoadableSonameWinsAndAbsentLibrariesAreNoError() {
        assertTrue(NativeLibrary.open(List.of("libdoes-not-exist.so.99")).isEmpty());
        Optional<NativeLibrary> libc = NativeLibrary.open(List.of("libdoes-not-exist.so.99", "libc.so.6"));
        assertTrue(libc.isPresent());
        assertEquals("libc.so.6", libc.get().soname());
    }

    @Test
    void bindsAndCallsAFunctionFromItsPrototype() throws Throwable {
        NativeLibrary libc = NativeLibrary.open(List.of("libc.so.6")).orElseThrow();
        CPrototype p = CPrototype.parse("size_t strlen(const char *s);");
        MethodHandle strlen = libc.bind(p.name(), p.descriptor());
        try (Arena a = Arena.ofConfined()) {
            assertEquals(5L, (long) strlen.invokeExact(a.allocateFrom("hello")));
        }
        NativeLibrary.MissingSymbolException e = assertThrows(NativeLibrary.MissingSymbolException.class,
                () -> libc.bind("cublasCreate_v2", FunctionDescriptor.ofVoid()));
        assertEquals("libc.so.6 has no symbol cublasCreate_v2", e.getMessage());
        assertTrue(libc.bindOptional("cublasCreate_v2", FunctionDescriptor.ofVoid()).isEmpty());
        assertFalse(libc.has("cudnnCreate"));
    }

    private static final MemoryLayout P = ValueLayout.ADDRESS, I = ValueLayout.JAVA_INT, L = ValueLayout.JAVA_LONG,
            F = ValueLayout.JAVA_FLOAT, D = ValueLayout.JAVA_DOUBLE;

    @Test
    void everyBoundPrototypeParses() {
        List<String> names = new ArrayList<>();
        for (String p : Cublas.PROTOTYPES) names.add(CPrototype.parse(p).name());
        for (String p : Cudnn.PROTOTYPES) names.add(CPrototype.parse(p).name());
        CPrototype.parse(Cublas.GET_STATUS_STRING);
        assertEquals(List.of("cublasCreate_v2", "cublasDestroy_v2", "cublasGetVersion_v2", "cublasGetProperty",
                "cublasSetStream_v2", "cublasSetMathMode", "cublasSgemm_v2", "cublasSgemmStridedBatched", "cublasGemmEx",
                "cublasGemmStridedBatchedEx"), names.subList(0, 10));
        assertEquals(10 + 38, names.size());
        assertEquals(names.size(), names.stream().distinct().count());
    }

    @Test
    void cTypesMapToTheLp64Layouts() {
        assertEquals(List.of(P, I, I, I, I, I, P, P, I, P, I, P, P, I), CPrototype.parse(Cublas.SGEMM).parameters());
        assertEquals(List.of(P, I, I, I, I, I, P, P, I, L, P, I, L, P, P, I, L, I),
                CPrototype.parse(Cublas.SGEMM_STRIDED_BATCHED).parameters());
        assertEquals(List.of(P, I, I, I, I, I, P, P, I, I, P, I, I, P, P, I, I, I, I),
                CPrototype.parse(Cublas.GEMM_EX).parameters());
        CPrototype bn = CPrototype.parse(Cudnn.BN_FORWARD_TRAINING);
        assertEquals(I, bn.returns());
        assertEquals(List.of(P, I, P, P, P, P, P, P, P, P, P, D, P, P, D, P, P), bn.parameters());
        assertEquals(List.of(P, I, P, P, P, P, P, P, P, P, P, P, P, P, P, P, D, P, P),
                CPrototype.parse(Cudnn.BN_BACKWARD).parameters());
        assertEquals(List.of(P, P, P, P, P, P, P, I, P, L, P, P, P), CPrototype.parse(Cudnn.CONV_FORWARD).parameters());
        assertEquals(List.of(P, I, I, P, P), CPrototype.parse(Cudnn.SET_TENSOR_ND).parameters());
        assertEquals(List.of(P, I, I, I, P, P, P), CPrototype.parse(Cudnn.SET_POOLING_ND).parameters());
        assertEquals(FunctionDescriptor.of(L), CPrototype.parse(Cudnn.GET_VERSION).descriptor());
        assertEquals(FunctionDescriptor.of(P, I), CPrototype.parse(Cudnn.GET_ERROR_STRING).descriptor());
        assertEquals(FunctionDescriptor.ofVoid(F, D), CPrototype.parse("void f(float x, double);").descriptor());
    }

    @Test
    void parameterNamesAreStrippedButTypesKept() {
        assertEquals("const int []", CPrototype.stripName("const int dimA[]"));
        assertEquals("float *", CPrototype.stripName("float* C"));
        assertEquals("long long int", CPrototype.stripName("long long int strideA"));
        assertEquals("size_t", CPrototype.stripName("size_t"));
        assertEquals("const cudnnTensorDescriptor_t", CPrototype.stripName("const cudnnTensorDescriptor_t xDesc"));
        assertEquals("unsigned int", CPrototype.stripName("unsigned int"));
        assertThrows(IllegalArgumentException.class, () -> CPrototype.parse("cudnnStatus_t f(cudnnUnknown_t x);"));
        assertThrows(IllegalArgumentException.class, () -> CPrototype.parse("not a prototype"));
    }

    @Test
    void theAlgorithmPerfStructIs48BytesWithSizeTAt16() {
        assertEquals(48, Cudnn.ALGO_PERF.byteSize());
        assertEquals(16, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("memory")));
        assertEquals(28, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("mathType")));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Cudnn.ALGO_PERF, 2);
            s.set(ValueLayout.JAVA_INT, 48, 6);
            s.set(ValueLayout.JAVA_FLOAT, 56, 1.5f);
            s.set(ValueLayout.JAVA_LONG, 64, 1L << 33);
            s.set(ValueLayout.JAVA_INT, 72, 1);
            s.set(ValueLayout.JAVA_INT, 76, 3);
            Cudnn.AlgoPerf[] perf = Cudnn.readPerf(s, 2);
            assertEquals(new Cudnn.AlgoPerf(6, 0, 1.5f, 1L << 33, 1, 3), perf[1]);
        }
    }

    @Test
    void algorithmChoiceSkipsFailuresBigWorkspacesTensorOpsAndNondeterminism() {
        Cudnn.AlgoPerf failed = new Cudnn.AlgoPerf(0, 3000, 0, 0, 1, 3);
        Cudnn.AlgoPerf huge = new Cudnn.AlgoPerf(1, 0, 0, 1L << 40, 1, 3);
        Cudnn.AlgoPerf tensorOp = new Cudnn.AlgoPerf(2, 0, 0, 0, 1, Cudnn.TENSOR_OP_MATH);
        Cudnn.AlgoPerf nondet = new Cudnn.AlgoPerf(3, 0, 0, 0, 0, 3);
        Cudnn.AlgoPerf good = new Cudnn.AlgoPerf(4, 0, 0, 100, 1, 3);
        Cudnn.AlgoPerf[] list = {failed, huge, tensorOp, nondet, good};
        assertEquals(nondet, Cudnn.choose(list, 1 << 30, false, false));
        assertEquals(good, Cudnn.choose(list, 1 << 30, true, false));
        assertEquals(tensorOp, Cudnn.choose(list, 1 << 30, false, true));
        assertEquals(huge, Cudnn.choose(list, 1L << 41, false, true));
        assertEquals(null, Cudnn.choose(new Cudnn.AlgoPerf[] {failed}, 1 << 30, false, true));
    }

    @Test
    void versionsDecode() {
        assertEquals("9.13.0", Cudnn.versionString(91300));
        assertEquals("9.3.0", Cudnn.versionString(90300));
        assertEquals("8.9.7", Cudnn.versionString(8907));
        assertEquals("13.0.0", Cublas.versionString(130000));
        assertEquals("12.6.4", Cublas.versionString(120604));
        assertEquals("13.0", CudaDevice.driverVersionString(13000));
        assertEquals("12.8", CudaDevice.driverVersionString(12080));
    }

    @Test
    void batchNormDescriptorsFlattenTheSpatialDims() {
        assertEquals(List.of(2, 64, 8 * 56 * 56, 1), box(Cudnn.batchNormShape(new int[] {2, 64, 8, 56, 56})));
        assertEquals(List.of(4, 3, 1, 1), box(Cudnn.batchNormShape(new int[] {4, 3})));
        assertEquals(2L * 8 * 56 * 56, Cudnn.batchNormCount(new int[] {2, 64, 8, 56, 56}));
        assertEquals(List.of(60, 20, 5, 1), box(Cudnn.packedStrides(new int[] {2, 3, 4, 5})));
        assertThrows(IllegalArgumentException.class, () -> Cudnn.batchNormShape(new int[] {3}));
    }

    private static List<Integer> box(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int v : a) l.add(v);
        return l;
    }
}
