package org.iboot4j.engine;

import java.util.Arrays;
import org.iboot4j.engine.backend.ConvGeometry;

/**
 * 3-d convolution (and 2-d as its T = 1 case), PyTorch's conv3d / conv2d: cross-correlation
 * with zero padding, stride, dilation and groups, optional bias.
 *
 * <p>Forward and the two backwards are backend primitives: dL/dx is the transposed convolution
 * of g with the weights ("backward-data"), dL/dweight the correlation of g with x
 * ("backward-filter"); dL/dbias is g summed over (N, T, H, W).
 */
final class ConvOps {
    private ConvOps() {}

    static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, ConvGeometry geometry) {
        check(x, weight, bias, geometry);
        Tensor out = Tensor.uninitialized(x.backend(), DType.F32, geometry.outputShape(x.shape(), weight.shape()));
        x.backend().conv3d(x, weight, bias, geometry, out);
        int[] xShape = x.shape(), wShape = weight.shape();
        return Autograd.record("conv3d", out, (g, n) -> {
            Tensor gx = null, gw = null, gb = null;
            if (n[0]) {
                gx = Tensor.empty(g.backend(), DType.F32, xShape);
                g.backend().conv3dBackwardData(g, weight, geometry, gx);
            }
            if (n[1]) {
                gw = Tensor.empty(g.backend(), DType.F32, wShape);
                g.backend().conv3dBackwardFilter(g, x, geometry, gw);
            }
            if (n[2]) gb = g.sum(new int[] {0, 2, 3, 4}, false);
            return new Tensor[] {gx, gw, gb};
        }, x, weight, bias);
    }

    /** conv2d on (N, C, H, W) with weight (Cout, Cin/groups, kH, kW): a conv3d with T = 1. */
    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        if (x.dim() != 4 || weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expected input (N, C, H, W) and weight"
                    + " (Cout, Cin/groups, kH, kW), got " + Shapes.str(x.shape()) + " and "
                    + Shapes.str(weight.shape()));
        }
        ConvGeometry g = new ConvGeometry(new int[] {1, stride[0], stride[1]},
                new int[] {0, padding[0], padding[1]}, new int[] {1, dilation[0], dilation[1]}, groups);
        return conv3d(x.unsqueeze(2), weight.unsqueeze(2), bias, g).squeeze(2);
    }

    private static void check(Tensor x, Tensor w, Tensor bias, ConvGeometry g) {
        x.requireDType("conv3d", DType.F32);
        w.requireDType("conv3d", DType.F32);
        int[] xs = x.shape(), ws = w.shape();
        if (xs.length != 5 || ws.length != 5) {
            throw new IllegalArgumentException("conv3d: expected input (N, C, T, H, W) and weight"
                    + " (Cout, Cin/groups, kT, kH, kW), got " + Shapes.str(xs) + " and " + Shapes.str(ws));
        }
        if (ws[0] % g.groups() != 0 || xs[1] != ws[1] * g.groups()) {
            throw new IllegalArgumentException("conv3d: input " + Shapes.str(xs) + " has " + xs[1]
                    + " channels but weight " + Shapes.str(ws) + " with groups=" + g.groups()
                    + " expects " + ws[1] * g.groups() + " (and Cout divisible by groups)");
        }
        if (bias != null && !Arrays.equals(bias.shape(), new int[] {ws[0]})) {
            throw new IllegalArgumentException("conv3d: bias has shape " + Shapes.str(bias.shape())
                    + ", expected [" + ws[0] + "] for weight " + Shapes.str(ws));
        }
        PointwiseOps.requireSameBackend("conv3d", x, w);
    }
}
