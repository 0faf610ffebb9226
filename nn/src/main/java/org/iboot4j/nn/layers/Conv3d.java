package org.iboot4j.nn.layers;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;

/**
 * 3-d convolution over (N, C, T, H, W), as torch.nn.Conv3d: weight (out, in/groups, kT, kH, kW),
 * optional bias (out). Kernel, stride, padding and dilation are (T, H, W) triples.
 */
public final class Conv3d extends Module {
    public final Tensor weight;
    public final Tensor bias;
    private final int[] stride, padding, dilation;
    private final int groups;

    public Conv3d(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups,
            boolean bias, Rng rng) {
        int fanIn = in / groups * kernel[0] * kernel[1] * kernel[2];
        this.weight = registerParameter("weight",
                Init.pytorchDefault(rng, fanIn, out, in / groups, kernel[0], kernel[1], kernel[2]));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(rng, fanIn, out)) : null;
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
    }

    /** No dilation, one group, no bias: the convolutions of a ResNet. */
    public Conv3d(int in, int out, int[] kernel, int[] stride, int[] padding, Rng rng) {
        this(in, out, kernel, stride, padding, new int[] {1, 1, 1}, 1, false, rng);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv3d(x, weight, bias, stride, padding, dilation, groups);
    }
}
