/*
 * Recycles the float arrays of released CPU tensors, as PyTorch's CPU allocator hands back the
 * block it has just freed.
 *
 * Why it pays: a fresh Java array costs twice. The JVM zeroes it as it allocates (one thread,
 * 1.3 ms for 12.8 MB here), with stores that leave the memory out of cache, and the kernel that
 * then writes it misses cache on every line: a 1x1x1 conv3d 64 -> 256 channels at 2x8x28x28
 * ran 4.8 ms into a fresh output and 1.9 ms into a reused one (2 threads; the output is 12.8 MB,
 * the same size as its input). A recycled array comes back warm from the last step's use.
 *
 * What comes back: only arrays of tensors released explicitly, by a {@link
 * org.iboot4j.engine.TensorScope} closing; tensors left to the garbage collector stay its
 * business. Arrays are kept by exact length (a network repeats its shapes every step) and only
 * from MIN_LENGTH floats up (small arrays come from the thread's allocation buffer at no cost).
 * Taking one zero-fills it when {@code Backend.allocate} promises zeros (on all threads for large
 * arrays, still far cheaper than a fresh array), and leaves it as it is for an op's output that
 * the op writes in full ({@code Backend.allocateUninitialized}). So that a primitive that misses
 * some of its output cannot hide behind zeros, the tests run with {@code
 * -Diboot.poisonUninitialized=true}, which fills every such array with NaN instead.
 *
 * Bound: at most CAPACITY bytes are held (a quarter of the maximum heap), each array through a
 * SoftReference, so the collector can still take them all before it would run out of memory.
 * An array given back beyond the bound is left to the collector.
 */
package org.iboot4j.engine.cpu;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The free float arrays of released CPU tensors, by length (the file comment has the why). */
final class FloatArrayPool {
    /** Shortest array worth keeping (64 KB). */
    static final int MIN_LENGTH = 1 << 14;
    /** The one pool of the CPU backend: a quarter of the maximum heap. */
    static final FloatArrayPool SHARED = new FloatArrayPool(Runtime.getRuntime().maxMemory() / 4);

    /** Arrays from this length up are filled by all threads. */
    private static final int PARALLEL_FILL = 1 << 18;
    /** Whether arrays taken without zeros are filled with NaN (set by the tests). */
    private static final boolean POISON = Boolean.getBoolean("iboot.poisonUninitialized");

    private final long capacityBytes;
    private final Map<Integer, ArrayDeque<SoftReference<float[]>>> free = new HashMap<>();
    private long heldBytes;

    FloatArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /**
     * An array of {@code length} floats, a recycled one if the pool has one, else new; zero-filled
     * if {@code zeroed}, else with unspecified contents (NaN under {@code iboot.poisonUninitialized}).
     */
    float[] take(int length, boolean zeroed) {
        float[] a = length >= MIN_LENGTH ? poll(length) : null;
        if (a == null) a = new float[length];
        else if (zeroed) fill(a, 0f);
        if (!zeroed && POISON) fill(a, Float.NaN);
        return a;
    }

    /** Gives {@code a} back for a later {@link #take}; the caller must not touch it again. */
    synchronized void give(float[] a) {
        long bytes = 4L * a.length;
        if (a.length < MIN_LENGTH || heldBytes + bytes > capacityBytes) return;
        free.computeIfAbsent(a.length, _ -> new ArrayDeque<>()).push(new SoftReference<>(a));
        heldBytes += bytes;
    }

    /** Bytes of the arrays held (including any the collector has cleared but not yet noticed). */
    synchronized long heldBytes() {
        return heldBytes;
    }

    /** The most recently given array of this length that the collector has left, or null. */
    private synchronized float[] poll(int length) {
        ArrayDeque<SoftReference<float[]>> list = free.get(length);
        if (list == null) return null;
        while (!list.isEmpty()) {
            float[] a = list.pop().get();
            heldBytes -= 4L * length;
            if (a != null) return a;
        }
        return null;
    }

    private static void fill(float[] a, float value) {
        if (a.length < PARALLEL_FILL) {
            Arrays.fill(a, value);
            return;
        }
        Parallel.forRange(a.length, PARALLEL_FILL / 4, (from, to) -> Arrays.fill(a, from, to, value));
    }
}
