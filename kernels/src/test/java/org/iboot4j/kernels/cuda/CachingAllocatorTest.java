package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.iboot4j.engine.TensorScope;
import org.junit.jupiter.api.Test;

/** The caching allocator, scopes and the cleaner backstop over a fake device: no GPU needed. */
class CachingAllocatorTest {

    /** Hands out increasing addresses up to a capacity, like cuMemAlloc; records frees. */
    static final class FakeDevice implements DeviceMemory {
        final long capacity;
        long used, next = 0x10000;
        final Map<Long, Long> live = new HashMap<>();
        int allocations, frees;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public synchronized long allocate(long bytes) {
            if (used + bytes > capacity) throw new OutOfDeviceMemoryException("fake device full");
            long a = next;
            next += (bytes + 255) / 256 * 256;
            used += bytes;
            live.put(a, bytes);
            allocations++;
            return a;
        }

        @Override
        public synchronized void free(long address, long bytes) {
            Long b = live.remove(address);
            if (b == null || b != bytes) throw new AssertionError("bad free of 0x" + Long.toHexString(address));
            used -= bytes;
            frees++;
        }
    }

    @Test
    void bucketsAreFourStepsPerPowerOfTwoFrom512Bytes() {
        assertEquals(512, CachingAllocator.bucketSize(1));
        assertEquals(512, CachingAllocator.bucketSize(512));
        assertEquals(640, CachingAllocator.bucketSize(513));
        assertEquals(768, CachingAllocator.bucketSize(700));
        assertEquals(1024, CachingAllocator.bucketSize(1000));
        assertEquals(1280, CachingAllocator.bucketSize(1025));
        assertEquals(5L << 18, CachingAllocator.bucketSize((1L << 20) + 1)); // 1.25 MiB
        for (long n = 1; n < 10_000_000; n = n * 3 + 7) {
            long b = CachingAllocator.bucketSize(n);
            assertTrue(b >= n && b % 128 == 0, "bucket " + b + " for " + n);
            assertTrue(n <= 512 || b <= n * 1.25 + 1, "at most a quarter wasted: " + b + " for " + n);
            assertEquals(b, CachingAllocator.bucketSize(b), "a bucket is its own bucket");
        }
    }

    @Test
    void releasedBlocksAreReusedForTheSameBucketAndCounted() {
        FakeDevice dev = new FakeDevice(1 << 30);
        CachingAllocator a = new CachingAllocator(dev, () -> {});
        DeviceBuffer x = a.allocate(1000);
        assertEquals(1024, x.capacity());
        assertEquals(1000, x.bytes());
        long address = x.address();
        MemoryStats s = a.stats();
        assertEquals(1024, s.inUse());
        assertEquals(1000, s.requested());
        assertEquals(1, s.liveBlocks());
        x.close();
        x.close(); // idempotent
        s = a.stats();
        assertEquals(0, s.inUse());
        assertEquals(1024, s.cached());
        assertEquals(1024, s.reserved());
        assertEquals(0, s.liveBlocks());
        DeviceBuffer y = a.allocate(900); // same bucket: the cached block comes back
        assertEquals(address, y.address());
        assertEquals(1, a.stats().cacheHits());
        assertEquals(1, a.stats().deviceAllocations());
        DeviceBuffer z = a.allocate(5000); // another bucket: a new device block
        assertNotEquals(address, z.address());
        assertEquals(2, dev.allocations);
        assertEquals(1024 + CachingAllocator.bucketSize(5000), a.stats().peakInUse());
        y.close();
        z.close();
        a.resetPeak();
        assertEquals(0, a.stats().peakInUse());
        a.emptyCache();
        assertEquals(0, a.stats().cached());
        assertEquals(0, dev.used);
        assertEquals(2, dev.frees);
    }

    @Test
    void aReleasedBufferRefusesItsAddress() {
        CachingAllocator a = new CachingAllocator(new FakeDevice(1 << 20), () -> {});
        DeviceBuffer b = a.allocate(10);
        b.close();
        assertTrue(b.isReleased());
        IllegalStateException e = assertThrows(IllegalStateException.class, b::address);
        assertTrue(e.getMessage().contains("already released"), e.getMessage());
    }

    @Test
    void aFullDeviceFirstGivesBackTheCacheThenAsksTheGcThenThrowsWithStatistics() {
        FakeDevice dev = new FakeDevice(4096);
        AtomicInteger gcCalls = new AtomicInteger();
        CachingAllocator a = new CachingAllocator(dev, gcCalls::incrementAndGet);
        DeviceBuffer small = a.allocate(2048);
        small.close(); // 2048 cached, device holds 2048
        DeviceBuffer big = a.allocate(3000); // needs 3072: only fits once the cache is emptied
        assertEquals(0, a.stats().cached());
        assertEquals(1, dev.frees);
        assertEquals(0, gcCalls.get());
        OutOfDeviceMemoryException e = assertThrows(OutOfDeviceMemoryException.class, () -> a.allocate(2000));
        assertEquals(3, gcCalls.get(), "three rounds of GC before giving up");
        assertTrue(e.getMessage().contains("2000 bytes") && e.getMessage().contains("in use 0.0 MiB"), e.getMessage());
        big.close();
        assertThrows(IllegalArgumentException.class, () -> a.allocate(0));
    }

    @Test
    void theGcHookCanFreeMemoryForTheRetry() {
        FakeDevice dev = new FakeDevice(1024);
        CachingAllocator a = new CachingAllocator(dev, () -> {});
        DeviceBuffer[] held = {a.allocate(1024)};
        CachingAllocator b = new CachingAllocator(dev, () -> {
            if (held[0] != null) {
                held[0].close();
                a.emptyCache();
                held[0] = null;
            }
        });
        DeviceBuffer got = b.allocate(1024);
        assertFalse(got.isReleased());
    }

    @Test
    void scopesReleaseWhatTheyAllocatedExceptWhatIsKept() {
        CachingAllocator a = new CachingAllocator(new FakeDevice(1 << 30), () -> {});
        DeviceBuffer outside = a.allocate(100);
        DeviceBuffer kept, inner, untracked;
        try (TensorScope outer = TensorScope.open()) {
            DeviceBuffer o1 = a.allocate(100);
            try (TensorScope scope = TensorScope.open()) {
                inner = a.allocate(100);
                kept = scope.keep(a.allocate(100));
                untracked = a.allocate(100, false);
                assertEquals(1, scope.size());
                assertThrows(IllegalStateException.class, outer::close, "outer scope closed first");
            }
            assertTrue(inner.isReleased());
            assertFalse(kept.isReleased(), "kept buffers move to the enclosing scope");
            assertEquals(2, outer.size());
            assertFalse(o1.isReleased());
        }
        assertTrue(kept.isReleased(), "... and are released with it");
        assertFalse(outside.isReleased());
        assertFalse(untracked.isReleased());
        assertEquals(2, a.stats().liveBlocks());
    }

    @Test
    void theCleanerReturnsForgottenBuffers() throws InterruptedException {
        CachingAllocator a = new CachingAllocator(new FakeDevice(1 << 30), () -> {});
        for (int i = 0; i < 100; i++) a.allocate(1000); // dropped without close
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (a.stats().releasedByCleaner() < 100 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        MemoryStats s = a.stats();
        assertEquals(100, s.releasedByCleaner(), s.toString());
        assertEquals(0, s.inUse());
        assertEquals(1024 * s.deviceAllocations(), s.cached(), "every block came back to the cache");
    }
}
