package org.iboot4j.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link Linear#forward(Tensor, Activation)} (the bias and the activation fused) against the
 * layer followed by the activation: the same bits for the output and for the gradients of the
 * input, the weight and the bias, for every activation, a ViT-like batch of tokens and a layer
 * without bias.
 */
class LinearActivationTest {

    private record Grads(float[] out, float[] x, float[] weight, float[] bias) {}

    private static Grads run(Supplier<Activation> act, boolean bias, boolean fused) {
        Linear fc = new Linear(48, 200, bias, new Rng(1));
        Tensor x = Tensor.randn(new Rng(2), 0, 1, 2, 9, 48).requiresGrad(true);
        Tensor out = fused ? fc.forward(x, act.get()) : act.get().forward(fc.forward(x));
        out.backward(Tensor.randn(new Rng(3), 0, 1, out.shape()));
        return new Grads(out.toFloatArray(), x.grad().toFloatArray(), fc.weight.grad().toFloatArray(),
                bias ? fc.bias.grad().toFloatArray() : new float[0]);
    }

    @Test
    void fusedBiasAndActivationGiveTheSameBits() {
        Map<String, Supplier<Activation>> acts = new LinkedHashMap<>();
        acts.put("gelu", Activation::gelu);
        acts.put("quick_gelu", Activation::quickGelu);
        acts.put("relu", Activation::relu);
        acts.put("identity", Activation::identity);
        acts.forEach((name, act) -> {
            for (boolean bias : new boolean[] {true, false}) {
                Grads want = run(act, bias, false), got = run(act, bias, true);
                String what = name + (bias ? "" : " (no bias)");
                assertArrayEquals(want.out, got.out, what + ": output");
                assertArrayEquals(want.x, got.x, what + ": dx");
                assertArrayEquals(want.weight, got.weight, what + ": dweight");
                assertArrayEquals(want.bias, got.bias, what + ": dbias");
            }
        });
    }
}
