package org.iboot4j.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The loader comparison's numbers and their Markdown table ({@link LoaderCompareMain}), and the
 * parsing of {@code bench/loader_torch.py}'s output. Kept apart from the run so both can be
 * tested without decoding a video.
 */
final class LoaderTable {
    static final String IBOOT = "iboot4j";
    static final String TORCH = "torchvision";

    private LoaderTable() {}

    /**
     * One measured run.
     *
     * @param impl        {@link #IBOOT} or {@link #TORCH}
     * @param workers     loader threads (iboot4j) or DataLoader worker processes (torchvision)
     * @param cores       processors of the machine
     * @param clips       clips made in the timed part
     * @param seconds     its wall time
     * @param cpuSeconds  CPU time the implementation's processes used in the timed part
     * @param othersShare the share of the machine (0..1) that other processes used meanwhile
     */
    record Row(String impl, int workers, int cores, int clips, double seconds, double cpuSeconds,
            double othersShare) {
        double clipsPerSecond() {
            return clips / seconds;
        }

        /** Per core actually usable: a run cannot use more cores than it has workers. */
        double clipsPerSecondPerCore() {
            return clipsPerSecond() / Math.min(workers, cores);
        }

        /** Clips per CPU-second: the cost of a clip, which other work on the machine hardly changes. */
        double clipsPerCpuSecond() {
            return clips / cpuSeconds;
        }
    }

    /**
     * What one run reported (loader_torch.py: its line "result TAB workers TAB clips TAB seconds
     * TAB cpu-seconds").
     */
    record Measured(int workers, int clips, double seconds, double cpuSeconds) {}

    /**
     * Reads loader_torch.py's stdout: "#meta TAB key TAB value" lines go into {@code meta}; the
     * last "result" line is the result. Other lines (library chatter) are ignored.
     */
    static Measured parseTorch(List<String> lines, Map<String, String> meta) {
        Measured result = null;
        for (String line : lines) {
            String[] f = line.split("\t");
            if (f[0].equals("#meta") && f.length >= 3) {
                meta.put(f[1], f[2]);
            } else if (f[0].equals("result") && f.length >= 5) {
                result = new Measured(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[4]));
            }
        }
        if (result == null) throw new IllegalArgumentException("loader_torch.py printed no result line");
        return result;
    }

    /**
     * iboot4j's clips/s over torchvision's at the same worker count (> 1: iboot4j is faster); NaN
     * for a torchvision row or when there is no torchvision row to compare with.
     */
    static double ratio(Row row, List<Row> rows) {
        if (!row.impl().equals(IBOOT)) return Double.NaN;
        return rows.stream().filter(r -> r.impl().equals(TORCH) && r.workers() == row.workers()).findFirst()
                .map(t -> row.clipsPerSecond() / t.clipsPerSecond()).orElse(Double.NaN);
    }

    static String markdown(Map<String, String> meta, List<Row> rows) {
        StringBuilder s = new StringBuilder("# iboot4j vs torchvision: video loading (decode + augment)\n\n");
        meta.forEach((k, v) -> s.append("- **").append(k).append("**: ").append(v).append('\n'));
        s.append("\n| implementation | workers | clips | seconds | clips/s | clips/s per core | ratio"
                + " | CPU s | clips per CPU s | others' CPU |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            double ratio = ratio(r, rows);
            s.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %.2f | %.2f | %s | %.1f | %.2f | %.0f%% |\n",
                    r.impl(), r.workers(), r.clips(), r.seconds(), r.clipsPerSecond(), r.clipsPerSecondPerCore(),
                    Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio), r.cpuSeconds(),
                    r.clipsPerCpuSecond(), 100 * r.othersShare()));
        }
        return s.toString();
    }
}
