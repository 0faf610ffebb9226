package org.iboot4j.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.kernels.cuda.CudaBackend;

/**
 * The GPU self-test a person runs on a GPU machine: every parity case (each primitive and library
 * call against its CPU twin, see {@link ParityCases}) with a table of op, shape, max relative
 * error, tolerance, time per call on the GPU, and PASS/FAIL.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
 *        -cp 'lib/*' org.iboot4j.kernels.SelfTest [--large] [--filter REGEX]
 * </pre>
 *
 * Without a usable GPU it prints one line, {@code unavailable: <reason>}, and exits with status 0
 * (status 2 with {@code --require-gpu}). Exit status 1 when any case fails.
 */
public final class SelfTest {
    private SelfTest() {}

    public static void main(String[] args) {
        boolean large = false, requireGpu = false;
        String filter = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--large" -> large = true;
                case "--require-gpu" -> requireGpu = true;
                case "--filter" -> filter = args[++i];
                default -> {
                    System.err.println("usage: SelfTest [--large] [--require-gpu] [--filter REGEX]");
                    System.exit(64);
                }
            }
        }
        System.exit(run(availableOrExit(requireGpu), Backends.byName("cpu"), large, filter));
    }

    /**
     * The CUDA backend if it is usable; otherwise prints {@code unavailable: <reason>} and exits
     * with status 0, or 2 when {@code requireGpu} (shared with {@link GpuBench}).
     */
    static CudaBackend availableOrExit(boolean requireGpu) {
        Backend found = Backends.all().stream().filter(b -> b instanceof CudaBackend).findFirst().orElse(null);
        String why = found == null ? "the CUDA backend is not on the class path (META-INF/services)"
                : ((CudaBackend) found).unavailableReason();
        if (why != null) {
            System.out.println("unavailable: " + why);
            System.exit(requireGpu ? 2 : 0);
        }
        return (CudaBackend) found;
    }

    /** Runs the cases, prints the table, returns the exit status (0 all passed, 1 a failure). */
    public static int run(CudaBackend gpu, Backend cpu, boolean large, String filter) {
        System.out.println("device: " + gpu);
        gpu.gpu().kernels().loadAll(); // a PTX error shows up first, with the JIT log
        System.out.println("PTX modules loaded");
        String header = String.format(Locale.ROOT, "%-44s %-58s %10s %8s %10s  %s", "op", "shape", "max error",
                "tol", "gpu ms", "");
        System.out.println(header);
        System.out.println("-".repeat(header.length()));
        List<String> failures = new ArrayList<>();
        for (ParityCases.Case c : ParityCases.all(large)) {
            if (filter != null && !(c.op() + " " + c.shape()).matches("(?s).*(" + filter + ").*")) continue;
            String error, ms;
            boolean ok;
            try {
                ParityCases.Prepared onCpu = c.prepare().apply(cpu);
                onCpu.run();
                float[][] want = onCpu.outputs();
                ParityCases.Prepared onGpu = c.prepare().apply(gpu);
                onGpu.run();
                float[][] got = onGpu.outputs();
                double e = ParityCases.relativeError(want, got);
                ok = e <= c.tolerance();
                error = String.format(Locale.ROOT, "%.2e", e);
                ms = String.format(Locale.ROOT, "%.3f", time(gpu, onGpu));
            } catch (RuntimeException | Error t) {
                ok = false;
                error = "threw";
                ms = "-";
                failures.add(c.op() + " " + c.shape() + ": " + t);
            }
            if (!ok && !error.equals("threw")) failures.add(c.op() + " " + c.shape() + ": error " + error);
            System.out.println(String.format(Locale.ROOT, "%-44s %-58s %10s %8.0e %10s  %s", c.op(), c.shape(), error,
                    c.tolerance(), ms, ok ? "PASS" : "FAIL"));
        }
        System.out.println();
        System.out.println("memory: " + gpu.memoryStats());
        if (failures.isEmpty()) {
            System.out.println("all cases passed");
            return 0;
        }
        System.out.println(failures.size() + " failed:");
        for (String f : failures) System.out.println("  " + f);
        return 1;
    }

    /** Mean device time of one call: repeated (after the checked run) until 50 ms or 100 calls. */
    static double time(CudaBackend gpu, ParityCases.Prepared p) {
        gpu.synchronize();
        int n = 0;
        long start = System.nanoTime(), elapsed;
        do {
            p.run();
            gpu.synchronize();
            n++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < 50_000_000L && n < 100);
        return elapsed / 1e6 / n;
    }
}
