package org.iboot4j.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a range of independent work items over the CPU backend's threads.
 *
 * <p>One fork-join pool of {@code iboot.threads} workers (default: the number of available
 * processors) serves every CPU kernel. Work is split into at most {@code 4 x threads} chunks and
 * never into chunks smaller than the caller's grain, so tiny tensors run inline on the calling
 * thread without any hand-off cost.
 */
public final class Parallel {

    /** The body of a parallel loop: handles items {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS =
            Integer.getInteger("iboot.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private Parallel() {}

    /** The number of worker threads the CPU backend uses. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} items.
     * Returns when every chunk is done; an exception in any chunk is rethrown here.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(4 * THREADS, Math.max(1, n / Math.max(1, grain)));
        if (chunks == 1 || POOL == null || ForkJoinTask.getPool() == POOL) {
            body.run(0, n); // small work, one thread, or already inside a worker: run inline
            return;
        }
        POOL.invoke(new Chunks(body, n, chunks, 0, chunks));
    }

    /** Splits the chunk range in halves until one chunk remains, fork-join style. */
    private static final class Chunks extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunks(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run((int) ((long) n * lo / chunks), (int) ((long) n * hi / chunks));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunks(body, n, chunks, lo, mid), new Chunks(body, n, chunks, mid, hi));
        }
    }
}
