package org.iboot4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Waits (a bounded time) until nothing but this process is running on the machine, so that a
 * comparison on a shared machine times PyTorch and the engine on idle cores where it can.
 * Linux only ({@code procs_running} in /proc/stat, which counts the thread reading it); elsewhere
 * it never waits and reports the machine as quiet.
 */
final class Quiet {
    private static final Path STAT = Path.of("/proc/stat");

    private Quiet() {}

    /** Whether the machine became quiet within {@code maxSeconds} (checked over about half a second). */
    static boolean await(double maxSeconds) {
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        while (true) {
            if (quietForHalfASecond()) return true;
            if (System.nanoTime() >= deadline) return false;
            sleep(1000);
        }
    }

    private static boolean quietForHalfASecond() {
        for (int i = 0; i < 10; i++) {
            int running = procsRunning();
            if (running < 0) return true;
            if (running > 1) return false;
            sleep(50);
        }
        return true;
    }

    /** Runnable threads now, this one included; -1 where /proc/stat cannot be read. */
    static int procsRunning() {
        try {
            for (String line : Files.readAllLines(STAT)) {
                if (line.startsWith("procs_running ")) return Integer.parseInt(line.substring(14).strip());
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    /**
     * Samples {@code procs_running} every 50 ms on a daemon thread until {@link #stop()}, which
     * returns the mean: about the benchmark's own threads on an otherwise idle machine, more when
     * other work shared the cores.
     */
    static final class Monitor {
        private final Thread thread;
        private volatile boolean running = true;
        private long sum, count;

        Monitor() {
            thread = Thread.ofPlatform().daemon().name("quiet-monitor").start(() -> {
                while (running) {
                    int n = procsRunning();
                    if (n >= 0) {
                        synchronized (this) {
                            sum += n - 1; // not counting this sampling thread
                            count++;
                        }
                    }
                    sleep(50);
                }
            });
        }

        /** The mean number of other runnable threads while it ran; NaN if none was seen. */
        double stop() {
            running = false;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                return count == 0 ? Double.NaN : (double) sum / count;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
