package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} continues bit for bit: 4 steps in one go and 2 steps + checkpoint + a new
 * process's worth of fresh objects + resume + 2 steps give identical weights (online encoder,
 * batch-norm statistics, heads, BYOL heads and EMA target) and identical momentum buffers.
 */
class ResumeTest {
    @TempDir
    Path dir;

    /** A data source drawing every batch from an Rng, like the loader: its state is the Rng's. */
    static final class RandomClips implements ClipBatches {
        private final int clips, n;
        private Rng rng;
        private final Preprocessing norm;

        RandomClips(PretrainConfig c, long seed) {
            this.clips = c.clipsPerVideo();
            this.n = c.microBatch();
            this.rng = new Rng(seed);
            this.norm = new Preprocessing(c.data().mean(), c.data().std());
        }

        @Override public int batchSize() { return n; }
        @Override public int clipsPerVideo() { return clips; }
        @Override public int stepsPerEpoch() { return 3; }
        @Override public Preprocessing normalization() { return norm; }
        @Override public long skippedVideos() { return 0; }

        @Override
        public List<Tensor> next() {
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < clips; i++) out.add(Tensor.randn(rng, 0, 1, n, 3, TrainFixtures.T, TrainFixtures.S, TrainFixtures.S));
            return out;
        }

        @Override
        public Map<String, Object> state() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("kind", "random");
            s.put("rng", java.util.Arrays.stream(rng.state()).boxed().toList());
            return s;
        }

        @Override
        public void restore(Map<String, Object> state) {
            long[] s = ((List<?>) state.get("rng")).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
            rng = Rng.restore(s);
        }
    }

    private interface Source {
        ClipBatches make(PretrainConfig c);
    }

    private static IBootModel model(PretrainConfig c) {
        return IBootModel.create(c, c.method() == PretrainConfig.Method.IBOOT ? List.of(TrainFixtures.vitTeacher("vit", 1)) : List.of());
    }

    private void straightVersusResumed(PretrainConfig c, Source source) throws Exception {
        IBootModel straight = model(c);
        try (Pretrainer p = TrainFixtures.trainer(c, straight, source.make(c), dir.resolve("straight"))) {
            p.run(4);
        }
        Path out = dir.resolve("resumed");
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), source.make(c), out)) {
            p.run(2);
        }
        IBootModel resumed = model(c);   // fresh objects, as after a restart
        try (Pretrainer p = TrainFixtures.trainer(c, resumed, source.make(c), out)) {
            p.resume();
            assertEquals(2, p.step());
            p.run(4);
            TrainFixtures.assertBitIdentical(straight.stateDict(), resumed.stateDict(), "weights after 4 steps");
        }
        // the optimisers' momentum buffers, through the step-4 checkpoint files both runs wrote
        Map<String, Tensor> a = org.iboot4j.nn.io.Checkpoints.read(dir.resolve("straight").resolve(PretrainCheckpoint.stepFiles(4)[1]));
        Map<String, Tensor> b = org.iboot4j.nn.io.Checkpoints.read(out.resolve(PretrainCheckpoint.stepFiles(4)[1]));
        TrainFixtures.assertBitIdentical(a, b, "momentum buffers after 4 steps");
        List<Map<String, Object>> rowsA = MetricsLog.read(dir.resolve("straight").resolve(PretrainCheckpoint.METRICS_FILE));
        List<Map<String, Object>> rowsB = MetricsLog.read(out.resolve(PretrainCheckpoint.METRICS_FILE));
        assertEquals(4, rowsB.size());
        for (int i = 0; i < 4; i++) assertEquals(rowsA.get(i).get("loss"), rowsB.get(i).get("loss"), "loss of step " + (i + 1));
    }

    @Test
    void fixedBatchWithTheSslTermResumesBitForBit() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "  ENABLE: true\n",
                "", "  ITERS_PER_EPOCH: 2\n", ""));
        straightVersusResumed(c, cfg -> TrainFixtures.fixed(cfg, 3));
    }

    @Test
    void randomDataWithAccumulationResumesBitForBit() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "  TEMPORAL_POOL: false\n", "",
                "", "  ACCUMULATION_STEPS: 2\n", "").replace("BATCH_SIZE: 2", "BATCH_SIZE: 4"));
        straightVersusResumed(c, cfg -> new RandomClips(cfg, 77));
    }

    @Test
    void rhoByolResumesBitForBit() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("rho_byol", "", "", "  ENABLE: true\n", "", "", ""));
        straightVersusResumed(c, cfg -> new RandomClips(cfg, 5));
    }

    @Test
    void aKilledRunLosesAtMostTheStepsSinceItsLastCheckpoint() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "", "", "")
                .replace("CHECKPOINT_PERIOD: 100", "CHECKPOINT_PERIOD: 2"));
        Path out = dir.resolve("run");
        Map<String, Tensor> atStep2;
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), new RandomClips(c, 9), out)) {
            p.run(2);
            atStep2 = TrainFixtures.snapshot(p.model().stateDict());
            p.trainStep();   // steps 3 and 4 run, then the process "dies" before the next checkpoint
            p.trainStep();
        }
        // a checkpoint caught mid-write: a temporary file and a weights file the state does not name yet
        Files.writeString(out.resolve("checkpoints/.step-00000004.safetensors.1234.tmp"), "partial");
        Files.writeString(out.resolve("checkpoints/step-00000004.safetensors"), "not committed");
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), new RandomClips(c, 9), out)) {
            p.resume();
            assertEquals(2, p.step());
            TrainFixtures.assertBitIdentical(atStep2, p.model().stateDict(), "state of the last checkpoint");
            p.run(3);
        }
        assertEquals(3, MetricsLog.read(out.resolve(PretrainCheckpoint.METRICS_FILE)).size());
        try (var files = Files.list(out.resolve("checkpoints"))) {
            assertEquals(List.of("step-00000003.optim.safetensors", "step-00000003.safetensors"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "old and partial files are cleaned up");
        }
    }

    @Test
    void resumeRefusesAnotherConfigurationAndFreshRunsRefuseAnOldFolder() throws Exception {
        String y = TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "", "", "");
        PretrainConfig c = TrainFixtures.config(y);
        Path out = dir.resolve("run");
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), TrainFixtures.fixed(c, 1), out)) {
            p.run(1);
        }
        PretrainConfig other = TrainFixtures.config(y.replace("BASE_LR: 2.4", "BASE_LR: 1.2"));
        try (Pretrainer p = TrainFixtures.trainer(other, model(other), TrainFixtures.fixed(other, 1), out)) {
            String m = assertThrows(IllegalArgumentException.class, p::resume).getMessage();
            assertTrue(m.contains("SOLVER.BASE_LR: was 2.4, now 1.2"), m);
        }
        PretrainConfig steering = TrainFixtures.config(y.replace("LOG_PERIOD: 1", "LOG_PERIOD: 5"));
        try (Pretrainer p = TrainFixtures.trainer(steering, model(steering), TrainFixtures.fixed(steering, 1), out)) {
            p.resume();   // periods may change
        }
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), TrainFixtures.fixed(c, 1), out)) {
            assertTrue(assertThrows(IllegalArgumentException.class, p::start).getMessage().contains("--resume"));
        }
        try (Pretrainer p = TrainFixtures.trainer(c, model(c), TrainFixtures.fixed(c, 1), dir.resolve("empty"))) {
            assertTrue(assertThrows(IllegalArgumentException.class, p::resume).getMessage().contains("nothing to resume"));
        }
    }
}
