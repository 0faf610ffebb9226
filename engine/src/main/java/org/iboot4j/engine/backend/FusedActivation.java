package org.iboot4j.engine.backend;

/**
 * The activation the fused bias + activation primitive ({@link Backend#biasActivation}) applies
 * after adding the bias: none, or one of the three the models use after a linear layer. Each is
 * defined by the {@link UnaryOp} it applies and by the {@code *_GRAD} {@link BinaryOp} that gives
 * g f'(x) from the pre-activation x, so the fused primitive is, by definition, the unfused
 * add-then-activation and its backward. A separate enum rather than {@code UnaryOp} itself,
 * because the primitive needs the identity and accepts only these four; the GPU kernels take the
 * ordinal (0 identity, 1 ReLU, 2 GELU, 3 QuickGELU).
 */
public enum FusedActivation {
    /** y = x: a plain bias add, whose backward is the bias' column sum. */
    IDENTITY(null, null),
    RELU(UnaryOp.RELU, BinaryOp.RELU_GRAD),
    /** Exact GELU, x Phi(x) (ViT-B/16 of DINO / timm). */
    GELU(UnaryOp.GELU, BinaryOp.GELU_GRAD),
    /** x sigmoid(1.702 x) (OpenAI's CLIP). */
    QUICK_GELU(UnaryOp.QUICK_GELU, BinaryOp.QUICK_GELU_GRAD);

    private final UnaryOp op;
    private final BinaryOp gradient;

    FusedActivation(UnaryOp op, BinaryOp gradient) {
        this.op = op;
        this.gradient = gradient;
    }

    /** The elementwise op this activation applies; null for {@link #IDENTITY}. */
    public UnaryOp unaryOp() {
        return op;
    }

    /** g f'(x) from the pre-activation x (as the {@code *_GRAD} {@link BinaryOp#apply}). */
    public float gradient(float x, float g) {
        return gradient == null ? g : gradient.apply(x, g);
    }
}
