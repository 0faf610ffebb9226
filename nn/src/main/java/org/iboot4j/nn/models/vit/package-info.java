/**
 * The Vision Transformer image encoder (ViT-B/16 as CLIP and as DINO) and its checkpoint loader.
 *
 * <ul>
 *   <li>{@link org.iboot4j.nn.models.vit.VisionTransformer}: the model, configured by a
 *       {@link org.iboot4j.nn.models.vit.VitConfig} (presets {@code clipB16()}, {@code dinoB16()});
 *       {@code forward(images (B, 3, 224, 224)) -> (B, 512)} for CLIP, {@code (B, 768)} for DINO;
 *       {@code forwardTokens} for every token.</li>
 *   <li>{@link org.iboot4j.nn.models.vit.VitCheckpoint}: loads a safetensors checkpoint in HF CLIP,
 *       OpenAI/open_clip CLIP or DINO/timm naming, detecting which
 *       ({@link org.iboot4j.nn.models.vit.VitVariant}) from the keys and mapping them
 *       ({@link org.iboot4j.nn.models.vit.VitKeyMapper}).</li>
 *   <li>{@link org.iboot4j.nn.models.vit.Preprocessing}: the input normalisation of each variant.</li>
 * </ul>
 *
 * <pre>{@code
 * VisionTransformer target = VitCheckpoint.load(Path.of("clip_vit_b16.safetensors")).requiresGrad(false);
 * Tensor features = target.forward(target.preprocessing().normalize(frames));   // frames in [0, 1]
 * }</pre>
 */
package org.iboot4j.nn.models.vit;
