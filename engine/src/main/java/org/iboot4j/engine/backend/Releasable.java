package org.iboot4j.engine.backend;

/**
 * Memory that its backend can take back before the garbage collector finds it unreachable: a
 * tensor's {@link Storage}, or a kernel's scratch buffer. A closing
 * {@link org.iboot4j.engine.TensorScope} releases what it owns.
 */
public interface Releasable {
    /**
     * Gives the memory back to the backend's allocator now, for reuse; it must not be used
     * afterwards. Releasing twice does nothing.
     */
    void release();
}
