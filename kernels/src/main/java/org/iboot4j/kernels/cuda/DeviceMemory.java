package org.iboot4j.kernels.cuda;

/**
 * Raw device memory: what the {@link CachingAllocator} sits on. The real one calls
 * {@code cuMemAlloc}/{@code cuMemFree}; tests use a fake that hands out numbers, so the
 * allocator's bucketing and statistics are tested without a GPU.
 */
public interface DeviceMemory {

    /**
     * A fresh block of at least {@code bytes} bytes (256-byte aligned, as cuMemAlloc's are).
     *
     * @throws OutOfDeviceMemoryException when the device has no room
     */
    long allocate(long bytes);

    /** Gives a block from {@link #allocate} back to the device. */
    void free(long address, long bytes);
}
