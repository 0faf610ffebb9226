package org.iboot4j.nn.models.vit;

import static org.iboot4j.nn.models.vit.VitFixture.HEADS;
import static org.iboot4j.nn.models.vit.VitFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.models.vit.VitCheckpoint.Options;
import org.junit.jupiter.api.Test;

/** ViT-B/16 at full size (no weights), and the loader's errors. */
class VitModelTest {
    /** DINO ViT-B/16 without a head: patch conv with bias, cls, pos, 12 blocks, final norm. */
    private static final long DINO_B16_PARAMS = 85_798_656L;
    /** CLIP ViT-B/16 image tower: patch conv without bias, ln_pre, 12 blocks, ln_post, 768 -> 512 projection. */
    private static final long CLIP_B16_PARAMS = 86_192_640L;

    /** Full-size models (randomly initialised, ~2 s each to build on a small machine), built once on first use. */
    private static final class Full {
        static final VisionTransformer CLIP = new VisionTransformer(VitConfig.clipB16(), new Rng(1)).eval();
        static final VisionTransformer DINO = new VisionTransformer(VitConfig.dinoB16(), new Rng(2)).eval();
    }

    private static VitConfig small(VitConfig preset) {
        return preset.toBuilder().imageSize(32).patchSize(8).width(48).depth(2).heads(HEADS).mlpDim(192)
                .projectionDim(preset.projectionDim() > 0 ? 24 : 0).build();
    }

    @Test
    void fullSizeParameterCountsMatchTorch() {
        long clip = Full.CLIP.parameterCount();
        long dino = Full.DINO.parameterCount();
        assertEquals(CLIP_B16_PARAMS, clip);
        assertEquals(DINO_B16_PARAMS, dino);
        // the same counts, as torch counted its real-size modules when writing the fixtures
        assertEquals(clip, VitFixture.read("vit_hf_clip.safetensors").get("full_param_count").toLongArray()[0]);
        assertEquals(clip, VitFixture.read("vit_openai_clip.safetensors").get("full_param_count").toLongArray()[0]);
        assertEquals(dino, VitFixture.read("vit_dino.safetensors").get("full_param_count").toLongArray()[0]);
        for (VitVariant v : VitVariant.values()) {
            assertEquals(v.isClip() ? VitConfig.clipB16() : VitConfig.dinoB16(), v.preset(), v.toString());
        }
    }

