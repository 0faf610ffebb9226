package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FloatArrayPoolTest {
    private static final int N = FloatArrayPool.MIN_LENGTH;

    @Test
    void takeReturnsTheArrayGivenBackOfThatLengthZeroFilledNewestFirst() {
        FloatArrayPool pool = new FloatArrayPool(1 << 30);
        float[] a = pool.take(N, true), b = pool.take(N, true);
        Arrays.fill(a, 5f);
        Arrays.fill(b, -1f);
        pool.give(a);
        pool.give(b);
        assertEquals(8L * N, pool.heldBytes());
        assertSame(b, pool.take(N, true));
        assertEquals(0f, b[N - 1]);
        assertNotSame(a, pool.take(2 * N, true), "another length never gets it");
        float[] c = pool.take(N, true);
        assertSame(a, c);
        assertEquals(0f, c[0] + c[N / 2] + c[N - 1]);
        assertEquals(0, pool.heldBytes());
    }

    @Test
    void largeArraysAreZeroFilledCompletely() {
        FloatArrayPool pool = new FloatArrayPool(1L << 30);
        float[] big = new float[(1 << 20) + 13];
        Arrays.fill(big, 9f);
        pool.give(big);
        float[] again = pool.take(big.length, true);
        assertSame(big, again);
        for (float v : again) assertEquals(0f, v);
    }

    @Test
    void smallArraysAndArraysPastTheCapacityAreLeftToTheCollector() {
        FloatArrayPool pool = new FloatArrayPool(4L * N + 4);
        pool.give(new float[N - 1]);
        assertEquals(0, pool.heldBytes(), "below MIN_LENGTH");
        float[] first = new float[N];
        pool.give(first);
        pool.give(new float[N]);
        assertEquals(4L * N, pool.heldBytes(), "the second would pass the capacity");
        assertSame(first, pool.take(N, true));
    }

    @Test
    void anOutputArrayIsTakenAsItIsAndTheTestsPoisonItWithNaN() {
        assertEquals(true, Boolean.getBoolean("iboot.poisonUninitialized"), "the build runs the tests with poisoned outputs");
        FloatArrayPool pool = new FloatArrayPool(1 << 30);
        float[] a = new float[N];
        pool.give(a);
        float[] again = pool.take(N, false);
        assertSame(a, again);
        for (float v : again) assertEquals(Float.NaN, v);
        for (float v : pool.take(5, false)) assertEquals(Float.NaN, v, "new arrays too, whatever their size");
    }
}
