package org.iboot4j.nn.layers;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/**
 * Batch normalisation over the channel dimension 1 of (N, C, ...), as torch.nn.BatchNorm1d/2d/3d
 * (one class; the factories check the input rank): weight and bias (C), buffers running_mean,
 * running_var and num_batches_tracked, so PyTorch checkpoints load one-to-one. Training mode
 * uses batch statistics and updates the running ones; evaluation mode uses the running ones.
 */
public final class BatchNorm extends Module {
    public final Tensor weight, bias, runningMean, runningVar, numBatchesTracked;
    private final float eps, momentum;
    private final int[] ranks;

    private BatchNorm(int channels, float eps, float momentum, int... ranks) {
        this.weight = registerParameter("weight", Tensor.ones(channels));
        this.bias = registerParameter("bias", Tensor.zeros(channels));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(channels));
        this.runningVar = registerBuffer("running_var", Tensor.ones(channels));
        this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.ofLongs(new long[] {0}));
        this.eps = eps;
        this.momentum = momentum;
        this.ranks = ranks;
    }

    /** For (N, C, T, H, W). */
    public static BatchNorm bn3d(int channels, float eps, float momentum) {
        return new BatchNorm(channels, eps, momentum, 5);
    }

    /** For (N, C, H, W). */
    public static BatchNorm bn2d(int channels, float eps, float momentum) {
        return new BatchNorm(channels, eps, momentum, 4);
    }

    /** For (N, C) or (N, C, L). */
    public static BatchNorm bn1d(int channels, float eps, float momentum) {
        return new BatchNorm(channels, eps, momentum, 2, 3);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (java.util.Arrays.stream(ranks).noneMatch(r -> r == x.dim())) {
            throw new IllegalArgumentException("BatchNorm: expected an input of rank "
                    + java.util.Arrays.toString(ranks) + ", got shape " + java.util.Arrays.toString(x.shape()));
        }
        if (isTraining()) {
            try (var ignored = GradMode.disable()) {
                numBatchesTracked.copyFrom(numBatchesTracked.to(DType.F32).add(1));
            }
        }
        return Functional.batchNorm(x, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
    }
}
