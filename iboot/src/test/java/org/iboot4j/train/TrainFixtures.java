package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.models.Encoder;
import org.iboot4j.nn.models.resnet.ResNet2d;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.nn.models.vit.VisionTransformer;
import org.iboot4j.nn.models.vit.VitConfig;

/**
 * Small models, configurations and batches for the trainer tests: a Slow ResNet of width 4 and
 * depths (1, 1, 1, 1) on 4 x 32 x 32 clips, a 1-block ViT and a width-2 2D ResNet as teachers.
 */
final class TrainFixtures {
    private TrainFixtures() {}

    static final int N = 2, T = 4, S = 32;

    static Path golden(String name) {
        return Path.of(System.getProperty("iboot.testData", "../test-data"), "golden", name + ".safetensors");
    }

    /** The YAML of a tiny iBoot run; {@code extra} lines are appended to the given sections. */
    static String yaml(String method, String teachers, String iboot, String ssl, String solver, String train, String model) {
        return "METHOD: " + method + "\n"
                + "DATA:\n  NUM_FRAMES: " + T + "\n  TRAIN_JITTER_SCALES: [32, 40]\n  TRAIN_CROP_SIZE: 32\n"
                + "MODEL:\n  ARCH: slow_custom\n  DEPTHS: [1, 1, 1, 1]\n  WIDTH: 4\n" + model
                + "IBOOT:\n" + (teachers.isEmpty() ? "" : "  TEACHERS:\n" + teachers) + iboot
                + "SSL:\n  MLP_DIM: 32\n  DIM: 16\n" + ssl
                + "SOLVER:\n  BASE_LR: 2.4\n  WARMUP_EPOCHS: 1\n  MAX_EPOCH: 10\n" + solver
                + "TRAIN:\n  BATCH_SIZE: " + N + "\n  CHECKPOINT_PERIOD: 100\n  LOG_PERIOD: 1\n" + train;
    }

    static final String VIT_TEACHER = "    - {NAME: vit, KIND: vit, CHECKPOINT: unused.safetensors, VIT_HEADS: 2}\n";
    static final String RESNET_TEACHER = "    - {NAME: cnn, KIND: resnet, CHECKPOINT: unused.safetensors}\n";

    static PretrainConfig config(String yaml) {
        return PretrainConfig.parse(yaml, "test.yaml");
    }

    /** A tiny DINO-style ViT teacher (image 32, patch 8, width 16, 1 block, 2 heads), random. */
    static Teacher vitTeacher(String name, long seed) {
        VitConfig c = VitConfig.dinoB16().toBuilder().imageSize(S).patchSize(8).width(16).depth(1).heads(2).mlpDim(32).build();
        VisionTransformer vit = new VisionTransformer(c, new Rng(seed));
        Encoder e = new Encoder(Encoder.Kind.VIT, vit, c.outputDim(), vit::forward);
        return new Teacher(name, e, vit.preprocessing());
    }

    /** A tiny torchvision-style ResNet teacher (depths 1, width 2: 64 features), random. */
    static Teacher resnetTeacher(String name, long seed) {
        ResNet2d r = new ResNet2d(new ResNet2d.Config(new int[] {1, 1, 1, 1}, 2, 1, 0), new Rng(seed));
        Encoder e = new Encoder(Encoder.Kind.RESNET, r, r.featureDim(), r::features);
        return new Teacher(name, e, Preprocessing.IMAGENET);
    }

    /** Random clips (n, 3, T, S, S), as normalised data would be (about N(0, 1)). */
    static List<Tensor> clips(int count, int n, long seed) {
        Rng rng = new Rng(seed);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(Tensor.randn(rng, 0, 1, n, 3, T, S, S));
        return out;
    }

    static FixedBatch fixed(PretrainConfig cfg, long seed) {
        return new FixedBatch(clips(cfg.clipsPerVideo(), cfg.train().batchSize(), seed),
                new Preprocessing(cfg.data().mean(), cfg.data().std()), cfg.train().accumulationSteps());
    }

    /** A console that records what the trainer prints. */
    static final class Console {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    static Pretrainer trainer(PretrainConfig cfg, IBootModel model, ClipBatches data, Path out) {
        return new Pretrainer(cfg, model, data, out, new Console().stream, false);
    }

    /** max |a - b| / max |b| (0 when both are 0). */
    static double relativeError(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "length");
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return scale == 0 ? worst : worst / scale;
    }

    /** Every entry bit-identical (floats by their bits, longs by value). */
    static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": keys");
        expected.forEach((k, e) -> {
            Tensor a = actual.get(k);
            assertArrayEquals(e.shape(), a.shape(), what + ": shape of " + k);
            if (e.dtype() == org.iboot4j.engine.DType.F32) {
                float[] x = e.toFloatArray(), y = a.toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                        throw new AssertionError(what + ": " + k + "[" + i + "] differs: " + x[i] + " vs " + y[i]);
                    }
                }
            } else {
                assertArrayEquals(e.toLongArray(), a.toLongArray(), what + ": " + k);
            }
        });
        assertTrue(!expected.isEmpty(), what + ": nothing compared");
    }

    /** Copies of the tensors (values now, not the live parameters). */
    static Map<String, Tensor> snapshot(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.dtype() == org.iboot4j.engine.DType.F32
                ? Tensor.of(v.toFloatArray(), v.shape()) : Tensor.ofLongs(v.toLongArray(), v.shape())));
        return out;
    }
}
