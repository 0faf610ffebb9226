package org.iboot4j.nn.models.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.resnet.Fixtures.Golden;
import org.iboot4j.nn.models.resnet.SlowResNetCheckpoint.Naming;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Full-size Slow ResNets without weights (sizes, names, shapes) and the checkpoint mapper. */
class SlowResNetTest {
    private static SlowResNet r50;
    private static Golden fixture;

    @BeforeAll
    static void build() {
        r50 = SlowResNet.slowR50(400, new Rng(0));
        fixture = Fixtures.read("slow_r50_pytorchvideo.safetensors");
    }

    @Test
    void parameterCountsAreExact() {
        assertEquals(32_454_096L, r50.parameterCount());
        assertEquals(fixture.count("params.slow_r50_400"), r50.parameterCount(), "torch's count");
        SlowResNet headless = SlowResNet.slowR50(0, new Rng(0));
        assertNull(headless.head());
        assertEquals(31_634_496L, headless.parameterCount());
        assertEquals(fixture.count("params.slow_r50_backbone"), headless.parameterCount(), "torch's count");
        assertEquals(2048 * 400 + 400, r50.head().parameterCount());
        SlowResNet r101 = SlowResNet.slowR101(400, new Rng(0));
        assertEquals(60_359_120L, r101.parameterCount());
        assertEquals(fixture.count("params.slow_r101_400"), r101.parameterCount(), "torch's count");
        assertEquals(23, r101.stage(2).depth());
    }

    @Test
    void stateDictIsPytorchvideosKeyForKeyAndShapeForShape() {
        // the full-size torch model's state dict (names, order, shapes) from the fixture's metadata
        assertEquals(fixture.layout("layout.slow_r50_400"), Fixtures.layout(r50));
        Map<String, Tensor> sd = r50.stateDict();
        assertArrayEquals(new int[] {64, 3, 1, 7, 7}, sd.get("blocks.0.conv.weight").shape());
        assertArrayEquals(new int[] {256, 512, 3, 1, 1}, sd.get("blocks.3.res_blocks.0.branch2.conv_a.weight").shape());
        assertArrayEquals(new int[] {128, 256, 1, 1, 1}, sd.get("blocks.2.res_blocks.0.branch2.conv_a.weight").shape());
        assertArrayEquals(new int[] {2048, 1024, 1, 1, 1}, sd.get("blocks.4.res_blocks.0.branch1_conv.weight").shape());
        assertArrayEquals(new int[] {400, 2048}, sd.get("blocks.5.proj.weight").shape());
        assertFalse(sd.containsKey("blocks.1.res_blocks.1.branch1_conv.weight"), "identity shortcut");
        assertEquals(320, sd.size());
    }

    @Test
    void pySlowFastNamesOfTheFullModelMapOntoPytorchvideos() {
        List<String> sf = new ArrayList<>(fixture.layout("layout.slow_r50_400_pyslowfast").keySet());
        List<String> mapped = sf.stream().map(SlowResNetCheckpoint::fromPySlowFast).toList();
        assertEquals(new ArrayList<>(r50.stateDict().keySet()), mapped);
        assertEquals(Naming.PYSLOWFAST, SlowResNetCheckpoint.detect(sf));
        assertEquals("blocks.0.norm.running_var", SlowResNetCheckpoint.fromPySlowFast("s1.pathway0_stem.bn.running_var"));
        assertEquals("blocks.3.res_blocks.5.branch2.norm_b.weight",
                SlowResNetCheckpoint.fromPySlowFast("s4.pathway0_res5.branch2.b_bn.weight"));
        assertEquals("blocks.2.res_blocks.0.branch1_conv.weight",
                SlowResNetCheckpoint.fromPySlowFast("s3.pathway0_res0.branch1.weight"));
        assertEquals("blocks.5.proj.bias", SlowResNetCheckpoint.fromPySlowFast("head.projection.bias"));
        assertNull(SlowResNetCheckpoint.fromPySlowFast("s4.pathway0_nonlocal3.conv_theta.weight"));
        assertNull(SlowResNetCheckpoint.fromPySlowFast("s2.pathway1_res0.branch2.a.weight"), "SlowFast's fast pathway");
    }

    @Test
    void fullSizeForwardAt8x224x224GivesTheDocumentedShapes() {
        // Slow 8x8's real input; ~55 G multiply-adds, about 15-20 s on two cores
        r50.eval();
        Tensor clip = Tensor.randn(new Rng(1), 0, 1, 1, 3, 8, 224, 224);
        try (var _ = GradMode.disable()) {
            Tensor map = r50.featureMap(clip);
            assertArrayEquals(new int[] {1, 2048, 8, 7, 7}, map.shape());
            assertArrayEquals(new int[] {1, 2048}, SlowResNet.pool(map).shape());
            assertArrayEquals(new int[] {1, 400}, r50.head().forward(map).shape());
        }
    }

