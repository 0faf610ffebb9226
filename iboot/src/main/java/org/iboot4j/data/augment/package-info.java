/**
 * The clip augmentation of iBoot / rho-BYOL pre-training, with torchvision's semantics: short
 * side resized to a random size in [256, 320] (bilinear, no antialias), a random 224 crop,
 * horizontal flip, colour jitter in random order, grayscale, Gaussian blur, normalisation — the
 * same parameters for every frame of a clip.
 *
 * <p>{@link org.iboot4j.data.augment.AugmentConfig} holds the ranges and probabilities;
 * {@link org.iboot4j.data.augment.ClipAugmentation} one clip's drawn parameters (converted to the
 * engine's {@code AugmentClip} for the fused {@code Backend.augmentClips} primitive, which makes
 * training batches on the CPU or the GPU); {@link org.iboot4j.data.augment.ClipAugmenter} applies
 * it to one clip on the CPU (the engine's {@code CpuAugment});
 * {@link org.iboot4j.data.augment.ImageOps} holds the single ops, each matching torchvision's
 * functional op on float tensors and sharing the engine's per-pixel formulas.
 */
package org.iboot4j.data.augment;
