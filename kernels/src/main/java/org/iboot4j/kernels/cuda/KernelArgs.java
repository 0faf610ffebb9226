package org.iboot4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import org.iboot4j.kernels.ptx.KernelCatalogue.Kernel;
import org.iboot4j.kernels.ptx.KernelCatalogue.Param;
import org.iboot4j.kernels.ptx.KernelCatalogue.ParamType;

/**
 * The arguments of one launch, checked one by one against the kernel's parameter list in the
 * PTX catalogue: a pointer where the PTX declares {@code .u64}, an {@code int} for {@code .s32},
 * a struct of exactly the declared size, and the right count. A mismatch fails in Java, naming
 * the kernel and the parameter, instead of the kernel reading garbage.
 *
 * <p>{@link #toJCuda()} builds cuLaunchKernel's {@code void** kernelParams}: one pointer per
 * parameter to a host copy of its value (a {@code long} for an address, the packed bytes for a
 * struct passed by value).
 */
public final class KernelArgs {
    private final Kernel kernel;
    private final List<Object> values = new ArrayList<>();

    private KernelArgs(Kernel kernel) {
        this.kernel = kernel;
    }

    /** An empty argument list for {@code kernel}. */
    public static KernelArgs of(Kernel kernel) {
        return new KernelArgs(kernel);
    }

    public Kernel kernel() {
        return kernel;
    }

    /** A device address (0 where the kernel documents "0 = none"). */
    public KernelArgs ptr(long address) {
        return add(ParamType.PTR, address);
    }

    public KernelArgs s32(int value) {
        return add(ParamType.S32, value);
    }

    public KernelArgs f32(float value) {
        return add(ParamType.F32, value);
    }

    public KernelArgs f64(double value) {
        return add(ParamType.F64, value);
    }

    /** A struct by value, packed little-endian (see PtxStructs). */
    public KernelArgs struct(byte[] packed) {
        Param p = next(ParamType.STRUCT);
        if (packed.length != p.bytes()) {
            throw new IllegalArgumentException(kernel.name() + ": parameter '" + p.name() + "' is a "
                    + p.bytes() + "-byte struct, got " + packed.length + " bytes");
        }
        values.add(packed.clone());
        return this;
    }

    private KernelArgs add(ParamType type, Object value) {
        next(type);
        values.add(value);
        return this;
    }

    private Param next(ParamType type) {
        List<Param> params = kernel.params();
        if (values.size() >= params.size()) {
            throw new IllegalArgumentException(kernel.name() + " takes " + params.size()
                    + " parameters; got a " + type + " beyond them");
        }
        Param p = params.get(values.size());
        if (p.type() != type) {
            throw new IllegalArgumentException(kernel.name() + ": parameter " + values.size() + " '" + p.name()
                    + "' is " + p.type() + ", got " + type);
        }
        return p;
    }

    /** Whether every parameter has a value. */
    public boolean complete() {
        return values.size() == kernel.params().size();
    }

    /** cuLaunchKernel's kernelParams. */
    public Pointer toJCuda() {
        requireComplete();
        Pointer[] ps = new Pointer[values.size()];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = switch (values.get(i)) {
                case Long l -> Pointer.to(new long[] {l});
                case Integer n -> Pointer.to(new int[] {n});
                case Float f -> Pointer.to(new float[] {f});
                case Double d -> Pointer.to(new double[] {d});
                case byte[] b -> Pointer.to(b);
                default -> throw new IllegalStateException();
            };
        }
        return Pointer.to(ps);
    }

    void requireComplete() {
        if (!complete()) {
            throw new IllegalArgumentException(kernel.name() + " takes " + kernel.params().size()
                    + " parameters, got " + values.size() + " (missing '" + kernel.params().get(values.size()).name() + "')");
        }
    }

    /** "out=0x7f0000001000, n=4096, geom=<168 bytes>" for error messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(kernel.params().get(i).name()).append('=');
            switch (values.get(i)) {
                case Long l -> sb.append("0x").append(Long.toHexString(l));
                case byte[] b -> sb.append('<').append(b.length).append(" bytes>");
                default -> sb.append(values.get(i));
            }
        }
        return sb.toString();
    }

    /** The values in order (tests). */
    List<Object> values() {
        return List.copyOf(values);
    }
}
