package org.iboot4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.cpu.Parallel;

/**
 * The side-by-side comparison ({@code bench/compare.sh} runs it): times every (op, shape) case of
 * the shape table in PyTorch and in the engine with the same {@link Timing} protocol and thread
 * count, and prints one Markdown table, optionally also written to a file.
 *
 * <p>ratio = torch time / iboot4j time: iboot4j's speed relative to PyTorch, so >= 1 means the
 * engine is faster. Ops with a target (GEMM 0.7, conv3d 0.6) say whether it is met.
 *
 * <pre>
 * CompareMain [--shapes FILE] [--filter REGEX] [--warmup N] [--warmup-seconds S] [--reps N]
 *             [--min-reps N] [--budget S] [--torch FILE | --torch-script compare_torch.py
 *             [--python /usr/bin/python3]] [--quiet-wait S [--retries N]] [--out FILE]
 *             [--meta KEY=VALUE]...
 * </pre>
 *
 * <ul>
 *   <li>The filter is searched for in "op-label case-id", e.g. "matmul|sgemm", "conv3d fwd res2".
 *   <li>PyTorch's times come from {@code --torch-script compare_torch.py}, run as a child in its
 *       --serve mode so that each case is timed in PyTorch and then here, back to back, under the
 *       same machine load (needs {@code --shapes}); or from a file it wrote earlier ({@code --torch}).
 *   <li>With {@code --quiet-wait S} each case first waits up to S seconds for an idle machine,
 *       and the CPU time other processes use while it runs is measured; a case during which they
 *       used more than {@link #BUSY_SHARE} of the machine is timed again (up to
 *       {@code --retries N} times, keeping the attempt during which they used least) and marked
 *       (busy) in the table if every attempt was.
 *   <li>Threads: the engine's come from -Diboot.threads (the CPU backend reads it once); PyTorch
 *       is given the same number.
 * </ul>
 */
public final class CompareMain {
    /** Share of the machine that other processes may use during a case before it counts as busy. */
    static final double BUSY_SHARE = 0.10;

    private CompareMain() {}

