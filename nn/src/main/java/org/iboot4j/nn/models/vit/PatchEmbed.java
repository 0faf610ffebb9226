package org.iboot4j.nn.models.vit;

import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.layers.Conv2d;

/**
 * Cuts images (B, 3, H, W) into non-overlapping P x P patches and embeds each linearly: a conv
 * with kernel = stride = P ({@code proj}, as timm's PatchEmbed), giving tokens (B, (H/P)(W/P), D)
 * in row-major patch order.
 */
public final class PatchEmbed extends Module {
    public final Conv2d proj;

    public PatchEmbed(int channels, int width, int patchSize, boolean bias, Rng rng) {
        int[] p = {patchSize, patchSize};
        this.proj = registerModule("proj", new Conv2d(channels, width, p, p, new int[] {0, 0}, new int[] {1, 1}, 1, bias, rng));
    }

    @Override
    public Tensor forward(Tensor images) {
        return proj.forward(images).flatten(2, 3).transpose(1, 2); // (B, D, g, g) -> (B, g*g, D)
    }
}
