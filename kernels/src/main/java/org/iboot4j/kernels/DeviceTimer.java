package org.iboot4j.kernels;

import org.iboot4j.kernels.cuda.CudaBackend;
import org.iboot4j.kernels.cuda.CudaEvent;
import org.iboot4j.kernels.cuda.CudaStream;

/**
 * Device time of one call, measured with CUDA events on the backend's stream: one untimed
 * warm-up call (PTX JIT, cuDNN algorithm choice, allocator cache), one timed call to size the
 * run, then enough back-to-back calls to fill about {@code targetMs} (3 to 1000 calls) between
 * two events; the mean is returned. Host work between launches is hidden as long as the host
 * queues faster than the device runs (true for the large shapes the benchmarks use).
 */
final class DeviceTimer {
    private DeviceTimer() {}

    static double millisPerCall(CudaBackend gpu, Runnable call, double targetMs) {
        gpu.gpu().context().makeCurrent();
        CudaStream stream = gpu.gpu().context().stream();
        call.run();
        gpu.synchronize();
        try (CudaEvent start = new CudaEvent(); CudaEvent end = new CudaEvent()) {
            start.record(stream);
            call.run();
            end.record(stream);
            double one = end.millisSince(start);
            int reps = (int) Math.max(3, Math.min(1000, Math.ceil(targetMs / Math.max(one, 1e-3))));
            start.record(stream);
            for (int i = 0; i < reps; i++) call.run();
            end.record(stream);
            return end.millisSince(start) / reps;
        }
    }
}
