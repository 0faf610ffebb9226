package org.iboot4j.kernels;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Dense (no sparsity) peak throughput of the GPUs this project targets, from NVIDIA's data
 * sheets, matched on the name the driver reports. The library benchmark divides achieved
 * TFLOP/s by these; for an unlisted device it reports only the fraction of the best GEMM it
 * measured in the same precision.
 *
 * <pre>
 *   device (name contains)      FP32    TF32    BF16   TFLOP/s   source
 *   H200 NVL                    60      417.5   835.5            H200 NVL data sheet
 *   H200                        67      494.7   989.4            H200 SXM data sheet
 *   H100 NVL                    60      417.5   835.5            H100 NVL data sheet
 *   H100 PCIe                   51      378     756.5            H100 PCIe data sheet
 *   H100 (other: SXM5, HBM3)    67      494.7   989.4            H100 SXM5 data sheet
 *   A100                        19.5    156     312              A100 data sheet (SXM4 and PCIe)
 *   L40S                        91.6    183     362              L40S data sheet
 * </pre>
 * NVIDIA quotes tensor-core figures "with sparsity" at twice these; the table holds the dense
 * half. The clocks behind them are NVIDIA's boost clocks: a power- or heat-limited part runs
 * slower, so a fraction near 1 is not expected even for a perfect kernel.
 */
record PeakTable(String match, double fp32, double tf32, double bf16, String source) {

    static final List<PeakTable> KNOWN = List.of(
            new PeakTable("H200 NVL", 60, 417.5, 835.5, "H200 NVL data sheet"),
            new PeakTable("H200", 67, 494.7, 989.4, "H200 SXM data sheet"),
            new PeakTable("H100 NVL", 60, 417.5, 835.5, "H100 NVL data sheet"),
            new PeakTable("H100 PCIe", 51, 378, 756.5, "H100 PCIe data sheet"),
            new PeakTable("H100", 67, 494.7, 989.4, "H100 SXM5 data sheet"),
            new PeakTable("A100", 19.5, 156, 312, "A100 data sheet"),
            new PeakTable("L40S", 91.6, 183, 362, "L40S data sheet"));

    /** The first entry whose match the device name contains (case-insensitive), in table order. */
    static Optional<PeakTable> forDevice(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return KNOWN.stream().filter(p -> n.contains(p.match.toUpperCase(Locale.ROOT))).findFirst();
    }

    /** The peak of a precision: "fp32", "tf32" or "bf16". */
    double peak(String precision) {
        return switch (precision) {
            case "fp32" -> fp32;
            case "tf32" -> tf32;
            case "bf16" -> bf16;
            default -> throw new IllegalArgumentException("no peak for " + precision);
        };
    }
}
