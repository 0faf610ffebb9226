package org.iboot4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The benchmarks' host-side pieces without a GPU: peak lookup, the layer list, the table (the runs: FakeDriverMain). */
class GpuBenchTest {
    @Test
    void peaksAreFoundByTheDriversDeviceName() {
        assertEquals("H200 SXM data sheet", PeakTable.forDevice("NVIDIA H200").orElseThrow().source());
        assertEquals("H200 NVL data sheet", PeakTable.forDevice("NVIDIA H200 NVL").orElseThrow().source());
        assertEquals("H100 SXM5 data sheet", PeakTable.forDevice("NVIDIA H100 80GB HBM3").orElseThrow().source());
        assertEquals("H100 PCIe data sheet", PeakTable.forDevice("NVIDIA H100 PCIe").orElseThrow().source());
        assertEquals(156, PeakTable.forDevice("NVIDIA A100-SXM4-80GB").orElseThrow().peak("tf32"));
        assertTrue(PeakTable.forDevice("Fake GPU 0").isEmpty());
        for (PeakTable p : PeakTable.KNOWN) assertTrue(p.fp32() < p.tf32() && p.tf32() < p.bf16(), p.toString());
    }

    @Test
    void slowR50LayersAtBatch8Of8x224x224() {
        List<LibraryBench.Conv> convs = LibraryBench.convs(false);
        Set<String> names = new HashSet<>();
        for (LibraryBench.Conv c : convs) assertTrue(names.add(c.name()), c.name());
        assertEquals(24, convs.size()); // stem, res2 5 (conv_b unstrided), res3-res5 6 each
        LibraryBench.Conv stem = convs.get(0);
        assertArrayEquals(new int[] {8, 64, 8, 112, 112}, stem.g().outputShape(stem.x(), stem.w()));
        for (LibraryBench.Conv c : convs) {
            int[] y = c.g().outputShape(c.x(), c.w());
            assertEquals(8, y[2], c.name() + ": time is never strided"); // temporal padding kT / 2 keeps T = 8
            // stem 112; res2 56; res3..res5 28, 14, 7, except the first conv_a, still at the previous stage's size
            int stage = c.name().startsWith("res") ? c.name().charAt(3) - '0' : 1;
            int expect = 224 >> (c.name().contains("conv_a (first)") && stage > 2 ? stage - 1 : stage);
            assertEquals(expect, y[3], c.name());
        }
        assertEquals(10, LibraryBench.gemms(false).size());
        assertEquals(197 * 64, LibraryBench.gemms(false).get(7).m());
    }

    @Test
    void markdownTable() {
        MarkdownTable t = new MarkdownTable("a", "b");
        t.row("x|y", 2);
        assertEquals("| a | b |\n|---|---|\n| x\\|y | 2 |\n", t.toString());
        assertThrows(IllegalArgumentException.class, () -> t.row("only one"));
    }
}
