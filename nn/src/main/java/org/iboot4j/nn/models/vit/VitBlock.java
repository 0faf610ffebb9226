package org.iboot4j.nn.models.vit;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.layers.LayerNorm;
import org.iboot4j.nn.layers.Mlp;
import org.iboot4j.nn.layers.MultiHeadSelfAttention;

/**
 * A pre-norm transformer block, the same in CLIP and DINO:
 * {@code x = x + attn(norm1(x)); x = x + mlp(norm2(x))} (timm names: norm1, attn.qkv,
 * attn.proj, norm2, mlp.fc1, mlp.fc2).
 */
public final class VitBlock extends Module {
    public final LayerNorm norm1, norm2;
    public final MultiHeadSelfAttention attn;
    public final Mlp mlp;

    public VitBlock(VitConfig config, Rng rng) {
        this.norm1 = registerModule("norm1", new LayerNorm(config.width(), config.layerNormEps()));
        this.attn = registerModule("attn", new MultiHeadSelfAttention(config.width(), config.heads(), rng));
        this.norm2 = registerModule("norm2", new LayerNorm(config.width(), config.layerNormEps()));
        this.mlp = registerModule("mlp", new Mlp(config.width(), config.mlpDim(), config.activation().layer(), rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = x.add(attn.forward(norm1.forward(x)));
        return x.add(mlp.forward(norm2.forward(x)));
    }
}
