package org.iboot4j.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.ConvGeometry;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.PoolGeometry;
import org.iboot4j.engine.backend.ReduceOp;
import org.iboot4j.engine.backend.SgdStep;
import org.iboot4j.engine.backend.Storage;
import org.iboot4j.engine.backend.UnaryOp;

/**
 * The pure-Java backend: tensors in heap arrays, kernels in plain Java and the Vector API,
 * multi-threaded by {@link Parallel}. Always available; the reference twin of every GPU kernel.
 * This class only routes each primitive to the kernel family that implements it.
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Storage allocate(DType dtype, int length) {
        return CpuStorage.allocate(this, dtype, length, true);
    }

    @Override
    public Storage allocateUninitialized(DType dtype, int length) {
        return CpuStorage.allocate(this, dtype, length, false);
    }

    @Override
    public Storage fromFloats(float[] data) {
        return new CpuStorage(this, data);
    }

    @Override
    public Storage fromLongs(long[] data) {
        return new CpuStorage(this, data);
    }

    @Override
    public Storage fromBooleans(boolean[] data) {
        return new CpuStorage(this, data);
    }

    @Override
    public float[] readFloats(Tensor t) {
        Tensor c = contiguousAs(t, DType.F32);
        return java.util.Arrays.copyOfRange(CpuElementwise.storage(c).floats(), c.offset(), c.offset() + c.numel());
    }

    @Override
    public long[] readLongs(Tensor t) {
        Tensor c = contiguousAs(t, DType.I64);
        return java.util.Arrays.copyOfRange(CpuElementwise.storage(c).longs(), c.offset(), c.offset() + c.numel());
    }

    @Override
    public boolean[] readBooleans(Tensor t) {
        Tensor c = contiguousAs(t, DType.BOOL);
        return java.util.Arrays.copyOfRange(CpuElementwise.storage(c).booleans(), c.offset(), c.offset() + c.numel());
    }

    /** t itself when already contiguous of that dtype, else a converted contiguous copy. */
    private Tensor contiguousAs(Tensor t, DType dtype) {
        if (t.dtype() == dtype && t.isContiguous()) return t;
        Tensor copy = Tensor.empty(this, dtype, t.shape());
        CpuElementwise.copy(t, copy);
        return copy;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuElementwise.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        CpuElementwise.fill(dst, value);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        CpuElementwise.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.binary(op, a, b, out);
    }

    @Override
    public void where(Tensor condition, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.where(condition, a, b, out);
    }

    @Override
    public void mulAdd(Tensor x, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.mulAdd(x, a, b, out);
    }

    @Override
    public void biasActivation(Tensor x, Tensor bias, FusedActivation act, Tensor out) {
        CpuBiasActivation.forward(x, bias, act, out);
    }

    @Override
    public void biasActivationBackward(Tensor gradOut, Tensor x, Tensor bias, FusedActivation act,
            Tensor gradX, Tensor gradBias) {
        CpuBiasActivation.backward(gradOut, x, bias, act, gradX, gradBias);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] dims, Tensor out) {
        CpuReduce.reduce(op, x, dims, out);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        CpuMatmul.matmul(a, b, out);
    }

    @Override
    public void softmax(Tensor x, boolean log, Tensor out) {
        CpuNormalization.softmax(x, log, out);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor gradY, boolean log, Tensor gradX) {
        CpuNormalization.softmaxBackward(y, gradY, log, gradX);
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        CpuNormalization.layerNorm(x, weight, bias, eps, out, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor rstd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias) {
        CpuNormalization.layerNormBackward(gradOut, x, weight, mean, rstd, gradX, gradWeight, gradBias);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        CpuIndexing.indexSelect(x, dim, index, out);
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        CpuIndexing.indexAdd(dst, dim, index, src);
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        CpuIndexing.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        CpuIndexing.scatterAdd(dst, dim, index, src);
    }

    @Override
    public void conv3d(Tensor x, Tensor weight, Tensor bias, ConvGeometry geometry, Tensor out) {
        CpuConv3d.forward(x, weight, bias, geometry, out);
    }

    @Override
    public void conv3dBackwardData(Tensor gradOut, Tensor weight, ConvGeometry geometry, Tensor gradX) {
        CpuConv3d.backwardData(gradOut, weight, geometry, gradX);
    }

    @Override
    public void conv3dBackwardFilter(Tensor gradOut, Tensor x, ConvGeometry geometry, Tensor gradWeight) {
        CpuConv3d.backwardFilter(gradOut, x, geometry, gradWeight);
    }

    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor var) {
        CpuBatchNorm.train(x, weight, bias, eps, out, mean, var);
    }

    @Override
    public void batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor invStd,
            Tensor gradX, Tensor gradWeight, Tensor gradBias) {
        CpuBatchNorm.backward(gradOut, x, weight, mean, invStd, gradX, gradWeight, gradBias);
    }

    @Override
    public void maxPool3d(Tensor x, PoolGeometry geometry, Tensor out, Tensor indices) {
        CpuPooling.maxPool3d(x, geometry, out, indices);
    }

    @Override
    public void maxPool3dBackward(Tensor gradOut, Tensor indices, Tensor gradX) {
        CpuPooling.maxPool3dBackward(gradOut, indices, gradX);
    }

    @Override
    public void avgPool3d(Tensor x, PoolGeometry geometry, boolean countIncludePad, Tensor out) {
        CpuPooling.avgPool3d(x, geometry, countIncludePad, out);
    }

    @Override
    public void avgPool3dBackward(Tensor gradOut, PoolGeometry geometry, boolean countIncludePad, Tensor gradX) {
        CpuPooling.avgPool3dBackward(gradOut, geometry, countIncludePad, gradX);
    }

    @Override
    public void adaptiveAvgPool3d(Tensor x, Tensor out) {
        CpuPooling.adaptiveAvgPool3d(x, out);
    }

    @Override
    public void adaptiveAvgPool3dBackward(Tensor gradOut, Tensor gradX) {
        CpuPooling.adaptiveAvgPool3dBackward(gradOut, gradX);
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, SgdStep step) {
        CpuOptimizer.sgdStep(param, grad, momentumBuffer, step);
    }

    @Override
    public void cosineLoss(Tensor q, Tensor k, Tensor loss, Tensor gradK) {
        CpuCosineLoss.forwardBackward(q, k, loss, gradK);
    }

    @Override
    public void augmentClips(MemorySegment frames, List<AugmentClip> clips, Tensor out) {
        CpuAugment.apply(frames, clips, out.size(2), out.size(3), out.size(4), CpuElementwise.storage(out).floats(),
                out.offset());
    }
}
