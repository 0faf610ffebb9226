package org.iboot4j.nn.layers;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/**
 * Multi-head self-attention over tokens (B, N, D), with the fused projection of timm's ViT:
 * qkv = Linear(D, 3D) (rows ordered q, k, v, each head-major), attention softmax(q k^T / sqrt(d))
 * per head of width d = D / heads, heads concatenated, then proj = Linear(D, D). OpenAI's
 * in_proj_weight and HF's separate q/k/v projections map onto qkv by concatenation.
 */
public final class MultiHeadSelfAttention extends Module {
    public final Linear qkv, proj;
    private final int heads;

    public MultiHeadSelfAttention(int dim, int heads, Rng rng) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("attention: width " + dim + " is not divisible by " + heads + " heads");
        }
        this.heads = heads;
        this.qkv = registerModule("qkv", new Linear(dim, 3 * dim, true, rng));
        this.proj = registerModule("proj", new Linear(dim, dim, true, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        int b = x.size(0), n = x.size(1), d = x.size(2), hd = d / heads;
        Tensor qkvHeads = qkv.forward(x).reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // (3, B, H, N, hd)
        Tensor q = qkvHeads.select(0, 0).mul((float) (1 / Math.sqrt(hd)));
        Tensor k = qkvHeads.select(0, 1), v = qkvHeads.select(0, 2);
        Tensor attention = q.matmul(k.transpose(-2, -1)).softmax(-1);                      // (B, H, N, N)
        Tensor mixed = attention.matmul(v).transpose(1, 2).reshape(b, n, d);
        return proj.forward(mixed);
    }
}
