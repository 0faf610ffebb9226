package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import jcuda.driver.CUevent;

/** A CUDA event: a marker in a stream, used to time device work and to wait for it. */
public final class CudaEvent implements AutoCloseable {
    private final CUevent event = new CUevent();
    private boolean closed;

    /** A timing event (CU_EVENT_DEFAULT). */
    public CudaEvent() {
        Driver.check(cuEventCreate(event, 0), "cuEventCreate");
    }

    /** Marks the current end of {@code stream}'s queue. */
    public CudaEvent record(CudaStream stream) {
        Driver.check(cuEventRecord(event, stream.jcuda()), "cuEventRecord");
        return this;
    }

    /** Waits for the work before the marker. */
    public void synchronize() {
        Driver.check(cuEventSynchronize(event), "cuEventSynchronize");
    }

    /** Milliseconds of device time between {@code start} and this (both recorded, this one finished). */
    public float millisSince(CudaEvent start) {
        synchronize();
        float[] ms = new float[1];
        Driver.check(cuEventElapsedTime(ms, start.event, event), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Driver.check(cuEventDestroy(event), "cuEventDestroy");
    }
}
