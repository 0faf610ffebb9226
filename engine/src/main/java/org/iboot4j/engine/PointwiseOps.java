package org.iboot4j.engine;

import static org.iboot4j.engine.backend.BinaryOp.*;

import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.UnaryOp;

/**
 * Elementwise ops. Binary ops broadcast their operands NumPy-style; their backward returns
 * gradients in the broadcast shape and autograd sums them back to each operand's shape.
 * Each op: the forward on the first line, the backward (d/d input times the upstream g) after.
 */
final class PointwiseOps {
    private PointwiseOps() {}

    // ---- binary arithmetic -----------------------------------------------------------------

    static Tensor add(Tensor a, Tensor b) {
        Tensor out = binary("add", ADD, a, b);
        return Autograd.record("add", out, (g, n) -> new Tensor[] {g, g}, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        Tensor out = binary("sub", SUB, a, b);
        return Autograd.record("sub", out, (g, n) -> new Tensor[] {g, n[1] ? g.neg() : null}, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binary("mul", MUL, a, b);
        return Autograd.record("mul", out, (g, n) -> new Tensor[] {
            n[0] ? g.mul(b) : null,
            n[1] ? g.mul(a) : null}, a, b);
    }

    /**
     * x * a + b in one pass, equal bit for bit to x.mul(a).add(b) (evaluation-mode batch-norm);
     * the backward is theirs: dx = g a, da = g x, db = g.
     */
    static Tensor mulAdd(Tensor x, Tensor a, Tensor b) {
        for (Tensor t : new Tensor[] {x, a, b}) t.requireDType("mul_add", DType.F32);
        requireSameBackend("mul_add", x, a);
        requireSameBackend("mul_add", x, b);
        int[] shape = Shapes.broadcast("mul_add", Shapes.broadcast("mul_add", x.shape(), a.shape()), b.shape());
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, shape);
        x.backend().mulAdd(x.detach().expand(shape), a.detach().expand(shape), b.detach().expand(shape), out);
        return Autograd.record("mul_add", out, (g, n) -> new Tensor[] {
            n[0] ? g.mul(a) : null,
            n[1] ? g.mul(x) : null,
            g}, x, a, b);
    }

    /** d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b. */
    static Tensor div(Tensor a, Tensor b) {
        Tensor out = binary("div", DIV, a, b);
        return Autograd.record("div", out, (g, n) -> new Tensor[] {
            n[0] ? g.div(b) : null,
            n[1] ? g.mul(out).div(b).neg() : null}, a, b);
    }

    /**
     * d(a^b)/da = b a^(b-1) (taken as 0 where b == 0), d(a^b)/db = a^b ln a (taken as 0 where
     * a == 0 and b >= 0), the conventions of PyTorch's pow_backward.
     */
    static Tensor pow(Tensor a, Tensor b) {
        Tensor out = binary("pow", POW, a, b);
        return Autograd.record("pow", out, (g, n) -> {
            Tensor zero = g.scalarLike(0);
            Tensor da = null, db = null;
            if (n[0]) da = IndexOps.where(b.eq(zero), zero, g.mul(b).mul(a.pow(b.sub(1))));
            if (n[1]) {
                Tensor safe = IndexOps.where(a.eq(zero).logicalAnd(b.ge(zero)), zero, out.mul(a.log()));
                db = g.mul(safe);
            }
            return new Tensor[] {da, db};
        }, a, b);
    }

    /** The gradient goes to the larger operand; on a tie each gets half (as PyTorch). */
    static Tensor maximum(Tensor a, Tensor b) {
        Tensor out = binary("maximum", MAXIMUM, a, b);
        return Autograd.record("maximum", out, (g, n) -> tieSplit(g, a, b, GT), a, b);
    }

    static Tensor minimum(Tensor a, Tensor b) {
        Tensor out = binary("minimum", MINIMUM, a, b);
        return Autograd.record("minimum", out, (g, n) -> tieSplit(g, a, b, LT), a, b);
    }

    /** Gradients of max/min: g where a wins, 0 where b wins, g/2 on ties; mirrored for b. */
    private static Tensor[] tieSplit(Tensor g, Tensor a, Tensor b, BinaryOp wins) {
        Tensor zero = g.scalarLike(0);
        Tensor shared = IndexOps.where(a.eq(b), g.mul(0.5f), g);
        return new Tensor[] {
            IndexOps.where(compare(wins, b, a), zero, shared),
            IndexOps.where(compare(wins, a, b), zero, shared)};
    }

    /** A bool mask; comparisons have no gradient. */
    static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        return binary(op.name().toLowerCase(), op, a, b);
    }

    /** Broadcasts both float32 operands and runs one backend primitive. */
    static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        a.requireDType(name, DType.F32);
        b.requireDType(name, DType.F32);
        requireSameBackend(name, a, b);
        int[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        Tensor out = Tensor.uninitialized(a.backend(), op.isComparison() ? DType.BOOL : DType.F32, shape);
        a.backend().binary(op, a.detach().expand(shape), b.detach().expand(shape), out);
        return out;
    }

