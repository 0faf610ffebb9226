package org.iboot4j.engine;

import java.util.Arrays;

/**
 * Selecting, joining and masking: where, concat/stack, index-select and gather. Each backward
 * routes the gradient back to the positions the forward read from (adding where several
 * outputs read the same input element).
 */
final class IndexOps {
    private IndexOps() {}

    /** condition ? a : b with broadcasting; the gradient goes to the side that was chosen. */
    static Tensor where(Tensor condition, Tensor a, Tensor b) {
        condition.requireDType("where", DType.BOOL);
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("where: the two branches have different dtypes, "
                    + a.dtype() + " " + Shapes.str(a.shape()) + " and " + b.dtype() + " "
                    + Shapes.str(b.shape()));
        }
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", condition.shape(),
                a.shape()), b.shape());
        Tensor out = Tensor.empty(a.backend(), a.dtype(), shape);
        a.backend().where(condition.expand(shape), a.detach().expand(shape),
                b.detach().expand(shape), out);
        return Autograd.record("where", out, (g, n) -> {
            Tensor zero = g.scalarLike(0);
            return new Tensor[] {null,
                n[1] ? where(condition, g, zero) : null,
                n[2] ? where(condition, zero, g) : null};
        }, null, a, b);
    }

    /** Joins tensors along an existing dimension; backward hands each its slice of g. */
    static Tensor concat(Tensor[] parts, int dim) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: no tensors given");
        Tensor first = parts[0];
        int d = Shapes.dim("concat", dim, first.dim());
        int[] shape = first.shape();
        int total = 0;
        for (Tensor p : parts) {
            int[] s = p.shape();
            s[d] = shape[d];
            if (p.dtype() != first.dtype() || !Arrays.equals(s, shape)) {
                throw new IllegalArgumentException("concat: along dimension " + d + " shapes "
                        + Shapes.str(first.shape()) + " " + first.dtype() + " and "
                        + Shapes.str(p.shape()) + " " + p.dtype() + " do not match");
            }
            PointwiseOps.requireSameBackend("concat", first, p);
            total += p.shape()[d];
        }
        shape[d] = total;
        Tensor out = Tensor.empty(first.backend(), first.dtype(), shape);
        int[] starts = new int[parts.length];
        for (int i = 0, at = 0; i < parts.length; i++) {
            starts[i] = at;
            int len = parts[i].shape()[d];
            first.backend().copy(parts[i], out.narrow(d, at, len));
            at += len;
        }
        return Autograd.record("concat", out, (g, n) -> {
            Tensor[] grads = new Tensor[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (n[i]) grads[i] = g.narrow(d, starts[i], parts[i].shape()[d]);
            }
            return grads;
        }, parts);
    }

    /** Joins tensors of one shape along a new dimension. */
    static Tensor stack(Tensor[] parts, int dim) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: no tensors given");
        int d = Shapes.dim("stack", dim, parts[0].dim() + 1);
        for (Tensor p : parts) {
            if (!Arrays.equals(p.shape(), parts[0].shape())) {
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(parts[0].shape())
                        + " and " + Shapes.str(p.shape()) + " differ");
            }
        }
        return concat(Arrays.stream(parts).map(p -> p.unsqueeze(d)).toArray(Tensor[]::new), d);
    }

    /** out = x with dimension dim indexed by index (int64, 1-d); backward: index_add. */
    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int d = Shapes.dim("index_select", dim, x.dim());
        index.requireDType("index_select", DType.I64);
        if (index.dim() != 1) {
            throw new IllegalArgumentException("index_select: the index must be 1-d, got shape "
                    + Shapes.str(index.shape()));
        }
        int[] shape = x.shape();
        shape[d] = index.numel();
        Tensor out = Tensor.empty(x.backend(), x.dtype(), shape);
        x.backend().indexSelect(x, d, index, out);
        int[] inShape = x.shape();
        return Autograd.record("index_select", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, inShape);
            g.backend().indexAdd(gx, d, index, g);
            return new Tensor[] {gx};
        }, x);
    }

    /** out[..i..] = x[..index[..i..]..] along dim; backward: scatter_add. */
    static Tensor gather(Tensor x, int dim, Tensor index) {
        int d = Shapes.dim("gather", dim, x.dim());
        index.requireDType("gather", DType.I64);
        int[] xs = x.shape(), is = index.shape();
        boolean fits = is.length == xs.length;
        for (int i = 0; fits && i < xs.length; i++) fits = i == d || is[i] <= xs[i];
        if (!fits) {
            throw new IllegalArgumentException("gather: index shape " + Shapes.str(is)
                    + " does not fit input shape " + Shapes.str(xs) + " along dimension " + d);
        }
        Tensor out = Tensor.empty(x.backend(), x.dtype(), is);
        x.backend().gather(x, d, index, out);
        return Autograd.record("gather", out, (g, n) -> {
            Tensor gx = Tensor.empty(g.backend(), DType.F32, xs);
            g.backend().scatterAdd(gx, d, index, g);
            return new Tensor[] {gx};
        }, x);
    }

    /** p && q for bool masks (broadcast). */
    static Tensor logicalAnd(Tensor p, Tensor q) {
        q.requireDType("logical_and", DType.BOOL);
        return where(p, q, constantLike(q, false));
    }

    /** p || q for bool masks (broadcast). */
    static Tensor logicalOr(Tensor p, Tensor q) {
        p.requireDType("logical_or", DType.BOOL);
        return where(q, constantLike(p, true), p);
    }

    static Tensor logicalNot(Tensor p) {
        p.requireDType("logical_not", DType.BOOL);
        return where(p, constantLike(p, false), constantLike(p, true));
    }

    private static Tensor constantLike(Tensor t, boolean value) {
        Tensor c = Tensor.empty(t.backend(), DType.BOOL);
        if (value) t.backend().fill(c, 1);
        return c;
    }
}
