package org.iboot4j.nn.layers;

import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.nn.Module;

/**
 * A parameter-free elementwise layer: ReLU, GELU (exact), QuickGELU, or the identity. A layer
 * with a bias right before it (a {@link Linear}) applies it fused with the bias add
 * ({@link #forwardWithBias}), which gives the same values in one pass.
 */
public final class Activation extends Module {
    private final FusedActivation kind;

    private Activation(FusedActivation kind) {
        this.kind = kind;
    }

    public static Activation relu() {
        return new Activation(FusedActivation.RELU);
    }

    public static Activation gelu() {
        return new Activation(FusedActivation.GELU);
    }

    /** CLIP's x * sigmoid(1.702 x). */
    public static Activation quickGelu() {
        return new Activation(FusedActivation.QUICK_GELU);
    }

    public static Activation identity() {
        return new Activation(FusedActivation.IDENTITY);
    }

    @Override
    public Tensor forward(Tensor x) {
        return switch (kind) {
            case IDENTITY -> x;
            case RELU -> x.relu();
            case GELU -> x.gelu();
            case QUICK_GELU -> x.quickGelu();
        };
    }

    /** forward(x + bias), bias (D) along the last dimension, as one fused op. */
    public Tensor forwardWithBias(Tensor x, Tensor bias) {
        return Functional.biasActivation(x, bias, kind);
    }
}
