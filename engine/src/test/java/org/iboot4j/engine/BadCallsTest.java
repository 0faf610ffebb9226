package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad calls fail at once, with an exception whose message names the op and the shapes (and
 * dtypes, sizes, indices) involved, so that the caller can tell which call was wrong and why.
 */
class BadCallsTest {

    /** Asserts that {@code call} throws {@code type} with a message containing every fragment. */
    private static <T extends Throwable> void expect(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String message = e.getMessage();
        assertTrue(message != null, "no message: " + e);
        for (String f : fragments) {
            assertTrue(message.contains(f), "message lacks \"" + f + "\": " + message);
        }
    }

    private static Tensor t(int... shape) {
        return Tensor.zeros(shape);
    }

    private static Tensor longs(int... shape) {
        return Tensor.ofLongs(new long[Shapes.numel(shape)], shape);
    }

    // ---- broadcasting and matmul ----------------------------------------------------------------

    @Test
    void addWithUnbroadcastableShapes() {
        expect(IllegalArgumentException.class, () -> t(2, 3).add(t(4)), "add", "[2, 3]", "[4]");
        expect(IllegalArgumentException.class, () -> t(2, 1, 4).mul(t(3, 5)), "mul", "[2, 1, 4]", "[3, 5]");
        expect(IllegalArgumentException.class, () -> Functional.where(
                Tensor.ofBooleans(new boolean[3], 3), t(2), t(2)), "where", "[3]", "[2]");
    }

    @Test
    void matmulInnerDimensionMismatch() {
        expect(IllegalArgumentException.class, () -> t(2, 3).matmul(t(4, 5)), "matmul", "[2, 3]", "[4, 5]");
        expect(IllegalArgumentException.class, () -> t(3).matmul(t(4)), "matmul", "[3]", "[4]");
        expect(IllegalArgumentException.class, () -> t(2, 3).matmul(t(2)), "matmul", "[2, 3]", "[2]");
        expect(IllegalArgumentException.class, () -> t(5).matmul(t(2, 4, 3)), "matmul", "[5]", "[2, 4, 3]");
    }

    @Test
    void matmulBatchMismatchNamesTheOperands() {
        expect(IllegalArgumentException.class, () -> t(2, 3, 4).matmul(t(3, 4, 5)),
                "matmul", "[2, 3, 4]", "[3, 4, 5]");
    }

    @Test
    void matmulOfAScalar() {
        expect(IllegalArgumentException.class, () -> t().matmul(t(3)), "matmul", "[]", "[3]");
    }

    // ---- backward ----------------------------------------------------------------------------

    @Test
    void backwardOnANonScalarNeedsAGradient() {
        Tensor x = t(2, 3).requiresGrad(true);
        Tensor y = x.mul(2f);
        expect(IllegalArgumentException.class, y::backward, "backward", "[2, 3]");
    }

