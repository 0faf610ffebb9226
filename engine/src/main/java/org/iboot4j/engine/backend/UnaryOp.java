package org.iboot4j.engine.backend;

/**
 * Elementwise float32 functions y = f(x). {@link #apply} is the scalar definition every backend
 * must agree with; the CPU backend calls it directly, the GPU backend mirrors it in PTX.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, ABS, SIGN, RELU, SIGMOID, TANH,
    /** x * Phi(x) with the exact normal CDF, PyTorch's {@code gelu(approximate='none')}. */
    GELU,
    /** x * sigmoid(1.702 x), the activation of OpenAI's CLIP. */
    QUICK_GELU;

    /** 1.702, the slope QuickGELU puts inside its sigmoid. */
    public static final float QUICK_GELU_SLOPE = 1.702f;

    public float apply(float x) {
        return switch (this) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> (float) (1.0 / Math.sqrt(x));
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case RELU -> x > 0 ? x : (x == x ? 0f : x); // NaN propagates, as in PyTorch
            case SIGMOID -> (float) sigmoid(x);
            case TANH -> (float) Math.tanh(x);
            case GELU -> (float) (x * normalCdf(x));
            case QUICK_GELU -> (float) (x * sigmoid(QUICK_GELU_SLOPE * x));
        };
    }

    static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** Phi(x) = (1 + erf(x / sqrt 2)) / 2. */
    static double normalCdf(double x) {
        return 0.5 * (1.0 + Erf.erf(x * 0.7071067811865476));
    }

    /** Phi'(x), the standard normal density. */
    static double normalPdf(double x) {
        return 0.3989422804014327 * Math.exp(-0.5 * x * x);
    }
}
