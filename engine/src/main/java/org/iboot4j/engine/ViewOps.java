package org.iboot4j.engine;

import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.iboot4j.engine.backend.Backend;

/**
 * Ops that reinterpret a tensor's layout without touching its elements (views share storage),
 * plus the copies that a layout change sometimes needs (contiguous, casts, transfers).
 *
 * <p>Backward of a view is the inverse re-layout of the gradient: reshape back, permute by the
 * inverse permutation, or place the gradient into zeros at the viewed positions (narrow, slice,
 * select). Expand needs nothing: autograd sums broadcast gradients back to the input's shape.
 */
final class ViewOps {
    private ViewOps() {}

    static Tensor reshape(Tensor x, int[] shape) {
        int[] target = inferShape("reshape", x, shape);
        int[] strides = viewStrides(x.shape(), x.strides(), target);
        return strides != null ? asView("reshape", x, target, strides)
                : view(copy(x), target);
    }

    static Tensor view(Tensor x, int[] shape) {
        int[] target = inferShape("view", x, shape);
        int[] strides = viewStrides(x.shape(), x.strides(), target);
        if (strides == null) {
            throw new IllegalArgumentException("view: a tensor of shape " + Shapes.str(x.shape())
                    + " and strides " + Shapes.str(x.strides()) + " cannot be viewed as "
                    + Shapes.str(target) + " without a copy; use reshape()");
        }
        return asView("view", x, target, strides);
    }

    /** A reshaping view; its backward reshapes the gradient back. */
    private static Tensor asView(String op, Tensor x, int[] shape, int[] strides) {
        int[] inShape = x.shape();
        Tensor out = x.restride(shape, strides, x.offset());
        return Autograd.record(op, out, (g, n) -> new Tensor[] {g.reshape(inShape)}, x);
    }