    static void requireSameBackend(String name, Tensor a, Tensor b) {
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(name + ": operands live on different backends ("
                    + a.backend().name() + " and " + b.backend().name() + "); move one with to()");
        }
    }

    // ---- unary -----------------------------------------------------------------------------

    static Tensor neg(Tensor x) {
        Tensor out = unary(UnaryOp.NEG, x);
        return Autograd.record("neg", out, (g, n) -> new Tensor[] {g.neg()}, x);
    }

    static Tensor exp(Tensor x) {
        Tensor out = unary(UnaryOp.EXP, x);
        return Autograd.record("exp", out, (g, n) -> new Tensor[] {g.mul(out)}, x);
    }

    static Tensor log(Tensor x) {
        Tensor out = unary(UnaryOp.LOG, x);
        return Autograd.record("log", out, (g, n) -> new Tensor[] {g.div(x)}, x);
    }

    /** d sqrt(x) = 1 / (2 sqrt x). */
    static Tensor sqrt(Tensor x) {
        Tensor out = unary(UnaryOp.SQRT, x);
        return Autograd.record("sqrt", out, (g, n) -> new Tensor[] {g.div(out.mul(2))}, x);
    }

    /** d x^(-1/2) = -x^(-3/2) / 2 = -out^3 / 2. */
    static Tensor rsqrt(Tensor x) {
        Tensor out = unary(UnaryOp.RSQRT, x);
        return Autograd.record("rsqrt", out,
                (g, n) -> new Tensor[] {g.mul(out.mul(out).mul(out)).mul(-0.5f)}, x);
    }

    /** d|x| = sign(x) (0 at 0). */
    static Tensor abs(Tensor x) {
        Tensor out = unary(UnaryOp.ABS, x);
        return Autograd.record("abs", out, (g, n) -> new Tensor[] {g.mul(unary(UnaryOp.SIGN, x))}, x);
    }

    static Tensor relu(Tensor x) {
        Tensor out = unary(UnaryOp.RELU, x);
        return Autograd.record("relu", out, (g, n) -> new Tensor[] {fused(RELU_GRAD, out, g)}, x);
    }

    static Tensor sigmoid(Tensor x) {
        Tensor out = unary(UnaryOp.SIGMOID, x);
        return Autograd.record("sigmoid", out,
                (g, n) -> new Tensor[] {fused(SIGMOID_GRAD_FROM_OUTPUT, out, g)}, x);
    }

    static Tensor tanh(Tensor x) {
        Tensor out = unary(UnaryOp.TANH, x);
        return Autograd.record("tanh", out,
                (g, n) -> new Tensor[] {fused(TANH_GRAD_FROM_OUTPUT, out, g)}, x);
    }

    /** d/dx x Phi(x) = Phi(x) + x phi(x). */
    static Tensor gelu(Tensor x) {
        Tensor out = unary(UnaryOp.GELU, x);
        return Autograd.record("gelu", out, (g, n) -> new Tensor[] {fused(GELU_GRAD, x, g)}, x);
    }

    /** d/dx x s(kx) = s + k x s (1 - s), s = sigmoid(kx), k = 1.702. */
    static Tensor quickGelu(Tensor x) {
        Tensor out = unary(UnaryOp.QUICK_GELU, x);
        return Autograd.record("quick_gelu", out,
                (g, n) -> new Tensor[] {fused(QUICK_GELU_GRAD, x, g)}, x);
    }

    /**
     * min(max(x, lo), hi), NaN bounds meaning none. The gradient passes where lo <= x <= hi
     * (both ends included, as PyTorch) and is 0 elsewhere.
     */
    static Tensor clamp(Tensor x, float lo, float hi) {
        if (Float.isNaN(lo) && Float.isNaN(hi)) {
            throw new IllegalArgumentException("clamp: give at least one of min and max");
        }
        Tensor out = x.detach();
        Tensor low = x.scalarLike(lo), high = x.scalarLike(hi);
        if (!Float.isNaN(lo)) out = binary("clamp", MAXIMUM, out, low);
        if (!Float.isNaN(hi)) out = binary("clamp", MINIMUM, out, high);
        return Autograd.record("clamp", out, (g, n) -> {
            Tensor zero = g.scalarLike(0), kept = g;
            if (!Float.isNaN(lo)) kept = IndexOps.where(x.lt(low), zero, kept);
            if (!Float.isNaN(hi)) kept = IndexOps.where(x.gt(high), zero, kept);
            return new Tensor[] {kept};
        }, x);
    }

    /** g * f'(saved), one fused backend primitive. */
    private static Tensor fused(BinaryOp op, Tensor saved, Tensor g) {
        return binary(op.name().toLowerCase(), op, saved, g);
    }

    private static Tensor unary(UnaryOp op, Tensor x) {
        x.requireDType(op.name().toLowerCase(), DType.F32);
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, x.shape());
        x.backend().unary(op, x, out);
        return out;
    }
}
