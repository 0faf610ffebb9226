package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD2D32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;

/**
 * One device, its primary context, the one stream all work goes to, the caching allocator and
 * the pinned staging buffer for transfers.
 *
 * <p>The <em>primary</em> context ({@code cuDevicePrimaryCtxRetain}) is the one the CUDA runtime
 * uses, and cuBLAS and cuDNN are runtime-API libraries: with it they find our context current
 * and share our allocations and stream. Each thread that touches the device makes the context
 * current first ({@link #makeCurrent()}, cheap after the first time on a thread).
 */
public final class CudaContext implements AutoCloseable {
    /** The pinned staging buffer's size; bigger transfers go in chunks of this. */
    static final int STAGING_BYTES = 32 << 20;

    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CudaDevice info;
    private final CudaStream stream;
    private final CachingAllocator allocator;
    private PinnedBuffer staging;
    private boolean closed;

    private CudaContext(int ordinal) {
        Driver.check(cuDeviceGet(device, ordinal), "cuDeviceGet", ordinal);
        Driver.check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain", ordinal);
        makeCurrent();
        info = describe(ordinal);
        stream = new CudaStream();
        allocator = new CachingAllocator(new DriverMemory());
    }

    /**
     * Retains device {@code ordinal}'s primary context. The caller has run {@code cuInit(0)}
     * (see {@link CudaProbe}).
     */
    public static CudaContext open(int ordinal) {
        return new CudaContext(ordinal);
    }

    private CudaDevice describe(int ordinal) {
        byte[] name = new byte[256];
        Driver.check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        long[] total = new long[1];
        Driver.check(cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
        int[] driver = new int[1];
        Driver.check(cuDriverGetVersion(driver), "cuDriverGetVersion");
        return new CudaDevice(ordinal, new String(name, 0, len, StandardCharsets.UTF_8),
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), total[0],
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), driver[0]);
    }

    private int attribute(int which) {
        int[] v = new int[1];
        Driver.check(cuDeviceGetAttribute(v, which, device), "cuDeviceGetAttribute", which);
        return v[0];
    }

    /** Makes this context current on the calling thread (a no-op if it already is). */
    public void makeCurrent() {
        if (CURRENT.get() != this) {
            Driver.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(this);
        }
    }

    public CudaDevice device() {
        return info;
    }

    public CudaStream stream() {
        return stream;
    }

    public CachingAllocator allocator() {
        return allocator;
    }

    /** Waits for all queued work; asynchronous kernel errors surface here. */
    public void synchronize() {
        makeCurrent();
        stream.synchronize();
    }

    /** {free, total} device memory in bytes, as the driver sees it. */
    public long[] memoryInfo() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        Driver.check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    // ---- transfers (all through the pinned staging buffer, ordered on our stream) ------------

    /** Writes {@code bytes} bytes to device address {@code dst}; {@code fill} puts them into the staging buffer chunk by chunk. */
    public synchronized void upload(long dst, long bytes, ChunkWriter fill) {
        makeCurrent();
        PinnedBuffer buf = staging();
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(STAGING_BYTES, bytes - done);
            ByteBuffer b = buf.buffer();
            b.limit(n);
            fill.write(b, done, n);
            Driver.check(cuMemcpyHtoDAsync(DevicePointer.of(dst + done), buf.pointer(), n, stream.jcuda()),
                    "cuMemcpyHtoDAsync", n + " bytes");
            stream.synchronize(); // the staging buffer is reused by the next chunk
            done += n;
        }
    }

    /** Reads {@code bytes} bytes from device address {@code src}; {@code read} takes them from the staging buffer. */
    public synchronized void download(long src, long bytes, ChunkReader read) {
        makeCurrent();
        PinnedBuffer buf = staging();
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(STAGING_BYTES, bytes - done);
            Driver.check(cuMemcpyDtoHAsync(buf.pointer(), DevicePointer.of(src + done), n, stream.jcuda()),
                    "cuMemcpyDtoHAsync", n + " bytes");
            stream.synchronize();
            ByteBuffer b = buf.buffer();
            b.limit(n);
            read.read(b, done, n);
            done += n;
        }
    }

    /** Device-to-device copy, queued on the stream. */
    public void copy(long dst, long src, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        Driver.check(cuMemcpyDtoDAsync(DevicePointer.of(dst), DevicePointer.of(src), bytes, stream.jcuda()),
                "cuMemcpyDtoDAsync", bytes + " bytes");
    }

    /** Sets {@code bytes} bytes to {@code value}, queued on the stream. */
    public void memset8(long dst, byte value, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        Driver.check(cuMemsetD8Async(DevicePointer.of(dst), value, bytes, stream.jcuda()), "cuMemsetD8Async",
                bytes + " bytes");
    }

    /** Sets {@code count} 32-bit words to {@code bits} (a float's bits for a float fill). */
    public void memset32(long dst, int bits, long count) {
        if (count == 0) return;
        makeCurrent();
        Driver.check(cuMemsetD32Async(DevicePointer.of(dst), bits, count, stream.jcuda()), "cuMemsetD32Async",
                count + " words");
    }

    /**
     * Sets {@code count} 64-bit words to {@code bits}: there is no cuMemsetD64, so two strided
     * 2-D memsets write the low and the high halves (pitch 8 bytes, width one word).
     */
    public void memset64(long dst, long bits, long count) {
        if (count == 0) return;
        makeCurrent();
        int lo = (int) bits, hi = (int) (bits >>> 32);
        if (lo == hi) {
            memset32(dst, lo, 2 * count);
            return;
        }
        Driver.check(cuMemsetD2D32Async(DevicePointer.of(dst), 8, lo, 1, count, stream.jcuda()), "cuMemsetD2D32Async");
        Driver.check(cuMemsetD2D32Async(DevicePointer.of(dst + 4), 8, hi, 1, count, stream.jcuda()), "cuMemsetD2D32Async");
    }

    private PinnedBuffer staging() {
        if (staging == null) staging = new PinnedBuffer(STAGING_BYTES);
        return staging;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        stream.synchronize();
        allocator.emptyCache();
        if (staging != null) staging.close();
        stream.close();
        cuDevicePrimaryCtxRelease(device);
        CURRENT.remove();
    }

    /** Fills {@code n} bytes of the staging buffer with bytes {@code [offset, offset + n)} of the transfer. */
    @FunctionalInterface
    public interface ChunkWriter {
        void write(ByteBuffer staging, long offset, int n);
    }

    /** Takes {@code n} bytes (bytes {@code [offset, offset + n)} of the transfer) from the staging buffer. */
    @FunctionalInterface
    public interface ChunkReader {
        void read(ByteBuffer staging, long offset, int n);
    }

    /** cuMemAlloc / cuMemFree, with this context current. */
    private final class DriverMemory implements DeviceMemory {
        @Override
        public long allocate(long bytes) {
            makeCurrent();
            DevicePointer p = new DevicePointer();
            int r = cuMemAlloc(p, bytes);
            if (r == Driver.ERROR_OUT_OF_MEMORY) throw new OutOfDeviceMemoryException("cuMemAlloc(" + bytes + " bytes)");
            Driver.check(r, "cuMemAlloc", bytes + " bytes");
            return p.address();
        }

        @Override
        public void free(long address, long bytes) {
            makeCurrent();
            stream.synchronize(); // queued work may still use a cached block
            Driver.check(cuMemFree(DevicePointer.of(address)), "cuMemFree", bytes + " bytes");
        }
    }
}
