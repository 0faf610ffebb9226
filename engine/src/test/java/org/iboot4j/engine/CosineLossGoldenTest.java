package org.iboot4j.engine;

import static org.iboot4j.engine.testing.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.iboot4j.engine.testing.SafetensorsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fused iBoot loss against PyTorch (make_loss_golden.py) and the gradient checker. */
class CosineLossGoldenTest {
    private static final SafetensorsFixture FIXTURE = SafetensorsFixture.golden("losses.safetensors");

    private static Tensor load(String name) {
        return Tensor.of(FIXTURE.floats(name), FIXTURE.shape(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rows", "batched", "wide", "one_row"})
    void lossAndOnlineGradientMatchPyTorch(String name) {
        Tensor q = load(name + ".q"), k = load(name + ".k").requiresGrad(true);
        Tensor loss = Functional.cosineRegressionLoss(q, k);
        assertClose(name + ".loss", FIXTURE.floats(name + ".loss"), loss.toFloatArray(), 1e-6);
        loss.backward();
        assertClose(name + ".grad_k", FIXTURE.floats(name + ".grad_k"), k.grad().toFloatArray(), 1e-5);
    }

    @Test
    void theTargetGetsNoGradientAndTheCheckerAgrees() {
        Tensor q = Tensor.randn(new Rng(5), 0, 1, 3, 7).requiresGrad(true);
        Tensor k = Tensor.randn(new Rng(6), 0, 1, 3, 7).requiresGrad(true);
        Functional.cosineRegressionLoss(q, k).mul(3).backward();
        assertNull(q.grad());
        GradCheck.assertGradients(in -> Functional.cosineRegressionLoss(in[0], in[1].transpose(0, 1)),
                Input.constant(q.detach()), Input.grad(Tensor.randn(new Rng(7), 0, 1, 7, 3)));
    }

    @Test
    void mismatchedShapesNameBoth() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.cosineRegressionLoss(Tensor.zeros(2, 4), Tensor.zeros(2, 5)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[2, 4]") && e.getMessage().contains("[2, 5]"));
    }
}
