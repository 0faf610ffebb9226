package org.iboot4j.engine;

import java.util.Arrays;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.backend.Storage;

/**
 * An n-dimensional array: a view (shape, strides, offset) onto a backend's {@link Storage},
 * plus what autograd needs (whether it requires a gradient, the gradient, the node that made it).
 *
 * <p>Tensors are immutable values: every op returns a new tensor, and views (reshape, permute,
 * narrow, expand, ...) share storage without copying. The methods here are thin: each forwards
 * to the op family that implements it ({@link PointwiseOps}, {@link ViewOps},
 * {@link ReductionOps}, ...), where the forward and the backward of each op sit side by side.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    private boolean requiresGrad;
    private Tensor grad;
    private Node node;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---- creation ------------------------------------------------------------------------

    /** A new zero-filled tensor on the current backend. */
    public static Tensor zeros(int... shape) {
        return empty(Backends.current(), DType.F32, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        t.backend().fill(t, value);
        return t;
    }

    /** A 0-dimensional tensor holding one value. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** {@code start, start + step, ...} up to but excluding {@code end}, like torch.arange. */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || !Float.isFinite(start) || !Float.isFinite(end)) {
            throw new IllegalArgumentException("arange: need finite bounds and a non-zero step, got ["
                    + start + ", " + end + ") step " + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / (double) step));
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float) (start + (double) i * step);
        return of(data, n);
    }

    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** A tensor holding {@code data} (copied) in row-major order; no shape gives a 0-d tensor for one value or a vector. */
    public static Tensor of(float[] data, int... shape) {
        if (shape.length == 0 && data.length != 1) shape = new int[] {data.length};
        checkLength("of", data.length, shape);
        return wrap(Backends.current().fromFloats(data.clone()), shape);
    }

    /** An int64 tensor (indices, labels). */
    public static Tensor ofLongs(long[] data, int... shape) {
        if (shape.length == 0 && data.length != 1) shape = new int[] {data.length};
        checkLength("ofLongs", data.length, shape);
        return wrap(Backends.current().fromLongs(data.clone()), shape);
    }

    /** A bool tensor (masks). */
    public static Tensor ofBooleans(boolean[] data, int... shape) {
        if (shape.length == 0 && data.length != 1) shape = new int[] {data.length};
        checkLength("ofBooleans", data.length, shape);
        return wrap(Backends.current().fromBooleans(data.clone()), shape);
    }

    /** Uniform samples in [low, high) from {@code rng}. */
    public static Tensor rand(Rng rng, float low, float high, int... shape) {
        float[] data = new float[Shapes.numel(shape)];
        rng.fillUniform(data, low, high);
        return wrap(Backends.current().fromFloats(data), shape);
    }

    /** Normal samples with the given mean and standard deviation from {@code rng}. */
    public static Tensor randn(Rng rng, float mean, float std, int... shape) {
        float[] data = new float[Shapes.numel(shape)];
        rng.fillNormal(data, mean, std);
        return wrap(Backends.current().fromFloats(data), shape);
    }

    static Tensor onesLike(Tensor t) {
        Tensor out = empty(t.backend(), DType.F32, t.shape);
        out.backend().fill(out, 1);
        return out;
    }

    /** A new zero-filled contiguous tensor on {@code backend}, owned by the thread's open {@link TensorScope} if any. */
    public static Tensor empty(Backend backend, DType dtype, int... shape) {
        return wrap(backend.allocate(dtype, elements(shape)), shape.clone());
    }

    /**
     * A new contiguous tensor for an op's output that the backend primitive about to run writes
     * in full: its contents are unspecified until then (recycled memory is not zero-filled).
     */
    static Tensor uninitialized(Backend backend, DType dtype, int... shape) {
        return wrap(backend.allocateUninitialized(dtype, elements(shape)), shape.clone());
    }

    /** The number of elements of a new tensor of this shape, which must have no negative size. */
    private static int elements(int[] shape) {
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative size in shape " + Shapes.str(shape));
        }
        return Shapes.numel(shape);
    }

    /** A contiguous tensor over a new storage, which the thread's open {@link TensorScope} (if any) now owns. */
    static Tensor wrap(Storage storage, int[] shape) {
        TensorScope.track(storage);
        return new Tensor(storage, shape, Shapes.contiguousStrides(shape), 0);
    }

    private static void checkLength(String op, int length, int[] shape) {
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
    }

    // ---- layout --------------------------------------------------------------------------

    public int[] shape() {
        return shape.clone();
    }

    /** The size of one dimension (negative counts from the end). */
    public int size(int dim) {
        return shape[Shapes.dim("size", dim, shape.length)];
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    public int[] strides() {
        return strides.clone();
    }

    public int offset() {
        return offset;
    }

    public Storage storage() {
        return storage;
    }

    public Backend backend() {
        return storage.backend();
    }

    public DType dtype() {
        return storage.dtype();
    }

    /** Whether the elements lie in row-major order without gaps (size-1 dims ignored). */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) continue;
            if (strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** A view with new shape/strides/offset onto the same storage (no autograd edge). */
    Tensor restride(int[] newShape, int[] newStrides, int newOffset) {
        return new Tensor(storage, newShape, newStrides, newOffset);
    }

    // ---- reading values ------------------------------------------------------------------

    /** The elements in row-major order as floats. */
    public float[] toFloatArray() {
        return backend().readFloats(this);
    }

    public long[] toLongArray() {
        requireDType("toLongArray", DType.I64);
        return backend().readLongs(this);
    }

    public boolean[] toBooleanArray() {
        requireDType("toBooleanArray", DType.BOOL);
        return backend().readBooleans(this);
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: the tensor has shape " + Shapes.str(shape)
                    + ", not one element");
        }
        return toFloatArray()[0];
    }

    void requireDType(String op, DType expected) {
        if (dtype() != expected) {
            throw new IllegalArgumentException(op + ": expected a " + expected + " tensor, got "
                    + dtype() + " " + Shapes.str(shape));
        }
    }

    // ---- autograd ------------------------------------------------------------------------

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor (a parameter) as needing a gradient; returns this. */
    public Tensor requiresGrad(boolean value) {
        if (node != null) {
            throw new IllegalStateException("requiresGrad: only leaf tensors can change it; this"
                    + " one was computed by " + node.op + " (use detach() first)");
        }
        if (value && dtype() != DType.F32) {
            throw new IllegalArgumentException("requiresGrad: only float32 tensors can have"
                    + " gradients, this one is " + dtype());
        }
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before any backward pass reached it. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient (as optimizer.zero_grad(set_to_none=True)). */
    public void zeroGrad() {
        grad = null;
    }

    /** Whether this tensor was made by the user rather than recorded from an op. */
    public boolean isLeaf() {
        return node == null;
    }

    /** Back-propagates from this scalar: d(this)/d(leaf) is added to each leaf's grad. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    /** Back-propagates the upstream gradient {@code gradient} (same shape as this). */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false);
    }

    /** As {@link #backward(Tensor)}; with {@code retainGraph} the graph survives for another pass. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph);
    }

    /** The same values, cut off from the graph: no gradient flows through the result. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    Node node() {
        return node;
    }

    void attach(Node n) {
        node = n;
        requiresGrad = true;
    }

    void accumulateGrad(Tensor g) {
        Tensor fresh = g.contiguous().detach();
        grad = grad == null ? fresh : grad.add(fresh);
    }

    // ---- the one in-place operation ---------------------------------------------------------

    /**
     * Overwrites this tensor's elements with {@code src} (broadcast to this shape, converted to
     * this dtype), in place: the way optimisers update parameters and batch-norm its running
     * statistics. Every view sharing the storage sees the change. Allowed on leaves only, and on
     * a leaf that requires grad only under {@link GradMode#disable()}. Tensors saved for a
     * pending backward pass must not be overwritten (there is no version check).
     */
    public void copyFrom(Tensor src) {
        if (node != null || (requiresGrad && GradMode.isEnabled())) {
            throw new IllegalStateException("copyFrom: cannot overwrite " + this + " in place while"
                    + " autograd tracks it; use a leaf, under GradMode.disable() if it requires grad");
        }
        if (src.backend() != backend()) src = src.to(backend());
        backend().copy(src.detach().expand(shape), this);
    }

    // ---- views (ViewOps) -----------------------------------------------------------------

    /** The same elements in a new shape; one dimension may be -1. Copies only if it must. */
    public Tensor reshape(int... newShape) {
        return ViewOps.reshape(this, newShape);
    }

    /** As reshape, but never copies: fails for layouts a view cannot express. */
    public Tensor view(int... newShape) {
        return ViewOps.view(this, newShape);
    }

    public Tensor permute(int... order) {
        return ViewOps.permute(this, order);
    }

    public Tensor transpose(int dim0, int dim1) {
        return ViewOps.transpose(this, dim0, dim1);
    }

    /** Elements {@code start .. start+length-1} of dimension {@code dim}, as a view. */
    public Tensor narrow(int dim, int start, int length) {
        return ViewOps.narrow(this, dim, start, length);
    }

    /** Python's {@code x[..., start:end:step, ...]} on one dimension, as a view. */
    public Tensor slice(int dim, int start, int end, int step) {
        return ViewOps.slice(this, dim, start, end, step);
    }

    /** Index {@code index} of dimension {@code dim}, which disappears, as a view. */
    public Tensor select(int dim, int index) {
        return ViewOps.select(this, dim, index);
    }

    /** A broadcast view (size-1 dims stretched, new leading dims added); -1 keeps a size. */
    public Tensor expand(int... newShape) {
        return ViewOps.expand(this, newShape);
    }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() {
        return ViewOps.squeeze(this);
    }

    /** Removes dimension {@code dim} if its size is 1 (otherwise returns the same shape). */
    public Tensor squeeze(int dim) {
        return ViewOps.squeeze(this, dim);
    }

    public Tensor unsqueeze(int dim) {
        return ViewOps.unsqueeze(this, dim);
    }

    /** Merges dimensions {@code startDim..endDim} into one. */
    public Tensor flatten(int startDim, int endDim) {
        return ViewOps.flatten(this, startDim, endDim);
    }

    /** This tensor if already contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : ViewOps.copy(this);
    }

    /** Pieces of {@code size} along {@code dim} (the last may be smaller), as views. */
    public Tensor[] split(int size, int dim) {
        return ViewOps.split(this, size, dim);
    }

    /** Converts the element type (float32, int64, bool). */
    public Tensor to(DType dtype) {
        return ViewOps.cast(this, dtype);
    }

    /** The same values on another backend. */
    public Tensor to(Backend target) {
        return ViewOps.transfer(this, target);
    }

    // ---- pointwise (PointwiseOps) --------------------------------------------------------

    public Tensor add(Tensor other) {
        return PointwiseOps.add(this, other);
    }

    public Tensor add(float value) {
        return PointwiseOps.add(this, scalarLike(value));
    }

    public Tensor sub(Tensor other) {
        return PointwiseOps.sub(this, other);
    }

    public Tensor sub(float value) {
        return PointwiseOps.sub(this, scalarLike(value));
    }

    public Tensor mul(Tensor other) {
        return PointwiseOps.mul(this, other);
    }

    public Tensor mul(float value) {
        return PointwiseOps.mul(this, scalarLike(value));
    }

    public Tensor div(Tensor other) {
        return PointwiseOps.div(this, other);
    }

    public Tensor div(float value) {
        return PointwiseOps.div(this, scalarLike(value));
    }

    public Tensor pow(Tensor exponent) {
        return PointwiseOps.pow(this, exponent);
    }

    public Tensor pow(float exponent) {
        return PointwiseOps.pow(this, scalarLike(exponent));
    }

    /** Elementwise max of two tensors (NaN propagates), torch.maximum. */
    public Tensor maximum(Tensor other) {
        return PointwiseOps.maximum(this, other);
    }

    public Tensor minimum(Tensor other) {
        return PointwiseOps.minimum(this, other);
    }

    public Tensor neg() {
        return PointwiseOps.neg(this);
    }

    public Tensor exp() {
        return PointwiseOps.exp(this);
    }

    public Tensor log() {
        return PointwiseOps.log(this);
    }

    public Tensor sqrt() {
        return PointwiseOps.sqrt(this);
    }

    public Tensor rsqrt() {
        return PointwiseOps.rsqrt(this);
    }

    public Tensor abs() {
        return PointwiseOps.abs(this);
    }

    public Tensor relu() {
        return PointwiseOps.relu(this);
    }

    public Tensor sigmoid() {
        return PointwiseOps.sigmoid(this);
    }

    public Tensor tanh() {
        return PointwiseOps.tanh(this);
    }

    /** GELU with the exact normal CDF: x * Phi(x). */
    public Tensor gelu() {
        return PointwiseOps.gelu(this);
    }

    /** CLIP's QuickGELU: x * sigmoid(1.702 x). */
    public Tensor quickGelu() {
        return PointwiseOps.quickGelu(this);
    }

    /** Limits values to [min, max]; pass NaN for a side without a limit. */
    public Tensor clamp(float min, float max) {
        return PointwiseOps.clamp(this, min, max);
    }

    public Tensor eq(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.EQ, this, other);
    }

    public Tensor ne(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.NE, this, other);
    }

    public Tensor lt(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.LT, this, other);
    }

    public Tensor le(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.LE, this, other);
    }

    public Tensor gt(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.GT, this, other);
    }

    public Tensor ge(Tensor other) {
        return PointwiseOps.compare(org.iboot4j.engine.backend.BinaryOp.GE, this, other);
    }

    public Tensor gt(float value) {
        return gt(scalarLike(value));
    }

    public Tensor lt(float value) {
        return lt(scalarLike(value));
    }

    public Tensor logicalAnd(Tensor other) {
        return IndexOps.logicalAnd(this, other);
    }

    public Tensor logicalOr(Tensor other) {
        return IndexOps.logicalOr(this, other);
    }

    public Tensor logicalNot() {
        return IndexOps.logicalNot(this);
    }

    /** Where {@code mask} (bool, broadcastable) is true, {@code value}; elsewhere this. */
    public Tensor maskedFill(Tensor mask, float value) {
        return IndexOps.where(mask, scalarLike(value), this);
    }

    /** A 0-d float tensor on this tensor's backend. */
    Tensor scalarLike(float value) {
        Tensor s = empty(backend(), DType.F32);
        backend().fill(s, value);
        return s;
    }

    // ---- reductions (ReductionOps) -------------------------------------------------------

    /** The sum of all elements, as a 0-d tensor. */
    public Tensor sum() {
        return ReductionOps.sum(this, new int[0], false);
    }

    /** Sum over {@code dims} (empty: all). */
    public Tensor sum(int[] dims, boolean keepdim) {
        return ReductionOps.sum(this, dims, keepdim);
    }

    public Tensor sum(int dim) {
        return ReductionOps.sum(this, new int[] {dim}, false);
    }

    public Tensor mean() {
        return ReductionOps.mean(this, new int[0], false);
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        return ReductionOps.mean(this, dims, keepdim);
    }

    public Tensor mean(int dim) {
        return ReductionOps.mean(this, new int[] {dim}, false);
    }

    /** The largest element (torch.amax): ties share the gradient equally. */
    public Tensor max() {
        return ReductionOps.max(this, new int[0], false);
    }

    public Tensor max(int[] dims, boolean keepdim) {
        return ReductionOps.max(this, dims, keepdim);
    }

    public Tensor min(int[] dims, boolean keepdim) {
        return ReductionOps.min(this, dims, keepdim);
    }

    /** Variance over dims with Bessel's correction {@code correction} (1: unbiased, 0: biased). */
    public Tensor var(int[] dims, int correction, boolean keepdim) {
        return ReductionOps.var(this, dims, correction, keepdim);
    }

    /** The unbiased variance of all elements (torch.var default). */
    public Tensor var() {
        return ReductionOps.var(this, new int[0], 1, false);
    }

    /** Index of the largest element along {@code dim} (first on ties), int64, no gradient. */
    public Tensor argmax(int dim, boolean keepdim) {
        return ReductionOps.argmax(this, dim, keepdim);
    }

    // ---- linear algebra and normalisation -------------------------------------------------

    /** torch.matmul: vector/matrix products with broadcast batch dimensions. */
    public Tensor matmul(Tensor other) {
        return MatmulOp.matmul(this, other);
    }

    public Tensor softmax(int dim) {
        return NormOps.softmax(this, dim, false);
    }

    public Tensor logSoftmax(int dim) {
        return NormOps.softmax(this, dim, true);
    }

    // ---- indexing (IndexOps) -------------------------------------------------------------

    /** Slices of dimension {@code dim} picked by an int64 vector of indices. */
    public Tensor indexSelect(int dim, Tensor index) {
        return IndexOps.indexSelect(this, dim, index);
    }

    /** torch.gather: out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for any dim). */
    public Tensor gather(int dim, Tensor index) {
        return IndexOps.gather(this, dim, index);
    }

    /** e.g. {@code Tensor(float32 [2, 3] grad_fn=matmul)}, with the values when there are few. */
    @Override
    public String toString() {
        String autograd = node != null ? " grad_fn=" + node.op : requiresGrad ? " requires_grad" : "";
        String values = numel() > 16 ? "" : " " + switch (dtype()) {
            case F32 -> Arrays.toString(toFloatArray());
            case I64 -> Arrays.toString(toLongArray());
            case BOOL -> Arrays.toString(toBooleanArray());
        };
        return "Tensor(" + dtype() + " " + Shapes.str(shape) + autograd + ")" + values;
    }
}
