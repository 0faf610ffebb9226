package org.iboot4j.nn.models.resnet;

import static org.iboot4j.nn.models.resnet.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.resnet.Fixtures.Golden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The 2D ResNet (torchvision naming, SimCLR width multiplier): a reduced ResNet-50 (base width
 * 2, width multiplier 2) against PyTorch, and full-size sizes and names without weights.
 */
class ResNet2dTest {
    private static final double OUT_TOL = 1e-4;
    private static Golden golden;
    private static ResNet2d r50, w2;

    @BeforeAll
    static void load() {
        golden = Fixtures.read("resnet2d_r50.safetensors");
        r50 = ResNet2d.resnet50(1, 1000, new Rng(0));
        w2 = ResNet2d.resnet50(2, 0, new Rng(0));
    }

    private static ResNet2d reduced(int numClasses) {
        return new ResNet2d(new ResNet2d.Config(golden.ints("depths"), golden.integer("width"),
                golden.integer("width_multiplier"), numClasses), new Rng(7));
    }

    @Test
    void evalOutputsMatchPyTorch() {
        ResNet2d model = reduced(golden.integer("classes"));
        assertEquals(new TreeSet<>(model.stateDict().keySet()), new TreeSet<>(golden.weights().keySet()));
        model.loadCheckpoint(golden.weights());
        model.eval();
        Tensor x = golden.test("input");
        try (var _ = GradMode.disable()) {
            assertArrayEquals(new int[] {2, model.featureDim(), 1, 1}, model.featureMap(x).shape());
            assertEquals(2 * 2 * 32, model.featureDim());
            assertClose("features", golden.test("features"), model.features(x), OUT_TOL);
            assertClose("logits", golden.test("output"), model.forward(x), OUT_TOL);
        }
    }

    @Test
    void backboneLoadsWithPrefixesIntoAHeadlessTeacher() {
        Map<String, Tensor> wrapped = new LinkedHashMap<>();
        golden.weights().forEach((k, v) -> wrapped.put("module." + k, v));
        ResNet2d teacher = reduced(0);
        teacher.loadBackbone(wrapped);
        teacher.eval().requiresGrad(false);
        try (var _ = GradMode.disable()) {
            assertClose("teacher features", golden.test("features"), teacher.forward(golden.test("input")), OUT_TOL);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reduced(0).loadCheckpoint(wrapped));
        assertTrue(e.getMessage().contains("unexpected keys") && e.getMessage().contains("fc.weight"), e.getMessage());
        Map<String, Tensor> broken = new LinkedHashMap<>(golden.weights());
        broken.remove("layer3.0.downsample.1.running_var");
        broken.put("layer3.0.shortcut.weight", Tensor.zeros(1));
        e = assertThrows(IllegalArgumentException.class, () -> reduced(0).loadBackbone(broken));
        assertTrue(e.getMessage().contains("layer3.0.downsample.1.running_var")
                && e.getMessage().contains("layer3.0.shortcut.weight"), e.getMessage());
    }

    @Test
    void parameterCountsAreExact() {
        assertEquals(25_557_032L, r50.parameterCount());
        assertEquals(golden.count("params.resnet50_1000"), r50.parameterCount(), "torch's count");
        assertEquals(23_508_032L, r50.parameterCount() - r50.fc.parameterCount());
        assertEquals(golden.count("params.resnet50_backbone"), 23_508_032L);
        assertEquals(93_907_072L, w2.parameterCount(), "SimCLR's '94M' ResNet-50 (2x), counted without fc");
        assertEquals(golden.count("params.resnet50w2_1000"), w2.parameterCount() + 4096 * 1000 + 1000, "torch's count");
        assertEquals(23_508_032L, ResNet2d.resnet50(1, 0, new Rng(0)).parameterCount());
        ResNet2d r101 = ResNet2d.resnet101(1, 1000, new Rng(0));
        assertEquals(44_549_160L, r101.parameterCount());
        assertEquals(golden.count("params.resnet101_1000"), r101.parameterCount(), "torch's count");
    }

    @Test
    void stateDictIsTorchvisionsKeyForKeyAndShapeForShape() {
        assertEquals(golden.layout("layout.resnet50_1000"), Fixtures.layout(r50));
        Map<String, Tensor> sd = r50.stateDict();
        assertArrayEquals(new int[] {64, 3, 7, 7}, sd.get("conv1.weight").shape());
        assertArrayEquals(new int[] {256, 64, 1, 1}, sd.get("layer1.0.downsample.0.weight").shape());
        assertArrayEquals(new int[] {1000, 2048}, sd.get("fc.weight").shape());
        assertFalse(sd.containsKey("layer1.1.downsample.0.weight"));
        assertNull(w2.fc);
    }

    @Test
    void widthMultiplierWidensStemAndEveryStage() {
        Map<String, Tensor> sd = w2.stateDict();
        assertArrayEquals(new int[] {128, 3, 7, 7}, sd.get("conv1.weight").shape());
        assertArrayEquals(new int[] {128, 128, 1, 1}, sd.get("layer1.0.conv1.weight").shape());
        assertArrayEquals(new int[] {1024, 1024, 3, 3}, sd.get("layer4.0.conv2.weight").shape());
        assertArrayEquals(new int[] {4096, 1024, 1, 1}, sd.get("layer4.2.conv3.weight").shape());
        assertEquals(4096, w2.featureDim());
        w2.eval();
        try (var _ = GradMode.disable()) {
            Tensor images = Tensor.randn(new Rng(1), 0, 1, 1, 3, 64, 64);
            assertArrayEquals(new int[] {1, 4096}, w2.features(images).shape());
        }
    }

    @Test
    void fullSizeResNet50At224() {
        r50.eval();
        try (var _ = GradMode.disable()) {
            Tensor images = Tensor.randn(new Rng(1), 0, 1, 1, 3, 224, 224);
            Tensor map = r50.featureMap(images);
            assertArrayEquals(new int[] {1, 2048, 7, 7}, map.shape());
            assertArrayEquals(new int[] {1, 1000}, r50.fc.forward(map.mean(new int[] {2, 3}, false)).shape());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r50.features(Tensor.zeros(1, 1, 32, 32)));
        assertTrue(e.getMessage().contains("(B, 3, H, W)"), e.getMessage());
    }
}
