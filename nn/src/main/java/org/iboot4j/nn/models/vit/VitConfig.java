package org.iboot4j.nn.models.vit;

import java.util.Objects;

/**
 * The shape of a {@link VisionTransformer}: everything that differs between ViT-B/16 as CLIP
 * and as DINO, and the sizes, so that reduced models can be built for tests.
 *
 * <p>Use a preset ({@link #clipB16()}, {@link #dinoB16()}) and change what differs with
 * {@link #toBuilder()}:
 * <pre>{@code
 * VitConfig tiny = VitConfig.dinoB16().toBuilder().imageSize(32).patchSize(8).width(48).depth(2).heads(4)
 *         .mlpDim(192).build();
 * }</pre>
 *
 * @param imageSize the (square) input resolution the positional embedding was made for
 * @param patchSize the side of each square patch; must divide {@code imageSize}
 * @param width the token width D
 * @param depth the number of transformer blocks
 * @param heads attention heads; must divide {@code width}
 * @param mlpDim the hidden width of each block's MLP (4 D for ViT-B)
 * @param layerNormEps epsilon of every LayerNorm (1e-5 CLIP, 1e-6 DINO/timm)
 * @param activation the MLP activation
 * @param patchBias whether the patch-embedding convolution has a bias (DINO yes, CLIP no)
 * @param preNorm a LayerNorm on the tokens before the first block (CLIP's ln_pre)
 * @param finalNorm a LayerNorm after the last block (CLIP's ln_post, DINO's norm)
 * @param projectionDim the width of a bias-free linear projection of the [CLS] feature (CLIP:
 *     512), or 0 for none
 * @param preprocessing the input normalisation the weights expect
 */
public record VitConfig(int imageSize, int patchSize, int width, int depth, int heads, int mlpDim,
        float layerNormEps, VitActivation activation, boolean patchBias, boolean preNorm,
        boolean finalNorm, int projectionDim, Preprocessing preprocessing) {

    public VitConfig {
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(preprocessing, "preprocessing");
        if (imageSize <= 0 || patchSize <= 0 || width <= 0 || depth < 0 || heads <= 0 || mlpDim <= 0 || projectionDim < 0) {
            throw new IllegalArgumentException("ViT config: sizes must be positive (depth and projectionDim may be 0): " + describe(
                    imageSize, patchSize, width, depth, heads, mlpDim, projectionDim));
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("ViT config: patch size " + patchSize + " does not divide image size " + imageSize);
        }
        if (width % heads != 0) {
            throw new IllegalArgumentException("ViT config: width " + width + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("ViT config: LayerNorm eps must be positive, got " + layerNormEps);
        }
    }

    /**
     * CLIP ViT-B/16 (OpenAI weights, also in HF and open_clip form): image 224, patch 16 without
     * bias, width 768, 12 blocks of 12 heads, MLP 3072 with QuickGELU, LayerNorm eps 1e-5, ln_pre
     * before the blocks, ln_post on [CLS], projection to 512; CLIP normalisation.
     */
    public static VitConfig clipB16() {
        return new VitConfig(224, 16, 768, 12, 12, 3072, 1e-5f, VitActivation.QUICK_GELU,
                false, true, true, 512, Preprocessing.CLIP);
    }

    /**
     * DINO ViT-B/16 (timm layout): image 224, patch 16 with bias, width 768, 12 blocks of 12 heads,
     * MLP 3072 with exact GELU, LayerNorm eps 1e-6, no pre-norm, final norm, no projection;
     * ImageNet normalisation.
     */
    public static VitConfig dinoB16() {
        return new VitConfig(224, 16, 768, 12, 12, 3072, 1e-6f, VitActivation.GELU,
                true, false, true, 0, Preprocessing.IMAGENET);
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** The number of patch tokens, {@code gridSize()^2}. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Patch tokens plus [CLS]: the length of the positional embedding. */
    public int numTokens() {
        return numPatches() + 1;
    }

    /** The width of {@link VisionTransformer#forward}'s output: the projection's, or D. */
    public int outputDim() {
        return projectionDim > 0 ? projectionDim : width;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    private static String describe(int imageSize, int patchSize, int width, int depth, int heads, int mlpDim, int proj) {
        return "image " + imageSize + ", patch " + patchSize + ", width " + width + ", depth " + depth
                + ", heads " + heads + ", mlp " + mlpDim + ", projection " + proj;
    }

    @Override
    public String toString() {
        return "ViT(" + describe(imageSize, patchSize, width, depth, heads, mlpDim, projectionDim)
                + ", eps " + layerNormEps + ", " + activation + (patchBias ? ", patch bias" : "")
                + (preNorm ? ", pre-norm" : "") + (finalNorm ? ", final norm" : "") + ")";
    }

    /** A mutable copy of a config; {@link #build()} validates. */
    public static final class Builder {
        private int imageSize, patchSize, width, depth, heads, mlpDim, projectionDim;
        private float layerNormEps;
        private VitActivation activation;
        private boolean patchBias, preNorm, finalNorm;
        private Preprocessing preprocessing;

        private Builder(VitConfig c) {
            imageSize = c.imageSize;
            patchSize = c.patchSize;
            width = c.width;
            depth = c.depth;
            heads = c.heads;
            mlpDim = c.mlpDim;
            layerNormEps = c.layerNormEps;
            activation = c.activation;
            patchBias = c.patchBias;
            preNorm = c.preNorm;
            finalNorm = c.finalNorm;
            projectionDim = c.projectionDim;
            preprocessing = c.preprocessing;
        }

        public Builder imageSize(int v) { imageSize = v; return this; }
        public Builder patchSize(int v) { patchSize = v; return this; }
        public Builder width(int v) { width = v; return this; }
        public Builder depth(int v) { depth = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder mlpDim(int v) { mlpDim = v; return this; }
        /** Sets {@code mlpDim = round(width * ratio)} for the width set so far. */
        public Builder mlpRatio(double ratio) { mlpDim = (int) Math.round(width * ratio); return this; }
        public Builder layerNormEps(float v) { layerNormEps = v; return this; }
        public Builder activation(VitActivation v) { activation = v; return this; }
        public Builder patchBias(boolean v) { patchBias = v; return this; }
        public Builder preNorm(boolean v) { preNorm = v; return this; }
        public Builder finalNorm(boolean v) { finalNorm = v; return this; }
        public Builder projectionDim(int v) { projectionDim = v; return this; }
        public Builder preprocessing(Preprocessing v) { preprocessing = v; return this; }

        public VitConfig build() {
            return new VitConfig(imageSize, patchSize, width, depth, heads, mlpDim, layerNormEps, activation,
                    patchBias, preNorm, finalNorm, projectionDim, preprocessing);
        }
    }
}
