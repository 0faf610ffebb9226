package org.iboot4j.nn.models.vit;

import java.util.Collection;
import java.util.List;

/**
 * The ViT-B/16 checkpoints this package loads, told apart by their key names. Each carries the
 * keys that identify it, its key mapper, its architecture preset and its preprocessing.
 */
public enum VitVariant {
    /** transformers' CLIPVisionModel(WithProjection) / CLIPModel: {@code vision_model.*}, {@code visual_projection.weight}. */
    HF_CLIP("HF transformers CLIP",
            List.of("vision_model.embeddings.patch_embedding.weight", "vision_model.embeddings.class_embedding"),
            new VitKeyMapper.HfClip(), VitConfig.clipB16()),
    /** OpenAI's clip/model.py and open_clip: {@code visual.*} with {@code visual.proj} as (D, out). */
    OPENAI_CLIP("OpenAI / open_clip CLIP",
            List.of("visual.conv1.weight", "visual.class_embedding"),
            new VitKeyMapper.OpenAiClip(), VitConfig.clipB16()),
    /** facebookresearch/dino (timm naming): {@code patch_embed.*}, {@code cls_token}, {@code pos_embed}, {@code blocks.*}, {@code norm.*}. */
    DINO("DINO / timm ViT",
            List.of("patch_embed.proj.weight", "cls_token", "pos_embed"),
            new VitKeyMapper.Timm(), VitConfig.dinoB16());

    private final String description;
    private final List<String> markers;
    private final VitKeyMapper mapper;
    private final VitConfig preset;

    VitVariant(String description, List<String> markers, VitKeyMapper mapper, VitConfig preset) {
        this.description = description;
        this.markers = markers;
        this.mapper = mapper;
        this.preset = preset;
    }

    public String description() {
        return description;
    }

    /** The keys (after prefix stripping) whose presence identifies this variant. */
    public List<String> markers() {
        return markers;
    }

    public VitKeyMapper mapper() {
        return mapper;
    }

    /** The ViT-B/16 architecture of this variant's released weights. */
    public VitConfig preset() {
        return preset;
    }

    /** The input normalisation this variant's weights expect. */
    public Preprocessing preprocessing() {
        return preset.preprocessing();
    }

    public boolean isClip() {
        return this != DINO;
    }

    /** Whether every marker key is among {@code keys}. */
    public boolean matches(Collection<String> keys) {
        return keys.containsAll(markers);
    }

    @Override
    public String toString() {
        return name() + " (" + description + ")";
    }
}
