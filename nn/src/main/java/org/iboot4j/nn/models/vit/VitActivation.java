package org.iboot4j.nn.models.vit;

import org.iboot4j.nn.layers.Activation;

/** The MLP activation of a ViT block: exact GELU (timm, DINO) or QuickGELU (OpenAI CLIP). */
public enum VitActivation {
    /** x * Phi(x), torch.nn.GELU() with approximate='none'. */
    GELU,
    /** x * sigmoid(1.702 x), the activation OpenAI's CLIP (and HF's "quick_gelu") was trained with. */
    QUICK_GELU;

    /** A fresh activation layer. */
    public Activation layer() {
        return this == GELU ? Activation.gelu() : Activation.quickGelu();
    }
}
