package org.iboot4j.engine.backend;

import java.util.Arrays;

/**
 * The window of a 3-d pooling over (N, C, T, H, W): kernel, stride and implicit padding per
 * axis (T, H, W), and PyTorch's ceil_mode. Padding may be at most half the kernel.
 *
 * <p>Output size per axis, as PyTorch: out = floor_or_ceil((in + 2 pad - k) / stride) + 1, and
 * with ceil_mode a last window that would start inside the right padding is dropped.
 */
public record PoolGeometry(int[] kernel, int[] stride, int[] padding, boolean ceilMode) {

    public PoolGeometry {
        kernel = check("kernel", kernel, 1);
        stride = check("stride", stride, 1);
        padding = check("padding", padding, 0);
        for (int a = 0; a < 3; a++) {
            if (2 * padding[a] > kernel[a]) {
                throw new IllegalArgumentException("pool3d: padding " + Arrays.toString(padding)
                        + " must be at most half of the kernel " + Arrays.toString(kernel));
            }
        }
    }

    private static int[] check(String what, int[] v, int min) {
        if (v.length != 3) {
            throw new IllegalArgumentException("pool3d: " + what + " needs 3 values (T, H, W), got "
                    + Arrays.toString(v));
        }
        for (int x : v) {
            if (x < min) throw new IllegalArgumentException("pool3d: " + what + " must be >= " + min
                    + ", got " + Arrays.toString(v));
        }
        return v.clone();
    }

    /** (N, C, To, Ho, Wo) for input (N, C, T, H, W). */
    public int[] outputShape(int[] input) {
        int[] out = {input[0], input[1], 0, 0, 0};
        for (int a = 0; a < 3; a++) {
            int span = input[2 + a] + 2 * padding[a] - kernel[a];
            if (span < 0) {
                throw new IllegalArgumentException("pool3d: input " + Arrays.toString(input)
                        + " padded by " + Arrays.toString(padding) + " is smaller than the kernel "
                        + Arrays.toString(kernel));
            }
            int n = (ceilMode ? (span + stride[a] - 1) / stride[a] : span / stride[a]) + 1;
            if (ceilMode && (n - 1) * stride[a] >= input[2 + a] + padding[a]) n--;
            out[2 + a] = n;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PoolGeometry g && Arrays.equals(kernel, g.kernel)
                && Arrays.equals(stride, g.stride) && Arrays.equals(padding, g.padding) && ceilMode == g.ceilMode;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(kernel) * 961 + Arrays.hashCode(stride) * 31 + Arrays.hashCode(padding) + (ceilMode ? 1 : 0);
    }

    @Override
    public String toString() {
        return "kernel=" + Arrays.toString(kernel) + " stride=" + Arrays.toString(stride)
                + " padding=" + Arrays.toString(padding) + (ceilMode ? " ceil_mode" : "");
    }
}
