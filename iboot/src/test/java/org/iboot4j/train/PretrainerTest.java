package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop: frozen teachers, accumulation, the schedule, EMA, mixed precision, learning. */
class PretrainerTest {
    @TempDir
    Path dir;

    private static final String FAST = "  BASE_LR: 1280\n  WARMUP_EPOCHS: 0\n  MAX_EPOCH: 100\n";

    private static PretrainConfig cfg(String teachers, String iboot, String ssl, String solver, String train) {
        String y = TrainFixtures.yaml("iboot", teachers, iboot, ssl, solver, train, "");
        if (!solver.isEmpty()) y = y.replace("  BASE_LR: 2.4\n  WARMUP_EPOCHS: 1\n  MAX_EPOCH: 10\n", "");
        return TrainFixtures.config(y);
    }

    @Test
    void teachersNeverChangeNorGetGradients() throws Exception {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER + TrainFixtures.RESNET_TEACHER, "", "", "", "");
        Teacher vit = TrainFixtures.vitTeacher("vit", 1), cnn = TrainFixtures.resnetTeacher("cnn", 2);
        Map<String, Tensor> vitBefore = TrainFixtures.snapshot(vit.encoder().module().stateDict());
        Map<String, Tensor> cnnBefore = TrainFixtures.snapshot(cnn.encoder().module().stateDict());
        IBootModel m = IBootModel.create(c, List.of(vit, cnn));
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            p.run(3);
            Map<Tensor, Boolean> optimised = new IdentityHashMap<>();
            m.trainableParameters().values().forEach(t -> optimised.put(t, true));
            for (Teacher t : List.of(vit, cnn)) {
                for (Tensor w : t.encoder().module().parameters()) {
                    assertFalse(w.requiresGrad());
                    assertNull(w.grad());
                    assertFalse(optimised.containsKey(w), "a teacher weight is in the optimiser");
                }
            }
        }
        TrainFixtures.assertBitIdentical(vitBefore, vit.encoder().module().stateDict(), "ViT teacher after 3 steps");
        TrainFixtures.assertBitIdentical(cnnBefore, cnn.encoder().module().stateDict(), "ResNet teacher after 3 steps");
    }

    @Test
    void theLossFallsOnAFixedBatch() throws Exception {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "", FAST, "");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 4), dir)) {
            p.run(1);
            double first = p.lastLoss();
            p.run(12);
            assertTrue(p.lastLoss() < 0.8 * first, "loss " + first + " -> " + p.lastLoss());
        }
    }

    @Test
    void accumulatedMicroBatchesMatchOneBigBatchWhenBatchNormStatisticsAreFixed() throws Exception {
        // BATCH_SIZE 4: one batch of 4, or two micro-batches of 2 (ACCUMULATION_STEPS 2). With the online
        // batch-norm in evaluation mode (running statistics) the two are the same computation up to
        // float rounding; in training mode each micro-batch is normalised with its own statistics.
        String train = "  ACCUMULATION_STEPS: %d\n";
        Map<String, Tensor> full = null;
        Map<String, Tensor> before = null;
        double fullLoss = 0;
        for (boolean eval : new boolean[] {true, false}) {
            Map<String, Tensor> result = null;
            for (int k : new int[] {1, 2}) {
                String y = TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "", String.format(train, k), "")
                        .replace("BATCH_SIZE: 2", "BATCH_SIZE: 4");
                PretrainConfig c = TrainFixtures.config(y);
                IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
                if (eval) m.online().eval();
                if (before == null) before = TrainFixtures.snapshot(m.stateDict());
                FixedBatch batch = new FixedBatch(TrainFixtures.clips(3, 4, 12), m.dataNormalization(), k);
                try (Pretrainer p = TrainFixtures.trainer(c, m, batch, dir.resolve(eval + "-" + k))) {
                    p.run(1);
                    if (k == 1) {
                        full = TrainFixtures.snapshot(m.stateDict());
                        fullLoss = p.lastLoss();
                    } else {
                        result = m.stateDict();
                        if (eval) assertEquals(fullLoss, p.lastLoss(), 1e-6, "mean of the micro-batch losses");
                    }
                }
            }
            double worst = 0;
            for (var e : full.entrySet()) {
                if (e.getValue().dtype() != org.iboot4j.engine.DType.F32) continue;
                float[] a = result.get(e.getKey()).toFloatArray(), b = e.getValue().toFloatArray(), w0 = before.get(e.getKey()).toFloatArray();
                double err = 0, update = 0, scale = 0;
                for (int i = 0; i < a.length; i++) {
                    err = Math.max(err, Math.abs((double) a[i] - b[i]));
                    update = Math.max(update, Math.abs((double) b[i] - w0[i]));
                    scale = Math.max(scale, Math.abs(b[i]));
                }
                if (eval) {
                    assertTrue(err <= 1e-5 * update + Math.ulp((float) scale), e.getKey() + ": " + err + " vs update " + update);
                }
                worst = Math.max(worst, err);
            }
            if (!eval) assertTrue(worst > 1e-6, "training-mode batch-norm: micro-batch statistics change the step");
            before = null;
        }
    }

    @Test
    void theScheduleWarmsUpLinearlyThenDecaysByACosine() throws Exception {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "",
                "  BASE_LR: 2.4\n  WARMUP_EPOCHS: 2\n  WARMUP_START_LR: 0.001\n  MAX_EPOCH: 10\n", "  ITERS_PER_EPOCH: 4\n");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            double base = 2.4 * 2 / 256;
            assertEquals(40, p.totalSteps());
            assertEquals(0.001, p.lrAt(0), 1e-12);
            double atWarmupEnd = base * (1 + Math.cos(Math.PI * 2 / 10)) / 2;
            assertEquals(0.001 + 0.5 * (atWarmupEnd - 0.001), p.lrAt(4), 1e-12);
            assertEquals(base * (1 + Math.cos(Math.PI * 5.0 / 10)) / 2, p.lrAt(20), 1e-12);
            p.run(2);
            assertEquals((float) p.lrAt(1), p.optimizer().lr());
            assertThrows(IllegalArgumentException.class, () -> p.run(41), "past the schedule");
        }
    }

    @Test
    void theEmaTargetFollowsTheOnlineNetwork() throws Exception {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "  ENABLE: true\n", FAST, "  ITERS_PER_EPOCH: 2\n");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            p.run(1);
            Map<String, Tensor> online = TrainFixtures.snapshot(m.online().namedParameters());
            Map<String, Tensor> target = TrainFixtures.snapshot(m.byol().target.namedParameters());
            p.run(2);   // step 1 begins with target = m target + (1 - m) online, m at epoch 1/2
            double mom = Byol.momentum(0.996, true, 0.5, 100);
            Map<String, Tensor> expected = new java.util.LinkedHashMap<>();
            target.forEach((k, t) -> expected.put(k, online.get(k).mul((float) (1 - mom)).add(t.mul((float) mom))));
            TrainFixtures.assertBitIdentical(expected, m.byol().target.namedParameters(), "EMA target");
            assertTrue(m.trainableParameters().keySet().stream().anyMatch(k -> k.startsWith("byol.predictor.")));
        }
    }

    @Test
    void rhoByolTrains() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("rho_byol", "", "", "  ENABLE: true\n", "", "", ""));
        IBootModel m = IBootModel.create(c, List.of());
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            p.run(2);
            assertTrue(Double.isFinite(p.lastLoss()));
        }
    }

    @Test
    void mixedPrecisionIsRejectedOnTheCpuBackend() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "", "", "  MIXED_PRECISION: true\n");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        String msg = assertThrows(IllegalArgumentException.class, () -> TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir))
                .getMessage();
        assertTrue(msg.contains("TRAIN.MIXED_PRECISION") && msg.contains("not available on the 'cpu' backend"), msg);
    }

    @Test
    void theDataMustFitTheConfiguration() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "", "", "");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        FixedBatch twoClips = new FixedBatch(TrainFixtures.clips(2, 2, 1), m.dataNormalization(), 1);
        assertThrows(IllegalArgumentException.class, () -> TrainFixtures.trainer(c, m, twoClips, dir));
    }
}
