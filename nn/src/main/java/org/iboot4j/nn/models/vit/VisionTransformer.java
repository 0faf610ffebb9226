package org.iboot4j.nn.models.vit;

import java.util.Arrays;
import java.util.Objects;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.layers.LayerNorm;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.layers.Sequential;

/**
 * The Vision Transformer image encoder (Dosovitskiy et al.), configurable so that one class is
 * CLIP's ViT-B/16 and DINO's ({@link VitConfig#clipB16()}, {@link VitConfig#dinoB16()}):
 *
 * <pre>
 * tokens = [cls_token ; patch_embed(images)] + pos_embed        (B, 1 + N, D)
 * tokens = norm_pre(tokens)                                      if preNorm   (CLIP's ln_pre)
 * tokens = blocks(tokens)                                        pre-norm transformer blocks
 * feature = norm(tokens[:, 0])                                   if finalNorm (CLIP ln_post, DINO norm)
 * output  = feature @ proj.weight^T                              if projectionDim > 0 (CLIP)
 * </pre>
 *
 * <p>Parameter names follow timm's ViT ({@code patch_embed.proj.weight}, {@code cls_token} (1, 1,
 * D), {@code pos_embed} (1, 1 + N, D), {@code norm_pre.*}, {@code blocks.N.norm1.*},
 * {@code blocks.N.attn.qkv.*}, {@code blocks.N.attn.proj.*}, {@code blocks.N.norm2.*},
 * {@code blocks.N.mlp.fc1.*}, {@code blocks.N.mlp.fc2.*}, {@code norm.*}) plus {@code proj.weight}
 * (out, D) for the projection; a DINO checkpoint loads as it is, HF and OpenAI CLIP checkpoints
 * through {@link VitCheckpoint}, which also detects the variant and builds the config.
 *
 * <p>Inputs must have exactly the configured resolution: interpolating the positional embedding
 * for other sizes is not supported.
 */
public final class VisionTransformer extends Module {
    private final VitConfig config;
    public final PatchEmbed patchEmbed;
    public final Tensor clsToken, posEmbed;
    /** null unless {@link VitConfig#preNorm()}. */
    public final LayerNorm normPre;
    public final Sequential blocks;
    /** null unless {@link VitConfig#finalNorm()}. */
    public final LayerNorm norm;
    /** null unless {@link VitConfig#projectionDim()} > 0. */
    public final Linear proj;

    /**
     * A randomly initialised model: [CLS] and positional embedding from a truncated normal
     * (std 0.02, within +-2, as timm and DINO), LayerNorms 1 / 0, linear and conv layers with
     * PyTorch's default initialisation. Pretrained weights come in through {@link VitCheckpoint}
     * or {@link #loadStateDict}.
     */
    public VisionTransformer(VitConfig config, Rng rng) {
        this.config = Objects.requireNonNull(config, "config");
        int d = config.width();
        this.patchEmbed = registerModule("patch_embed", new PatchEmbed(3, d, config.patchSize(), config.patchBias(), rng));
        this.clsToken = registerParameter("cls_token", Init.truncatedNormal(rng, 0, 0.02f, -2, 2, 1, 1, d));
        this.posEmbed = registerParameter("pos_embed", Init.truncatedNormal(rng, 0, 0.02f, -2, 2, 1, config.numTokens(), d));
        this.normPre = config.preNorm() ? registerModule("norm_pre", new LayerNorm(d, config.layerNormEps())) : null;
        Module[] list = new Module[config.depth()];
        for (int i = 0; i < list.length; i++) list[i] = new VitBlock(config, rng);
        this.blocks = registerModule("blocks", new Sequential(list));
        this.norm = config.finalNorm() ? registerModule("norm", new LayerNorm(d, config.layerNormEps())) : null;
        this.proj = config.projectionDim() > 0 ? registerModule("proj", new Linear(d, config.projectionDim(), false, rng)) : null;
    }

    public VitConfig config() {
        return config;
    }

    /** The input normalisation the weights expect (apply it to [0, 1] RGB images before {@link #forward}). */
    public Preprocessing preprocessing() {
        return config.preprocessing();
    }

    /**
     * The image feature: normalised images (B, 3, S, S) with S the configured resolution ->
     * (B, {@link VitConfig#outputDim()}): the [CLS] token after the last block, the final norm
     * and the projection (those present).
     */
    @Override
    public Tensor forward(Tensor images) {
        Tensor cls = encode(images).select(1, 0);
        if (norm != null) cls = norm.forward(cls);
        return proj == null ? cls : proj.forward(cls);
    }

    /**
     * Every token after the last block and the final norm (if any), before the projection:
     * (B, 1 + N, D), [CLS] first, then the patches in row-major order. Its [CLS] row is
     * {@link #forward}'s output without the projection. (HF's last_hidden_state is the same
     * without the final norm: {@link #encode}.)
     */
    public Tensor forwardTokens(Tensor images) {
        Tensor x = encode(images);
        return norm == null ? x : norm.forward(x);
    }

    /** The tokens after the last block, before any final norm: (B, 1 + N, D). */
    public Tensor encode(Tensor images) {
        checkInput(images);
        int b = images.size(0), d = config.width();
        Tensor patches = patchEmbed.forward(images);                                    // (B, N, D)
        Tensor x = Functional.concat(1, clsToken.expand(b, 1, d), patches).add(posEmbed); // (B, 1 + N, D)
        if (normPre != null) x = normPre.forward(x);
        return blocks.forward(x);
    }

    private void checkInput(Tensor images) {
        int[] s = images.shape();
        if (s.length != 4 || s[1] != 3) {
            throw new IllegalArgumentException("ViT: expected images (B, 3, H, W), got " + Arrays.toString(s));
        }
        int size = config.imageSize();
        if (s[2] != size || s[3] != size) {
            throw new IllegalArgumentException("ViT: this model takes " + size + "x" + size + " images (its positional"
                    + " embedding has " + config.numTokens() + " = " + config.gridSize() + "x" + config.gridSize()
                    + " + 1 positions for patch size " + config.patchSize() + "), got " + s[2] + "x" + s[3]
                    + "; resize or crop the images to " + size + "x" + size
                    + " (interpolating the positional embedding to other resolutions is not supported)");
        }
    }

    @Override
    public VisionTransformer train(boolean on) {
        super.train(on);
        return this;
    }

    @Override
    public VisionTransformer eval() {
        super.eval();
        return this;
    }

    @Override
    public VisionTransformer requiresGrad(boolean on) {
        super.requiresGrad(on);
        return this;
    }

    @Override
    public String toString() {
        return "VisionTransformer(" + config + ", " + parameterCount() + " parameters)";
    }
}
