package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.iboot4j.engine.testing.GradCheck;
import org.iboot4j.engine.testing.GradCheck.Input;
import org.junit.jupiter.api.Test;

/**
 * x * a + b in one pass ({@link PointwiseOps#mulAdd}, evaluation-mode batch-norm) against the
 * two ops it replaces, x.mul(a).add(b), at tolerance 0: values (the per-channel fast path, a
 * general broadcast, a strided x, specials) and gradients; plus a gradient check.
 */
class MulAddTest {

    private static final Rng RNG = new Rng(77);

    @Test
    void perChannelEqualsMulThenAddBitForBit() {
        Tensor x = Tensor.randn(RNG, 0, 3, 2, 5, 3, 7, 9);
        Tensor a = Tensor.randn(RNG, 1, 0.5f, 1, 5, 1, 1, 1), b = Tensor.randn(RNG, 0, 2, 1, 5, 1, 1, 1);
        assertSame(x.mul(a).add(b), PointwiseOps.mulAdd(x, a, b));
    }

    @Test
    void generalBroadcastAndStridedInputs() {
        Tensor x = Tensor.randn(RNG, 0, 1, 6, 4, 5).transpose(0, 2); // (5, 4, 6), strided
        Tensor a = Tensor.randn(RNG, 0, 1, 4, 6), b = Tensor.randn(RNG, 0, 1, 5, 1, 1);
        assertSame(x.mul(a).add(b), PointwiseOps.mulAdd(x, a, b));
        // the broadcast shape may come from a or b alone
        Tensor v = Tensor.randn(RNG, 0, 1, 6);
        assertSame(v.mul(a).add(b), PointwiseOps.mulAdd(v, a, b));
    }

    @Test
    void specialsPropagateAsInTheTwoOps() {
        float[] xs = {Float.NaN, Float.POSITIVE_INFINITY, -0f, 0f, 3e38f, -3e38f, 1e-40f, 1f};
        Tensor x = Tensor.of(xs, 8), a = Tensor.of(new float[] {0f, 0f, 1f, -1f, 10f, 10f, 1e-3f, Float.NaN}, 8);
        Tensor b = Tensor.of(new float[] {1f, 1f, -0f, -0f, 0f, 0f, 0f, 0f}, 8);
        assertSame(x.mul(a).add(b), PointwiseOps.mulAdd(x, a, b));
    }

    @Test
    void gradientsEqualThoseOfTheTwoOps() {
        Tensor x = Tensor.randn(RNG, 0, 1, 2, 3, 4, 5).requiresGrad(true);
        Tensor a = Tensor.randn(RNG, 0, 1, 1, 3, 1, 1).requiresGrad(true), b = Tensor.randn(RNG, 0, 1, 1, 3, 1, 1).requiresGrad(true);
        Tensor g = Tensor.randn(RNG, 0, 1, 2, 3, 4, 5);
        PointwiseOps.mulAdd(x, a, b).backward(g);
        float[][] fused = {x.grad().toFloatArray(), a.grad().toFloatArray(), b.grad().toFloatArray()};
        x.zeroGrad();
        a.zeroGrad();
        b.zeroGrad();
        x.mul(a).add(b).backward(g);
        assertArrayEquals(x.grad().toFloatArray(), fused[0]);
        assertArrayEquals(a.grad().toFloatArray(), fused[1]);
        assertArrayEquals(b.grad().toFloatArray(), fused[2]);
        GradCheck.assertGradients(in -> PointwiseOps.mulAdd(in[0], in[1], in[2]),
                Input.grad(Tensor.randn(RNG, 0, 1, 2, 3, 2)), Input.grad(Tensor.randn(RNG, 0, 1, 3, 1)),
                Input.grad(Tensor.randn(RNG, 0, 1, 2, 1, 2)));
    }

    @Test
    void incompatibleShapesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> PointwiseOps.mulAdd(Tensor.zeros(2, 3), Tensor.zeros(4), Tensor.zeros(3)));
    }

    private static void assertSame(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            // bit for bit, so that -0 / +0 and NaN payloads count
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                throw new AssertionError("element " + i + ": expected " + e[i] + ", got " + a[i]);
            }
        }
    }
}
