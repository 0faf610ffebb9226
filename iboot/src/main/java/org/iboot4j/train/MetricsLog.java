package org.iboot4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON-lines metrics file: one JSON object per optimiser step ({@code step}, {@code epoch},
 * {@code epoch_exact}, {@code lr}, {@code loss}, {@code loss.<term>} per loss term,
 * {@code clips_per_s} — clips of every view, v_ref included, consumed per second over the last
 * 20 steps —, {@code skipped_videos} — undecodable videos the loader skipped so far —,
 * {@code time_s} — training seconds so far), flushed line by line so a
 * killed run keeps what it logged. On resume, the lines after the checkpoint's step (logged by
 * the run that was killed, and about to be redone) are dropped first.
 */
final class MetricsLog implements AutoCloseable {
    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /** Starts a new file ({@code keepUpToStep} < 0) or continues one, keeping lines up to that step. */
    static MetricsLog open(Path file, long keepUpToStep) throws IOException {
        if (keepUpToStep >= 0 && Files.exists(file)) {
            StringBuilder kept = new StringBuilder();
            for (Map<String, Object> row : read(file)) {
                if (((Number) row.get("step")).longValue() <= keepUpToStep) kept.append(JsonText.write(row)).append('\n');
            }
            JsonText.writeAtomically(file, kept.toString());
            return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
        }
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }

    void append(Map<String, Object> row) throws IOException {
        out.write(JsonText.write(row));
        out.write('\n');
        out.flush();
    }

    /** Every row of a metrics file (a torn last line, from a kill mid-write, is skipped). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                rows.add((Map<String, Object>) JsonText.read(line));
            } catch (RuntimeException torn) {
                // a line cut short by a kill: nothing after it was written either
            }
        }
        return rows;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
