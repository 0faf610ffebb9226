package org.iboot4j.nn.layers;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/** 3-d pooling layers over (N, C, T, H, W): max, average, and global (adaptive) average. */
public final class Pool3d extends Module {
    private final java.util.function.UnaryOperator<Tensor> pool;

    private Pool3d(java.util.function.UnaryOperator<Tensor> pool) {
        this.pool = pool;
    }

    /** torch.nn.MaxPool3d(kernel, stride, padding). */
    public static Pool3d max(int[] kernel, int[] stride, int[] padding) {
        return new Pool3d(x -> Functional.maxPool3d(x, kernel, stride, padding, false));
    }

    /** torch.nn.AvgPool3d(kernel, stride, padding) with count_include_pad. */
    public static Pool3d avg(int[] kernel, int[] stride, int[] padding) {
        return new Pool3d(x -> Functional.avgPool3d(x, kernel, stride, padding, false, true));
    }

    /** torch.nn.AdaptiveAvgPool3d((t, h, w)); (1, 1, 1) averages each channel to one value. */
    public static Pool3d adaptiveAvg(int t, int h, int w) {
        return new Pool3d(x -> Functional.adaptiveAvgPool3d(x, t, h, w));
    }

    @Override
    public Tensor forward(Tensor x) {
        return pool.apply(x);
    }
}
