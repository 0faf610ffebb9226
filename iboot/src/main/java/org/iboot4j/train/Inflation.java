package org.iboot4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.resnet.ResNet2d;
import org.iboot4j.nn.models.resnet.SlowResNet;

/**
 * Initialises a Slow ResNet from a 2D ResNet by inflation (Table 9: rho-BYOL started from the
 * inflated weights of an ImageNet ResNet-50; I3D, Carreira and Zisserman 2017).
 *
 * <p>The two networks line up block for block (torchvision names on the left, pytorchvideo's on
 * the right): {@code conv1/bn1 -> blocks.0.conv/norm}; {@code layerL.I.conv1/2/3 ->
 * blocks.L.res_blocks.I.branch2.conv_a/b/c}, {@code bn1/2/3 -> norm_a/b/c};
 * {@code layerL.I.downsample.0/1 -> branch1_conv/branch1_norm}; torchvision's stride sits on
 * the 3x3 conv (v1.5) as pytorchvideo's sits on conv_b. The fc is dropped. Batch-norm
 * parameters and statistics are copied as they are.
 *
 * <p>A 2D kernel w (out, in, kh, kw) becomes a 3D kernel (out, in, kT, kh, kw):
 * <ul>
 *   <li>{@link PretrainConfig.InflateMode#AVERAGE} (PySlowFast's {@code inflate_weight}, the
 *       default): w / kT at every temporal tap, so a clip of identical frames gives the 2D
 *       network's response (away from the zero-padded first and last frames);
 *   <li>{@link PretrainConfig.InflateMode#CENTER}: w at the centre tap, zeros elsewhere, so the
 *       inflated network is exactly the 2D one applied frame by frame.
 * </ul>
 * Kernels with kT = 1 (the stem and every conv but res4/res5's conv_a) are the same either way.
 */
public final class Inflation {
    private Inflation() {}

    private static final Pattern BLOCK = Pattern.compile(
            "layer([1-4])\\.(\\d+)\\.(conv1|conv2|conv3|bn1|bn2|bn3|downsample\\.0|downsample\\.1)\\.(.+)");

    /**
     * The Slow ResNet state (pytorchvideo names, no head) inflated from a 2D ResNet checkpoint
     * (torchvision names, any wrapper prefix, fc ignored) for the architecture {@code target}.
     */
    public static Map<String, Tensor> inflate(Map<String, Tensor> resnet2d, SlowResNet target, PretrainConfig.InflateMode mode) {
        ResNet2d.Config c2 = ResNet2d.inferConfig(resnet2d);
        SlowResNet.Config c3 = target.config();
        if (!java.util.Arrays.equals(c2.depths(), c3.depths()) || c2.width() != c3.width()) {
            throw new IllegalArgumentException("inflation: the 2D checkpoint is a ResNet with depths "
                    + java.util.Arrays.toString(c2.depths()) + " and width " + c2.width() + ", the online network has "
                    + java.util.Arrays.toString(c3.depths()) + " and width " + c3.width());
        }
        // normalise the 2D names (and check the checkpoint is complete) through the model itself
        ResNet2d twoD = new ResNet2d(new ResNet2d.Config(c2.depths(), c2.width(), 1, 0), new Rng(0));
        twoD.loadBackbone(resnet2d);
        Map<String, Tensor> shapes = target.stateDict();
        Map<String, Tensor> out = new LinkedHashMap<>();
        twoD.stateDict().forEach((k, v) -> {
            String key = slowName(k);
            Tensor want = shapes.get(key);
            if (want == null) throw new IllegalStateException("inflation: no Slow ResNet key for " + k + " (" + key + ")");
            out.put(key, want.dim() == 5 ? inflateKernel(v, want.shape()[2], mode) : v);
        });
        return out;
    }

    /** The pytorchvideo name of a torchvision ResNet key. */
    static String slowName(String k) {
        if (k.startsWith("conv1.")) return "blocks.0.conv." + k.substring("conv1.".length());
        if (k.startsWith("bn1.")) return "blocks.0.norm." + k.substring("bn1.".length());
        Matcher m = BLOCK.matcher(k);
        if (!m.matches()) throw new IllegalArgumentException("inflation: unexpected 2D ResNet key " + k);
        String part = switch (m.group(3)) {
            case "conv1" -> "branch2.conv_a";
            case "conv2" -> "branch2.conv_b";
            case "conv3" -> "branch2.conv_c";
            case "bn1" -> "branch2.norm_a";
            case "bn2" -> "branch2.norm_b";
            case "bn3" -> "branch2.norm_c";
            case "downsample.0" -> "branch1_conv";
            default -> "branch1_norm";
        };
        return "blocks." + m.group(1) + ".res_blocks." + m.group(2) + "." + part + "." + m.group(4);
    }

    /** A 2D kernel (out, in, kh, kw) as a 3D kernel (out, in, kT, kh, kw). */
    public static Tensor inflateKernel(Tensor w, int kT, PretrainConfig.InflateMode mode) {
        int[] s = w.shape();
        Tensor w5 = w.reshape(s[0], s[1], 1, s[2], s[3]);
        if (kT == 1) return w5.contiguous();
        if (mode == PretrainConfig.InflateMode.AVERAGE) {
            return w5.expand(s[0], s[1], kT, s[2], s[3]).div(kT).contiguous();
        }
        Tensor[] taps = new Tensor[kT];
        Tensor zero = Tensor.zeros(s[0], s[1], 1, s[2], s[3]);
        for (int t = 0; t < kT; t++) taps[t] = t == kT / 2 ? w5 : zero;
        return org.iboot4j.engine.Functional.concat(2, taps);
    }
}
