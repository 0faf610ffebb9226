package org.iboot4j.kernels.cuda;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.iboot4j.engine.TensorScope;

/**
 * A caching, size-bucketed device allocator (see ../shared/DESIGN.md, "Memory").
 *
 * <p>{@code cuMemAlloc}/{@code cuMemFree} are slow (they may synchronise the device), and a
 * training step allocates the same sizes every iteration. So a released block is not given
 * back to the device: it goes on a free list for its bucket and the next request of that bucket
 * takes it. Sizes are rounded up to a bucket: at least 512 bytes, and above that the next of four
 * steps per power of two (512, 640, 768, 896, 1024, 1280, ...), so a block wastes at most a
 * quarter of itself. Only an exact bucket match is reused (no splitting), which keeps the
 * allocator small enough to read in one sitting.
 *
 * <p>Reuse is safe because the backend issues all device work on one stream: a block released
 * while kernels that use it are still queued is handed out again only to work queued after
 * them. (Work on another stream would need an event per block; there is none.)
 *
 * <p>Release is deterministic through {@link DeviceBuffer#close()} and {@link TensorScope}s;
 * a {@link Cleaner} is the backstop for buffers that become unreachable without being closed.
 * When the device is full the allocator first gives its cache back, then asks the garbage
 * collector to find forgotten buffers (waiting briefly for the cleaner), and only then throws
 * {@link OutOfDeviceMemoryException} with its statistics.
 */
public final class CachingAllocator {
    /** The smallest bucket; every block size is a multiple of 128 bytes. */
    public static final long MIN_BLOCK = 512;

    static final Cleaner CLEANER = Cleaner.create();

    private final DeviceMemory device;
    private final Runnable collectGarbage;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();

    private long inUse, requested, peak, cached, live, deviceAllocations, cacheHits, releasedByCleaner;

    /** An allocator over {@code device} that calls {@link System#gc()} when the device is full. */
    public CachingAllocator(DeviceMemory device) {
        this(device, CachingAllocator::gcAndWait);
    }

    /** As above with another out-of-memory hook (tests count its calls). */
    public CachingAllocator(DeviceMemory device, Runnable collectGarbage) {
        this.device = device;
        this.collectGarbage = collectGarbage;
    }

    /** The size class a request of {@code bytes} is rounded up to. */
    public static long bucketSize(long bytes) {
        if (bytes <= MIN_BLOCK) return MIN_BLOCK;
        long step = Long.highestOneBit(bytes - 1) / 4; // four steps per power of two
        return (bytes + step - 1) / step * step;
    }

    /**
     * A block of at least {@code bytes} bytes (contents undefined), registered with the calling
     * thread's innermost {@link TensorScope} if one is open.
     */
    public DeviceBuffer allocate(long bytes) {
        return allocate(bytes, true);
    }

    /**
     * As {@link #allocate(long)}; with {@code scoped} false the block is not registered with any
     * {@link TensorScope} (long-lived buffers of the runtime itself: workspaces, error flags).
     */
    public DeviceBuffer allocate(long bytes, boolean scoped) {
        if (bytes <= 0) throw new IllegalArgumentException("device allocation of " + bytes + " bytes");
        long size = bucketSize(bytes);
        long address = takeOrAllocate(size);
        for (int attempt = 1; address == 0 && attempt <= 3; attempt++) {
            // Forgotten buffers may be holding the memory: let the GC find them and the cleaner
            // return them (outside the lock, which the cleaner needs), then try again.
            collectGarbage.run();
            address = takeOrAllocate(size);
        }
        if (address == 0) {
            throw new OutOfDeviceMemoryException(String.format(Locale.ROOT,
                    "out of device memory allocating %d bytes (bucket %d); allocator: %s",
                    bytes, size, stats()));
        }
        DeviceBuffer buffer;
        synchronized (this) {
            inUse += size;
            requested += bytes;
            live++;
            peak = Math.max(peak, inUse);
            buffer = new DeviceBuffer(this, address, size, bytes);
        }
        if (scoped) TensorScope.track(buffer);
        return buffer;
    }

    /** A cached block of this bucket, else a new one from the device, else 0 (device full). */
    private synchronized long takeOrAllocate(long size) {
        ArrayDeque<Long> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cached -= size;
            cacheHits++;
            return list.pop();
        }
        try {
            long address = device.allocate(size);
            deviceAllocations++;
            return address;
        } catch (OutOfDeviceMemoryException full) {
            if (cached == 0) return 0;
            emptyCache();
            try {
                long address = device.allocate(size);
                deviceAllocations++;
                return address;
            } catch (OutOfDeviceMemoryException stillFull) {
                return 0;
            }
        }
    }

    /** Called once per block, by {@link DeviceBuffer#close()} or by the cleaner. */
    synchronized void release(long address, long size, long bytes, boolean byCleaner) {
        inUse -= size;
        requested -= bytes;
        live--;
        if (byCleaner) releasedByCleaner++;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
        cached += size;
    }

    /** Gives every cached block back to the device. Blocks in use are untouched. */
    public synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long address : e.getValue()) device.free(address, e.getKey());
        }
        free.clear();
        cached = 0;
    }

    /** The counters now. */
    public synchronized MemoryStats stats() {
        return new MemoryStats(inUse, requested, peak, cached, inUse + cached, live, deviceAllocations,
                cacheHits, releasedByCleaner);
    }

    /** Starts a new peak measurement from the current use. */
    public synchronized void resetPeak() {
        peak = inUse;
    }

    private static void gcAndWait() {
        System.gc();
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
