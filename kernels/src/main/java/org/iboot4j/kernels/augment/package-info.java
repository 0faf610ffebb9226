/**
 * The fused clip augmentation's host side: the per-clip parameters ({@link
 * org.iboot4j.kernels.augment.AugmentClip}) and the CPU twin of {@code augment.ptx} ({@link
 * org.iboot4j.kernels.augment.CpuAugment}). The launcher is {@code org.iboot4j.kernels.cuda.GpuAugment}.
 */
package org.iboot4j.kernels.augment;