    @Test
    void fullSizeOutputShapes() {
        Tensor images = Tensor.randn(new Rng(4), 0, 1, 1, 3, 224, 224);
        try (var _ = GradMode.disable()) {
            Tensor c = Full.CLIP.forward(images);
            assertArrayEquals(new int[] {1, 512}, c.shape());
            VisionTransformer dino = Full.DINO;
            Tensor tokens = dino.forwardTokens(images);
            assertArrayEquals(new int[] {1, 197, 768}, tokens.shape());
            assertClose("DINO [CLS] feature", tokens.select(1, 0), dino.forward(images), 1e-6);
            for (float v : c.toFloatArray()) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void fullSizeStateDictNames() {
        Map<String, Tensor> state = Full.CLIP.stateDict();
        assertArrayEquals(new int[] {1, 1, 768}, state.get("cls_token").shape());
        assertArrayEquals(new int[] {1, 197, 768}, state.get("pos_embed").shape());
        assertArrayEquals(new int[] {768, 3, 16, 16}, state.get("patch_embed.proj.weight").shape());
        assertArrayEquals(new int[] {2304, 768}, state.get("blocks.11.attn.qkv.weight").shape());
        assertArrayEquals(new int[] {3072, 768}, state.get("blocks.11.mlp.fc1.weight").shape());
        assertArrayEquals(new int[] {512, 768}, state.get("proj.weight").shape());
        assertTrue(state.containsKey("norm_pre.weight") && state.containsKey("norm.bias"));
        assertTrue(!state.containsKey("patch_embed.proj.bias") && !state.containsKey("proj.bias"));
        assertEquals(1 + 2 + 2 + 12 * 12 + 2 + 1, state.size()); // patch, cls + pos, norm_pre, blocks, norm, proj
    }

    /** What a full-size checkpoint's shapes say, read back as the presets (heads as width / 64). */
    @Test
    void fullSizeConfigIsInferredFromShapes() {
        assertEquals(VitConfig.dinoB16(), VitCheckpoint.inferConfig(Full.DINO.stateDict(), VitVariant.DINO, Options.DETECT));
        assertEquals(VitConfig.clipB16(), VitCheckpoint.inferConfig(Full.CLIP.stateDict(), VitVariant.HF_CLIP, Options.DETECT));
        assertEquals(VitConfig.clipB16(), VitCheckpoint.inferConfig(Full.CLIP.stateDict(), VitVariant.OPENAI_CLIP, Options.DETECT));
    }

    @Test
    void wrongResolutionNamesTheExpectedOne() {
        VisionTransformer m = new VisionTransformer(small(VitConfig.dinoB16()), new Rng(8));
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(1, 3, 40, 40)));
        assertTrue(e.getMessage().contains("32x32") && e.getMessage().contains("40x40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Full.DINO.forward(Tensor.zeros(1, 3, 256, 224)));
        assertTrue(e.getMessage().contains("224x224") && e.getMessage().contains("256x224")
                && e.getMessage().contains("197"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(1, 1, 32, 32)));
        assertTrue(e.getMessage().contains("(B, 3, H, W)"), e.getMessage());
    }

    @Test
    void unknownCheckpointListsWhatWasLookedFor() {
        Map<String, Tensor> resnet = new LinkedHashMap<>();
        resnet.put("module.conv1.weight", Tensor.zeros(4, 3, 7, 7));
        resnet.put("module.fc.weight", Tensor.zeros(10, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> VitCheckpoint.load(resnet, Options.DETECT));
        String msg = e.getMessage();
        for (VitVariant v : VitVariant.values()) {
            for (String marker : v.markers()) assertTrue(msg.contains(marker), "no " + marker + " in: " + msg);
            assertTrue(msg.contains(v.name()), msg);
        }
        assertTrue(msg.contains("conv1.weight") && msg.contains("fc.weight") && msg.contains("module."), msg);
    }

    @Test
    void ambiguousCheckpointIsAnError() {
        Map<String, Tensor> both = new LinkedHashMap<>(VitFixture.read("vit_dino.safetensors").weights());
        both.putAll(VitFixture.read("vit_openai_clip.safetensors").weights());
        var e = assertThrows(IllegalArgumentException.class, () -> VitCheckpoint.load(both, Options.DETECT.withHeads(HEADS)));
        assertTrue(e.getMessage().contains("ambiguous") && e.getMessage().contains("DINO")
                && e.getMessage().contains("OPENAI_CLIP"), e.getMessage());
        // an explicit variant settles it: the other model's keys are outside visual.* and ignored
        var loaded = VitCheckpoint.loadWithReport(both, Options.DETECT.withHeads(HEADS).withVariant(VitVariant.OPENAI_CLIP));
        assertEquals(VitVariant.OPENAI_CLIP, loaded.variant());
        assertTrue(loaded.ignoredKeys().contains("cls_token"));
    }

    @Test
    void explicitVariantThatDoesNotFitSaysWhatIsMissing() {
        Map<String, Tensor> dino = VitFixture.read("vit_dino.safetensors").weights();
        var e = assertThrows(IllegalArgumentException.class,
                () -> VitCheckpoint.load(dino, Options.DETECT.withHeads(HEADS).withVariant(VitVariant.HF_CLIP)));
        assertTrue(e.getMessage().contains("vision_model.embeddings.patch_embedding.weight"), e.getMessage());
    }

    @Test
    void headsMustBeGivenWhenWidthIsNotAMultipleOf64() {
        Map<String, Tensor> dino = VitFixture.read("vit_dino.safetensors").weights();
        var e = assertThrows(IllegalArgumentException.class, () -> VitCheckpoint.load(dino, Options.DETECT));
        assertTrue(e.getMessage().contains("withHeads") && e.getMessage().contains("48"), e.getMessage());
    }

    @Test
    void strictLoadingListsEveryProblem() {
        Map<String, Tensor> dino = new LinkedHashMap<>(VitFixture.read("vit_dino.safetensors").weights());
        dino.remove("blocks.1.norm2.bias");
        dino.put("blocks.0.attn.q_norm.weight", Tensor.ones(12));
        dino.put("blocks.0.mlp.fc2.bias", Tensor.zeros(47));
        var e = assertThrows(IllegalArgumentException.class, () -> VitCheckpoint.load(dino, Options.DETECT.withHeads(HEADS)));
        String msg = e.getMessage();
        assertTrue(msg.contains("blocks.1.norm2.bias") && msg.contains("blocks.0.attn.q_norm.weight")
                && msg.contains("blocks.0.mlp.fc2.bias") && msg.contains("DINO"), msg);
    }

    @Test
    void incompleteHfAttentionProjectionsAreReported() {
        Map<String, Tensor> hf = new LinkedHashMap<>(VitFixture.read("vit_hf_clip.safetensors").weights());
        hf.remove("vision_model.encoder.layers.1.self_attn.v_proj.weight");
        var e = assertThrows(IllegalArgumentException.class, () -> VitCheckpoint.load(hf, Options.DETECT.withHeads(HEADS)));
        assertTrue(e.getMessage().contains("blocks.1.attn.qkv.weight") && e.getMessage().contains("v part"), e.getMessage());
    }

    @Test
    void prefixesAreStrippedAndCollisionsCaught() {
        assertEquals("visual.conv1.weight", Checkpoints.stripPrefix("module.model.visual.conv1.weight"));
        assertEquals("vision_model.pre_layrnorm.weight", Checkpoints.stripPrefix("vision_model.pre_layrnorm.weight"));
        assertEquals("cls_token", Checkpoints.stripPrefix("_orig_mod.backbone.cls_token"));
        Map<String, Tensor> twice = new LinkedHashMap<>();
        twice.put("cls_token", Tensor.zeros(1, 1, 4));
        twice.put("module.cls_token", Tensor.zeros(1, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> Checkpoints.stripPrefixes(twice));
    }

    @Test
    void activationAndEpsOverrides() {
        Map<String, Tensor> oai = VitFixture.read("vit_openai_clip.safetensors").weights();
        VisionTransformer m = VitCheckpoint.load(oai, Options.DETECT.withHeads(HEADS)
                .withActivation(VitActivation.GELU).withLayerNormEps(1e-6f));
        assertEquals(VitActivation.GELU, m.config().activation());
        assertEquals(1e-6f, m.config().layerNormEps());
        assertEquals(Preprocessing.CLIP, m.preprocessing());
    }

    @Test
    void preprocessingIsCarriedByEachVariant() {
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, VitVariant.HF_CLIP.preprocessing().mean());
        assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, VitVariant.OPENAI_CLIP.preprocessing().std());
        assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, VitVariant.DINO.preprocessing().mean());
        assertArrayEquals(new float[] {0.229f, 0.224f, 0.225f}, VitVariant.DINO.preprocessing().std());
        Tensor images = Tensor.full(0.5f, 1, 3, 2, 2);
        float[] out = Preprocessing.IMAGENET.normalize(images).toFloatArray();
        assertEquals((0.5f - 0.485f) / 0.229f, out[0], 1e-6f);
        assertEquals((0.5f - 0.456f) / 0.224f, out[4], 1e-6f);
        assertEquals((0.5f - 0.406f) / 0.225f, out[11], 1e-6f);
    }

    @Test
    void configValidation() {
        VitConfig dino = VitConfig.dinoB16();
        assertEquals(196, dino.numPatches());
        assertEquals(768, dino.outputDim());
        assertEquals(512, VitConfig.clipB16().outputDim());
        assertThrows(IllegalArgumentException.class, () -> dino.toBuilder().patchSize(15).build());
        assertThrows(IllegalArgumentException.class, () -> dino.toBuilder().heads(7).build());
        assertEquals(2048, dino.toBuilder().width(512).heads(8).mlpRatio(4).build().mlpDim());
        assertEquals(List.of(VitVariant.HF_CLIP, VitVariant.OPENAI_CLIP, VitVariant.DINO), List.of(VitVariant.values()));
    }
}