    /** One line of the table; a time is NaN when that side did not run it. */
    record Row(Op op, String id, String shape, double flops, double torchMs, String torchImpl, double oursMs,
            String note, double othersShare) {

        /** Whether other processes used more than {@link #BUSY_SHARE} of the machine while it ran. */
        boolean busy() {
            return othersShare > BUSY_SHARE;
        }

        Row withOthersShare(double share) {
            return new Row(op, id, shape, flops, torchMs, torchImpl, oursMs, note, share);
        }

        double ratio() {
            return torchMs / oursMs;
        }

        /** "met", "not met", or "" when there is no target or no ratio. */
        String met() {
            if (!op.hasTarget() || Double.isNaN(ratio())) return "";
            return ratio() >= op.target ? "met" : "not met";
        }
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out, System.err));
        } catch (IllegalArgumentException e) {
            System.err.println("CompareMain: " + e.getMessage());
            System.exit(2);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream log) {
        ShapeTable table = null;
        Pattern filter = null;
        Path shapesFile = null, torchFile = null, torchScript = null, outFile = null;
        String python = "/usr/bin/python3";
        double quietWait = 0;
        int retries = 0;
        int warmup = Timing.DEFAULT.warmupRuns(), reps = Timing.DEFAULT.reps(), minReps = Timing.DEFAULT.minReps();
        double warmupSeconds = Timing.DEFAULT.warmupSeconds(), budget = Timing.DEFAULT.budgetSeconds();
        Map<String, String> meta = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println("usage: CompareMain [--shapes FILE] [--filter REGEX] [--warmup N] [--warmup-seconds S]"
                        + " [--reps N] [--min-reps N] [--budget S] [--torch FILE | --torch-script compare_torch.py"
                        + " [--python PYTHON]] [--quiet-wait S [--retries N]] [--out FILE] [--meta KEY=VALUE]...");
                return 0;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--shapes" -> table = ShapeTable.load(shapesFile = Path.of(v));
                case "--torch-script" -> torchScript = Path.of(v);
                case "--python" -> python = v;
                case "--quiet-wait" -> quietWait = Double.parseDouble(v);
                case "--retries" -> retries = Integer.parseInt(v);
                case "--filter" -> filter = Pattern.compile(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--min-reps" -> minReps = Integer.parseInt(v);
                case "--budget" -> budget = Double.parseDouble(v);
                case "--torch" -> torchFile = Path.of(v);
                case "--out" -> outFile = Path.of(v);
                case "--meta" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("--meta wants KEY=VALUE, got " + v);
                    meta.put(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (see --help)");
            }
        }
        if (table == null) table = ShapeTable.load();
        if (torchScript != null && shapesFile == null) {
            throw new IllegalArgumentException("--torch-script needs --shapes (compare_torch.py reads the same file)");
        }
        Timing timing = new Timing(warmup, warmupSeconds, reps, minReps, budget);
        Map<String, Double> torchTimes = torchFile == null ? Map.of() : readTorch(torchFile, meta);
        List<Row> rows = new ArrayList<>();
        try (TorchWorker torch = torchScript == null ? null
                : new TorchWorker(python, torchScript, shapesFile, Parallel.threads(), timing)) {
            if (torch != null) meta.putAll(torch.meta());
            meta.put("iboot4j", "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name")
                    + "), backend " + Backends.current().name() + ", " + Parallel.threads()
                    + " threads (-Diboot.threads), "
                    + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors");
            meta.put("protocol", (torch != null ? "each case timed in PyTorch, then in iboot4j, back to back; " : "")
                    + "per case: warm-up >= " + warmup + " runs and >= " + warmupSeconds + " s, then " + reps
                    + " timed runs (at least " + Math.min(minReps, reps) + ", fewer once " + budget
                    + " s are spent); the median is shown. Same protocol and shapes for both; each iboot4j run is"
                    + " one TensorScope (its tensors' memory serves the next run, as PyTorch's allocator recycles).");
            meta.put("ratio", "torch ms / iboot4j ms = iboot4j speed relative to PyTorch (>= 1: iboot4j is faster)");

            for (ShapeTable.Case c : table.cases()) {
                for (Op op : Op.values()) {
                    if (!op.kind.equals(c.kind())) continue;
                    String key = op.label + " " + c.id();
                    if (filter != null && !filter.matcher(key).find()) continue;
                    Row row = null; // the attempt during which other processes used the least CPU
                    for (int attempt = 0; attempt <= retries && (row == null || row.busy()); attempt++) {
                        if (attempt > 0) log.println("   busy: timing " + key + " again");
                        Row next = timeBoth(op, c, key, timing, torch, torchTimes, quietWait, log);
                        if (row == null || next.othersShare() < row.othersShare()) row = next;
                    }
                    rows.add(row);
                }
            }
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("no case matches the filter " + filter);
        try {
            Path loadavg = Path.of("/proc/loadavg");
            if (Files.isReadable(loadavg)) {
                String[] f = Files.readString(loadavg).split(" ");
                meta.put("load average at end", f[0] + " " + f[1] + " " + f[2]);
            }
        } catch (IOException e) {
            // not Linux: no load average
        }
        String md = markdown(meta, rows);
        out.print(md);
        out.flush();
        if (outFile != null) {
            try {
                Path parent = outFile.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Files.writeString(outFile, md);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            log.println("wrote " + outFile);
        }
        return 0;
    }

    /**
     * Times one case in PyTorch (when a worker runs) and then here, after waiting up to
     * {@code quietWait} seconds for an idle machine, and tells whether it ran on a busy one.
     */
    private static Row timeBoth(Op op, ShapeTable.Case c, String key, Timing timing, TorchWorker torch,
            Map<String, Double> torchTimes, double quietWait, PrintStream log) {
        long[] pids = torch == null ? new long[] {ProcessHandle.current().pid()}
                : new long[] {ProcessHandle.current().pid(), torch.pid()};
        boolean idleAtStart = quietWait <= 0 || Quiet.await(quietWait, pids);
        Quiet.Monitor monitor = quietWait > 0 ? new Quiet.Monitor(pids) : null;
        double torchMs = torchTimes.getOrDefault(key, Double.NaN);
        String torchImpl = "";
        if (torch != null) {
            TorchWorker.Answer a = torch.time(op, c.id());
            torchMs = a.medianMs();
            torchImpl = a.impl();
            if (!a.error().isEmpty()) log.println("torch: " + key + " failed: " + a.error());
        }
        Row row = timeOurs(op, c, timing, torchMs, torchImpl, log);
        if (monitor != null) {
            double others = monitor.stop();
            boolean busy = others > BUSY_SHARE;
            log.printf(Locale.ROOT, "   other processes used %.0f%% of the machine meanwhile%s%s%n", 100 * others,
                    busy ? ": busy" : "", idleAtStart ? "" : " (it was not idle at the start)");
            row = row.withOthersShare(others);
        }
        return row;
    }

    /** Times one case in the engine; a failure becomes a row that says so rather than ending the run. */
    private static Row timeOurs(Op op, ShapeTable.Case c, Timing timing, double torchMs, String torchImpl,
            PrintStream log) {
        String key = op.label + " " + c.id();
        log.printf(Locale.ROOT, "iboot4j: %-45s ", key);
        log.flush();
        System.gc();
        Workload w;
        try {
            w = Workload.of(op, c);
        } catch (RuntimeException | OutOfMemoryError e) {
            log.println("setup failed: " + e);
            return new Row(op, c.id(), c.params().toString(), 0, torchMs, torchImpl, Double.NaN, "setup failed", 0);
        }
        String note = "";
        double ours = Double.NaN;
        try {
            Timing.Result r = timing.measure(w);
            ours = r.medianMs();
            log.printf(Locale.ROOT, "%10.3f ms (median of %d)   torch %s ms   ratio %s%n", ours, r.runs(),
                    ms(torchMs), Double.isNaN(torchMs) ? "—" : String.format(Locale.ROOT, "%.2f", torchMs / ours));
        } catch (UnsupportedOperationException e) {
            log.println("unsupported (" + e.getMessage() + ")");
            note = "unsupported";
        } catch (RuntimeException | OutOfMemoryError e) {
            log.println("failed: " + e);
            note = "failed";
        }
        return new Row(op, c.id(), w.shape(), w.flops(), torchMs, torchImpl, ours, note, 0);
    }

    /**
     * Reads compare_torch.py's output: "op-label TAB case-id TAB median-ms TAB runs" lines, and
     * "#meta TAB key TAB value" lines, whose pairs go into {@code meta}.
     */
    static Map<String, Double> readTorch(Path file, Map<String, String> meta) {
        Map<String, Double> times = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t");
            if (f[0].equals("#meta") && f.length >= 3) {
                meta.put(f[1], f[2]);
            } else if (!line.startsWith("#") && f.length >= 3) {
                Op.byLabel(f[0]); // fails loudly if the two sides' op labels drift apart
                times.put(f[0] + " " + f[1], f[2].equals("nan") ? Double.NaN : Double.parseDouble(f[2]));
            }
        }
        return times;
    }

    static String ms(double v) {
        if (Double.isNaN(v)) return "—";
        if (v < 10) return String.format(Locale.ROOT, "%.3f", v);
        if (v < 100) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String markdown(Map<String, String> meta, List<Row> rows) {
        StringBuilder s = new StringBuilder("# iboot4j vs PyTorch on the CPU\n\n");
        meta.forEach((k, v) -> s.append("- **").append(k).append("**: ").append(v).append('\n'));
        s.append("\n| op | case | shape | torch ms | iboot4j ms | ratio | target | met | iboot4j GFLOP/s | torch impl |\n");
        s.append("|---|---|---|---:|---:|---:|---:|---|---:|---|\n");
        for (Row r : rows) {
            String ours = Double.isNaN(r.oursMs()) && !r.note().isEmpty() ? r.note() : ms(r.oursMs());
            String ratio = Double.isNaN(r.ratio()) ? "—" : String.format(Locale.ROOT, "%.2f", r.ratio());
            String gflops = r.flops() > 0 && !Double.isNaN(r.oursMs())
                    ? String.format(Locale.ROOT, "%.1f", r.flops() / r.oursMs() * 1e-6) : "";
            String target = r.op().hasTarget() ? String.format(Locale.ROOT, "%.1fx", r.op().target) : "";
            s.append("| ").append(r.op().label).append(" | ").append(r.id()).append(r.busy() ? " (busy)" : "")
                    .append(" | ").append(r.shape())
                    .append(" | ").append(ms(r.torchMs())).append(" | ").append(ours).append(" | ").append(ratio)
                    .append(" | ").append(target).append(" | ").append(r.met()).append(" | ").append(gflops)
                    .append(" | ").append(r.torchImpl()).append(" |\n");
        }
        long busy = rows.stream().filter(Row::busy).count();
        if (busy > 0) {
            s.append("\n").append(busy).append(" of ").append(rows.size()).append(" cases, marked (busy), ran while"
                    + " other processes used more than " + Math.round(100 * BUSY_SHARE) + "% of the machine (in every"
                    + " attempt); their times, PyTorch's especially,"
                    + " may be inflated.\n");
        }
        s.append("\n## Summary\n\nQuiet cases are those not marked (busy); they are the ones to trust.\n\n");
        s.append("| op | cases | quiet | target | met (quiet) | met (all) | geometric-mean ratio (quiet)"
                + " | geometric-mean ratio (all) | worst ratio (quiet) |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Op op : Op.values()) {
            List<Row> mine = rows.stream().filter(r -> r.op() == op && !Double.isNaN(r.ratio())).toList();
            if (rows.stream().noneMatch(r -> r.op() == op)) continue;
            List<Row> quiet = mine.stream().filter(r -> !r.busy()).toList();
            s.append("| ").append(op.label).append(" | ").append(mine.size()).append(" | ").append(quiet.size())
                    .append(" | ").append(op.hasTarget() ? String.format(Locale.ROOT, "%.1fx", op.target) : "")
                    .append(" | ").append(metCount(op, quiet)).append(" | ").append(metCount(op, mine))
                    .append(" | ").append(geometricMean(quiet)).append(" | ").append(geometricMean(mine))
                    .append(" | ").append(quiet.isEmpty() ? "—" : String.format(Locale.ROOT, "%.2f",
                            quiet.stream().mapToDouble(Row::ratio).min().orElseThrow()))
                    .append(" |\n");
        }
        return s.toString();
    }

    private static String metCount(Op op, List<Row> rows) {
        return op.hasTarget() ? rows.stream().filter(r -> r.met().equals("met")).count() + "/" + rows.size() : "";
    }

    private static String geometricMean(List<Row> rows) {
        if (rows.isEmpty()) return "—";
        double logSum = rows.stream().mapToDouble(r -> Math.log(r.ratio())).sum();
        return String.format(Locale.ROOT, "%.2f", Math.exp(logSum / rows.size()));
    }
}
