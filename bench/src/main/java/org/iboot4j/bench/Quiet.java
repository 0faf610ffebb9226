package org.iboot4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine other processes use, so that a comparison on a shared machine can
 * wait for idle cores and say which cases ran alongside other work. Linux only: it compares the
 * machine's busy CPU time (/proc/stat) with that of the benchmark's own processes
 * (/proc/PID/stat, including the children they have waited for, so a child that has finished
 * counts as theirs); elsewhere it never waits and always reports an idle machine.
 */
final class Quiet {
    /** Others' share of the machine under which it counts as idle. */
    static final double IDLE_SHARE = 0.05;

    private Quiet() {}

    /** CPU time counters at one moment, in clock ticks. */
    record Sample(long busy, long all, long ours) {}

    /** Null where /proc cannot be read. */
    static Sample sample(long... pids) {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long all = 0, idle = 0;
            for (int i = 1; i < cpu.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
                long v = Long.parseLong(cpu[i]);
                all += v;
                if (i == 4 || i == 5) idle += v;
            }
            long ours = 0;
            for (long pid : pids) {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                // fields after the ")" that ends the command name: state is field 3, utime 14, stime 15,
                // then cutime 16 and cstime 17 (children that were waited for)
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ours += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            return new Sample(all - idle, all, ours);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The share of the whole machine (0..1) that processes other than {@code pids} used between a and b. */
    static double othersShare(Sample a, Sample b) {
        if (a == null || b == null || b.all() <= a.all()) return 0;
        long others = (b.busy() - a.busy()) - (b.ours() - a.ours());
        return Math.max(0, (double) others / (b.all() - a.all()));
    }

    /**
     * Waits until other processes leave the machine idle (under {@link #IDLE_SHARE} over half a
     * second), at most {@code maxSeconds}; whether it became idle.
     */
    static boolean await(double maxSeconds, long... pids) {
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        while (true) {
            Sample a = sample(pids);
            if (a == null) return true;
            sleep(500);
            if (othersShare(a, sample(pids)) < IDLE_SHARE) return true;
            if (System.nanoTime() >= deadline) return false;
        }
    }

    /** Measures others' share of the machine from its creation to {@link #stop()}. */
    static final class Monitor {
        private final long[] pids;
        private final Sample start;

        Monitor(long... pids) {
            this.pids = pids;
            this.start = sample(pids);
        }

        /** Others' share of the machine since the start (0..1); 0 where it cannot be measured. */
        double stop() {
            return othersShare(start, sample(pids));
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
