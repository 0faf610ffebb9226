package org.iboot4j.kernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import org.iboot4j.kernels.cuda.CudaBackend;

/**
 * The GPU benchmarks a person runs once on a GPU machine and commits to {@code bench/results/}:
 * the hand-written kernels' bandwidth against a device-to-device copy ({@link BandwidthBench})
 * and cuBLAS / cuDNN throughput at the ViT-B/16 and Slow-R50 shapes against the device's peak
 * ({@link LibraryBench}). Output is Markdown, printed and, with {@code --out}, written to a file.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
 *        -cp 'lib/*' org.iboot4j.kernels.GpuBench [--out FILE.md] [--only bandwidth|libraries] [--quick] [--require-gpu]
 * </pre>
 *
 * About a minute of device time on an H100-class GPU (most of it cuDNN choosing algorithms for
 * 24 layer shapes x 3 directions x 2 precisions). Without a usable GPU: {@code unavailable:
 * <reason>}, exit 0 (2 with {@code --require-gpu}), and no file.
 */
public final class GpuBench {
    private GpuBench() {}

    /** Device time each measurement aims for (DeviceTimer repeats the call to fill it). */
    static final double TARGET_MS = 50;

    public static void main(String[] args) {
        String out = null, only = null;
        boolean quick = false, requireGpu = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = args[++i];
                case "--only" -> only = args[++i];
                case "--quick" -> quick = true;
                case "--require-gpu" -> requireGpu = true;
                default -> {
                    System.err.println("usage: GpuBench [--out FILE.md] [--only bandwidth|libraries] [--quick] [--require-gpu]");
                    System.exit(64);
                }
            }
        }
        String md = run(SelfTest.availableOrExit(requireGpu), only, quick);
        System.out.print(md);
        if (out != null) {
            try {
                Files.writeString(Path.of(out), md);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + out, e);
            }
            System.err.println("written to " + out);
        }
    }

    /** The whole report as Markdown; {@code only} is null, "bandwidth" or "libraries". */
    public static String run(CudaBackend gpu, String only, boolean quick) {
        if (only != null && !only.equals("bandwidth") && !only.equals("libraries")) {
            throw new IllegalArgumentException("--only takes bandwidth or libraries, not " + only);
        }
        gpu.gpu().kernels().loadAll();
        StringBuilder md = new StringBuilder("# iboot4j GPU benchmarks\n\n");
        md.append("- device: ").append(gpu).append('\n');
        md.append("- date: ").append(LocalDate.now()).append(", JDK ").append(Runtime.version())
                .append(quick ? ", QUICK (smoke-run sizes, not for comparison)" : "").append('\n');
        md.append("- settings: iboot.cuda.convAlgo=").append(System.getProperty("iboot.cuda.convAlgo", "heuristic"))
                .append(", iboot.cuda.workspaceMiB=").append(Long.getLong("iboot.cuda.workspaceMiB", 1024))
                .append("; each time is the mean of back-to-back calls filling about ").append((int) TARGET_MS)
                .append(" ms between CUDA events, after one warm-up call\n\n");
        if (only == null || only.equals("bandwidth")) {
            md.append("## Hand-written kernels: bandwidth against a device-to-device copy\n\n")
                    .append("Bytes moved: each launch reads its inputs once and writes its outputs once (see BandwidthBench).\n\n")
                    .append(BandwidthBench.run(gpu, quick, TARGET_MS)).append('\n');
        }
        if (only == null || only.equals("libraries")) {
            md.append("## cuBLAS GEMM and cuDNN conv3d against the device's peak\n\n")
                    .append(LibraryBench.run(gpu, quick, TARGET_MS)).append('\n');
        }
        md.append("memory: ").append(gpu.memoryStats()).append('\n');
        return md.toString();
    }
}
