package org.iboot4j.engine.backend;

/** Reductions over a set of dimensions. Mean and variance are built on SUM by the engine. */
public enum ReduceOp {
    SUM, MAX, MIN
}
