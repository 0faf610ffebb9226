package org.iboot4j.bench;

import java.util.Arrays;

/**
 * The comparison harness's timing protocol, the same as {@code measure()} in
 * {@code bench/compare_torch.py}: warm up for at least {@code warmupRuns} runs and
 * {@code warmupSeconds}; then time {@code reps} runs one by one, stopping early (after at least
 * {@code minReps}) once {@code budgetSeconds} of timed runs have passed; report the median.
 */
public record Timing(int warmupRuns, double warmupSeconds, int reps, int minReps, double budgetSeconds) {

    public static final Timing DEFAULT = new Timing(2, 1.0, 21, 3, 3.0);

    public Timing {
        if (warmupRuns < 0 || reps < 1 || minReps < 1 || warmupSeconds < 0 || budgetSeconds < 0) {
            throw new IllegalArgumentException("bad timing settings: " + warmupRuns + " " + warmupSeconds
                    + " " + reps + " " + minReps + " " + budgetSeconds);
        }
        minReps = Math.min(minReps, reps);
    }

    /** The median and the number of timed runs. */
    public record Result(double medianMs, double minMs, int runs) {}

    /** Volatile sink so that the JIT cannot drop a run whose result is unused. */
    private static volatile Object sink;

    /** Times {@code w}, each run in its own scope ({@link Workload#runInScope}; the close is timed too). */
    public Result measure(Workload w) {
        long start = System.nanoTime();
        for (int i = 0; i < warmupRuns || (System.nanoTime() - start) * 1e-9 < warmupSeconds; i++) {
            sink = w.runInScope();
        }
        double[] ms = new double[reps];
        double spent = 0;
        int n = 0;
        while (n < reps && (n < minReps || spent < budgetSeconds)) {
            long t0 = System.nanoTime();
            sink = w.runInScope();
            long t1 = System.nanoTime();
            ms[n++] = (t1 - t0) * 1e-6;
            spent += (t1 - t0) * 1e-9;
        }
        sink = null;
        double[] done = Arrays.copyOf(ms, n);
        Arrays.sort(done);
        double median = n % 2 == 1 ? done[n / 2] : (done[n / 2 - 1] + done[n / 2]) / 2;
        return new Result(median, done[0], n);
    }

}