    /** The shape with a -1 replaced by whatever makes the element count match. */
    private static int[] inferShape(String op, Tensor x, int[] shape) {
        int[] out = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1 && infer < 0) infer = i;
            else if (out[i] < 0) throw badShape(op, x, shape);
            else known *= out[i];
        }
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0) throw badShape(op, x, shape);
            out[infer] = (int) (x.numel() / known);
        }
        if (Shapes.numel(out) != x.numel()) throw badShape(op, x, shape);
        return out;
    }

    private static IllegalArgumentException badShape(String op, Tensor x, int[] shape) {
        return new IllegalArgumentException(op + ": shape " + Shapes.str(shape)
                + " is invalid for a tensor of shape " + Shapes.str(x.shape()) + " ("
                + x.numel() + " elements)");
    }

    /**
     * Strides that show the same elements in {@code target}'s shape, or null when no view can.
     * Walks both shapes from the right in chunks: a maximal run of old dimensions that are
     * contiguous with each other can be re-split into any new dimensions of the same size.
     */
    static int[] viewStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        if (Shapes.numel(shape) == 0) return Shapes.contiguousStrides(target);
        int v = target.length - 1;
        long chunkStride = shape.length == 0 ? 1 : strides[shape.length - 1];
        long chunkElems = 1, viewElems = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            chunkElems *= shape[d];
            boolean chunkEnds = d == 0
                    || (shape[d - 1] != 1 && strides[d - 1] != chunkElems * chunkStride);
            if (!chunkEnds) continue;
            while (v >= 0 && (viewElems < chunkElems || target[v] == 1)) {
                out[v] = (int) (viewElems * chunkStride);
                viewElems *= target[v];
                v--;
            }
            if (viewElems != chunkElems) return null;
            if (d > 0) {
                chunkStride = strides[d - 1];
                chunkElems = 1;
                viewElems = 1;
            }
        }
        while (v >= 0 && target[v] == 1) out[v--] = 1; // leading size-1 dims of a scalar source
        return v == -1 ? out : null;
    }

    static Tensor permute(Tensor x, int[] order) {
        int rank = x.dim();
        if (order.length != rank) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order)
                    + " does not match a tensor of rank " + rank + " " + Shapes.str(x.shape()));
        }
        int[] shape = x.shape(), strides = x.strides();
        int[] newShape = new int[rank], newStrides = new int[rank], inverse = new int[rank];
        boolean[] used = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int d = Shapes.dim("permute", order[i], rank);
            if (used[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " repeats in "
                        + Arrays.toString(order));
            }
            used[d] = true;
            newShape[i] = shape[d];
            newStrides[i] = strides[d];
            inverse[d] = i;
        }
        Tensor out = x.restride(newShape, newStrides, x.offset());
        return Autograd.record("permute", out, (g, n) -> new Tensor[] {g.permute(inverse)}, x);
    }

    static Tensor transpose(Tensor x, int dim0, int dim1) {
        int rank = x.dim();
        int[] order = new int[rank];
        Arrays.setAll(order, i -> i);
        int a = Shapes.dim("transpose", dim0, rank), b = Shapes.dim("transpose", dim1, rank);
        order[a] = b;
        order[b] = a;
        return permute(x, order);
    }

    static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = Shapes.dim("narrow", dim, x.dim());
        int size = x.shape()[d];
        if (start < 0) start += size;
        if (start < 0 || length < 0 || start + length > size) {
            throw new IndexOutOfBoundsException("narrow: [" + start + ", " + (start + length)
                    + ") is out of range for dimension " + d + " of size " + size + " in shape "
                    + Shapes.str(x.shape()));
        }
        return slice(x, d, start, start + length, 1);
    }

    /** Python slicing; start/end are clamped to the dimension like Python's. */
    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        int d = Shapes.dim("slice", dim, x.dim());
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int size = x.shape()[d];
        int from = Math.clamp(start < 0 ? start + size : start, 0, size);
        int to = Math.clamp(end < 0 ? end + size : end, from, size);
        int[] shape = x.shape(), strides = x.strides();
        shape[d] = (to - from + step - 1) / step;
        int offset = x.offset() + from * strides[d];
        strides[d] *= step;
        Tensor out = x.restride(shape, strides, offset);
        int[] inShape = x.shape();
        final int first = from;
        return Autograd.record("slice", out, (g, n) -> new Tensor[] {
            placeInZeros(inShape, g, z -> z.slice(d, first, to, step))}, x);
    }

    static Tensor select(Tensor x, int dim, int index) {
        int d = Shapes.dim("select", dim, x.dim());
        int size = x.shape()[d];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("select: index " + index + " is out of range for"
                    + " dimension " + d + " of size " + size + " in shape " + Shapes.str(x.shape()));
        }
        int[] shape = remove(x.shape(), d), strides = remove(x.strides(), d);
        Tensor out = x.restride(shape, strides, x.offset() + i * x.strides()[d]);
        int[] inShape = x.shape();
        return Autograd.record("select", out, (g, n) -> new Tensor[] {
            placeInZeros(inShape, g, z -> z.select(d, i))}, x);
    }

    /** A zero tensor of {@code shape} whose region picked by {@code region} holds {@code g}. */
    static Tensor placeInZeros(int[] shape, Tensor g, UnaryOperator<Tensor> region) {
        Tensor z = Tensor.empty(g.backend(), g.dtype(), shape);
        g.backend().copy(g, region.apply(z));
        return z;
    }

    static Tensor expand(Tensor x, int[] shape) {
        int rank = x.dim(), lead = shape.length - rank;
        if (lead < 0) {
            throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(x.shape())
                    + " to fewer dimensions " + Shapes.str(shape));
        }
        int[] inShape = x.shape(), inStrides = x.strides();
        int[] newShape = new int[shape.length], newStrides = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            int src = i - lead;
            int want = shape[i] == -1 && src >= 0 ? inShape[src] : shape[i];
            if (src < 0) {
                if (want < 0) throw badExpand(x, shape);
                newShape[i] = want;
            } else if (inShape[src] == want) {
                newShape[i] = want;
                newStrides[i] = inStrides[src];
            } else if (inShape[src] == 1 && want >= 0) {
                newShape[i] = want;
            } else {
                throw badExpand(x, shape);
            }
        }
        if (Arrays.equals(newShape, inShape)) return x;
        Tensor out = x.restride(newShape, newStrides, x.offset());
        return Autograd.record("expand", out, (g, n) -> new Tensor[] {g}, x);
    }

    private static IllegalArgumentException badExpand(Tensor x, int[] shape) {
        return new IllegalArgumentException("expand: shape " + Shapes.str(x.shape())
                + " cannot be expanded to " + Shapes.str(shape)
                + " (only size-1 dimensions can grow)");
    }

    static Tensor squeeze(Tensor x) {
        return reshape(x, Arrays.stream(x.shape()).filter(s -> s != 1).toArray());
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shapes.dim("squeeze", dim, x.dim());
        return x.shape()[d] != 1 ? x : reshape(x, remove(x.shape(), d));
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shapes.dim("unsqueeze", dim, x.dim() + 1);
        int[] shape = new int[x.dim() + 1];
        for (int i = 0, j = 0; i < shape.length; i++) shape[i] = i == d ? 1 : x.shape()[j++];
        return reshape(x, shape);
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        if (x.dim() == 0) return reshape(x, new int[] {1});
        int s = Shapes.dim("flatten", startDim, x.dim()), e = Shapes.dim("flatten", endDim, x.dim());
        if (s > e) {
            throw new IllegalArgumentException("flatten: start dimension " + startDim
                    + " comes after end dimension " + endDim);
        }
        int[] in = x.shape();
        int[] shape = new int[in.length - (e - s)];
        for (int i = 0, j = 0; i < in.length; i++) {
            if (i <= s || i > e) shape[j++] = in[i];
            else shape[j - 1] *= in[i];
        }
        return reshape(x, shape);
    }

    static Tensor[] split(Tensor x, int size, int dim) {
        int d = Shapes.dim("split", dim, x.dim());
        if (size <= 0) throw new IllegalArgumentException("split: size must be positive, got " + size);
        int total = x.shape()[d];
        Tensor[] parts = new Tensor[Math.max(1, (total + size - 1) / size)];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = narrow(x, d, i * size, Math.min(size, total - i * size));
        }
        return parts;
    }

    /** A contiguous copy; the gradient passes straight through. */
    static Tensor copy(Tensor x) {
        Tensor out = Tensor.uninitialized(x.backend(), x.dtype(), x.shape());
        x.backend().copy(x, out);
        return Autograd.record("contiguous", out, (g, n) -> new Tensor[] {g}, x);
    }

    /** A dtype conversion; differentiable only float32 to float32 (the identity). */
    static Tensor cast(Tensor x, DType dtype) {
        if (x.dtype() == dtype) return x;
        Tensor out = Tensor.uninitialized(x.backend(), dtype, x.shape());
        x.backend().copy(x, out);
        return out;
    }

    static Tensor transfer(Tensor x, Backend target) {
        if (x.backend() == target) return x;
        Tensor out = switch (x.dtype()) {
            case F32 -> Tensor.wrap(target.fromFloats(x.toFloatArray()), x.shape());
            case I64 -> Tensor.wrap(target.fromLongs(x.toLongArray()), x.shape());
            case BOOL -> Tensor.wrap(target.fromBooleans(x.toBooleanArray()), x.shape());
        };
        Backend source = x.backend();
        return Autograd.record("to(" + target.name() + ")", out,
                (g, n) -> new Tensor[] {g.to(source)}, x);
    }

    private static int[] remove(int[] a, int index) {
        int[] out = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != index) out[j++] = a[i];
        return out;
    }
}
