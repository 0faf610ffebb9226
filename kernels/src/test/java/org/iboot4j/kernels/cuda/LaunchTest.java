package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUjit_option;
import org.iboot4j.kernels.ptx.KernelCatalogue;
import org.iboot4j.kernels.ptx.PtxStructs;
import org.junit.jupiter.api.Test;

/** Argument marshalling, launch shapes, pointers and error messages of the launch path: no GPU needed. */
class LaunchTest {

    @Test
    void argumentsAreCheckedAgainstTheCatalogue() {
        KernelArgs a = Kernels.args("softmax_forward_f32").ptr(0x1000).ptr(0x2000).s32(4).s32(10);
        assertFalse(a.complete());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, a::toJCuda);
        assertTrue(missing.getMessage().contains("missing 'log'"), missing.getMessage());
        a.s32(1);
        assertTrue(a.complete());
        assertEquals("out=0x1000, x=0x2000, rows=4, width=10, log=1", a.describe());
        assertEquals(List.of(0x1000L, 0x2000L, 4, 10, 1), a.values());
        a.toJCuda();
        IllegalArgumentException extra = assertThrows(IllegalArgumentException.class, () -> a.s32(0));
        assertTrue(extra.getMessage().startsWith("softmax_forward_f32 takes 5 parameters"), extra.getMessage());

        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                () -> Kernels.args("softmax_forward_f32").s32(1));
        assertEquals("softmax_forward_f32: parameter 0 'out' is PTR, got S32", wrongType.getMessage());
        IllegalArgumentException wrongStruct = assertThrows(IllegalArgumentException.class,
                () -> Kernels.args("reduce_f32").ptr(1).ptr(2).struct(new byte[100]));
        assertTrue(wrongStruct.getMessage().contains("144-byte struct, got 100 bytes"), wrongStruct.getMessage());
        KernelArgs r = Kernels.args("reduce_f32").ptr(1).ptr(2).struct(new byte[PtxStructs.REDUCE_GEOMETRY_BYTES])
                .s32(0).s32(32).s32(1000);
        assertTrue(r.describe().contains("geom=<144 bytes>"));
        assertThrows(IllegalArgumentException.class, () -> Kernels.args("no_such_kernel"));
    }

    @Test
    void everyKernelTheBackendLaunchesIsInTheCatalogue() {
        for (String k : List.of("reduce_f32", "softmax_forward_f32", "softmax_backward_f32", "layer_norm_forward_f32",
                "layer_norm_backward_f32", "layer_norm_param_grad_f32", "index_select", "index_add_f32", "gather",
                "scatter_add_f32", "adaptive_avg_pool3d_forward_f32", "adaptive_avg_pool3d_backward_f32",
                "sgd_step_norms", "sgd_step", "cosine_loss")) {
            assertTrue(KernelCatalogue.contains(k), k);
        }
    }

    @Test
    void launchShapesRespectTheHardwareLimits() {
        assertEquals(new LaunchShape(4, 1, 1, 256, 1, 1), LaunchShape.linear(1000, 256, 1 << 20));
        assertEquals(new LaunchShape(1, 1, 1, 256, 1, 1), LaunchShape.linear(0, 256, 1 << 20));
        assertEquals(7, LaunchShape.linear(1L << 40, 256, 7).gridX());
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.of(1, 1, 1025, 1));
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.of(1, 65536, 32, 1));
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.of(0, 1, 32, 1));
        assertEquals("<<<grid (3, 2, 1), block (32, 8, 1)>>>", LaunchShape.of(3, 2, 32, 8).toString());
    }

    @Test
    void launchFailuresNameTheKernelShapeAndArguments() {
        KernelArgs a = Kernels.args("sgd_step").ptr(0x10).ptr(0x20).ptr(0x30).ptr(0).s32(5).f32(0.1f).f32(0.9f).f32(0)
                .s32(0);
        String m = Kernels.launchFailure("sgd_step", LaunchShape.linear(5, 256, 1 << 20), a, 700, "kernel execution");
        assertEquals("kernel execution of sgd_step<<<grid (1, 1, 1), block (256, 1, 1)>>> failed: "
                + "CUDA_ERROR_ILLEGAL_ADDRESS (700); args: w=0x10, g=0x20, buf=0x30, coeff=0x0, n=5, lr=0.1, "
                + "momentum=0.9, weightDecay=0.0, nesterov=0", m);
        assertEquals("cuMemAlloc(4096 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)",
                Driver.message(2, "cuMemAlloc", "4096 bytes"));
        CudaException e = assertThrows(CudaException.class, () -> Driver.check(100, "cuInit"));
        assertEquals(100, e.code());
        Driver.check(0, "cuInit");
    }

    @Test
    void devicePointersAreRawAddresses() {
        assertEquals(0x7f0012345600L, DevicePointer.of(0x7f0012345600L).address());
        assertEquals(0x7f0012345600L, DevicePointer.addressOf(DevicePointer.of(0x7f0012345600L)));
        assertEquals(64, DevicePointer.addressOf(new CUdeviceptr().withByteOffset(64)));
        assertEquals(0, new DevicePointer().address());
    }

    @Test
    void jitOptionsCarryTheLogBuffersAndFailuresShowTheLog() {
        int[] opts = CudaModule.jitOptions();
        assertEquals(List.of(CUjit_option.CU_JIT_INFO_LOG_BUFFER, CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES),
                List.of(opts[0], opts[1], opts[2], opts[3]));
        long[] values = CudaModule.jitOptionValues(0x1000, 0x2000);
        assertEquals(List.of(0x1000L, (long) CudaModule.LOG_BYTES, 0x2000L, (long) CudaModule.LOG_BYTES),
                List.of(values[0], values[1], values[2], values[3]));
        String m = CudaModule.loadFailure("reduce", 218, "ptxas application ptx input, line 12; error   : Unknown symbol\n",
                "");
        assertEquals("cuModuleLoadDataEx(reduce.ptx) failed: CUDA_ERROR_INVALID_PTX (218)\nJIT error log:\n"
                + "ptxas application ptx input, line 12; error   : Unknown symbol", m);
        assertTrue(CudaModule.loadFailure("x", 218, "", "").endsWith("(the JIT wrote no log)"));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(16);
            s.setString(0, "log");
            assertEquals("log", CudaModule.cString(s));
        }
        byte[] image = CudaModule.nulTerminated(".version 8.0");
        assertEquals(13, image.length);
        assertEquals(0, image[12]);
    }
}
