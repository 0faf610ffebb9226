package org.iboot4j.kernels.cuda;

/** The device has no room for an allocation, even after the allocator emptied its cache. */
public final class OutOfDeviceMemoryException extends CudaException {
    private static final long serialVersionUID = 1L;

    public OutOfDeviceMemoryException(String message) {
        super(message, 2 /* CUDA_ERROR_OUT_OF_MEMORY */);
    }
}
