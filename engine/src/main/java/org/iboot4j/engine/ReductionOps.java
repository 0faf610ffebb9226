package org.iboot4j.engine;

import org.iboot4j.engine.backend.ReduceOp;

/**
 * Reductions over any set of dimensions, with or without keeping them as size 1.
 * Sum, max and min are backend primitives; mean and variance are compositions whose
 * gradients follow from those of sum, sub, mul and div.
 */
final class ReductionOps {
    private ReductionOps() {}

    /** Backward: every input element receives the gradient of its output element. */
    static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        int[] ds = Shapes.dims("sum", dims, x.dim());
        int[] keptShape = Shapes.reduced(x.shape(), ds, true);
        Tensor out = reduce("sum", ReduceOp.SUM, x, ds, keptShape);
        int[] inShape = x.shape();
        Tensor recorded = Autograd.record("sum", out,
                (g, n) -> new Tensor[] {g.expand(inShape)}, x);
        return keepdim ? recorded : recorded.reshape(Shapes.reduced(inShape, ds, false));
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        int[] ds = Shapes.dims("mean", dims, x.dim());
        return sum(x, ds, keepdim).div(count(x, ds));
    }

    static Tensor max(Tensor x, int[] dims, boolean keepdim) {
        return extreme("max", ReduceOp.MAX, x, dims, keepdim);
    }

    static Tensor min(Tensor x, int[] dims, boolean keepdim) {
        return extreme("min", ReduceOp.MIN, x, dims, keepdim);
    }

    /**
     * max/min: the gradient goes to the elements equal to the result, shared equally among
     * ties (torch.amax/amin semantics).
     */
    private static Tensor extreme(String name, ReduceOp op, Tensor x, int[] dims, boolean keepdim) {
        int[] ds = Shapes.dims(name, dims, x.dim());
        if (x.numel() == 0) {
            throw new IllegalArgumentException(name + ": cannot reduce an empty tensor "
                    + Shapes.str(x.shape()));
        }
        int[] keptShape = Shapes.reduced(x.shape(), ds, true);
        Tensor out = reduce(name, op, x, ds, keptShape);
        Tensor recorded = Autograd.record(name, out, (g, n) -> {
            Tensor hits = x.eq(out).to(DType.F32);
            Tensor ties = reduce(name, ReduceOp.SUM, hits, ds, keptShape);
            return new Tensor[] {hits.mul(g.div(ties))};
        }, x);
        return keepdim ? recorded : recorded.reshape(Shapes.reduced(x.shape(), ds, false));
    }

    /** sum((x - mean)^2) / (N - correction). */
    static Tensor var(Tensor x, int[] dims, int correction, boolean keepdim) {
        int[] ds = Shapes.dims("var", dims, x.dim());
        Tensor centred = x.sub(mean(x, ds, true));
        return sum(centred.mul(centred), ds, keepdim).div(Math.max(0, count(x, ds) - correction));
    }

    /** The first index of the largest value along dim: min over {index where x == max}. */
    static Tensor argmax(Tensor x, int dim, boolean keepdim) {
        int d = Shapes.dim("argmax", dim, x.dim());
        try (var ignored = GradMode.disable()) {
            Tensor best = max(x, new int[] {d}, true);
            int[] indexShape = new int[x.dim()];
            java.util.Arrays.fill(indexShape, 1);
            indexShape[d] = x.shape()[d];
            Tensor index = Tensor.arange(x.shape()[d]).to(x.backend()).reshape(indexShape);
            Tensor candidates = IndexOps.where(x.eq(best), index, x.scalarLike(Float.POSITIVE_INFINITY));
            return min(candidates, new int[] {d}, keepdim).to(DType.I64);
        }
    }

    private static int count(Tensor x, int[] dims) {
        int n = 1;
        for (int d : dims) n *= x.shape()[d];
        return n;
    }

    private static Tensor reduce(String name, ReduceOp op, Tensor x, int[] dims, int[] keptShape) {
        x.requireDType(name, DType.F32);
        Tensor out = Tensor.empty(x.backend(), DType.F32, keptShape);
        x.backend().reduce(op, x, dims, out);
        return out;
    }
}
