package org.iboot4j.engine;

import org.iboot4j.engine.backend.FusedActivation;

/**
 * act(x + bias) with bias (D) broadcast along the last dimension of x (..., D): a linear layer's
 * bias and the activation after it in one op (a ViT block's fc1 + GELU / QuickGELU), one backend
 * primitive each way instead of an add and an activation.
 *
 * <p>Forward: out = act(x + b). Backward, from the pre-bias x the op keeps (x + b is recomputed):
 * dx = g act'(x + b), db = sum of dx over every dimension but the last, one fused primitive.
 * Memory: the graph holds x (its node's input, which autograd keeps anyway) and nothing else;
 * the unfused add-then-activation also kept the sum x + b for the activation's backward, a second
 * tensor the size of the layer's output (ViT-B/16: the 3072-wide MLP hidden layer of every
 * block). Recomputing it costs one add per element in the backward, which reads x anyway.
 *
 * <p>Only the last dimension: every bias that an activation follows directly in the models is a
 * linear layer's (the convolutions of the ResNets have no bias, batch-norm sits between them and
 * their ReLU), so a channel-dimension variant would be code no model runs.
 */
final class BiasActivationOp {
    private BiasActivationOp() {}

    static Tensor biasActivation(Tensor x, Tensor bias, FusedActivation act) {
        String name = "bias_" + act.name().toLowerCase(java.util.Locale.ROOT);
        x.requireDType(name, DType.F32);
        bias.requireDType(name, DType.F32);
        PointwiseOps.requireSameBackend(name, x, bias);
        if (x.dim() < 1 || bias.dim() != 1 || bias.shape()[0] != x.shape()[x.dim() - 1]) {
            throw new IllegalArgumentException(name + ": the bias must be a vector as long as the last"
                    + " dimension of x, got x " + Shapes.str(x.shape()) + " and bias " + Shapes.str(bias.shape()));
        }
        Tensor xc = x.detach().contiguous(), bc = bias.detach().contiguous();
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, x.shape());
        x.backend().biasActivation(xc, bc, act, out);
        return Autograd.record(name, out, (g, need) -> {
            Tensor gc = g.contiguous();
            Tensor gradX = need[0] && act != FusedActivation.IDENTITY ? Tensor.empty(x.backend(), DType.F32, x.shape()) : null;
            Tensor gradBias = need[1] ? Tensor.empty(x.backend(), DType.F32, bias.shape()) : null;
            if (gradX != null || gradBias != null) x.backend().biasActivationBackward(gc, xc, bc, act, gradX, gradBias);
            // the identity's dx is g itself
            return new Tensor[] {need[0] && gradX == null ? g : gradX, gradBias};
        }, x, bias);
    }
}
