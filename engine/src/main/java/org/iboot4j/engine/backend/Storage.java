package org.iboot4j.engine.backend;

import org.iboot4j.engine.DType;

/**
 * A flat buffer of {@link #length()} elements of one {@link DType}, owned by one backend.
 * Tensors are views (shape, strides, offset) onto a storage; several tensors may share one.
 */
public interface Storage {
    Backend backend();

    DType dtype();

    int length();
}