    @Test
    void otherInputSizesWorkThanksToGlobalPooling() {
        r50.eval();
        Tensor clip = Tensor.randn(new Rng(1), 0, 1, 1, 3, 4, 64, 96);
        try (var _ = GradMode.disable()) {
            assertArrayEquals(new int[] {1, 2048, 4, 2, 3}, r50.featureMap(clip).shape());
            assertArrayEquals(new int[] {1, 2048}, r50.features(clip).shape());
            assertArrayEquals(new int[] {1, 400}, r50.forward(clip).shape());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r50.features(Tensor.zeros(1, 3, 64, 64)));
        assertTrue(e.getMessage().contains("(N, 3, T, H, W)"), e.getMessage());
    }

    @Test
    void ownCheckpointRoundTripsThroughSafetensorsInPytorchvideoNaming(@TempDir Path dir) throws Exception {
        SlowResNet.Config c = new SlowResNet.Config(new int[] {1, 2, 1, 1}, 4, 5, 0.5f);
        SlowResNet a = new SlowResNet(c, new Rng(1)), b = new SlowResNet(c, new Rng(2));
        Path file = dir.resolve("slow.safetensors");
        SafetensorsWriter.write(file, a.stateDict(), Map.of());
        Map<String, Tensor> read = Checkpoints.read(file);
        assertTrue(read.containsKey("blocks.1.res_blocks.0.branch2.conv_a.weight"));
        assertEquals(Naming.PYTORCHVIDEO, SlowResNetCheckpoint.detect(read.keySet()));
        b.loadCheckpoint(read);
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Rng(3), 0, 1, 1, 3, 2, 32, 32);
        try (var _ = GradMode.disable()) {
            assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        }
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void mapperDetectsNamingAndReportsProblemsClearly() {
        Tensor w = Tensor.zeros(1);
        assertEquals(Naming.PYTORCHVIDEO, SlowResNetCheckpoint.detect(List.of("backbone.blocks.0.conv.weight")));
        assertEquals(Naming.PYSLOWFAST, SlowResNetCheckpoint.detect(List.of("module.s1.pathway0_stem.conv.weight")));

        IllegalArgumentException neither = assertThrows(IllegalArgumentException.class,
                () -> SlowResNetCheckpoint.detect(List.of("conv1.weight", "layer1.0.conv1.weight")));
        assertTrue(neither.getMessage().contains("cannot tell") && neither.getMessage().contains("conv1.weight"),
                neither.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> SlowResNetCheckpoint.detect(List.of("blocks.0.conv.weight", "s1.pathway0_stem.conv.weight")));
        assertTrue(both.getMessage().contains("mix"), both.getMessage());

        Map<String, Tensor> ckpt = new LinkedHashMap<>();
        ckpt.put("model.s1.pathway0_stem.conv.weight", w);
        ckpt.put("model.s1.pathway0_stem.bn.running_mean", w);
        ckpt.put("model.s4.pathway0_nonlocal2.conv_g.weight", w);
        ckpt.put("model.projector.0.weight", w);
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> SlowResNetCheckpoint.toPytorchvideo(ckpt));
        assertTrue(unknown.getMessage().contains("2 unknown key(s)")
                && unknown.getMessage().contains("s4.pathway0_nonlocal2.conv_g.weight")
                && unknown.getMessage().contains("projector.0.weight"), unknown.getMessage());

        Map<String, Tensor> lenient = SlowResNetCheckpoint.toPytorchvideo(ckpt, Naming.PYSLOWFAST, true);
        assertEquals(List.of("blocks.0.conv.weight", "blocks.0.norm.running_mean", "blocks.0.norm.num_batches_tracked"),
                List.copyOf(lenient.keySet()), "unknown keys dropped; a missing batch counter added as 0");
        assertArrayEquals(new long[] {0}, lenient.get("blocks.0.norm.num_batches_tracked").toLongArray());

        Map<String, Tensor> clash = new LinkedHashMap<>();
        clash.put("blocks.0.conv.weight", w);
        clash.put("module.blocks.0.conv.weight", w);
        assertThrows(IllegalArgumentException.class, () -> SlowResNetCheckpoint.toPytorchvideo(clash));
    }

    @Test
    void missingBackboneKeysAreListed() {
        SlowResNet.Config c = new SlowResNet.Config(new int[] {1, 1, 1, 1}, 2, 3, 0.5f);
        Map<String, Tensor> sd = new LinkedHashMap<>(new SlowResNet(c, new Rng(1)).stateDict());
        sd.remove("blocks.2.res_blocks.0.branch2.conv_b.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SlowResNet(c, new Rng(2)).loadBackbone(sd));
        assertTrue(e.getMessage().contains("missing keys (1): [blocks.2.res_blocks.0.branch2.conv_b.weight]"), e.getMessage());
    }

    @Test
    void freezingAndTrainingFlowThroughTheModules() {
        SlowResNet.Config c = new SlowResNet.Config(new int[] {1, 1, 1, 1}, 2, 3, 0.5f);
        SlowResNet m = new SlowResNet(c, new Rng(1));
        m.eval();
        assertFalse(m.head().isTraining());
        m.train(true);
        Tensor x = Tensor.randn(new Rng(2), 0, 1, 2, 3, 2, 32, 32);
        m.forward(x).sum().backward();
        assertTrue(m.stem().conv.weight.grad() != null, "the stem gets a gradient");
        m.zeroGrad();
        m.requiresGrad(false);
        assertTrue(m.namedParameters().values().stream().noneMatch(Tensor::requiresGrad));
    }
}
