package org.iboot4j.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SGD, Nesterov and LARS steps and the warm-up + cosine schedule against PyTorch (make_optim_golden.py). */
class OptimGoldenTest {
    private static final String[] PARAMS = {"weight", "bias", "conv", "zero"};
    private static final int STEPS = 3;

    private static final Map<String, Function<Map<String, Tensor>, Sgd>> OPTIMISERS = Map.of(
            "sgd", p -> Sgd.sgd(p, 0.1f, 0.9f, 1e-4f, false),
            "nesterov", p -> Sgd.sgd(p, 0.05f, 0.9f, 1e-3f, true),
            "lars", p -> Sgd.lars(p, 2.4f, 0.9f, 1e-6f, 0.001f),
            "lars_decay", p -> Sgd.lars(p, 0.3f, 0.9f, 0.05f, 0.02f));

    private static SafetensorsReader fixture() throws Exception {
        return SafetensorsReader.open(Path.of(System.getProperty("iboot.testData", "../test-data"), "golden", "optim.safetensors"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "nesterov", "lars", "lars_decay"})
    void stepsMatchPyTorch(String name) throws Exception {
        try (SafetensorsReader f = fixture()) {
            Map<String, Tensor> params = new LinkedHashMap<>();
            for (String p : PARAMS) params.put(p, f.tensor(name + "." + p + ".init").requiresGrad(true));
            Sgd opt = OPTIMISERS.get(name).apply(params);
            for (int k = 0; k < STEPS; k++) {
                for (String p : PARAMS) {
                    Tensor param = params.get(p);
                    param.zeroGrad();
                    param.mul(f.tensor(name + "." + p + ".grad." + k)).sum().backward(); // grad = the fixture's
                }
                opt.step();
                for (String p : PARAMS) {
                    float[] expected = f.floats(name + "." + p + ".step." + k), actual = params.get(p).toFloatArray();
                    double worst = 0, scale = 1e-30;
                    for (int i = 0; i < expected.length; i++) {
                        worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                        scale = Math.max(scale, Math.abs(expected[i]));
                    }
                    assertEquals(0, worst / scale, 2e-6, name + " step " + k + " " + p);
                }
            }
        }
    }

    @Test
    void warmupCosineMatchesPySlowFast() throws Exception {
        try (SafetensorsReader f = fixture()) {
            float[] epochs = f.floats("sched.epochs"), lrs = f.floats("sched.lr");
            WarmupCosineSchedule s = new WarmupCosineSchedule(2.4 * 104 / 256, 0, 0, 8, 100);
            for (int i = 0; i < epochs.length; i++) {
                assertEquals(lrs[i], s.lr(epochs[i]), 1e-6 * Math.max(1, lrs[i]), "epoch " + epochs[i]);
            }
        }
    }

    @Test
    void momentumStateRoundTrips() {
        Map<String, Tensor> params = Map.of("w", Tensor.ones(2, 2).requiresGrad(true));
        Sgd a = Sgd.sgd(params, 0.1f, 0.9f, 0, false);
        params.get("w").mul(3).sum().backward();
        a.step();
        Sgd b = Sgd.sgd(Map.of("w", Tensor.ones(2, 2).requiresGrad(true)), 0.1f, 0.9f, 0, false);
        b.loadState(a.state());
        assertEquals(3f, b.state().get("w").toFloatArray()[0]);
    }
}
