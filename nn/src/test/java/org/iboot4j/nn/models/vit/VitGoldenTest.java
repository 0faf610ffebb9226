package org.iboot4j.nn.models.vit;

import static org.iboot4j.nn.models.vit.VitFixture.HEADS;
import static org.iboot4j.nn.models.vit.VitFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.vit.VitCheckpoint.Loaded;
import org.iboot4j.nn.models.vit.VitCheckpoint.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ViT against PyTorch 1.13 (test-data/scripts/make_vit_golden.py): each checkpoint naming
 * loaded with its variant detected from the keys, output within 1e-4 and the input's and
 * several weights' gradients within 1e-3 (relative to the largest reference value).
 */
class VitGoldenTest {
    private static final double OUTPUT_TOL = 1e-4, GRAD_TOL = 1e-3;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vit_hf_clip.safetensors, HF_CLIP", "vit_openai_clip.safetensors, OPENAI_CLIP", "vit_dino.safetensors, DINO"})
    void matchesTorchForwardAndBackward(String file, VitVariant expected) {
        VitFixture f = VitFixture.read(file);
        Loaded loaded = VitCheckpoint.loadWithReport(f.weights(), Options.DETECT.withHeads(HEADS));
        assertEquals(expected, loaded.variant());
        VisionTransformer model = loaded.model();
        checkSmallConfig(model.config(), expected);
        if (expected == VitVariant.HF_CLIP) {
            assertEquals(List.of("vision_model.embeddings.position_ids"), loaded.ignoredKeys());
        } else {
            assertTrue(loaded.ignoredKeys().isEmpty(), loaded.ignoredKeys().toString());
        }

        Tensor input = f.get("input").requiresGrad(true);
        Tensor output = model.forward(input);
        assertClose(file + " output", f.get("output"), output, OUTPUT_TOL);

        output.mul(f.get("gout")).sum().backward();
        assertClose(file + " input gradient", f.get("input_grad"), input.grad(), GRAD_TOL);
        // the fixture's gradients carry checkpoint names: the variant's mapper renames (and for
        // HF fuses q/k/v, for OpenAI transposes proj) them exactly as it does the weights
        Map<String, Tensor> expectedGrads = expected.mapper().map(f.paramGrads()).state();
        assertTrue(expectedGrads.size() >= 5, "too few gradients in " + file + ": " + expectedGrads.keySet());
        Map<String, Tensor> params = model.namedParameters();
        expectedGrads.forEach((name, g) -> {
            assertTrue(params.containsKey(name), "no parameter " + name);
            assertClose(file + " gradient of " + name, g, params.get(name).grad(), GRAD_TOL);
        });
    }

    private static void checkSmallConfig(VitConfig c, VitVariant v) {
        assertEquals(32, c.imageSize());
        assertEquals(8, c.patchSize());
        assertEquals(48, c.width());
        assertEquals(2, c.depth());
        assertEquals(HEADS, c.heads());
        assertEquals(192, c.mlpDim());
        assertEquals(v.isClip() ? 24 : 0, c.projectionDim());
        assertEquals(v.isClip() ? 1e-5f : 1e-6f, c.layerNormEps());
        assertEquals(v.isClip() ? VitActivation.QUICK_GELU : VitActivation.GELU, c.activation());
        assertEquals(!v.isClip(), c.patchBias());
        assertEquals(v.isClip(), c.preNorm());
        assertTrue(c.finalNorm());
        assertEquals(v.preprocessing(), c.preprocessing());
    }

    /** Straight from the files: keys outside the image model (here the test's own entries) are skipped unread. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"vit_hf_clip.safetensors, HF_CLIP", "vit_openai_clip.safetensors, OPENAI_CLIP"})
    void loadsClipFromSafetensorsFile(String file, VitVariant expected) throws Exception {
        VitFixture f = VitFixture.read(file);
        Loaded loaded = VitCheckpoint.loadWithReport(VitFixture.golden(file), Options.DETECT.withHeads(HEADS));
        assertEquals(expected, loaded.variant());
        assertTrue(loaded.ignoredKeys().contains("__test__.input"), loaded.ignoredKeys().toString());
        assertClose(file + " output", f.get("output"), loaded.model().forward(f.get("input")), OUTPUT_TOL);
        assertFalse(loaded.model().isTraining());
    }

    /**
     * A DINO training checkpoint's wrapping (DataParallel "module.", DINO's "backbone." and its
     * projection head) written by the engine's own safetensors writer and read back.
     */
    @Test
    void loadsWrappedDinoFromSafetensorsFile(@TempDir Path dir) throws Exception {
        VitFixture f = VitFixture.read("vit_dino.safetensors");
        Map<String, Tensor> wrapped = new LinkedHashMap<>();
        f.weights().forEach((k, v) -> wrapped.put("module.backbone." + k, v));
        wrapped.put("module.head.last_layer.weight_g", Tensor.ones(7, 1));
        Path file = dir.resolve("dino_wrapped.safetensors");
        SafetensorsWriter.write(file, wrapped, Map.of());

        Loaded loaded = VitCheckpoint.loadWithReport(file, Options.DETECT.withHeads(HEADS));
        assertEquals(VitVariant.DINO, loaded.variant());
        assertEquals(List.of("module.head.last_layer.weight_g"), loaded.ignoredKeys());
        assertClose("wrapped DINO output", f.get("output"), loaded.model().forward(f.get("input")), OUTPUT_TOL);
    }

    /** The token sequence's [CLS] row is the feature before the projection. */
    @Test
    void tokensAgreeWithForward() {
        VitFixture f = VitFixture.read("vit_hf_clip.safetensors");
        VisionTransformer m = VitCheckpoint.load(f.weights(), Options.DETECT.withHeads(HEADS));
        Tensor x = f.get("input");
        Tensor tokens = m.forwardTokens(x);
        assertEquals(List.of(2, 17, 48), Arrays.stream(tokens.shape()).boxed().toList());
        assertClose("projected [CLS] token", m.forward(x), m.proj.forward(tokens.select(1, 0)), 1e-6);
        assertEquals(List.of(2, 17, 48), Arrays.stream(m.encode(x).shape()).boxed().toList());
    }

    /** Frozen, as the iBoot target: no parameter gradient, the input's gradient still flows. */
    @Test
    void frozenModelPassesGradientToInputOnly() {
        VitFixture f = VitFixture.read("vit_dino.safetensors");
        VisionTransformer m = VitCheckpoint.load(f.weights(), Options.DETECT.withHeads(HEADS));
        m.requiresGrad(false);
        Tensor input = f.get("input").requiresGrad(true);
        m.forward(input).mul(f.get("gout")).sum().backward();
        assertClose("input gradient through the frozen model", f.get("input_grad"), input.grad(), GRAD_TOL);
        m.namedParameters().forEach((n, p) -> assertNull(p.grad(), n));
    }

    @Test
    void fixturesAreSmall() throws Exception {
        for (String file : new String[] {"vit_hf_clip.safetensors", "vit_openai_clip.safetensors", "vit_dino.safetensors"}) {
            long size = Files.size(VitFixture.golden(file));
            assertTrue(size < 500_000, file + " is " + size + " bytes");
        }
    }
}
