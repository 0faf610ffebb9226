/*
 * Splits a range of independent work items over the CPU backend's threads: a team of
 * iboot.threads - 1 helper threads plus the calling thread, in the manner of OpenMP.
 *
 * Why not a ForkJoinPool: its idle workers park at once, and waking a parked thread on this kind
 * of virtual machine takes tens of microseconds. A region of two ~8 us chunks measured 100 us
 * (median) through a ForkJoinPool; ops run several regions each (batch-norm's training forward
 * and backward run six), so for ops of a millisecond or two that was up to a fifth of their time.
 * Here a helper that has finished its part spins (Thread.onSpinWait) for SPIN_NANOS waiting for
 * the next region before it parks, as OpenMP's threads do, and the calling thread takes chunks
 * itself instead of waiting idle.
 *
 * A region: the caller publishes an immutable Region (an id, body, n, chunk count, a claim flag
 * per chunk, a done counter) and wakes any parked helper; after it, the caller clears it, and
 * helpers remember only its id, so no thread keeps the body's arrays alive between regions. Member t of the T team members (the caller
 * is 0) first takes its own contiguous share of the chunks, [t*C/T, (t+1)*C/T), then any chunk
 * still unclaimed: equal shares keep coarse work balanced (14 convolution tiles in 8 chunks of 1
 * or 2 are 7 + 7 tiles, where claiming the next free chunk split them 6 + 8, 10% slower), and a
 * member that falls behind is helped. The caller waits until every chunk is done and rethrows
 * the first exception. A helper that comes late finds every chunk claimed (it can never run a
 * chunk of one region with another's body). One region runs at a time: a thread that finds the
 * team busy (another caller's region), or that is inside a region already (a nested forRange,
 * from a chunk), runs its range inline.
 *
 * Cost: a region whose helpers are spinning starts in well under a microsecond (a volatile write
 * and a compare-and-set per chunk); a helper that has parked costs one wake-up, as before.
 * Spinning helpers take a core for at most SPIN_NANOS after each region.
 */
package org.iboot4j.engine.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/** Splits a range of independent work items over the CPU backend's threads (the file comment has the design). */
public final class Parallel {

    /** The body of a parallel loop: handles items {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS =
            Integer.getInteger("iboot.threads", Runtime.getRuntime().availableProcessors());
    /** How long an idle helper waits, spinning, for the next region before it parks. */
    private static final long SPIN_NANOS = 100_000;
    private static final Team TEAM = THREADS > 1 ? new Team(THREADS - 1) : null;

    private Parallel() {}

    /** The number of threads the CPU backend uses (the calling thread and its helpers). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code 4 x threads} chunks of at least
     * {@code grain} items. Returns when every chunk is done; an exception in any chunk is
     * rethrown here. Runs inline when there is one chunk, one thread, or the team is busy.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(4 * THREADS, Math.max(1, n / Math.max(1, grain)));
        if (chunks == 1 || TEAM == null || !TEAM.tryRun(body, n, chunks)) body.run(0, n);
    }

    /** One parallel loop: its chunks, each claimed once ({@code claimed}), counted in {@code done}. */
    private static final class Region {
        /** Which region this is, so that a helper runs each once (and holds no reference after). */
        final long id;
        final RangeBody body;
        final int n, chunks;
        final AtomicIntegerArray claimed;
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Region(long id, RangeBody body, int n, int chunks) {
            this.id = id;
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.claimed = new AtomicIntegerArray(chunks);
        }

        /** Member {@code member} of {@code members}: its own share of the chunks, then whatever is left. */
        void work(int member, int members) {
            int first = (int) ((long) chunks * member / members), end = (int) ((long) chunks * (member + 1) / members);
            for (int c = first; c < end; c++) run(c);
            for (int c = 0; c < chunks; c++) run(c);
        }

        private void run(int c) {
            if (!claimed.compareAndSet(c, 0, 1)) return;
            try {
                body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                done.incrementAndGet();
            }
        }
    }

    /** The helper threads and the region they serve. */
    private static final class Team {
        private final AtomicBoolean busy = new AtomicBoolean();
        private final Helper[] helpers;
        /** The region being run, null between regions (so that nothing keeps its body's arrays alive). */
        private volatile Region current;
        /** Regions started so far (changed only by the caller that holds {@code busy}). */
        private long started;

        Team(int size) {
            helpers = new Helper[size];
            for (int i = 0; i < size; i++) {
                helpers[i] = new Helper(i + 1);
                helpers[i].start();
            }
        }

        /** Runs the loop with the helpers; false (and nothing run) if the team is busy. */
        boolean tryRun(RangeBody body, int n, int chunks) {
            if (!busy.compareAndSet(false, true)) return false; // another region, or nested in one
            Region r = new Region(++started, body, n, chunks);
            try {
                current = r;
                for (Helper h : helpers) {
                    if (h.parked) LockSupport.unpark(h);
                }
                r.work(0, helpers.length + 1);
                while (r.done.get() < r.chunks) Thread.onSpinWait();
            } finally {
                current = null;
                busy.set(false);
            }
            Throwable t = r.failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
            return true;
        }

        /** Runs each new region's chunks; spins SPIN_NANOS for the next one, then parks. */
        private final class Helper extends Thread {
            /** This helper's member number (the caller is 0). */
            private final int member;
            volatile boolean parked;

            Helper(int member) {
                super("iboot-cpu-" + member);
                this.member = member;
                setDaemon(true);
            }

            @Override
            public void run() {
                long last = 0; // the id of the last region this helper joined
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (true) {
                    Region r = current;
                    if (r != null && r.id != last) {
                        last = r.id;
                        r.work(member, helpers.length + 1);
                        spinUntil = System.nanoTime() + SPIN_NANOS;
                    } else if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        Region now = current; // re-read after `parked` is set: a region published before is seen, none is missed
                        if (now == null || now.id == last) LockSupport.park(this);
                        parked = false;
                        spinUntil = System.nanoTime() + SPIN_NANOS;
                    }
                }
            }
        }
    }
}
