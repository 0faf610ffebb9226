package org.iboot4j.kernels.cuda;

import java.util.Arrays;
import java.util.Locale;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.kernels.ptx.KernelCatalogue;

/**
 * The live GPU state behind a {@link CudaBackend}: the context (device, primary context,
 * stream, allocator), the PTX kernels, the cuBLAS and cuDNN handles, and the small helpers every
 * kernel family uses (device addresses of tensors, temporaries, contiguous copies).
 *
 * <p>Settings (system properties): {@code iboot.cuda.tf32} (TF32 tensor-core math for GEMMs and
 * convolutions, default false), {@code iboot.cuda.convAlgo} ({@code heuristic}, the default, or
 * {@code find} to time cuDNN's algorithms once per shape), {@code iboot.cuda.workspaceMiB}
 * (largest cuDNN workspace, default 1024), {@code iboot.cuda.deterministic} (only deterministic
 * cuDNN algorithms), {@code iboot.cuda.syncLaunches} (synchronise after every kernel, to pin an
 * asynchronous fault on its kernel).
 */
public final class Gpu implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gpu.class.getName());

    final CudaBackend backend;
    final CudaContext context;
    final Kernels kernels;
    final Cublas cublas;
    final Cudnn cudnn;
    final String cublasLibrary, cudnnLibrary, cudnnVersion;
    final GpuElementwise elementwise;
    final GpuBiasActivation biasActivation;
    final GpuReduce reduce;
    final GpuMatmul matmul;
    final GpuNormalization normalization;
    final GpuIndexing indexing;
    final GpuConvolution convolution;
    final GpuPooling pooling;
    final GpuOptimizer optimizer;
    final GpuLoss loss;

    Gpu(CudaBackend backend, CudaProbe.Result probe, int ordinal) {
        this.backend = backend;
        this.context = CudaContext.open(ordinal);
        this.kernels = new Kernels(context);
        this.cublas = Cublas.create(probe.cublas(), context.stream());
        boolean tf32 = Boolean.getBoolean("iboot.cuda.tf32");
        cublas.setTf32(tf32);
        Cudnn.AlgoSearch search = "find".equalsIgnoreCase(System.getProperty("iboot.cuda.convAlgo", "heuristic"))
                ? Cudnn.AlgoSearch.FIND : Cudnn.AlgoSearch.HEURISTIC;
        long workspace = Long.getLong("iboot.cuda.workspaceMiB", 1024) << 20;
        this.cudnn = Cudnn.create(probe.cudnn(), context.stream(), context.allocator(), search, workspace,
                Boolean.getBoolean("iboot.cuda.deterministic"));
        cudnn.setTf32(tf32);
        cublasLibrary = probe.cublas().library().soname();
        cudnnLibrary = probe.cudnn().library().soname();
        cudnnVersion = probe.cudnn().version();
        LOG.log(System.Logger.Level.INFO, "CUDA backend on {0}: cuBLAS {1} ({2}), cuDNN {3} ({4}), {5}",
                context.device(), Cublas.versionString(cublas.version()), cublasLibrary, cudnnVersion, cudnnLibrary,
                tf32 ? "TF32 on" : "FP32 (TF32 off)");
        elementwise = new GpuElementwise(this);
        biasActivation = new GpuBiasActivation(this);
        reduce = new GpuReduce(this);
        matmul = new GpuMatmul(this);
        normalization = new GpuNormalization(this);
        indexing = new GpuIndexing(this);
        convolution = new GpuConvolution(this);
        pooling = new GpuPooling(this);
        optimizer = new GpuOptimizer(this);
        loss = new GpuLoss(this);
    }

    public CudaContext context() {
        return context;
    }

    public Kernels kernels() {
        return kernels;
    }

    public Cublas cublas() {
        return cublas;
    }

    public Cudnn cudnn() {
        return cudnn;
    }

    /** Device, memory and library versions in one line (for {@code iboot info}). */
    public String describe() {
        long[] mem = context.memoryInfo();
        return String.format(Locale.ROOT, "%s; memory %.1f GiB free of %.1f GiB; cuBLAS %s (%s), cuDNN %s (%s)%s",
                context.device(), mem[0] / 1073741824.0, mem[1] / 1073741824.0, Cublas.versionString(cublas.version()),
                cublasLibrary, cudnnVersion, cudnnLibrary, cublas.tf32() ? "; TF32 on" : "");
    }

    // ---- helpers for the kernel families ------------------------------------------------------

    /** The CUDA storage behind {@code t}; a clear error for a tensor of another backend. */
    CudaStorage storage(Tensor t) {
        if (t.storage() instanceof CudaStorage s && s.backend() == backend) return s;
        throw new IllegalArgumentException("the " + backend.name() + " backend was handed a tensor on "
                + t.backend().name() + "; move it with to()");
    }

    /** The device address of {@code t}'s first element (storage address plus its offset). */
    long ptr(Tensor t) {
        return storage(t).address(t.offset());
    }

    /** Like {@link #ptr}, 0 for a null tensor (the kernels' "0 = none"). */
    long ptrOrNull(Tensor t) {
        return t == null ? 0 : ptr(t);
    }

    /** A contiguous temporary whose contents are undefined (no zero fill). */
    Tensor temp(DType dtype, int... shape) {
        return backend.uninitialized(() -> Tensor.empty(backend, dtype, shape));
    }

    /** A zero-filled temporary. */
    Tensor zeros(DType dtype, int... shape) {
        return Tensor.empty(backend, dtype, shape);
    }

    /** {@code t} if already contiguous, else a contiguous copy on the device. */
    Tensor contiguous(Tensor t) {
        if (t.isContiguous()) return t;
        Tensor c = temp(t.dtype(), t.shape());
        elementwise.copy(t, c);
        return c;
    }

    /** {@code t} as a contiguous float32 tensor (copying and converting if needed). */
    Tensor contiguousF32(Tensor t) {
        if (t.dtype() == DType.F32) return contiguous(t);
        Tensor c = temp(DType.F32, t.shape());
        elementwise.copy(t, c);
        return c;
    }

    /** A new float32 tensor of {@code shape} holding {@code data} (row-major). */
    Tensor upload(float[] data, int... shape) {
        Tensor t = temp(DType.F32, shape);
        if (data.length != t.numel()) throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
        if (data.length > 0) {
            context.upload(ptr(t), 4L * data.length, (buf, offset, n) -> buf.asFloatBuffer().put(data, (int) (offset / 4), n / 4));
        }
        return t;
    }

    /** Launches the catalogue kernel of {@code args}. */
    void launch(KernelArgs args, LaunchShape shape) {
        kernels.launch(args, shape);
    }

    /** A 1-D grid-stride launch over {@code n} items with the elementwise block size. */
    static LaunchShape elementwiseShape(long n) {
        return LaunchShape.linear(n, KernelCatalogue.ELEMENTWISE_BLOCK, KernelCatalogue.ELEMENTWISE_MAX_GRID);
    }

    /** Number of multiprocessors (sizes grids that should fill the device). */
    int multiprocessors() {
        return Math.max(1, context.device().multiprocessors());
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    @Override
    public void close() {
        kernels.close();
        cudnn.close();
        cublas.close();
        context.close();
    }
}
