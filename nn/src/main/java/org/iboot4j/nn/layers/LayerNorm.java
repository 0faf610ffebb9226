package org.iboot4j.nn.layers;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/** Layer normalisation over the last dimension with weight and bias, as torch.nn.LayerNorm(dim, eps). */
public final class LayerNorm extends Module {
    public final Tensor weight, bias;
    private final float eps;

    public LayerNorm(int dim, float eps) {
        this.weight = registerParameter("weight", Tensor.ones(dim));
        this.bias = registerParameter("bias", Tensor.zeros(dim));
        this.eps = eps;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.layerNorm(x, new int[] {weight.numel()}, weight, bias, eps);
    }
}
