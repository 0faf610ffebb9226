package org.iboot4j.kernels;

import java.util.ArrayList;
import java.util.List;

/** A Markdown table built row by row (the benchmarks' output, committed to bench/results/). */
final class MarkdownTable {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    MarkdownTable(String... header) {
        this.header = header;
    }

    void row(Object... cells) {
        if (cells.length != header.length) throw new IllegalArgumentException(cells.length + " cells for " + header.length + " columns");
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]).replace("|", "\\|");
        rows.add(r);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        sb.append("---|".repeat(header.length)).append('\n');
        for (String[] r : rows) sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        return sb.toString();
    }
}
