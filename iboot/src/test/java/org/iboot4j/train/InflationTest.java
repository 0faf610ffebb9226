package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.resnet.ResNet2d;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Initialising the Slow ResNet from an inflated 2D ResNet (Table 9). */
class InflationTest {
    @TempDir
    Path dir;

    private static final int[] DEPTHS = {1, 1, 1, 1};

    /** A reduced torchvision ResNet with random weights and random batch-norm statistics. */
    private static ResNet2d resnet2d() {
        ResNet2d r = new ResNet2d(new ResNet2d.Config(DEPTHS, 4, 1, 0), new Rng(21));
        Rng rng = new Rng(22);
        try (var _ = GradMode.disable()) {
            r.stateDict().forEach((k, v) -> {
                if (k.endsWith("running_var")) v.copyFrom(Tensor.rand(rng, 0.5f, 1.5f, v.shape()));
                else if (k.endsWith("running_mean") || (k.contains("bn") || k.contains("downsample.1")) && k.endsWith("bias")) {
                    v.copyFrom(Tensor.randn(rng, 0, 0.2f, v.shape()));
                } else if ((k.contains("bn") || k.contains("downsample.1")) && k.endsWith("weight")) {
                    v.copyFrom(Tensor.rand(rng, 0.6f, 1.4f, v.shape()));
                }
            });
        }
        r.eval();
        return r;
    }

    private static ResNet2d eval2d(ResNet2d r) {
        r.eval();
        return r;
    }

    /** Per-frame feature maps of a clip whose frames are all {@code image}: (T, C) after spatial pooling. */
    private static float[][] slowFrames(SlowResNet slow, Tensor image, int t) {
        Tensor clip = image.unsqueeze(2).expand(1, 3, t, 32, 32).contiguous();
        Tensor map;
        try (var _ = GradMode.disable()) {
            map = slow.featureMap(clip).mean(new int[] {3, 4}, false);   // (1, C, T)
        }
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) out[i] = map.select(2, i).contiguous().toFloatArray();
        return out;
    }

    @Test
    void centreInflationIsTheImageModelFrameByFrame() {
        ResNet2d r = eval2d(resnet2d());
        SlowResNet slow = new SlowResNet(new SlowResNet.Config(DEPTHS, 4, 0, 0.5f), new Rng(0));
        slow.loadStateDict(Inflation.inflate(r.stateDict(), slow, PretrainConfig.InflateMode.CENTER));
        slow.eval();
        Tensor image = Tensor.randn(new Rng(5), 0, 1, 1, 3, 32, 32);
        float[] expected;
        try (var _ = GradMode.disable()) {
            expected = r.features(image).toFloatArray();
        }
        float[][] frames = slowFrames(slow, image, 6);
        for (float[] f : frames) assertTrue(TrainFixtures.relativeError(f, expected) < 1e-5);
    }

    @Test
    void averageInflationRepeatsTheKernelOverTime() {
        ResNet2d r = eval2d(resnet2d());
        SlowResNet slow = new SlowResNet(new SlowResNet.Config(DEPTHS, 4, 0, 0.5f), new Rng(0));
        Map<String, Tensor> inflated = Inflation.inflate(r.stateDict(), slow, PretrainConfig.InflateMode.AVERAGE);
        slow.loadStateDict(inflated);
        slow.eval();
        // res4's conv_a: kT = 3, each tap w / 3
        Tensor w2 = r.stateDict().get("layer3.0.conv1.weight");
        Tensor w3 = inflated.get("blocks.3.res_blocks.0.branch2.conv_a.weight");
        assertArrayEquals(new int[] {w2.size(0), w2.size(1), 3, 1, 1}, w3.shape());
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(w2.div(3).toFloatArray(), w3.select(2, t).contiguous().toFloatArray());
        }
        // the stem (kT = 1) is the 2D kernel itself
        assertArrayEquals(r.stateDict().get("conv1.weight").toFloatArray(), inflated.get("blocks.0.conv.weight").toFloatArray());
        // a static clip gives the 2D response away from the zero-padded first and last frames
        Tensor image = Tensor.randn(new Rng(6), 0, 1, 1, 3, 32, 32);
        float[] expected;
        try (var _ = GradMode.disable()) {
            expected = r.features(image).toFloatArray();
        }
        float[][] frames = slowFrames(slow, image, 6);
        assertTrue(TrainFixtures.relativeError(frames[2], expected) < 1e-5);
        assertTrue(TrainFixtures.relativeError(frames[3], expected) < 1e-5);
        assertTrue(TrainFixtures.relativeError(frames[0], expected) > 1e-3, "border frames see the temporal zero padding");
    }

    @Test
    void theConfigurationInflatesACheckpointIntoTheOnlineNetwork() throws Exception {
        ResNet2d r = new ResNet2d(new ResNet2d.Config(DEPTHS, 4, 1, 10), new Rng(8));   // with an fc, ignored
        Map<String, Tensor> ckpt = new LinkedHashMap<>();
        r.stateDict().forEach((k, v) -> ckpt.put("module." + k, v));
        Path file = dir.resolve("r50_2d.safetensors");
        SafetensorsWriter.write(file, ckpt, Map.of());
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("rho_byol", "", "", "  ENABLE: true\n", "", "",
                "  INIT: inflate\n  INIT_CHECKPOINT: " + file + "\n"));
        IBootModel m = IBootModel.create(c, List.of());
        Tensor w = m.online().stateDict().get("blocks.4.res_blocks.0.branch2.conv_a.weight");
        assertArrayEquals(r.stateDict().get("layer4.0.conv1.weight").div(3).toFloatArray(), w.select(2, 1).contiguous().toFloatArray());
        // the EMA target starts from the inflated weights too
        assertArrayEquals(w.toFloatArray(), m.byol().target.stateDict().get("blocks.4.res_blocks.0.branch2.conv_a.weight").toFloatArray());
        assertEquals("blocks.2.res_blocks.0.branch1_norm.running_var", Inflation.slowName("layer2.0.downsample.1.running_var"));
    }
}
