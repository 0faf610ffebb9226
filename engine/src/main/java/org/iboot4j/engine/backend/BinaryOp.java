package org.iboot4j.engine.backend;

/**
 * Elementwise functions of two float32 operands of the same (already broadcast) shape.
 * Arithmetic ops give float32, comparisons give bool. The {@code *_GRAD} ops are the fused
 * backward of an activation: {@code apply(x, g)} = g * f'(x), or g * f'(y) from the saved
 * output y where that is cheaper (sigmoid, tanh).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE,
    RELU_GRAD, GELU_GRAD, QUICK_GELU_GRAD, SIGMOID_GRAD_FROM_OUTPUT, TANH_GRAD_FROM_OUTPUT;

    /** Whether the result is a bool mask rather than a float. */
    public boolean isComparison() {
        return this.ordinal() >= EQ.ordinal() && this.ordinal() <= GE.ordinal();
    }

    /** The float result; for comparisons, 1 or 0. */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (float) Math.pow(a, b);
            case MAXIMUM -> a != a || b != b ? Float.NaN : Math.max(a, b);
            case MINIMUM -> a != a || b != b ? Float.NaN : Math.min(a, b);
            case EQ, NE, LT, LE, GT, GE -> test(a, b) ? 1f : 0f;
            case RELU_GRAD -> a > 0 ? b : 0f;
            case GELU_GRAD -> (float) (b * (UnaryOp.normalCdf(a) + a * UnaryOp.normalPdf(a)));
            case QUICK_GELU_GRAD -> {
                double s = UnaryOp.sigmoid(UnaryOp.QUICK_GELU_SLOPE * a);
                yield (float) (b * (s + UnaryOp.QUICK_GELU_SLOPE * a * s * (1 - s)));
            }
            case SIGMOID_GRAD_FROM_OUTPUT -> b * a * (1 - a);
            case TANH_GRAD_FROM_OUTPUT -> b * (1 - a * a);
        };
    }

    /** The comparison's truth value (IEEE: every comparison with NaN is false, except NE). */
    public boolean test(float a, float b) {
        return switch (this) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            default -> throw new IllegalStateException(this + " is not a comparison");
        };
    }
}
