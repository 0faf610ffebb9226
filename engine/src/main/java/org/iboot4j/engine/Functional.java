package org.iboot4j.engine;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.PoolGeometry;

/**
 * The ops that are not methods of one tensor, named as in {@code torch} and
 * {@code torch.nn.functional}: joining, selecting, normalisation layers and losses; and the
 * fused clip augmentation that makes a training batch.
 */
public final class Functional {
    private Functional() {}

    /** torch.cat */
    public static Tensor concat(int dim, Tensor... tensors) {
        return IndexOps.concat(tensors, dim);
    }

    /** torch.stack */
    public static Tensor stack(int dim, Tensor... tensors) {
        return IndexOps.stack(tensors, dim);
    }

    /** torch.where(condition, a, b): condition (bool) ? a : b, broadcast. */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return IndexOps.where(condition, a, b);
    }

    /**
     * act(x + bias), bias (D) added along the last dimension of x (..., D): a linear layer's bias
     * and the activation after it fused into one op (see {@link FusedActivation}). The same values
     * as {@code x.add(bias)} then the activation, bit for bit on the CPU, gradients included; the
     * backward graph keeps x only, not the sum as well.
     */
    public static Tensor biasActivation(Tensor x, Tensor bias, FusedActivation act) {
        return BiasActivationOp.biasActivation(x, bias, act);
    }

    /** F.layer_norm over the trailing {@code normalizedShape}; weight and bias may be null. */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        return NormOps.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** F.normalize(x, p=2, dim, eps). */
    public static Tensor normalize(Tensor x, int dim, float eps) {
        return NormOps.normalize(x, dim, eps);
    }

    /** F.normalize(x, dim=dim) with PyTorch's default eps 1e-12. */
    public static Tensor normalize(Tensor x, int dim) {
        return NormOps.normalize(x, dim, 1e-12f);
    }

    /** torch.linalg.vector_norm(x, 2, dim, keepdim). */
    public static Tensor l2Norm(Tensor x, int dim, boolean keepdim) {
        return NormOps.l2Norm(x, dim, keepdim);
    }

    /** F.cosine_similarity(x1, x2, dim, eps). */
    public static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim, float eps) {
        return LossOps.cosineSimilarity(x1, x2, dim, eps);
    }

    /** F.cosine_similarity with PyTorch's defaults (dim 1, eps 1e-8). */
    public static Tensor cosineSimilarity(Tensor x1, Tensor x2) {
        return LossOps.cosineSimilarity(x1, x2, 1, 1e-8f);
    }

    /** F.cross_entropy(logits, target) with mean reduction. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return LossOps.crossEntropy(logits, target, LossOps.Reduction.MEAN);
    }

    /** F.cross_entropy with reduction "mean", "sum" or "none". */
    public static Tensor crossEntropy(Tensor logits, Tensor target, String reduction) {
        LossOps.Reduction r = switch (reduction) {
            case "mean" -> LossOps.Reduction.MEAN;
            case "sum" -> LossOps.Reduction.SUM;
            case "none" -> LossOps.Reduction.NONE;
            default -> throw new IllegalArgumentException("cross_entropy: reduction must be mean,"
                    + " sum or none, got '" + reduction + "'");
        };
        return LossOps.crossEntropy(logits, target, r);
    }

    /**
     * F.conv3d on (N, C, T, H, W) with weight (Cout, Cin/groups, kT, kH, kW); bias may be null.
     * stride, padding and dilation are (T, H, W) triples.
     */
    public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
            int[] dilation, int groups) {
        return ConvOps.conv3d(x, weight, bias, new ConvGeometry(stride, padding, dilation, groups));
    }

    /** F.conv2d on (N, C, H, W) with weight (Cout, Cin/groups, kH, kW); (H, W) pairs. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
            int[] dilation, int groups) {
        return ConvOps.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * F.batch_norm over (N, C, ...). In training, normalises with batch statistics and updates
     * runningMean/runningVar in place (when given) with {@code momentum}; in evaluation uses them.
     * weight and bias may be null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
            Tensor bias, boolean training, float momentum, float eps) {
        return BatchNormOps.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /** F.max_pool3d with (T, H, W) kernel, stride and padding. */
    public static Tensor maxPool3d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
        return PoolOps.maxPool3d(x, new PoolGeometry(kernel, stride, padding, ceilMode));
    }

    /** F.avg_pool3d with (T, H, W) kernel, stride and padding. */
    public static Tensor avgPool3d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
            boolean countIncludePad) {
        return PoolOps.avgPool3d(x, new PoolGeometry(kernel, stride, padding, ceilMode), countIncludePad);
    }

    /** F.adaptive_avg_pool3d to (outT, outH, outW); (1, 1, 1) is global average pooling. */
    public static Tensor adaptiveAvgPool3d(Tensor x, int outT, int outH, int outW) {
        return PoolOps.adaptiveAvgPool3d(x, outT, outH, outW);
    }

    /** F.dropout with its mask drawn from {@code rng}; the identity when not training. */
    public static Tensor dropout(Tensor x, float p, boolean training, Rng rng) {
        return PoolOps.dropout(x, p, training, rng);
    }

    /**
     * The iBoot loss: mean over rows of 2 - 2 cos(target, online), rows of width D = the last
     * dimension. No gradient flows to the target (stop-gradient).
     */
    public static Tensor cosineRegressionLoss(Tensor target, Tensor online) {
        return LossOps.cosineRegressionLoss(target, online);
    }

    /**
     * The fused clip augmentation ({@link Backend#augmentClips}) into a new float32
     * (N, 3, frameCount, outH, outW) tensor on {@code backend}, N = {@code clips.size()}: clip n's
     * frameCount uint8 frames of (H_n, W_n, 3) lie back to back in {@code frames}, clip after
     * clip, and are transformed by {@code clips.get(n)}. The batch is checked first (sizes, crop
     * windows, blur widths, the buffer's length; {@link AugmentClip#frameOffsets}). No gradient.
     */
    public static Tensor augmentClips(Backend backend, MemorySegment frames, List<AugmentClip> clips, int frameCount,
            int outH, int outW) {
        AugmentClip.frameOffsets(clips, frameCount, outH, outW, frames.byteSize());
        Tensor out = Tensor.empty(backend, DType.F32, clips.size(), 3, frameCount, outH, outW);
        backend.augmentClips(frames, List.copyOf(clips), out);
        return out;
    }
}
