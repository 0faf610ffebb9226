package org.iboot4j.engine.backend;

import java.lang.foreign.MemorySegment;
import java.util.List;
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

    /**
     * A buffer for an output that the primitive about to run writes in full (an op's forward
     * result): its contents are unspecified. The CPU backend hands recycled arrays back as they
     * are, sparing the zero fill; a backend may return {@link #allocate}'s zeros.
     */
    default Storage allocateUninitialized(DType dtype, int length) {
        return allocate(dtype, length);
    }

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

    /**
     * out = x * a + b with two roundings, the product first (never a fused multiply-add), so
     * that it equals {@code binary(MUL)} then {@code binary(ADD)} bit for bit in one pass; all
     * three already have {@code out}'s shape. Evaluation-mode batch-norm is this with a and b
     * per channel.
     */
    void mulAdd(Tensor x, Tensor a, Tensor b, Tensor out);

    // ---- bias + activation (fused) ------------------------------------------------------

    /**
     * out = act(x + bias): x (..., D), bias (D) added along the last dimension (a linear layer's
     * bias), out the shape of x; all three contiguous. Element for element the same value as
     * {@link #binary} ADD followed by {@link #unary} of {@code act} (on the CPU the same bits),
     * in one pass over memory.
     */
    void biasActivation(Tensor x, Tensor bias, FusedActivation act, Tensor out);

    /**
     * Gradients of {@link #biasActivation} from its pre-bias input x (x + bias is recomputed,
     * not saved): gradX = act.gradient(x + bias, gradOut), and gradBias (D) = gradX summed over
     * every dimension but the last. gradOut and x are contiguous (..., D); gradX (..., D) or
     * gradBias (D) may be null when not wanted.
     */
    void biasActivationBackward(Tensor gradOut, Tensor x, Tensor bias, FusedActivation act,
            Tensor gradX, Tensor gradBias);

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

    // ---- convolution (3-d; a 2-d convolution is the T = 1 case) -------------------------

    /**
     * out = conv3d(x, weight) + bias. x (N, Cin, T, H, W), weight (Cout, Cin/groups, kT, kH, kW),
     * bias (Cout) or null, out (N, Cout, To, Ho, Wo) per {@link ConvGeometry#outputShape}.
     */
    void conv3d(Tensor x, Tensor weight, Tensor bias, ConvGeometry geometry, Tensor out);

    /** dL/dx of {@link #conv3d} given dL/dout; {@code gradX} (shape of x) arrives zero-filled. */
    void conv3dBackwardData(Tensor gradOut, Tensor weight, ConvGeometry geometry, Tensor gradX);

    /** dL/dweight of {@link #conv3d} given dL/dout; {@code gradWeight} arrives zero-filled. */
    void conv3dBackwardFilter(Tensor gradOut, Tensor x, ConvGeometry geometry, Tensor gradWeight);

    // ---- batch-norm ------------------------------------------------------------------------

    /**
     * Training-mode batch-norm of x (N, C, S...): per channel, the mean and the biased variance
     * over N and S; out = (x - mean) / sqrt(var + eps) * weight + bias. Writes mean and var (C).
     * weight and bias (C) may be null.
     */
    void batchNormTrain(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor var);

    /**
     * Gradients of {@link #batchNormTrain}, given its saved mean and invStd = 1/sqrt(var + eps);
     * gradWeight/gradBias may be null when not wanted.
     */
    void batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor invStd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias);

    // ---- pooling over (N, C, T, H, W) ------------------------------------------------------

    /**
     * Max over each window (padding never wins). {@code indices} (int64, out's shape) receives
     * the position of each maximum as a flat index into its (T, H, W) volume, as PyTorch's
     * return_indices; the first maximum wins ties, NaN wins over numbers.
     */
    void maxPool3d(Tensor x, PoolGeometry geometry, Tensor out, Tensor indices);

    /** Adds each gradient to the input position its maximum came from; gradX arrives zero-filled. */
    void maxPool3dBackward(Tensor gradOut, Tensor indices, Tensor gradX);

    /**
     * Mean over each window; the divisor is the window size counting padding
     * ({@code countIncludePad}, PyTorch's default) or only the real elements.
     */
    void avgPool3d(Tensor x, PoolGeometry geometry, boolean countIncludePad, Tensor out);

    /** Spreads each gradient evenly over its window; gradX arrives zero-filled. */
    void avgPool3dBackward(Tensor gradOut, PoolGeometry geometry, boolean countIncludePad, Tensor gradX);

    /**
     * Adaptive average pooling to out's (To, Ho, Wo): output cell i of an axis of size In
     * averages input [floor(i In / Out), ceil((i + 1) In / Out)), as PyTorch.
     */
    void adaptiveAvgPool3d(Tensor x, Tensor out);

    /** Backward of {@link #adaptiveAvgPool3d}; gradX arrives zero-filled. */
    void adaptiveAvgPool3dBackward(Tensor gradOut, Tensor gradX);

    // ---- optimisation ----------------------------------------------------------------------

    /**
     * One SGD / LARS step, in place: updates {@code param} and {@code momentumBuffer} (both
     * contiguous, same shape as {@code grad}) by the rule in {@link SgdStep}. The only primitive
     * that writes into its inputs: parameters keep their identity across steps.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, SgdStep step);

    // ---- losses ----------------------------------------------------------------------------

    /**
     * The fused iBoot / BYOL regression loss over rows of contiguous (rows, D) tensors q (target)
     * and k (online): loss = mean over rows of 2 - 2 <q/|q|, k/|k|> (norms clamped below at
     * 1e-12, as F.normalize), written to the 0-d {@code loss}; and its gradient with respect to k
     * (including the 1/rows of the mean) to {@code gradK}, in the same pass.
     */
    void cosineLoss(Tensor q, Tensor k, Tensor loss, Tensor gradK);

    // ---- data augmentation -----------------------------------------------------------------

    /**
     * The fused clip augmentation: N = {@code clips.size()} clips of uint8 frames, lying back to
     * back in host memory {@code frames} (clip n's T frames of (H_n, W_n, 3), row-major; clips may
     * differ in size), each transformed by its own {@link AugmentClip} (resize, crop, flip, colour
     * jitter, grayscale, blur, normalisation; the same for all its frames) into the float32 out
     * (N, 3, T, outH, outW), whose shape gives T and the crop size. {@code frames} is only read
     * during the call. The CPU twin is {@code CpuAugment}; the caller has checked the batch with
     * {@link AugmentClip#frameOffsets}.
     */
    void augmentClips(MemorySegment frames, List<AugmentClip> clips, Tensor out);
}
