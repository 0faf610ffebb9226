package org.iboot4j.engine;

import java.util.Arrays;

/**
 * torch.matmul. Vectors are promoted to matrices (a 1-d left operand becomes a row, a 1-d right
 * operand a column) and the added dimension is removed from the result; leading batch
 * dimensions broadcast. The core product is one backend primitive on (B..., M, K) x
 * (B..., K, N); its backward is two more products: dA = g B^T, dB = A^T g (transposes are
 * views, and autograd sums over broadcast batch dimensions).
 */
final class MatmulOp {
    private MatmulOp() {}

    static Tensor matmul(Tensor a, Tensor b) {
        a.requireDType("matmul", DType.F32);
        b.requireDType("matmul", DType.F32);
        PointwiseOps.requireSameBackend("matmul", a, b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dimension,"
                    + " got shapes " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        if (a.dim() == 1 && b.dim() == 1) return batched(a.unsqueeze(0), b.unsqueeze(1), a, b).reshape();
        if (a.dim() == 1) return batched(a.unsqueeze(0), b, a, b).squeeze(-2);
        if (b.dim() == 1) return batched(a, b.unsqueeze(1), a, b).squeeze(-1);
        return batched(a, b, a, b);
    }

    private static Tensor batched(Tensor a, Tensor b, Tensor userA, Tensor userB) {
        int[] as = a.shape(), bs = b.shape();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(userA.shape()) + " and "
                    + Shapes.str(userB.shape()) + " cannot be multiplied (" + k + " columns vs "
                    + bs[bs.length - 2] + " rows)");
        }
        int[] batchA = Arrays.copyOf(as, as.length - 2);
        int[] batchB = Arrays.copyOf(bs, bs.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(userA.shape()) + " and "
                    + Shapes.str(userB.shape()) + " cannot be multiplied (batch dimensions "
                    + Shapes.str(batchA) + " and " + Shapes.str(batchB) + " do not broadcast)", e);
        }
        Tensor ae = a.expand(withLast(batch, m, k)), be = b.expand(withLast(batch, k, n));
        Tensor out = product(ae, be);
        return Autograd.record("matmul", out, (g, need) -> new Tensor[] {
            need[0] ? product(g, be.transpose(-1, -2)) : null,
            need[1] ? product(ae.transpose(-1, -2), g) : null}, ae, be);
    }

    private static Tensor product(Tensor a, Tensor b) {
        int[] shape = a.shape();
        shape[shape.length - 1] = b.shape()[b.dim() - 1];
        Tensor out = Tensor.uninitialized(a.backend(), DType.F32, shape);
        a.backend().matmul(a, b, out);
        return out;
    }

    private static int[] withLast(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
