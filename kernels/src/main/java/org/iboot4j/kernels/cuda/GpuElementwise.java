package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.UnaryOp;
import org.iboot4j.kernels.ptx.KernelCatalogue;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * copy / fill / unary / binary / where on the GPU: the generated elementwise kernels, which walk
 * any strided (and stride-0 broadcast) operands through the {@code ew_geom} struct, one thread
 * per output element in a grid-stride loop. Dense cases skip the kernels: a same-dtype copy of
 * contiguous tensors is a cuMemcpyDtoDAsync and a fill of a contiguous tensor a memset.
 */
final class GpuElementwise {
    private final Gpu gpu;

    GpuElementwise(Gpu gpu) {
        this.gpu = gpu;
    }

    void copy(Tensor src, Tensor dst) {
        if (dst.numel() == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            gpu.context.copy(gpu.ptr(dst), gpu.ptr(src), (long) dst.numel() * CudaStorage.elementSize(dst.dtype()));
            return;
        }
        run(KernelCatalogue.copy(src.dtype(), dst.dtype()), dst, src);
    }

    void fill(Tensor dst, double value) {
        if (dst.numel() == 0) return;
        if (dst.isContiguous()) {
            long at = gpu.ptr(dst), n = dst.numel();
            switch (dst.dtype()) {
                case F32 -> gpu.context.memset32(at, Float.floatToRawIntBits((float) value), n);
                case I64 -> gpu.context.memset64(at, (long) value, n);
                case BOOL -> gpu.context.memset8(at, value != 0 ? (byte) 1 : (byte) 0, n);
            }
            return;
        }
        KernelArgs args = Kernels.args(KernelCatalogue.fill(dst.dtype())).ptr(gpu.ptr(dst)).f64(value)
                .struct(PtxStructs.elementwise(dst.shape(), dst.strides()));
        gpu.launch(args, Gpu.elementwiseShape(dst.numel()));
    }

    void unary(UnaryOp op, Tensor x, Tensor out) {
        requireF32("unary " + op, x);
        run(KernelCatalogue.unary(op), out, x);
    }

    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        requireF32("binary " + op, a);
        requireF32("binary " + op, b);
        run(KernelCatalogue.binary(op), out, a, b);
    }

    void where(Tensor condition, Tensor a, Tensor b, Tensor out) {
        if (condition.dtype() != DType.BOOL) throw new IllegalArgumentException("where: the condition must be bool, got " + condition.dtype());
        run(KernelCatalogue.where(out.dtype()), out, condition, a, b);
    }

    /**
     * Launches an elementwise kernel whose parameters are (out, inputs..., geom). When the
     * operands' layout needs more than 8 dimensions even after merging, the inputs are copied to
     * contiguous (and a strided output goes through a contiguous temporary).
     */
    private void run(String kernel, Tensor out, Tensor... inputs) {
        if (out.numel() == 0) return;
        byte[] geom = geometry(out, inputs);
        if (geom == null) {
            boolean dense = out.isContiguous();
            for (Tensor t : inputs) dense &= t.isContiguous();
            if (dense || kernel.startsWith("copy_")) {
                throw new IllegalArgumentException(kernel + ": a layout of " + Gpu.shape(out) + " needs more than "
                        + PtxStructs.MAX_RANK + " strided dimensions, which the elementwise kernels do not take");
            }
            Tensor[] packed = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) packed[i] = gpu.contiguous(inputs[i]);
            Tensor target = out.isContiguous() ? out : gpu.temp(out.dtype(), out.shape());
            run(kernel, target, packed);
            if (target != out) copy(target, out);
            return;
        }
        KernelArgs args = Kernels.args(kernel).ptr(gpu.ptr(out));
        for (Tensor t : inputs) args.ptr(gpu.ptr(t));
        gpu.launch(args.struct(geom), Gpu.elementwiseShape(out.numel()));
    }

    /** The ew_geom of out and inputs (all of out's shape), or null if it would exceed 8 dimensions. */
    static byte[] geometry(Tensor out, Tensor... inputs) {
        int[][] strides = new int[1 + inputs.length][];
        strides[0] = out.strides();
        for (int i = 0; i < inputs.length; i++) {
            if (!java.util.Arrays.equals(inputs[i].shape(), out.shape())) {
                throw new IllegalArgumentException("elementwise: operand " + Gpu.shape(inputs[i])
                        + " does not have the output's shape " + Gpu.shape(out) + " (broadcast it first)");
            }
            strides[1 + i] = inputs[i].strides();
        }
        try {
            return PtxStructs.elementwise(out.shape(), strides);
        } catch (IllegalArgumentException tooManyDims) {
            return null;
        }
    }

    private static void requireF32(String op, Tensor t) {
        if (t.dtype() != DType.F32) throw new IllegalArgumentException(op + ": expected float32, got " + t.dtype());
    }
}
