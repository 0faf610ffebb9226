package org.iboot4j.data.loader;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.iboot4j.data.dataset.VideoDataset;

/**
 * Clips per second of decode + augment through a {@link ClipLoader} (for the bench module and
 * for sizing a machine's data loading). Speed is reported, never asserted. The workers decode;
 * each batch is augmented when it is taken, by the current backend (on the CPU: its
 * {@code -Diboot.threads} pool), so "per core" counts the workers only.
 *
 * <pre>
 * java ... org.iboot4j.data.loader.LoaderBenchmark DATASET [CLIPS] [WORKERS] [FRAMES] [STRIDE]
 * </pre>
 * DATASET is a folder of class folders or a {@code path,label} / Kinetics CSV (paths relative to
 * its folder). Defaults: 200 clips, one worker per core, 8 x 8 frames, iBoot's training
 * augmentation at 224 (3 views per video), decoding with {@link VideoClipSource}.
 */
public final class LoaderBenchmark {
    private LoaderBenchmark() {}

    /**
     * @param clips             clips (views) decoded and augmented in the timed part
     * @param seconds           wall time of the timed part
     * @param workers           loader threads
     * @param cores             processors available to the JVM
     * @param clipsPerSecond    clips / seconds
     * @param clipsPerSecondPerCore clipsPerSecond / min(workers, cores)
     * @param badSamples        bad samples skipped meanwhile
     * @param cpuSeconds        CPU time the whole JVM used in the timed part (workers, JIT, GC):
     *                          unlike the wall time, it hardly depends on what else the machine runs
     */
    public record Result(int clips, double seconds, int workers, int cores, double clipsPerSecond,
                         double clipsPerSecondPerCore, long badSamples, double cpuSeconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d clips in %.2f s: %.1f clips/s with %d workers on %d cores (%.2f clips/s per core), %.2f CPU s, %d bad samples",
                    clips, seconds, clipsPerSecond, workers, cores, clipsPerSecondPerCore, cpuSeconds, badSamples);
        }
    }

    /**
     * Runs the loader over {@code dataset} (cycling epochs as needed) until at least
     * {@code clips} clips were made, after a warm-up of one batch that is not timed.
     */
    public static Result measure(VideoDataset dataset, ClipSource source, LoaderConfig config, int clips) {
        if (clips < 1) throw new IllegalArgumentException("clips must be >= 1");
        int perBatch = config.batchSize() * config.viewsPerSample();
        try (ClipLoader loader = new ClipLoader(dataset, source, config)) {
            int made = 0, epoch = 0;
            long t0 = 0, cpu0 = 0;
            boolean warm = false;
            while (made < clips) {
                try (ClipLoader.Epoch batches = loader.epoch(epoch++)) {
                    if (!batches.hasNext()) throw new IllegalArgumentException("the dataset gives no full batch");
                    while (batches.hasNext() && made < clips) {
                        ClipBatch b = batches.next();
                        if (!warm) {
                            warm = true;
                            t0 = System.nanoTime();
                            cpu0 = processCpuNanos();
                            continue;
                        }
                        made += b.size() * config.viewsPerSample();
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
            int cores = Runtime.getRuntime().availableProcessors();
            double rate = made / seconds;
            return new Result(made, seconds, config.workers(), cores, rate, rate / Math.min(config.workers(), cores),
                    loader.badSamples(), cpuSeconds);
        }
    }

    /** CPU time of the whole JVM so far; 0 where the platform's bean cannot say. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? Math.max(0, os.getProcessCpuTime()) : 0;
    }

    /** A folder of class folders, or a {@code path,label} / Kinetics CSV (paths relative to its folder). */
    public static VideoDataset dataset(Path data) throws IOException {
        return Files.isDirectory(data) ? VideoDataset.fromClassFolders(data)
                : VideoDataset.fromCsv(data, data.toAbsolutePath().getParent());
    }

    /**
     * What the benchmark measures: iBoot's training loader (3 views per video, the paper's
     * augmentation at 224, seed 0) with batches of 8 (fewer on a smaller dataset), full batches only.
     */
    public static LoaderConfig config(VideoDataset dataset, int workers, int frames, int stride) {
        return LoaderConfig.train(Math.max(1, Math.min(8, dataset.size())), 0).workers(workers)
                .frames(frames).stride(stride).dropLast(true).build();
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println("usage: LoaderBenchmark DATASET [CLIPS=200] [WORKERS=cores] [FRAMES=8] [STRIDE=8]\n"
                    + "  DATASET: a folder of class folders, or a path,label / Kinetics CSV");
            return;
        }
        Path data = Path.of(args[0]);
        int clips = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int frames = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int stride = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        VideoDataset ds = dataset(data);
        System.out.println("dataset " + data + ": " + ds);
        System.out.println(measure(ds, new VideoClipSource(), config(ds, workers, frames, stride), clips));
    }
}
