package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/**
 * Page-locked host memory: the device copies to and from it by DMA, asynchronously and at full
 * bus speed. The backend stages every host/device transfer through one of these (a copy from
 * pageable Java memory could not be ordered on our stream).
 */
public final class PinnedBuffer implements AutoCloseable {
    private final Pointer pointer = new Pointer();
    private final ByteBuffer bytes;
    private boolean closed;

    /** {@code size} bytes of pinned memory (cuMemHostAlloc, no flags). */
    public PinnedBuffer(long size) {
        Driver.check(cuMemHostAlloc(pointer, size, 0), "cuMemHostAlloc", size + " bytes");
        bytes = pointer.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    /** The JCuda pointer, for cuMemcpy*Async. */
    public Pointer pointer() {
        return pointer;
    }

    /** The memory as a native-order buffer (position 0, limit = capacity). */
    public ByteBuffer buffer() {
        return bytes.clear();
    }

    public long size() {
        return bytes.capacity();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Driver.check(cuMemFreeHost(pointer), "cuMemFreeHost");
    }
}
