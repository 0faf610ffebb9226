package org.iboot4j.nn.layers;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;

/**
 * 2-d convolution over (N, C, H, W), as torch.nn.Conv2d: weight (out, in/groups, kH, kW),
 * optional bias. Kernel, stride, padding and dilation are (H, W) pairs.
 */
public final class Conv2d extends Module {
    public final Tensor weight;
    public final Tensor bias;
    private final int[] stride, padding, dilation;
    private final int groups;

    public Conv2d(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups,
            boolean bias, Rng rng) {
        int fanIn = in / groups * kernel[0] * kernel[1];
        this.weight = registerParameter("weight", Init.pytorchDefault(rng, fanIn, out, in / groups, kernel[0], kernel[1]));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(rng, fanIn, out)) : null;
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }
}
