package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.iboot4j.data.loader.ClipLoader;
import org.iboot4j.data.loader.ClipSource;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-training on the video loader (generated frames instead of decoding), and resuming mid-epoch. */
class LoaderBatchesTest {
    @TempDir
    Path out;

    /** Frames computed from the file name and the start time; files named bad* cannot be read. */
    static final class Generated implements ClipSource {
        @Override
        public Frames read(Path file, double start, int frames, int stride, int shortSide) throws IOException {
            if (file.getFileName().toString().startsWith("bad")) throw new IOException("cannot decode " + file);
            int h = 36, w = 44, seed = file.getFileName().toString().hashCode() + (int) Math.round(start * 1000);
            byte[] rgb = new byte[frames * h * w * 3];
            for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) ((i * 31 + seed * 17 + (i / 97) * seed) & 0xFF);
            return new Frames(frames, h, w, rgb);
        }

        @Override
        public double duration(Path file) {
            return 5.0;
        }
    }

    private static VideoDataset videos() {
        List<VideoSample> list = new ArrayList<>();
        for (int i = 0; i < 5; i++) list.add(new VideoSample(Path.of("videos/v" + i + ".mp4"), i % 2));
        list.add(new VideoSample(Path.of("videos/bad.mp4"), 0));
        return new VideoDataset(list, ClassIndex.sorted(List.of("0", "1")));
    }

    private static PretrainConfig cfg(String train) {
        return TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "", train, "")
                .replace("TRAIN_CROP_SIZE: 32\n", "TRAIN_CROP_SIZE: 32\nDATA_LOADER:\n  NUM_WORKERS: 2\n"));
    }

    private static LoaderBatches batches(PretrainConfig c) {
        return new LoaderBatches(new ClipLoader(videos(), new Generated(), LoaderBatches.loaderConfig(c)),
                c.train().accumulationSteps());
    }

    private static List<List<float[]>> take(LoaderBatches b, int count) {
        List<List<float[]>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(b.next().stream().map(Tensor::toFloatArray).toList());
        return out;
    }

    @Test
    void batchesHaveTheConfiguredShapeAndNormalisation() {
        PretrainConfig c = cfg("");
        try (LoaderBatches b = batches(c)) {
            assertEquals(3, b.stepsPerEpoch());   // 6 videos / 2
            List<Tensor> clips = b.next();
            assertEquals(3, clips.size());
            for (Tensor t : clips) assertArrayEquals(new int[] {2, 3, TrainFixtures.T, 32, 32}, t.shape());
            assertArrayEquals(c.data().mean(), b.normalization().mean());
            assertArrayEquals(c.data().std(), b.normalization().std());
        }
        PretrainConfig accumulated = TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "",
                "  ACCUMULATION_STEPS: 2\n", "").replace("BATCH_SIZE: 2", "BATCH_SIZE: 4"));
        try (LoaderBatches b = batches(accumulated)) {
            assertEquals(1, b.stepsPerEpoch(), "3 micro-batches of 2: one step of 2 x 2, the third unused");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void restoringMidEpochContinuesWithTheSameClips() {
        PretrainConfig c = cfg("");
        List<List<float[]>> straight;
        try (LoaderBatches b = batches(c)) {
            straight = take(b, 8);   // epochs 0, 1 and two batches of 2
        }
        for (int split : new int[] {4, 3}) {   // mid-epoch (epoch 1, batch 1) and on an epoch boundary
            Map<String, Object> state;
            try (LoaderBatches b = batches(c)) {
                take(b, split);
                state = (Map<String, Object>) JsonText.read(JsonText.write(b.state()));
            }
            try (LoaderBatches b = batches(c)) {
                b.restore(state);
                List<List<float[]>> rest = take(b, 8 - split);
                for (int i = 0; i < rest.size(); i++) {
                    for (int v = 0; v < 3; v++) assertArrayEquals(straight.get(split + i).get(v), rest.get(i).get(v), "batch " + (split + i));
                }
                assertTrue(b.skippedVideos() >= 1, "the bad video was skipped and counted");
            }
        }
    }

    @Test
    void pretrainingRunsOnTheLoaderAndCountsBadVideos() throws Exception {
        PretrainConfig c = cfg("");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, m, batches(c), out)) {
            assertEquals(3, p.itersPerEpoch());
            p.run(3);
        }
        List<Map<String, Object>> rows = MetricsLog.read(out.resolve(PretrainCheckpoint.METRICS_FILE));
        assertTrue(((Number) rows.get(2).get("skipped_videos")).longValue() >= 1, rows.toString());
        Map<String, Object> state = JsonText.readObject(out.resolve(PretrainCheckpoint.STATE_FILE));
        assertEquals("loader", ((Map<?, ?>) state.get("data")).get("kind"));
    }

    @Test
    void resumingMidEpochOnTheLoaderIsBitExact() throws Exception {
        PretrainConfig c = cfg("");
        IBootModel straight = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, straight, batches(c), out.resolve("a"))) {
            p.run(5);
        }
        try (Pretrainer p = TrainFixtures.trainer(c, IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1))), batches(c),
                out.resolve("b"))) {
            p.run(4);   // epoch 1, batch 1
        }
        IBootModel resumed = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, resumed, batches(c), out.resolve("b"))) {
            p.resume();
            p.run(5);
        }
        TrainFixtures.assertBitIdentical(straight.stateDict(), resumed.stateDict(), "weights after 5 loader steps");
    }
}
