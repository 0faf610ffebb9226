package org.iboot4j.engine.backend;

import java.util.Arrays;

/**
 * The hyper-parameters of a 3-d convolution over (N, C, T, H, W): stride, zero padding and
 * dilation per spatial axis (T, H, W), and the number of groups. A 2-d convolution is the
 * T = 1 case with stride, padding and dilation (1, 0, 1) on the T axis.
 *
 * <p>Output size per axis, as PyTorch: out = floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1.
 */
public record ConvGeometry(int[] stride, int[] padding, int[] dilation, int groups) {

    public ConvGeometry {
        stride = check("stride", stride, 1);
        padding = check("padding", padding, 0);
        dilation = check("dilation", dilation, 1);
        if (groups < 1) throw new IllegalArgumentException("conv3d: groups must be >= 1, got " + groups);
    }

    private static int[] check(String what, int[] v, int min) {
        if (v.length != 3) {
            throw new IllegalArgumentException("conv3d: " + what + " needs 3 values (T, H, W), got "
                    + Arrays.toString(v));
        }
        for (int x : v) {
            if (x < min) throw new IllegalArgumentException("conv3d: " + what + " must be >= " + min
                    + ", got " + Arrays.toString(v));
        }
        return v.clone();
    }

    /** (N, Cout, To, Ho, Wo) for input (N, Cin, T, H, W) and weight (Cout, Cin/groups, kT, kH, kW). */
    public int[] outputShape(int[] input, int[] weight) {
        int[] out = {input[0], weight[0], 0, 0, 0};
        for (int a = 0; a < 3; a++) {
            int span = dilation[a] * (weight[2 + a] - 1) + 1;
            int padded = input[2 + a] + 2 * padding[a];
            if (padded < span) {
                throw new IllegalArgumentException("conv3d: input " + Arrays.toString(input)
                        + " padded by " + Arrays.toString(padding) + " is smaller than the dilated kernel "
                        + Arrays.toString(Arrays.copyOfRange(weight, 2, 5)) + " on axis " + "THW".charAt(a));
            }
            out[2 + a] = (padded - span) / stride[a] + 1;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvGeometry g && Arrays.equals(stride, g.stride)
                && Arrays.equals(padding, g.padding) && Arrays.equals(dilation, g.dilation) && groups == g.groups;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(stride) * 31 * 31 + Arrays.hashCode(padding) * 31 + Arrays.hashCode(dilation) + groups;
    }

    @Override
    public String toString() {
        return "stride=" + Arrays.toString(stride) + " padding=" + Arrays.toString(padding)
                + " dilation=" + Arrays.toString(dilation) + " groups=" + groups;
    }
}
