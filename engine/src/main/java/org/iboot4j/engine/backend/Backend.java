package org.iboot4j.engine.backend;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;

/**
 * The primitives a compute backend implements; autograd and every op above them are written
 * once, in terms of these. Backends are found with {@link java.util.ServiceLoader} (see
 * {@link Backends}): the CPU backend is always there, a GPU backend is a plug-in jar.
 *
 * <p>Conventions for every primitive: inputs may be any strided view of this backend's storage
 * (including stride-0 broadcast dimensions); outputs are freshly allocated, contiguous tensors of
 * the right shape and dtype that the caller passes in; shapes have been checked by the caller.
 * Each primitive has a CPU twin that is the readable reference for the others.
 */
public interface Backend {

    /** A short name, e.g. "cpu" or "cuda:0". */
    String name();

    /** Null when this backend can run here; otherwise one line saying what is missing. */
    String unavailableReason();

    /** Among available backends the highest priority becomes the default. CPU is 0. */
    int priority();

    // ---- storage -------------------------------------------------------------------------

    /** A zero-filled buffer. */
    Storage allocate(DType dtype, int length);

    Storage fromFloats(float[] data);

    Storage fromLongs(long[] data);

    Storage fromBooleans(boolean[] data);

    /** The elements of {@code t} in row-major order, as floats (converting int64 and bool). */
    float[] readFloats(Tensor t);

    /** The elements of an int64 tensor in row-major order. */
    long[] readLongs(Tensor t);

    /** The elements of a bool tensor in row-major order. */
    boolean[] readBooleans(Tensor t);

    // ---- elementwise ---------------------------------------------------------------------

    /** dst = src elementwise, same shape, converting the dtype if they differ. */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor dst, double value);

    void unary(UnaryOp op, Tensor x, Tensor out);

    /** {@code a} and {@code b} already have {@code out}'s shape (broadcast dims have stride 0). */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = condition ? a : b; all three already have {@code out}'s shape. */
    void where(Tensor condition, Tensor a, Tensor b, Tensor out);

    // ---- reductions ----------------------------------------------------------------------

    /** Reduces {@code dims} of {@code x}; {@code out} has x's shape with those dims set to 1. */
    void reduce(ReduceOp op, Tensor x, int[] dims, Tensor out);

    // ---- linear algebra ------------------------------------------------------------------

    /**
     * out[b] = a[b] @ b[b] for a of shape (B..., M, K), b of shape (B..., K, N) with equal batch
     * dims; out is (B..., M, N). Either operand may be transposed in memory.
     */
    void matmul(Tensor a, Tensor b, Tensor out);

    // ---- normalisation -------------------------------------------------------------------

    /** Softmax (or log-softmax) of each row of a contiguous (rows, D) tensor. */
    void softmax(Tensor x, boolean log, Tensor out);

    /** Given y = softmax(x) (or log-softmax) and dL/dy, writes dL/dx. All (rows, D). */
    void softmaxBackward(Tensor y, Tensor gradY, boolean log, Tensor gradX);

    /**
     * Layer-norm of each row of a contiguous (rows, D) tensor: out = (x - mean) * rstd * weight
     * + bias, weight and bias (D) optional (null). Saves mean and rstd, each (rows).
     */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd);

    /** Gradients of {@link #layerNorm}; gradWeight/gradBias may be null when not wanted. */
    void layerNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor rstd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias);

    // ---- indexing ------------------------------------------------------------------------

    /** out = x with dimension {@code dim} indexed by the int64 vector {@code index}. */
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out);

    /** dst.select(dim, index[i]) += src.select(dim, i) for every i: the backward of indexSelect. */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** out[..i..] = x[..index[..i..]..] along {@code dim}; index and out share a shape. */
    void gather(Tensor x, int dim, Tensor index, Tensor out);

    /** dst[..index[..i..]..] += src[..i..] along {@code dim}: the backward of gather. */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src);
}
