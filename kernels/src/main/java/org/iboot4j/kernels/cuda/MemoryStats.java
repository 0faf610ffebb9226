package org.iboot4j.kernels.cuda;

/**
 * A snapshot of the caching allocator's counters, in bytes unless named otherwise.
 *
 * @param inUse bytes in blocks handed out and not yet released (bucket sizes)
 * @param requested bytes the callers asked for in those blocks (at most {@code inUse})
 * @param peakInUse the largest {@code inUse} since creation or the last {@link CachingAllocator#resetPeak}
 * @param cached bytes in released blocks kept for reuse
 * @param reserved bytes obtained from the device and not given back: {@code inUse + cached}
 * @param liveBlocks blocks handed out and not yet released
 * @param deviceAllocations calls to the device allocator (cuMemAlloc)
 * @param cacheHits allocations served from the cache
 * @param releasedByCleaner blocks returned by the garbage-collection backstop rather than by
 *     close() or a scope: a high number means scopes are missing somewhere
 */
public record MemoryStats(long inUse, long requested, long peakInUse, long cached, long reserved,
        long liveBlocks, long deviceAllocations, long cacheHits, long releasedByCleaner) {

    @Override
    public String toString() {
        return "in use " + mib(inUse) + " (peak " + mib(peakInUse) + "), cached " + mib(cached)
                + ", reserved " + mib(reserved) + ", " + liveBlocks + " live blocks, "
                + deviceAllocations + " device allocations, " + cacheHits + " cache hits, "
                + releasedByCleaner + " released by the cleaner";
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
