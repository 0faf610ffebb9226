package org.iboot4j.nn.layers;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/**
 * fc1 -> activation -> fc2, the transformer feed-forward block (timm's Mlp naming). fc1's bias
 * and the activation run as one fused op: the autograd graph keeps fc1's product only, not the
 * biased sum as well (the widest tensor of a ViT block: 4x its width).
 */
public final class Mlp extends Module {
    public final Linear fc1, fc2;
    private final Activation act;

    public Mlp(int dim, int hidden, Activation act, Rng rng) {
        this.fc1 = registerModule("fc1", new Linear(dim, hidden, true, rng));
        this.act = act;
        this.fc2 = registerModule("fc2", new Linear(hidden, dim, true, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        return fc2.forward(fc1.forward(x, act));
    }
}
