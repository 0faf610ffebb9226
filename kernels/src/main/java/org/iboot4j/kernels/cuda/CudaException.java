package org.iboot4j.kernels.cuda;

/**
 * A failed CUDA driver, cuBLAS or cuDNN call. The message names the call (and for kernel
 * launches the kernel and its launch shape) and the library's own name for the error code, so
 * a failure can be read without a debugger.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
        this.code = -1;
    }

    /** The library's status code (CUresult, cublasStatus_t or cudnnStatus_t), -1 if none. */
    public int code() {
        return code;
    }
}
