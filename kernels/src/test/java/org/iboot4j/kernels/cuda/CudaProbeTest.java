package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.junit.jupiter.api.Test;

/** Availability detection: one clear line for each missing piece, never an exception. */
class CudaProbeTest {

    /** A machine with the named libraries and the given driver state. */
    record FakeMachine(Set<String> libraries, CudaProbe.DriverStatus driver, String missingSymbol)
            implements CudaProbe.Environment {
        @Override
        public Optional<NativeLibrary> open(List<String> sonames) {
            for (String s : sonames) {
                if (libraries.contains(s)) return NativeLibrary.open(List.of("libc.so.6")); // any real library
            }
            return Optional.empty();
        }

        @Override
        public CudaProbe.DriverStatus initDriver() {
            return driver;
        }

        @Override
        public Cublas.Api bindCublas(NativeLibrary lib) {
            return null;
        }

        @Override
        public Cudnn.Api bindCudnn(NativeLibrary lib) {
            if (missingSymbol != null) return Cudnn.Api.bind(lib); // libc lacks every cuDNN symbol
            return null;
        }
    }

    private static final CudaProbe.DriverStatus ONE_GPU = new CudaProbe.DriverStatus(0, 1, null);

    private static String reason(Set<String> libs, CudaProbe.DriverStatus d) {
        return CudaProbe.probe(new FakeMachine(libs, d, null), 0).reason();
    }

    @Test
    void namesTheFirstMissingPiece() {
        assertEquals("no NVIDIA driver: libcuda.so.1 not found by the dynamic loader", reason(Set.of(), ONE_GPU));
        assertEquals("JCuda's native library did not load: no libJCudaDriver in java.library.path",
                reason(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(-1, 0, "no libJCudaDriver in java.library.path")));
        assertEquals("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE (100))",
                reason(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(100, 0, null)));
        assertEquals("cuInit failed: CUDA_ERROR_STUB_LIBRARY (34)",
                reason(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(34, 0, null)));
        assertEquals("cuInit failed: CUresult (12345)", reason(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(12345, 0, null)));
        assertEquals("no CUDA device (cuDeviceGetCount = 0)",
                reason(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(0, 0, null)));
        assertEquals("cuBLAS and cuDNN not found (tried libcublas.so.13, libcublas.so.12, libcudnn.so.9, libcudnn.so.8;"
                + " add their folders to LD_LIBRARY_PATH)", reason(Set.of("libcuda.so.1"), ONE_GPU));
        assertEquals("cuDNN not found (tried libcudnn.so.9, libcudnn.so.8; add its folder to LD_LIBRARY_PATH)",
                reason(Set.of("libcuda.so.1", "libcublas.so.12"), ONE_GPU));
        assertEquals("cuBLAS not found (tried libcublas.so.13, libcublas.so.12; add its folder to LD_LIBRARY_PATH)",
                reason(Set.of("libcuda.so.1", "libcudnn.so.8"), ONE_GPU));
        assertNull(reason(Set.of("libcuda.so.1", "libcublas.so.13", "libcudnn.so.9"), ONE_GPU));
    }

    @Test
    void aLibraryWithoutOurSymbolsIsReportedByName() {
        CudaProbe.Result r = CudaProbe.probe(new FakeMachine(Set.of("libcuda.so.1", "libcublas.so.13", "libcudnn.so.9"),
                ONE_GPU, "any"), 0);
        assertEquals("libc.so.6 has no symbol cudnnGetVersion", r.reason());
    }

    @Test
    void aDeviceOrdinalBeyondTheCountIsExplained() {
        CudaProbe.Result r = CudaProbe.probe(new FakeMachine(Set.of("libcuda.so.1"), new CudaProbe.DriverStatus(0, 2, null), null), 2);
        assertEquals("device 2 requested (-Diboot.cuda.device) but 2 present", r.reason());
    }

    @Test
    void reasonsAreOneLine() {
        assertEquals("a b c", CudaProbe.oneLine("a\n  b\r\nc\n"));
        CudaProbe.Result r = CudaProbe.probe(new FakeMachine(Set.of("libcuda.so.1"),
                new CudaProbe.DriverStatus(-1, 0, CudaProbe.oneLine("line one\nline two")), null), 0);
        assertFalse(r.reason().contains("\n"));
    }

    @Test
    void theRealBackendIsFoundByServiceLoaderAndNeverThrows() {
        Backend cuda = Backends.byName("cuda:0");
        assertTrue(cuda instanceof CudaBackend);
        assertTrue(cuda.priority() > 0);
        String why = cuda.unavailableReason(); // null on a GPU machine
        if (why != null) {
            assertFalse(why.isBlank());
            assertFalse(why.contains("\n"), why);
            assertTrue(cuda.toString().contains("unavailable: " + why));
            IllegalStateException e = assertThrows(IllegalStateException.class, ((CudaBackend) cuda)::gpu);
            assertTrue(e.getMessage().contains(why));
            assertEquals("cpu", Backends.current().name(), "without a GPU the engine stays on the CPU");
        }
    }

    @Test
    void withoutADriverTheReasonNamesLibcuda() {
        assumeFalse(NativeLibrary.isLoadable(CudaProbe.DRIVER_SONAME), "this machine has an NVIDIA driver");
        String why = new CudaBackend().unavailableReason();
        assertNotNull(why);
        assertTrue(why.contains("libcuda.so.1"), why);
    }
}
