package org.iboot4j.kernels.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A JCuda {@link CUdeviceptr} that is also a plain {@code long} address. JCuda keeps the address
 * in a protected field ({@code getNativePointer()} plus a byte offset); a subclass can read it,
 * and that raw address is what cuBLAS and cuDNN (bound with FFM) and kernel arguments take.
 * Going the other way, {@link #of(long)} wraps a raw address for the JCuda calls that want a
 * {@code CUdeviceptr} (copies, memsets): JCuda passes {@code nativePointer + byteOffset} to the
 * driver, so a null base with the address as its offset is exactly that address.
 */
public final class DevicePointer extends CUdeviceptr {
    private static final CUdeviceptr NULL = new CUdeviceptr();

    /** An empty pointer for JCuda to fill, e.g. by {@code cuMemAlloc}. */
    public DevicePointer() {
        super();
    }

    private DevicePointer(long address) {
        super(NULL, address);
    }

    /** A pointer to {@code address} (a device address from this process). */
    public static DevicePointer of(long address) {
        return new DevicePointer(address);
    }

    /** The raw device address. */
    public long address() {
        return getNativePointer() + getByteOffset();
    }

    /** The raw address of any JCuda device pointer. */
    public static long addressOf(CUdeviceptr p) {
        return p instanceof DevicePointer d ? d.address() : Peek.address(p);
    }

    /** Reads the protected fields of a foreign CUdeviceptr through a throw-away subclass. */
    private static final class Peek extends CUdeviceptr {
        private Peek(CUdeviceptr p) {
            super(p, 0);
        }

        static long address(CUdeviceptr p) {
            Peek k = new Peek(p);
            return k.getNativePointer() + k.getByteOffset();
        }
    }
}
