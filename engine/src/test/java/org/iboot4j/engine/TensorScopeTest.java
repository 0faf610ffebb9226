package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Release by scope: what is released, what is kept, reuse of the memory, and misuse errors. */
class TensorScopeTest {
    /** Large enough for the CPU pool to recycle (at least 2^14 floats). */
    private static final int[] BIG = {64, 1024};

    @Test
    void closingReleasesWhatTheScopeMadeAndAUseAfterwardsFailsWithAClearError() {
        Tensor x = Tensor.ones(BIG);
        Tensor y;
        try (TensorScope scope = TensorScope.open()) {
            y = x.mul(Tensor.scalar(2f)).add(x);
            assertTrue(scope.size() >= 2, "the product and the sum belong to the scope: " + scope.size());
            assertEquals(3f, y.toFloatArray()[5]);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, y::toFloatArray);
        assertTrue(e.getMessage().contains("after the TensorScope that owned it closed"), e.getMessage());
        assertTrue(e.getMessage().contains("65536 elements"), e.getMessage());
        assertEquals(1f, x.toFloatArray()[7], "a tensor made before the scope is untouched");
    }

    @Test
    void aReleasedArrayIsReusedByTheNextTensorOfItsSizeAndComesBackZeroFilled() {
        Object first;
        try (TensorScope _ = TensorScope.open()) {
            Tensor t = Tensor.full(7f, BIG);
            first = t.storage();
            assertEquals(7f, t.toFloatArray()[123]);
        }
        try (TensorScope _ = TensorScope.open()) {
            Tensor again = Tensor.zeros(BIG);
            assertNotSame(first, again.storage());
            float[] values = again.toFloatArray();
            assertArrayEquals(new float[values.length], values, "a recycled array is zero-filled");
        }
    }

    @Test
    void keptTensorsAndTheirGradientsSurviveAndMoveToTheEnclosingScope() {
        Tensor kept, inner;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope scope = TensorScope.open()) {
                Tensor w = Tensor.ones(BIG).requiresGrad(true);
                inner = w.mul(w).sum();
                inner.backward();
                kept = scope.keep(w);
                assertEquals(2, outer.size(), "the kept storage and its gradient's moved to the outer scope");
            }
            assertEquals(2f, kept.grad().toFloatArray()[9], "the gradient was kept with the tensor");
            assertThrows(IllegalStateException.class, inner::item);
        }
        assertThrows(IllegalStateException.class, kept::toFloatArray, "the outer scope released it in turn");
    }

    @Test
    void tensorsMadeFromArraysBelongToTheScopeButTheCallersArrayIsNeverRecycled() {
        float[] data = new float[1 << 15];
        java.util.Arrays.fill(data, 4f);
        Tensor copied;
        try (TensorScope scope = TensorScope.open()) {
            copied = Tensor.of(data, data.length);
            assertEquals(1, scope.size(), "Tensor.of copies into a new storage, which the scope owns");
        }
        assertThrows(IllegalStateException.class, copied::toFloatArray);
        try (TensorScope _ = TensorScope.open()) {
            Tensor.full(-1f, data.length); // would take the copy's array back from the pool, never the caller's
        }
        assertEquals(4f, data[100]);
    }

    @Test
    void closingOutOfOrderOrFromAnotherThreadIsAnError() throws Exception {
        TensorScope outer = TensorScope.open();
        TensorScope inner = TensorScope.open();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                inner.close();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "other-thread");
        other.start();
        other.join();
        assertTrue(failure.get() instanceof IllegalStateException && failure.get().getMessage().contains("other-thread"),
                String.valueOf(failure.get()));
        inner.close();
        outer.close();
        inner.close(); // closing twice does nothing
        assertThrows(IllegalStateException.class, () -> inner.keep(Tensor.zeros(1)));
    }

    @Test
    void tensorsMadeOnOtherThreadsAreNotTrackedByThisThreadsScope() throws Exception {
        AtomicReference<Tensor> made = new AtomicReference<>();
        try (TensorScope scope = TensorScope.open()) {
            Thread worker = new Thread(() -> made.set(Tensor.full(3f, BIG)));
            worker.start();
            worker.join();
            assertEquals(0, scope.size());
        }
        assertEquals(3f, made.get().toFloatArray()[0], "left to the collector, not released");
    }
    @Test
    void withoutGradientsAStepsTemporariesAreReleasedAtOnceAndOnlyItsResultLives() {
        Tensor x = Tensor.ones(BIG);
        Tensor[] temporary = new Tensor[1];
        Tensor y;
        try (TensorScope outer = TensorScope.open(); var _ = GradMode.disable()) {
            y = TensorScope.releasingTemporaries(x, t -> {
                temporary[0] = t.mul(Tensor.scalar(3f));
                return temporary[0].add(t);
            });
            assertEquals(1, outer.size(), "only the result moved out");
            assertEquals(4f, y.toFloatArray()[0]);
            assertThrows(IllegalStateException.class, temporary[0]::toFloatArray);
        }
    }

    @Test
    void withGradientsAStepKeepsItsTemporariesForTheBackwardPass() {
        Tensor w = Tensor.ones(BIG).requiresGrad(true);
        try (TensorScope outer = TensorScope.open()) {
            Tensor y = TensorScope.releasingTemporaries(w, t -> t.mul(t).mul(t));
            y.sum().backward();
            assertEquals(3f, w.grad().toFloatArray()[11], "d(w^3)/dw = 3 w^2 needs the saved w^2");
        }
    }
}
