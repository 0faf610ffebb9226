package org.iboot4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The team: every item once, exceptions back to the caller, nested and concurrent loops. */
class ParallelTest {

    @Test
    void everyItemRunsExactlyOnceOverManyRegions() {
        for (int round = 0; round < 2000; round++) {
            int n = 1 + round % 97;
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forRange(n, 1, (from, to) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "item " + i + " of " + n + " in round " + round);
        }
    }

    @Test
    void anExceptionInAChunkIsRethrownToTheCallerAndTheTeamStaysUsable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(64, 1, (from, to) -> {
            if (from <= 40 && 40 < to) throw new IllegalArgumentException("chunk with item 40");
        }));
        assertEquals("chunk with item 40", e.getMessage());
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Parallel.forRange(64, 1, (from, to) -> {
            for (int i = from; i < to; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void aNestedLoopRunsInlineInsideTheChunkThatStartedIt() {
        AtomicIntegerArray hits = new AtomicIntegerArray(16 * 16);
        Parallel.forRange(16, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i;
                Parallel.forRange(16, 1, (a, b) -> {
                    for (int j = a; j < b; j++) hits.incrementAndGet(row * 16 + j);
                });
            }
        });
        for (int i = 0; i < 256; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void twoCallersAtOnceBothGetEveryItem() throws Exception {
        AtomicIntegerArray a = new AtomicIntegerArray(1000), b = new AtomicIntegerArray(1000);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                for (int round = 0; round < 300; round++) {
                    Parallel.forRange(1000, 10, (from, to) -> {
                        for (int i = from; i < to; i++) b.incrementAndGet(i);
                    });
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        other.start();
        for (int round = 0; round < 300; round++) {
            Parallel.forRange(1000, 10, (from, to) -> {
                for (int i = from; i < to; i++) a.incrementAndGet(i);
            });
        }
        other.join();
        assertSame(null, failure.get());
        for (int i = 0; i < 1000; i++) {
            assertEquals(300, a.get(i));
            assertEquals(300, b.get(i));
        }
        assertTrue(Parallel.threads() >= 1);
    }
}