    @Test
    void backwardWithAGradientOfTheWrongShape() {
        Tensor x = t(2, 3).requiresGrad(true);
        Tensor y = x.mul(2f);
        expect(IllegalArgumentException.class, () -> y.backward(t(3)), "backward", "[3]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> y.backward(t(3, 2)), "backward", "[3, 2]", "[2, 3]");
    }

    @Test
    void backwardWithoutAGraph() {
        expect(IllegalStateException.class, () -> t(2).sum().backward(), "backward", "does not require grad");
    }

    @Test
    void backwardTwiceThroughAFreedGraph() {
        Tensor x = t(2).requiresGrad(true);
        Tensor y = x.exp().sum();
        y.backward();
        expect(IllegalStateException.class, y::backward, "retainGraph");
    }

    @Test
    void requiresGradOnlyOnFloatLeaves() {
        expect(IllegalArgumentException.class, () -> longs(3).requiresGrad(true), "requiresGrad", "int64");
        Tensor y = t(2).requiresGrad(true).exp();
        expect(IllegalStateException.class, () -> y.requiresGrad(false), "requiresGrad", "exp");
    }

    // ---- dtypes ------------------------------------------------------------------------------

    @Test
    void arithmeticOnInt64() {
        expect(IllegalArgumentException.class, () -> longs(3).add(t(3)), "add", "int64", "[3]");
        expect(IllegalArgumentException.class, () -> t(2, 2).mul(longs(2)), "mul", "int64", "[2]");
        expect(IllegalArgumentException.class, () -> longs(4).exp(), "exp", "int64", "[4]");
        expect(IllegalArgumentException.class, () -> longs(2, 3).sum(), "sum", "int64", "[2, 3]");
        expect(IllegalArgumentException.class, () -> longs(2, 3).matmul(t(3, 2)), "matmul", "int64", "[2, 3]");
        expect(IllegalArgumentException.class, () -> longs(2, 3).softmax(-1), "softmax", "int64", "[2, 3]");
    }

    @Test
    void indexWithTheWrongDtype() {
        expect(IllegalArgumentException.class, () -> t(3, 4).gather(1, t(3, 2)), "gather", "float32", "[3, 2]");
        expect(IllegalArgumentException.class, () -> t(3, 4).indexSelect(0, t(2)), "index_select", "float32", "[2]");
        expect(IllegalArgumentException.class, () -> Functional.crossEntropy(t(3, 4), t(3)),
                "cross_entropy", "float32", "[3]");
    }

    @Test
    void maskWithTheWrongDtype() {
        expect(IllegalArgumentException.class, () -> Functional.where(t(2), t(2), t(2)), "where", "float32", "[2]");
        expect(IllegalArgumentException.class, () -> t(2, 3).maskedFill(t(3), 0f), "where", "float32", "[3]");
        expect(IllegalArgumentException.class, () -> t(2).logicalNot(), "logical_not", "float32", "[2]");
        expect(IllegalArgumentException.class, () -> Functional.where(
                Tensor.ofBooleans(new boolean[2], 2), t(2), longs(2)), "where", "float32", "int64");
    }

    // ---- views -------------------------------------------------------------------------------

    @Test
    void viewOfANonViewableLayout() {
        Tensor x = t(3, 4).transpose(0, 1);
        expect(IllegalArgumentException.class, () -> x.view(12), "view", "[4, 3]", "[12]", "reshape");
        Tensor y = t(4, 6).narrow(1, 1, 3);
        expect(IllegalArgumentException.class, () -> y.view(12), "view", "[4, 3]", "[12]");
    }

    @Test
    void reshapeToTheWrongSize() {
        expect(IllegalArgumentException.class, () -> t(2, 3).reshape(5), "reshape", "[5]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> t(2, 3).reshape(-1, 4), "reshape", "[-1, 4]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> t(2, 3).view(-1, -1), "view", "[-1, -1]", "[2, 3]");
    }

    @Test
    void narrowOutOfRange() {
        expect(IndexOutOfBoundsException.class, () -> t(3, 5).narrow(1, 3, 3), "narrow", "[3, 6)", "5", "[3, 5]");
        expect(IndexOutOfBoundsException.class, () -> t(3, 5).narrow(0, -4, 1), "narrow", "[3, 5]");
        expect(IllegalArgumentException.class, () -> t(3, 5).narrow(2, 0, 1), "narrow", "dimension 2", "rank 2");
    }

    @Test
    void selectOutOfRange() {
        expect(IndexOutOfBoundsException.class, () -> t(3, 5).select(1, 5), "select", "5", "[3, 5]");
        expect(IndexOutOfBoundsException.class, () -> t(3, 5).select(0, -4), "select", "-4", "[3, 5]");
    }

    @Test
    void badPermutationsAndExpands() {
        expect(IllegalArgumentException.class, () -> t(2, 3).permute(0), "permute", "[0]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> t(2, 3).permute(1, 1), "permute", "[1, 1]");
        expect(IllegalArgumentException.class, () -> t(2, 3).expand(4, 3), "expand", "[2, 3]", "[4, 3]");
        expect(IllegalArgumentException.class, () -> t(2, 3).expand(3), "expand", "[2, 3]", "[3]");
        expect(IllegalArgumentException.class, () -> t(2, 3).transpose(0, 2), "transpose", "dimension 2");
    }

    @Test
    void reductionOverAMissingOrRepeatedDimension() {
        expect(IllegalArgumentException.class, () -> t(2, 3).sum(2), "sum", "dimension 2", "rank 2");
        expect(IllegalArgumentException.class, () -> t(2, 3).mean(new int[] {1, -1}, false), "mean", "twice");
        expect(IllegalArgumentException.class, () -> t(2, 3).softmax(-3), "softmax", "dimension -3");
    }

    // ---- joining and indexing ------------------------------------------------------------------

    @Test
    void concatAndStackOfMismatchedShapes() {
        expect(IllegalArgumentException.class, () -> Functional.concat(0, t(2, 3), t(2, 4)),
                "concat", "[2, 3]", "[2, 4]");
        expect(IllegalArgumentException.class, () -> Functional.stack(0, t(2, 3), t(3, 2)),
                "stack", "[2, 3]", "[3, 2]");
    }

    @Test
    void gatherAndIndexSelectOutOfRange() {
        Tensor index = Tensor.ofLongs(new long[] {0, 7}, 1, 2);
        expect(IndexOutOfBoundsException.class, () -> t(2, 5).gather(1, index), "gather", "7", "5");
        expect(IllegalArgumentException.class, () -> t(2, 5).gather(1, longs(3, 2)), "gather", "[3, 2]", "[2, 5]");
        expect(IndexOutOfBoundsException.class, () -> t(4, 3).indexSelect(0, Tensor.ofLongs(new long[] {1, -1}, 2)),
                "index_select", "-1", "4");
        expect(IllegalArgumentException.class, () -> t(4, 3).indexSelect(0, longs(2, 2)), "index_select", "[2, 2]");
    }

    // ---- losses and normalisation ------------------------------------------------------------

    @Test
    void crossEntropyWithALabelOutOfRange() {
        Tensor logits = t(3, 5);
        expect(IndexOutOfBoundsException.class,
                () -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0, 5, 1}, 3)),
                "cross_entropy", "5 classes", "[3, 5]", "[3]");
        expect(IndexOutOfBoundsException.class,
                () -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0, -1, 1}, 3)),
                "cross_entropy", "-1", "[3, 5]", "[3]");
    }

    @Test
    void crossEntropyWithMismatchedShapes() {
        expect(IllegalArgumentException.class, () -> Functional.crossEntropy(t(3, 5), longs(4)),
                "cross_entropy", "[3, 5]", "[4]");
        expect(IllegalArgumentException.class, () -> Functional.crossEntropy(t(2, 5, 7), longs(2, 5)),
                "cross_entropy", "[2, 5, 7]", "[2, 5]", "[2, 7]");
        expect(IllegalArgumentException.class, () -> Functional.crossEntropy(t(3, 5), longs(3), "avg"),
                "cross_entropy", "avg");
    }

    @Test
    void layerNormWithMismatchedNormalizedShape() {
        expect(IllegalArgumentException.class,
                () -> Functional.layerNorm(t(2, 3), new int[] {4}, null, null, 1e-5f),
                "layer_norm", "[4]", "[2, 3]");
        expect(IllegalArgumentException.class,
                () -> Functional.layerNorm(t(3), new int[] {2, 3}, null, null, 1e-5f),
                "layer_norm", "[2, 3]", "[3]");
        expect(IllegalArgumentException.class,
                () -> Functional.layerNorm(t(2, 3), new int[] {3}, t(4), null, 1e-5f),
                "layer_norm", "weight", "[4]", "[3]");
        expect(IllegalArgumentException.class,
                () -> Functional.layerNorm(t(2, 3), new int[] {3}, t(3), t(1, 3), 1e-5f),
                "layer_norm", "bias", "[1, 3]", "[3]");
    }

    @Test
    void creationWithTheWrongNumberOfValues() {
        expect(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3), "of", "5", "[2, 3]");
        expect(IllegalArgumentException.class, () -> Tensor.zeros(2, -1), "[2, -1]");
        expect(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0), "arange", "step");
        expect(IllegalStateException.class, () -> t(2, 3).item(), "item", "[2, 3]");
    }
}
