package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The autograd mechanics: accumulation, no-grad, detach, graph lifetime, shared inputs. */
class AutogradTest {
    private static Tensor leaf(float... values) {
        return Tensor.of(values).requiresGrad(true);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilCleared() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward();
        x.mul(3).sum().backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray()); // 2x + 3
        x.zeroGrad();
        assertNull(x.grad());
        x.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1}, x.grad().toFloatArray());
    }

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        Tensor x = leaf(2);
        Tensor y = x.mul(x).add(x.exp()); // dy/dx = 2x + e^x
        y.backward();
        assertArrayEquals(new float[] {(float) (4 + Math.exp(2))}, x.grad().toFloatArray(), 1e-5f);
    }

    @Test
    void noGradScopeRecordsNothingAndRestoresTheMode() {
        Tensor x = leaf(1, 2);
        Tensor y;
        try (var ignored = GradMode.disable()) {
            y = x.mul(2);
            try (var inner = GradMode.enable()) {
                assertTrue(x.mul(2).requiresGrad());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void detachCutsTheGraphButSharesTheValues() {
        Tensor x = leaf(1, 2);
        Tensor d = x.mul(3).detach();
        assertFalse(d.requiresGrad());
        Tensor y = x.mul(d).sum(); // d is a constant here
        y.backward();
        assertArrayEquals(new float[] {3, 6}, x.grad().toFloatArray());
    }

    @Test
    void theGraphIsFreedAfterBackwardUnlessRetained() {
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(x).sum();
        y.backward(Tensor.scalar(1), true);
        y.backward(Tensor.scalar(1), true);
        assertArrayEquals(new float[] {4, 8}, x.grad().toFloatArray());
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("freed"), e.getMessage());
    }

    @Test
    void explicitUpstreamGradientForNonScalarOutputs() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).backward(Tensor.of(new float[] {1, 0, -1}));
        assertArrayEquals(new float[] {2, 0, -6}, x.grad().toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> leaf(1, 2).mul(2).backward());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void broadcastAndViewGradientsAreReducedToTheLeafShape() {
        Tensor bias = leaf(1, 2, 3);                       // (3)
        Tensor x = Tensor.ones(4, 3);
        x.add(bias).sum().backward();
        assertArrayEquals(new float[] {4, 4, 4}, bias.grad().toFloatArray());

        Tensor m = Tensor.arange(6).reshape(2, 3).requiresGrad(true);
        m.transpose(0, 1).narrow(0, 1, 2).expand(5, 2, 2).sum().backward();
        assertArrayEquals(new float[] {0, 5, 5, 0, 5, 5}, m.grad().toFloatArray());
    }

    @Test
    void leafGradientsAreContiguousWithTheLeafShape() {
        Tensor s = Tensor.of(new float[] {3}, 1).requiresGrad(true);
        s.expand(2, 3).sum().backward();
        assertArrayEquals(new int[] {1}, s.grad().shape());
        assertTrue(s.grad().isContiguous());
        assertArrayEquals(new float[] {6}, s.grad().toFloatArray());
    }

    @Test
    void nonLeavesCannotToggleRequiresGradAndIntTensorsCannotRequireIt() {
        Tensor y = leaf(1).mul(2);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofLongs(new long[] {1}).requiresGrad(true));
    }

    @Test
    void viewsShareStorageWithoutCopying() {
        Tensor x = Tensor.arange(12).reshape(3, 4);
        Tensor t = x.transpose(0, 1);
        assertSame(x.storage(), t.storage());
        assertSame(x.storage(), x.narrow(1, 1, 2).storage());
        assertSame(x.storage(), x.reshape(2, 6).storage());
        assertFalse(t.isContiguous());
        assertArrayEquals(new int[] {1, 4}, t.strides());
        assertTrue(t.contiguous().isContiguous());
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9}, t.narrow(0, 0, 2).contiguous().toFloatArray());
        assertArrayEquals(new float[] {1, 3, 9, 11}, x.slice(0, 0, 3, 2).slice(1, 1, 4, 2).toFloatArray());
    }
}
