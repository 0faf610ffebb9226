package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import jcuda.driver.CUstream;

/**
 * A CUDA stream: an ordered queue of device work. The backend uses one, created non-blocking
 * (it does not wait for the legacy default stream), and gives its raw handle to cuBLAS and cuDNN
 * so that library calls and our kernels run in one order.
 */
public final class CudaStream implements AutoCloseable {
    /** CU_STREAM_NON_BLOCKING. */
    static final int NON_BLOCKING = 1;

    private final Handle handle = new Handle();
    private boolean closed;

    CudaStream() {
        Driver.check(cuStreamCreate(handle, NON_BLOCKING), "cuStreamCreate");
    }

    /** The JCuda object, for driver calls. */
    public CUstream jcuda() {
        return handle;
    }

    /** The raw {@code CUstream} (= {@code cudaStream_t}) for cuBLAS/cuDNN. */
    public long raw() {
        return handle.raw();
    }

    /** Waits until all work queued so far has finished; asynchronous errors surface here. */
    public void synchronize() {
        Driver.check(cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Driver.check(cuStreamDestroy(handle), "cuStreamDestroy");
    }

    /** Exposes the protected native pointer of a JCuda stream. */
    private static final class Handle extends CUstream {
        long raw() {
            return getNativePointer();
        }
    }
}
