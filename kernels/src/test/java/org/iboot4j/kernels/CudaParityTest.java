package org.iboot4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.kernels.cuda.CudaBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every GPU primitive against its CPU twin on fresh random inputs ({@link ParityCases}; the
 * tolerances, and why they are what they are, are written there). Without a usable GPU the
 * parity cases do not run and {@link #parityNeedsAGpu} is reported skipped with the backend's
 * one-line reason.
 */
class CudaParityTest {
    private static CudaBackend gpu;
    private static Backend cpu;
    private static String unavailable;

    @BeforeAll
    static void findBackends() {
        gpu = (CudaBackend) Backends.byName("cuda:" + Integer.getInteger("iboot.cuda.device", 0));
        cpu = Backends.byName("cpu");
        unavailable = gpu.unavailableReason();
        if (unavailable != null) System.out.println("CudaParityTest: GPU parity skipped: " + unavailable);
    }

    @Test
    void parityNeedsAGpu() {
        assumeTrue(unavailable == null, "CUDA backend unavailable: " + unavailable);
    }

    @Test
    void casesAreWellFormed() {
        List<ParityCases.Case> all = ParityCases.all(false);
        Set<String> names = new HashSet<>();
        for (ParityCases.Case c : all) {
            assertTrue(names.add(c.op() + " " + c.shape()), "duplicate case " + c.op() + " " + c.shape());
            assertTrue(c.tolerance() >= 0 && c.tolerance() <= 1e-2, c.op());
        }
        assertTrue(all.size() > 100, "cases: " + all.size());
        assertEquals(0, ParityCases.relativeError(new float[] {1, Float.NaN, Float.NEGATIVE_INFINITY},
                new float[] {1, Float.NaN, Float.NEGATIVE_INFINITY}));
        assertEquals(Double.POSITIVE_INFINITY, ParityCases.relativeError(new float[] {1, Float.NaN}, new float[] {1, 2}));
        assertEquals(0.25, ParityCases.relativeError(new float[] {4, -2}, new float[] {4, -1}), 1e-12);
    }

    /** The harness itself, without a GPU: every case runs on the CPU and repeats itself exactly. */
    @Test
    void everyCaseRunsOnTheCpu() {
        for (ParityCases.Case c : ParityCases.all(false)) {
            ParityCases.Prepared a = c.prepare().apply(cpu), b = c.prepare().apply(cpu);
            a.run();
            b.run();
            assertEquals(0, ParityCases.relativeError(a.outputs(), b.outputs()), c.op() + " " + c.shape());
        }
    }

    /** Each case on the CPU, then on the GPU; the CPU's answer is the reference. */
    @TestFactory
    Stream<DynamicTest> gpuMatchesCpu() {
        if (unavailable != null) return Stream.empty();
        return ParityCases.all(false).stream().map(c -> DynamicTest.dynamicTest(c.op() + " " + c.shape(), () -> {
            ParityCases.Prepared want = c.prepare().apply(cpu);
            want.run();
            ParityCases.Prepared got = c.prepare().apply(gpu);
            got.run();
            double e = ParityCases.relativeError(want.outputs(), got.outputs());
            assertTrue(e <= c.tolerance(), c.op() + " " + c.shape() + ": relative error " + e + " > " + c.tolerance());
        }));
    }
}
