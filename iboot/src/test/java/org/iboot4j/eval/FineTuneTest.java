package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.iboot4j.data.Frames;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.data.loader.ClipSource;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning a tiny Slow ResNet (depths 1,1,1,1, width 4) from a checkpoint on generated clips:
 * class 0 is a reddish, class 1 a bluish noisy video; a few epochs must learn it.
 */
class FineTuneTest {
    static final int T = 4, S = 32;

    /** Noisy clips whose colour depends on the class in the file name ("c<label>_<i>.mp4"). */
    static final class ColourSource implements ClipSource {
        @Override
        public Frames read(Path file, double start, int frames, int stride, int shortSide) {
            String name = file.getFileName().toString();
            int label = name.charAt(1) - '0', id = Integer.parseInt(name.substring(3, name.indexOf('.')));
            Rng rng = new Rng(id * 1000L + (long) (start * 100));
            byte[] rgb = new byte[frames * S * S * 3];
            for (int p = 0; p < frames * S * S; p++) {
                int noise = rng.nextInt(60);
                rgb[p * 3] = (byte) (label == 0 ? 160 + noise : 60 + noise);
                rgb[p * 3 + 1] = (byte) (100 + noise);
                rgb[p * 3 + 2] = (byte) (label == 1 ? 160 + noise : 60 + noise);
            }
            return new Frames(frames, S, S, rgb);
        }

        @Override
        public double duration(Path file) {
            return 2.0;
        }
    }

    static VideoDataset videos(int perClass, int offset) {
        List<VideoSample> s = new ArrayList<>();
        for (int i = 0; i < perClass; i++) {
            for (int c = 0; c < 2; c++) s.add(new VideoSample(Path.of("c" + c + "_" + (offset + i) + ".mp4"), c));
        }
        return new VideoDataset(s, ClassIndex.ordered(List.of("red", "blue")));
    }

    @Test
    void fineTunesFromACheckpointAndScoresTheViews(@TempDir Path dir) throws IOException {
        SlowResNet pre = new SlowResNet(new SlowResNet.Config(new int[] {1, 1, 1, 1}, 4, 0, 0.5f), new Rng(1));
        Path ckpt = dir.resolve("encoder.safetensors");
        SafetensorsWriter.write(ckpt, pre.stateDict(), Map.of());
        SlowResNet model = EvalModels.load(ckpt, 2, 0.5f, 0);
        assertTrue(model.hasHead());
        assertArrayEquals(pre.stateDict().get("blocks.1.res_blocks.0.branch2.conv_b.weight").toFloatArray(),
                model.stateDict().get("blocks.1.res_blocks.0.branch2.conv_b.weight").toFloatArray(), "backbone loaded");

        FineTune.Settings s = new FineTune.Settings(8, 8, 0.05, 1, 0.9, 0, T, 2, 0, FineTune.spatialAugment(S, 40, S,
                TestProtocol.SLOWFAST_MEAN, TestProtocol.SLOWFAST_STD), 2, 0);
        FineTune.Trained t = FineTune.train(model, videos(8, 0), s, new ColourSource(), null);
        assertEquals(8 * 2, t.steps(), "16 videos in batches of 8: 2 steps per epoch");
        assertTrue(t.lastLoss() < t.firstLoss(), "loss " + t.firstLoss() + " -> " + t.lastLoss());
        TestProtocol p = new TestProtocol(T, 2, 3, 1, S, 0, TestProtocol.SLOWFAST_MEAN, TestProtocol.SLOWFAST_STD, 4, 2);
        Accuracy acc = FineTune.evaluate(model, videos(5, 100), p, new ColourSource(), null);
        assertEquals(10, acc.count());
        assertEquals(1.0, acc.top1());
    }

    @Test
    void semiSupervisedSettingsAndChecks() {
        FineTune.Settings paper = FineTune.Settings.paper(), semi = FineTune.Settings.semiSupervised();
        assertEquals(196, paper.epochs());
        assertEquals(128, paper.batch());
        assertEquals(0.0025, paper.lr());
        assertEquals(0.9, paper.momentum());
        assertEquals(0.01, semi.lr());
        assertEquals(100, semi.epochs());
        assertEquals(64, semi.batch());
        SlowResNet noHead = new SlowResNet(new SlowResNet.Config(new int[] {1, 1, 1, 1}, 4, 0, 0.5f), new Rng(1));
        assertThrows(IllegalArgumentException.class, () -> FineTune.train(noHead, videos(2, 0), paper, new ColourSource(), null));
        SlowResNet threeWay = EvalModels.random(new int[] {1, 1, 1, 1}, 4, 3, 0.5f, 0);
        assertThrows(IllegalArgumentException.class, () -> FineTune.train(threeWay, videos(2, 0), paper, new ColourSource(), null));
        // a one-video-per-class subset still trains (batch = the whole set)
        VideoDataset tiny = Subsets.perClass(videos(20, 0), 0.01, 0);
        assertEquals(2, tiny.size());
        SlowResNet m = EvalModels.random(new int[] {1, 1, 1, 1}, 4, 2, 0.5f, 0);
        FineTune.Settings one = new FineTune.Settings(1, 64, 0.01, 0, 0.9, 0, T, 2, 0, paper.augment().withGeometry(S, S, S), 1, 0);
        assertEquals(1, FineTune.train(m, tiny, one, new ColourSource(), null).steps());
        Tensor logits = m.forward(Tensor.zeros(1, 3, T, S, S));
        assertArrayEquals(new int[] {1, 2}, logits.shape());
    }
}
