package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SOLVER and TRAIN keys that shape the optimiser and the schedule, each set away from its
 * default and checked against the update or learning rate written out here: OPTIMIZING_METHOD,
 * NESTEROV, MOMENTUM, WEIGHT_DECAY, LARS_TRUST, BASE_LR_BATCH, COSINE_END_LR and MAX_STEPS. (The
 * defaults themselves are checked by the PyTorch one-step fixture, IBootStepGoldenTest.)
 */
class SolverOptionsTest {
    @TempDir
    Path dir;

    private static PretrainConfig cfg(String solver, String train) {
        String y = TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", solver, train, "")
                .replace("  BASE_LR: 2.4\n  WARMUP_EPOCHS: 1\n  MAX_EPOCH: 10\n", "");
        return TrainFixtures.config(y);
    }

    /**
     * Runs one step and checks every trainable parameter against {@code expected(w0, g, lr)}: the
     * first step's update, the momentum buffer being zero before it. The tolerance is float32
     * rounding of the update plus one ulp of the weight, as in IBootStepGoldenTest.
     */
    private void assertFirstStep(PretrainConfig c, Update expected) throws Exception {
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        Map<String, Tensor> before = TrainFixtures.snapshot(m.trainableParameters());
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            double lr = p.lrAt(0);
            p.run(1);
            for (var e : m.trainableParameters().entrySet()) {
                Tensor w = e.getValue();
                float[] w0 = before.get(e.getKey()).toFloatArray(), g = w.grad().toFloatArray(), w1 = w.toFloatArray();
                double[] want = expected.apply(w.dim(), w0, g, lr);
                for (int i = 0; i < w1.length; i++) {
                    double update = Math.abs(want[i] - w0[i]);
                    double bound = 1e-5 * update + Math.ulp((float) want[i]) + 1e-12;
                    assertTrue(Math.abs(w1[i] - want[i]) <= bound,
                            e.getKey() + "[" + i + "]: " + w1[i] + " vs " + want[i] + " (from " + w0[i] + ")");
                }
            }
        }
    }

    /** The expected weights after one step, for a parameter of rank {@code dim}. */
    private interface Update {
        double[] apply(int dim, float[] w0, float[] g, double lr);
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.sqrt(s);
    }

    @Test
    void sgdWithNesterovUsesTheConfiguredMomentumAndWeightDecay() throws Exception {
        // d = g + wd w; b = d; Nesterov: w1 = w0 - lr (d + mu b) = w0 - lr (1 + mu) d. Every parameter decays.
        PretrainConfig c = cfg("  OPTIMIZING_METHOD: sgd\n  NESTEROV: true\n  MOMENTUM: 0.5\n  WEIGHT_DECAY: 0.01\n"
                + "  BASE_LR: 0.1\n  BASE_LR_BATCH: 4\n  WARMUP_EPOCHS: 0\n  MAX_EPOCH: 10\n", "");
        assertEquals(0.1 * 2 / 4, c.scaledLr(), 1e-15, "BASE_LR x BATCH_SIZE / BASE_LR_BATCH");
        assertFirstStep(c, (dim, w0, g, lr) -> {
            double[] w1 = new double[w0.length];
            for (int i = 0; i < w0.length; i++) w1[i] = w0[i] - lr * 1.5 * (g[i] + 0.01 * w0[i]);
            return w1;
        });
    }

    @Test
    void larsUsesTheConfiguredTrustAndWeightDecayAndLeavesOneDimensionalWeightsAlone() throws Exception {
        double trust = 0.02, wd = 0.001;
        PretrainConfig c = cfg("  LARS_TRUST: 0.02\n  WEIGHT_DECAY: 0.001\n  MOMENTUM: 0.7\n"
                + "  BASE_LR: 1.0\n  WARMUP_EPOCHS: 0\n  MAX_EPOCH: 10\n", "");
        assertFirstStep(c, (dim, w0, g, lr) -> {
            double ratio = 1;
            double decay = 0;
            double nw = norm(w0), ng = norm(g);
            if (dim >= 2 && nw > 0 && ng > 0) {
                ratio = trust * nw / (ng + wd * nw + 1e-8);
                decay = wd;
            }
            double[] w1 = new double[w0.length];
            for (int i = 0; i < w0.length; i++) w1[i] = w0[i] - lr * ratio * (g[i] + decay * w0[i]);
            return w1;
        });
    }

    @Test
    void cosineEndLrAndMaxStepsShapeTheSchedule() throws Exception {
        PretrainConfig c = cfg("  BASE_LR: 2.56\n  BASE_LR_BATCH: 2\n  COSINE_END_LR: 0.5\n  WARMUP_EPOCHS: 0\n  MAX_EPOCH: 10\n",
                "  ITERS_PER_EPOCH: 4\n  MAX_STEPS: 6\n");
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        try (Pretrainer p = TrainFixtures.trainer(c, m, TrainFixtures.fixed(c, 3), dir)) {
            assertEquals(6, p.totalSteps(), "MAX_STEPS replaces MAX_EPOCH x ITERS_PER_EPOCH (40)");
            assertEquals(2.56, p.lrAt(0), 1e-12);
            assertEquals(0.5 + (2.56 - 0.5) * (1 + Math.cos(Math.PI * 5 / 10)) / 2, p.lrAt(20), 1e-12);
            assertEquals(0.5, p.lrAt(40), 1e-12, "the cosine ends at COSINE_END_LR, not 0");
            assertEquals(6, p.run(0), "run(0) trains to the end: MAX_STEPS");
        }
    }
}
