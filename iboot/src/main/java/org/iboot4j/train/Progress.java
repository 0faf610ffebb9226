package org.iboot4j.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on the console: on a terminal, one carriage-return bar rewritten after every step;
 * otherwise (a log file, CI) one line every LOG_PERIOD steps and at the last step. Both show the
 * step, epoch, loss, learning rate, clips per second and the estimated time left.
 */
final class Progress {
    private static final int BAR = 24;
    private final PrintStream out;
    private final boolean terminal;
    private final int period;
    private int lastWidth;

    Progress(PrintStream out, boolean terminal, int period) {
        this.out = out;
        this.terminal = terminal;
        this.period = period;
    }

    void update(long step, long total, int epoch, double loss, double lr, double clipsPerSecond, double etaSeconds) {
        String text = String.format(Locale.ROOT, "step %d/%d  epoch %d  loss %.4f  lr %.4g  %.1f clips/s  ETA %s",
                step, total, epoch, loss, lr, clipsPerSecond, duration(etaSeconds));
        if (terminal) {
            int filled = total > 0 ? (int) Math.min(BAR, BAR * step / total) : 0;
            String line = "\r[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] " + text;
            int pad = Math.max(0, lastWidth - line.length());
            out.print(line + " ".repeat(pad));
            lastWidth = line.length();
            if (step >= total) out.println();
            out.flush();
        } else if (step % period == 0 || step >= total) {
            out.println(text);
            out.flush();
        }
    }

    /** A message on its own line (ends a terminal bar first). */
    void message(String text) {
        if (terminal && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
        out.println(text);
        out.flush();
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
