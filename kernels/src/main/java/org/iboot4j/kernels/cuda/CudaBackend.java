package org.iboot4j.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Supplier;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
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
 * The CUDA backend: tensors in device memory, primitives as cuBLAS (matmul), cuDNN
 * (convolution, batch-norm, average pooling) and the hand-written PTX kernels (everything else).
 * Registered through {@code META-INF/services/org.iboot4j.engine.backend.Backend} with priority
 * 10, so it becomes the default wherever it is available; {@code -Diboot.backend=cpu} overrides.
 *
 * <p>Construction does nothing native (ServiceLoader instantiates every backend, GPU or not).
 * {@link #unavailableReason()} runs the {@link CudaProbe} once and never throws: without a
 * driver, a device, cuBLAS or cuDNN it answers one line naming what is missing and the engine
 * stays on the CPU. The device is opened on first use ({@code -Diboot.cuda.device=N}, default 0).
 *
 * <p>Every primitive queues its work on one stream and returns without waiting; reading values
 * back ({@link #readFloats} etc.) synchronises. Memory: see {@link CachingAllocator} and
 * {@link TensorScope}.
 */
public final class CudaBackend implements Backend {
    private static final ThreadLocal<Boolean> SKIP_ZERO_FILL = ThreadLocal.withInitial(() -> false);

    private final int ordinal = Integer.getInteger("iboot.cuda.device", 0);
    private final CudaProbe.Environment environment;
    private volatile CudaProbe.Result probe;
    private volatile Gpu gpu;

    /** The backend ServiceLoader creates: probes the real machine when first asked. */
    public CudaBackend() {
        this(new CudaProbe.RealEnvironment());
    }

    /** A backend that probes {@code environment} (tests). */
    CudaBackend(CudaProbe.Environment environment) {
        this.environment = environment;
    }

    @Override
    public String name() {
        return "cuda:" + ordinal;
    }

    @Override
    public String unavailableReason() {
        return probe().reason();
    }

    private CudaProbe.Result probe() {
        CudaProbe.Result p = probe;
        if (p == null) {
            synchronized (this) {
                p = probe;
                if (p == null) probe = p = CudaProbe.probe(environment, ordinal);
            }
        }
        return p;
    }

    @Override
    public int priority() {
        return 10;
    }

    /** The running GPU state, opening the device on first use. */
    public Gpu gpu() {
        Gpu g = gpu;
        if (g == null) {
            synchronized (this) {
                g = gpu;
                if (g == null) {
                    String why = unavailableReason();
                    if (why != null) throw new IllegalStateException("the " + name() + " backend is not available: " + why);
                    gpu = g = new Gpu(this, probe(), ordinal);
                }
            }
        }
        return g;
    }

    /** The device this backend runs on. */
    public CudaDevice device() {
        return gpu().context().device();
    }

    /** The caching allocator's counters. */
    public MemoryStats memoryStats() {
        return gpu().context().allocator().stats();
    }

    /** Waits for all queued device work (asynchronous errors surface here). */
    public void synchronize() {
        scoped(() -> gpu().context().synchronize());
    }

    /**
     * One line about the device when available (name, compute capability, memory, driver,
     * cuBLAS and cuDNN versions), otherwise the name and why it is unavailable. {@code iboot info}
     * prints this.
     */
    @Override
    public String toString() {
        String why = unavailableReason();
        if (why != null) return name() + " (unavailable: " + why + ")";
        try {
            return name() + ": " + gpu().describe();
        } catch (RuntimeException e) {
            return name() + " (failed to open: " + CudaProbe.oneLine(String.valueOf(e.getMessage())) + ")";
        }
    }

    /** Runs {@code make} with this thread's allocations left unfilled (internal temporaries). */
    <T> T uninitialized(Supplier<T> make) {
        boolean before = SKIP_ZERO_FILL.get();
        SKIP_ZERO_FILL.set(true);
        try {
            return make.get();
        } finally {
            SKIP_ZERO_FILL.set(before);
        }
    }

    // ---- storage -------------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, int length) {
        CudaStorage s = allocateRaw(dtype, length);
        if (!SKIP_ZERO_FILL.get() && length > 0) {
            gpu().context().memset8(s.address(), (byte) 0, (long) length * CudaStorage.elementSize(dtype));
        }
        return s;
    }

    private CudaStorage allocateRaw(DType dtype, int length) {
        if (length < 0) throw new IllegalArgumentException("negative length " + length);
        if (length == 0) return new CudaStorage(this, dtype, 0, null);
        Gpu g = gpu();
        // Unscoped buffer: the tensor's storage is what a TensorScope owns (keeping the tensor keeps it).
        return new CudaStorage(this, dtype, length,
                g.context().allocator().allocate((long) length * CudaStorage.elementSize(dtype), false));
    }

    @Override
    public Storage fromFloats(float[] data) {
        CudaStorage s = allocateRaw(DType.F32, data.length);
        if (data.length > 0) {
            gpu().context().upload(s.address(), 4L * data.length,
                    (buf, offset, n) -> buf.asFloatBuffer().put(data, (int) (offset / 4), n / 4));
        }
        return s;
    }

    @Override
    public Storage fromLongs(long[] data) {
        CudaStorage s = allocateRaw(DType.I64, data.length);
        if (data.length > 0) {
            gpu().context().upload(s.address(), 8L * data.length,
                    (buf, offset, n) -> buf.asLongBuffer().put(data, (int) (offset / 8), n / 8));
        }
        return s;
    }

    @Override
    public Storage fromBooleans(boolean[] data) {
        CudaStorage s = allocateRaw(DType.BOOL, data.length);
        if (data.length > 0) {
            gpu().context().upload(s.address(), data.length, (buf, offset, n) -> {
                for (int i = 0; i < n; i++) buf.put(i, data[(int) offset + i] ? (byte) 1 : (byte) 0);
            });
        }
        return s;
    }

    @Override
    public float[] readFloats(Tensor t) {
        try (TensorScope _ = TensorScope.open()) {
            return readFloats(gpu(), t);
        }
    }

    private static float[] readFloats(Gpu g, Tensor t) {
        Tensor c = g.contiguousF32(t);
        float[] out = new float[c.numel()];
        if (out.length > 0) {
            g.context().download(g.ptr(c), 4L * out.length,
                    (buf, offset, n) -> buf.asFloatBuffer().get(out, (int) (offset / 4), n / 4));
        }
        return out;
    }

    @Override
    public long[] readLongs(Tensor t) {
        try (TensorScope _ = TensorScope.open()) {
            return readLongs(gpu(), t);
        }
    }

    private static long[] readLongs(Gpu g, Tensor t) {
        Tensor c = t.dtype() == DType.I64 ? g.contiguous(t) : convert(g, t, DType.I64);
        long[] out = new long[c.numel()];
        if (out.length > 0) {
            g.context().download(g.ptr(c), 8L * out.length,
                    (buf, offset, n) -> buf.asLongBuffer().get(out, (int) (offset / 8), n / 8));
        }
        return out;
    }

    @Override
    public boolean[] readBooleans(Tensor t) {
        try (TensorScope _ = TensorScope.open()) {
            return readBooleans(gpu(), t);
        }
    }

    private static boolean[] readBooleans(Gpu g, Tensor t) {
        Tensor c = t.dtype() == DType.BOOL ? g.contiguous(t) : convert(g, t, DType.BOOL);
        boolean[] out = new boolean[c.numel()];
        if (out.length > 0) {
            g.context().download(g.ptr(c), out.length, (buf, offset, n) -> {
                for (int i = 0; i < n; i++) out[(int) offset + i] = buf.get(i) != 0;
            });
        }
        return out;
    }

    private static Tensor convert(Gpu g, Tensor t, DType dtype) {
        Tensor c = g.temp(dtype, t.shape());
        g.elementwise.copy(t, c);
        return c;
    }

    // ---- primitives: each routes to its kernel family ---------------------------------------------

    /**
     * Runs one primitive inside its own {@link TensorScope}: the temporaries it makes (contiguous
     * copies, padded buffers, workspaces) go back to the allocator's cache as soon as it has
     * queued its work, instead of waiting for the garbage collector. Outputs are allocated by the
     * caller, outside, and are not affected. (Stream order makes the early release safe.)
     */
    private static void scoped(Runnable primitive) {
        try (TensorScope _ = TensorScope.open()) {
            primitive.run();
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        scoped(() -> gpu().elementwise.copy(src, dst));
    }

    @Override
    public void fill(Tensor dst, double value) {
        scoped(() -> gpu().elementwise.fill(dst, value));
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        scoped(() -> gpu().elementwise.unary(op, x, out));
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        scoped(() -> gpu().elementwise.binary(op, a, b, out));
    }

    @Override
    public void where(Tensor condition, Tensor a, Tensor b, Tensor out) {
        scoped(() -> gpu().elementwise.where(condition, a, b, out));
    }

    /** The product into out, then out + b in place: two launches, the same roundings as the CPU's one pass. */
    @Override
    public void mulAdd(Tensor x, Tensor a, Tensor b, Tensor out) {
        scoped(() -> {
            gpu().elementwise.binary(BinaryOp.MUL, x, a, out);
            gpu().elementwise.binary(BinaryOp.ADD, out, b, out);
        });
    }

    @Override
    public void biasActivation(Tensor x, Tensor bias, FusedActivation act, Tensor out) {
        scoped(() -> gpu().biasActivation.forward(x, bias, act, out));
    }

    @Override
    public void biasActivationBackward(Tensor gradOut, Tensor x, Tensor bias, FusedActivation act, Tensor gradX,
            Tensor gradBias) {
        scoped(() -> gpu().biasActivation.backward(gradOut, x, bias, act, gradX, gradBias));
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] dims, Tensor out) {
        scoped(() -> gpu().reduce.reduce(op, x, dims, out));
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        scoped(() -> gpu().matmul.matmul(a, b, out));
    }

    @Override
    public void softmax(Tensor x, boolean log, Tensor out) {
        scoped(() -> gpu().normalization.softmax(x, log, out));
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor gradY, boolean log, Tensor gradX) {
        scoped(() -> gpu().normalization.softmaxBackward(y, gradY, log, gradX));
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        scoped(() -> gpu().normalization.layerNorm(x, weight, bias, eps, out, mean, rstd));
    }

    @Override
    public void layerNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradX,
            Tensor gradWeight, Tensor gradBias) {
        scoped(() -> gpu().normalization.layerNormBackward(gradOut, x, weight, mean, rstd, gradX, gradWeight, gradBias));
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        scoped(() -> gpu().indexing.indexSelect(x, dim, index, out));
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        scoped(() -> gpu().indexing.indexAdd(dst, dim, index, src));
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        scoped(() -> gpu().indexing.gather(x, dim, index, out));
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        scoped(() -> gpu().indexing.scatterAdd(dst, dim, index, src));
    }

    @Override
    public void conv3d(Tensor x, Tensor weight, Tensor bias, ConvGeometry geometry, Tensor out) {
        scoped(() -> gpu().convolution.forward(x, weight, bias, geometry, out));
    }

    @Override
    public void conv3dBackwardData(Tensor gradOut, Tensor weight, ConvGeometry geometry, Tensor gradX) {
        scoped(() -> gpu().convolution.backwardData(gradOut, weight, geometry, gradX));
    }

    @Override
    public void conv3dBackwardFilter(Tensor gradOut, Tensor x, ConvGeometry geometry, Tensor gradWeight) {
        scoped(() -> gpu().convolution.backwardFilter(gradOut, x, geometry, gradWeight));
    }

    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor var) {
        scoped(() -> gpu().convolution.batchNormTrain(x, weight, bias, eps, out, mean, var));
    }

    @Override
    public void batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradX,
            Tensor gradWeight, Tensor gradBias) {
        scoped(() -> gpu().convolution.batchNormBackward(gradOut, x, weight, mean, invStd, gradX, gradWeight, gradBias));
    }

    @Override
    public void maxPool3d(Tensor x, PoolGeometry geometry, Tensor out, Tensor indices) {
        scoped(() -> gpu().pooling.maxPool3d(x, geometry, out, indices));
    }

    @Override
    public void maxPool3dBackward(Tensor gradOut, Tensor indices, Tensor gradX) {
        scoped(() -> gpu().pooling.maxPool3dBackward(gradOut, indices, gradX));
    }

    @Override
    public void avgPool3d(Tensor x, PoolGeometry geometry, boolean countIncludePad, Tensor out) {
        scoped(() -> gpu().pooling.avgPool3d(x, geometry, countIncludePad, out));
    }

    @Override
    public void avgPool3dBackward(Tensor gradOut, PoolGeometry geometry, boolean countIncludePad, Tensor gradX) {
        scoped(() -> gpu().pooling.avgPool3dBackward(gradOut, geometry, countIncludePad, gradX));
    }

    @Override
    public void adaptiveAvgPool3d(Tensor x, Tensor out) {
        scoped(() -> gpu().pooling.adaptiveAvgPool3d(x, out));
    }

    @Override
    public void adaptiveAvgPool3dBackward(Tensor gradOut, Tensor gradX) {
        scoped(() -> gpu().pooling.adaptiveAvgPool3dBackward(gradOut, gradX));
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, SgdStep step) {
        scoped(() -> gpu().optimizer.sgdStep(param, grad, momentumBuffer, step));
    }

    @Override
    public void cosineLoss(Tensor q, Tensor k, Tensor loss, Tensor gradK) {
        scoped(() -> gpu().loss.cosineLoss(q, k, loss, gradK));
    }

    @Override
    public void augmentClips(MemorySegment frames, List<AugmentClip> clips, Tensor out) {
        scoped(() -> GpuAugment.apply(this, frames, clips, out));
    }
}
