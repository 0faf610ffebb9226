package org.iboot4j.nn;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;

/**
 * Weight initialisers, as torch.nn.init, drawing from the engine's {@link Rng} so a model
 * built with the same seed is the same model. Fans follow PyTorch: for a weight of shape
 * (out, in, k...), fanIn = in * prod(k) and fanOut = out * prod(k).
 */
public final class Init {
    private Init() {}

    /** U(-b, b) with b = 1/sqrt(fanIn): PyTorch's default for Linear and Conv weights and biases. */
    public static Tensor pytorchDefault(Rng rng, int fanIn, int... shape) {
        float bound = (float) (1 / Math.sqrt(Math.max(1, fanIn)));
        return Tensor.rand(rng, -bound, bound, shape);
    }

    /**
     * He/MSRA normal with fan-out and ReLU gain, N(0, 2 / fanOut): PySlowFast's c2_msra_fill
     * and torchvision's ResNet conv init.
     */
    public static Tensor kaimingNormalFanOut(Rng rng, int... shape) {
        return Tensor.randn(rng, 0, (float) Math.sqrt(2.0 / fanOut(shape)), shape);
    }

    /** Xavier/Glorot uniform: U(-b, b) with b = sqrt(6 / (fanIn + fanOut)). */
    public static Tensor xavierUniform(Rng rng, int... shape) {
        float bound = (float) Math.sqrt(6.0 / (fanIn(shape) + fanOut(shape)));
        return Tensor.rand(rng, -bound, bound, shape);
    }

    /**
     * Truncated normal N(mean, std) restricted to [low, high] by rejection (timm's and DINO's
     * trunc_normal_, with std 0.02 and the absolute bounds [-2, 2] by default there).
     */
    public static Tensor truncatedNormal(Rng rng, float mean, float std, float low, float high, int... shape) {
        if (!(low < high) || mean < low || mean > high) {
            throw new IllegalArgumentException("truncatedNormal: need low < mean < high, got mean " + mean
                    + " in [" + low + ", " + high + "]");
        }
        float[] out = new float[Tensor.zeros(shape).numel()];
        float[] draw = new float[1];
        for (int i = 0; i < out.length; i++) {
            do {
                rng.fillNormal(draw, mean, std);
            } while (draw[0] < low || draw[0] > high);
            out[i] = draw[0];
        }
        return Tensor.of(out, shape);
    }

    public static int fanIn(int... shape) {
        return shape.length < 2 ? shape[0] : shape[1] * receptive(shape);
    }

    public static int fanOut(int... shape) {
        return shape[0] * receptive(shape);
    }

    private static int receptive(int[] shape) {
        int r = 1;
        for (int i = 2; i < shape.length; i++) r *= shape[i];
        return r;
    }
}
