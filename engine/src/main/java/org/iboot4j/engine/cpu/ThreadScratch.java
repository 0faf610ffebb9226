package org.iboot4j.engine.cpu;

/**
 * A float[] scratch buffer per thread, grown on demand and then reused by every later call on
 * that thread, so that kernels allocate nothing per call once warm. Its contents are whatever
 * the previous user left: callers write before they read.
 */
final class ThreadScratch {
    private final ThreadLocal<float[]> buffers = new ThreadLocal<>();

    /** The calling thread's buffer, at least {@code size} floats long. */
    float[] get(int size) {
        float[] buffer = buffers.get();
        if (buffer == null || buffer.length < size) {
            buffer = new float[size];
            buffers.set(buffer);
        }
        return buffer;
    }
}
