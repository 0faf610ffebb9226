package org.iboot4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.loader.LoaderBenchmark;
import org.iboot4j.data.loader.VideoClipSource;
import org.iboot4j.data.video.VideoReader;
import org.iboot4j.engine.cpu.Parallel;

/**
 * The loader comparison ({@code bench/loader-compare.sh} runs it): clips per second of decode +
 * augment through iboot4j's {@code ClipLoader} ({@link LoaderBenchmark}) and through a PyTorch
 * {@code DataLoader} with torchvision's video reading and transforms ({@code bench/loader_torch.py},
 * run as a child), on the same files, for each worker count, one after the other — never at the
 * same time — and one Markdown table of both.
 *
 * <pre>
 * LoaderCompareMain --dataset CSV --torch-script loader_torch.py [--python /usr/bin/python3]
 *                   [--clips N] [--workers 1,2] [--frames T] [--stride S] [--quiet-wait S]
 *                   [--out FILE] [--meta KEY=VALUE]...
 * </pre>
 * Before each run it waits up to {@code --quiet-wait} seconds (default 20) for other processes to
 * leave the machine idle, and the table says what share of the machine they used during the run.
 */
public final class LoaderCompareMain {
    private LoaderCompareMain() {}

    /** The command line's settings; {@code meta} collects the --meta pairs for the table's header. */
    record Options(Path dataset, Path torchScript, String python, int clips, List<Integer> workers, int frames,
            int stride, double quietWait, Path out, Map<String, String> meta) {

        static Options parse(String[] args) {
            Path dataset = null, torchScript = null, out = null;
            String python = "/usr/bin/python3";
            int clips = 240, frames = 8, stride = 8;
            List<Integer> workers = List.of(1, Runtime.getRuntime().availableProcessors());
            double quietWait = 20;
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
                String v = args[i + 1];
                switch (args[i]) {
                    case "--dataset" -> dataset = Path.of(v);
                    case "--torch-script" -> torchScript = Path.of(v);
                    case "--python" -> python = v;
                    case "--clips" -> clips = Integer.parseInt(v);
                    case "--workers" -> workers = parseWorkers(v);
                    case "--frames" -> frames = Integer.parseInt(v);
                    case "--stride" -> stride = Integer.parseInt(v);
                    case "--quiet-wait" -> quietWait = Double.parseDouble(v);
                    case "--out" -> out = Path.of(v);
                    case "--meta" -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) throw new IllegalArgumentException("--meta wants KEY=VALUE, got " + v);
                        meta.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (dataset == null || torchScript == null) {
                throw new IllegalArgumentException("--dataset and --torch-script are required");
            }
            return new Options(dataset, torchScript, python, clips, workers, frames, stride, quietWait, out, meta);
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Options o = Options.parse(args);
        Map<String, String> meta = o.meta();
        int cores = Runtime.getRuntime().availableProcessors();
        VideoDataset ds = LoaderBenchmark.dataset(o.dataset());
        meta.put("dataset", o.dataset() + " (" + ds + "); " + o.clips() + " clips per run after a warm-up"
                + " (iboot4j: one batch; torchvision: one batch per worker), " + o.frames() + " frames every "
                + o.stride() + "th (30 fps time base), 3 clips per video, batches of "
                + LoaderBenchmark.config(ds, 1, o.frames(), o.stride()).batchSize() + " videos");
        meta.put("iboot4j", "Java " + Runtime.version() + ", FFmpeg " + VideoReader.ffmpegVersion()
                + " (JavaCPP), ClipLoader worker threads decode, each batch is augmented by the CPU backend"
                + " (Backend.augmentClips on its " + Parallel.threads() + " threads), AugmentConfig.iboot()");
        PrintStream log = System.err;
        long self = ProcessHandle.current().pid();
        List<LoaderTable.Row> rows = new ArrayList<>();
        for (int w : o.workers()) {
            rows.add(timed(LoaderTable.IBOOT, w, cores, o.quietWait(), self, log, () -> {
                LoaderBenchmark.Result r = LoaderBenchmark.measure(ds, new VideoClipSource(),
                        LoaderBenchmark.config(ds, w, o.frames(), o.stride()), o.clips());
                if (r.badSamples() > 0) log.println("iboot4j: " + r.badSamples() + " bad samples skipped");
                return new LoaderTable.Measured(w, r.clips(), r.seconds(), r.cpuSeconds());
            }));
            rows.add(timed(LoaderTable.TORCH, w, cores, o.quietWait(), self, log, () -> runTorch(o, w)));
        }
        meta.put("load average at end", loadAverage());
        meta.put("ratio", "iboot4j clips/s / torchvision clips/s at the same worker count (> 1: iboot4j is faster)");
        meta.put("CPU s", "CPU time of the implementation's processes in the timed part (iboot4j: the JVM;"
                + " torchvision: the Python process and its workers); clips per CPU s hardly depends on other load");
        meta.put("others' CPU", "share of the machine other processes used during the run, start-up included"
                + " (the machine may be shared)");
        String md = LoaderTable.markdown(meta, rows);
        System.out.print(md);
        if (o.out() != null) {
            Path parent = o.out().toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(o.out(), md);
            log.println("wrote " + o.out());
        }
    }

    /** A run that reports its clips and seconds (one implementation at one worker count). */
    private interface Run {
        LoaderTable.Measured run() throws IOException, InterruptedException;
    }

    /** Waits for an idle machine, runs, and measures what other processes used meanwhile. */
    private static LoaderTable.Row timed(String impl, int workers, int cores, double quietWait, long self,
            PrintStream log, Run run) throws IOException, InterruptedException {
        if (quietWait > 0 && !Quiet.await(quietWait, self)) log.println("the machine is not idle; running anyway");
        Quiet.Monitor monitor = new Quiet.Monitor(self);
        LoaderTable.Measured r = run.run();
        LoaderTable.Row row = new LoaderTable.Row(impl, workers, cores, r.clips(), r.seconds(), r.cpuSeconds(),
                monitor.stop());
        log.printf(Locale.ROOT, "%-12s %d workers: %d clips in %.2f s, %.2f clips/s, %.1f CPU s"
                + " (others used %.0f%% of the machine)%n", impl, workers, row.clips(), row.seconds(),
                row.clipsPerSecond(), row.cpuSeconds(), 100 * row.othersShare());
        return row;
    }

    /** Runs loader_torch.py and parses its result; its #meta lines go into the options' meta. */
    private static LoaderTable.Measured runTorch(Options o, int workers) throws IOException, InterruptedException {
        Path script = o.torchScript();
        ProcessBuilder pb = new ProcessBuilder(o.python(), script.toString(), "--dataset", o.dataset().toString(),
                "--clips", Integer.toString(o.clips()), "--workers", Integer.toString(workers),
                "--frames", Integer.toString(o.frames()), "--stride", Integer.toString(o.stride()));
        // torchvision's C++ video reader logs every file it opens at glog's INFO level
        pb.environment().put("GLOG_minloglevel", "1");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        // waitFor reaps the child, so Quiet counts its CPU time (and its workers') as ours
        int rc = p.waitFor();
        if (rc != 0) throw new IOException(script + " exited with " + rc);
        LoaderTable.Measured r = LoaderTable.parseTorch(lines, o.meta());
        if (r.workers() != workers) throw new IOException(script + " ran " + r.workers() + " workers, not " + workers);
        return r;
    }

    static List<Integer> parseWorkers(String list) {
        List<Integer> w = new ArrayList<>();
        for (String s : list.split(",")) {
            int n = Integer.parseInt(s.trim());
            if (n < 1) throw new IllegalArgumentException("worker counts must be >= 1, got " + n);
            if (!w.contains(n)) w.add(n);
        }
        return List.copyOf(w);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
