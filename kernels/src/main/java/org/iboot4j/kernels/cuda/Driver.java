package org.iboot4j.kernels.cuda;

import jcuda.driver.CUresult;

/**
 * Return-code checking for the JCuda driver API. JCuda's own exceptions are left off
 * ({@code JCudaDriver.setExceptionsEnabled(false)}) so that every call site says what it was
 * doing: {@code Driver.check(cuMemAlloc(p, n), "cuMemAlloc", n + " bytes")}.
 */
public final class Driver {
    /** CUDA_SUCCESS. */
    public static final int SUCCESS = 0;
    /** CUDA_ERROR_OUT_OF_MEMORY. */
    public static final int ERROR_OUT_OF_MEMORY = 2;

    private Driver() {}

    /** Throws a {@link CudaException} naming {@code call} and {@code detail} unless {@code result} is 0. */
    public static void check(int result, String call, Object detail) {
        if (result != SUCCESS) throw new CudaException(message(result, call, detail), result);
    }

    public static void check(int result, String call) {
        check(result, call, null);
    }

    /** "cuMemAlloc(4096 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)". */
    static String message(int result, String call, Object detail) {
        return call + (detail == null ? "" : "(" + detail + ")") + " failed: " + name(result);
    }

    /** The CUresult's name and number, e.g. "CUDA_ERROR_NO_DEVICE (100)". */
    public static String name(int result) {
        String s;
        try {
            s = CUresult.stringFor(result);
            if (s.startsWith("INVALID")) s = "CUresult";
        } catch (RuntimeException | LinkageError e) {
            s = "CUresult";
        }
        return s + " (" + result + ")";
    }
}
