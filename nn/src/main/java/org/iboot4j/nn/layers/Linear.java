package org.iboot4j.nn.layers;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;

/** y = x W^T + b over the last dimension; weight (out, in), bias (out), as torch.nn.Linear. */
public final class Linear extends Module {
    public final Tensor weight;
    public final Tensor bias;

    public Linear(int in, int out, boolean bias, Rng rng) {
        this.weight = registerParameter("weight", Init.pytorchDefault(rng, in, out, in));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(rng, in, out)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = product(x);
        return bias == null ? y : y.add(bias);
    }

    /** act(x W^T + b), the bias and the activation as one fused op (the same values). */
    public Tensor forward(Tensor x, Activation act) {
        Tensor y = product(x);
        return bias == null ? act.forward(y) : act.forwardWithBias(y, bias);
    }

    private Tensor product(Tensor x) {
        return x.matmul(weight.transpose(0, 1));
    }
}
