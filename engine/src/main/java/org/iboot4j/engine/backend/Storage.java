package org.iboot4j.engine.backend;

import org.iboot4j.engine.DType;

/**
 * A flat buffer of {@link #length()} elements of one {@link DType}, owned by one backend.
 * Tensors are views (shape, strides, offset) onto a storage; several tensors may share one. A
 * storage is {@link #release() released} by the {@link org.iboot4j.engine.TensorScope} it was made
 * in, or left to the garbage collector.
 */
public interface Storage extends Releasable {
    Backend backend();

    DType dtype();

    int length();
}
