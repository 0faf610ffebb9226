package org.iboot4j.nn.layers;

import java.util.function.UnaryOperator;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/** A parameter-free elementwise layer: ReLU, GELU (exact), QuickGELU, or the identity. */
public final class Activation extends Module {
    private final UnaryOperator<Tensor> f;

    private Activation(UnaryOperator<Tensor> f) {
        this.f = f;
    }

    public static Activation relu() {
        return new Activation(Tensor::relu);
    }

    public static Activation gelu() {
        return new Activation(Tensor::gelu);
    }

    /** CLIP's x * sigmoid(1.702 x). */
    public static Activation quickGelu() {
        return new Activation(Tensor::quickGelu);
    }

    public static Activation identity() {
        return new Activation(x -> x);
    }

    @Override
    public Tensor forward(Tensor x) {
        return f.apply(x);
    }
}
