package org.iboot4j.nn.models.vit;

import java.util.Arrays;
import org.iboot4j.engine.Tensor;

/**
 * The per-channel input normalisation a pretrained image model expects: RGB values in [0, 1]
 * become {@code (x - mean[c]) / std[c]}. Each {@link VitVariant} carries the one its weights were
 * trained with; resizing and cropping to the model's resolution happen before this.
 *
 * @param mean per-channel means (R, G, B)
 * @param std per-channel standard deviations (R, G, B)
 */
public record Preprocessing(float[] mean, float[] std) {

    /** OpenAI CLIP's statistics (also used by HF CLIP and open_clip's OpenAI weights). */
    public static final Preprocessing CLIP = new Preprocessing(
            new float[] {0.48145466f, 0.4578275f, 0.40821073f},
            new float[] {0.26862954f, 0.26130258f, 0.27577711f});

    /** ImageNet statistics, used by DINO and timm's ImageNet-trained ViTs. */
    public static final Preprocessing IMAGENET = new Preprocessing(
            new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f});

    public Preprocessing {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("preprocessing: need one mean and one std per channel, got "
                    + mean.length + " means and " + std.length + " stds");
        }
        for (float s : std) {
            if (!(s > 0)) throw new IllegalArgumentException("preprocessing: std must be positive, got " + Arrays.toString(std));
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** The number of channels. */
    public int channels() {
        return mean.length;
    }

    /**
     * Normalises images (B, C, H, W) with values in [0, 1]: {@code (x - mean) / std} per
     * channel. Differentiable; the input is not modified.
     */
    public Tensor normalize(Tensor images) {
        if (images.dim() != 4 || images.size(1) != channels()) {
            throw new IllegalArgumentException("preprocessing: expected images (B, " + channels()
                    + ", H, W), got " + Arrays.toString(images.shape()));
        }
        Tensor m = Tensor.of(mean, 1, channels(), 1, 1);
        Tensor s = Tensor.of(std, 1, channels(), 1, 1);
        return images.sub(m).div(s);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessing[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
