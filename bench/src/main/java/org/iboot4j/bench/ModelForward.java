package org.iboot4j.bench;

import java.util.Arrays;
import java.util.Set;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.models.vit.VisionTransformer;
import org.iboot4j.nn.models.vit.VitConfig;

/**
 * The workloads of {@link Op#MODEL_FORWARD}: one of the project's networks, freshly initialised
 * from the case's seed, run forward in eval mode with autograd off on a random input — what
 * extracting features or a frozen teacher's targets costs. A "model" case of the shape table
 * names the network ({@code arch}), the batch ({@code n}), the input ({@code in}) and its size
 * ({@code width}, {@code depth}), so that tests can build the same networks tiny.
 */
final class ModelForward {
    /** The {@code arch} values: the ViT as DINO and as CLIP build it, and the Slow ResNet. */
    static final Set<String> ARCHS = Set.of("vit-dino", "vit-clip", "slow");
    /** ViT patch side, and width per attention head (ViT-B/16: 768 wide, 12 heads). */
    static final int PATCH = 16, HEAD_WIDTH = 64;
    /** The Slow ResNet's head: Kinetics-400, the head of the pretrained Slow-R50. */
    static final int CLASSES = 400;

    private ModelForward() {}

    static Workload of(ShapeTable.Case c, Rng rng) {
        int n = c.get("n"), width = c.get("width"), depth = c.get("depth");
        int[] in = c.triple("in");
        return switch (c.value("arch")) {
            case "slow" -> {
                SlowResNet.Config config = slowConfig(width, depth);
                Tensor x = Tensor.randn(rng, 0, 1, n, 3, in[0], in[1], in[2]);
                yield forward(new SlowResNet(config, rng), x, "R" + depth + " width " + width + ", "
                        + dims(x.shape()) + " -> " + CLASSES, slowFlops(config, n, in));
            }
            case "vit-dino", "vit-clip" -> {
                if (in[0] != 1 || in[1] != in[2]) {
                    throw new IllegalArgumentException(c + ": a ViT takes square images, in=1xSxS");
                }
                VitConfig config = vitConfig(c.value("arch"), in[1], width, depth);
                Tensor x = Tensor.randn(rng, 0, 1, n, 3, in[1], in[2]);
                yield forward(new VisionTransformer(config, rng), x, depth + " blocks of " + config.heads()
                        + " heads, " + dims(x.shape()) + " -> " + config.outputDim(), vitFlops(config, n));
            }
            default -> throw new IllegalArgumentException(c + ": unknown arch " + c.value("arch"));
        };
    }

    private static Workload forward(Module model, Tensor x, String shape, double flops) {
        model.eval();
        return new Workload(shape, flops) {
            @Override
            public Object run() {
                try (var _ = GradMode.disable()) {
                    return model.forward(x);
                }
            }
        };
    }

    private static String dims(int[] shape) {
        return String.join("x", Arrays.stream(shape).mapToObj(Integer::toString).toList());
    }

    /** DINO's or CLIP's ViT-B/16 at image side {@code image}, {@code width} wide, {@code depth} blocks. */
    static VitConfig vitConfig(String arch, int image, int width, int depth) {
        VitConfig preset = arch.equals("vit-clip") ? VitConfig.clipB16() : VitConfig.dinoB16();
        return preset.toBuilder().imageSize(image).patchSize(PATCH).width(width).depth(depth)
                .heads(width / HEAD_WIDTH).mlpDim(4 * width).build();
    }

    /** The Slow ResNet of depth 50 or 101 with stem width {@code width} and the 400-way head. */
    static SlowResNet.Config slowConfig(int width, int depth) {
        int[] blocks = switch (depth) {
            case 50 -> SlowResNet.Config.slowR50(CLASSES).depths();
            case 101 -> SlowResNet.Config.slowR101(CLASSES).depths();
            default -> throw new IllegalArgumentException("a Slow ResNet has depth 50 or 101, not " + depth);
        };
        return new SlowResNet.Config(blocks, width, CLASSES, 0.5f);
    }

    /**
     * Floating-point operations (2 per multiply-add) of the ViT's matrix products: the patch
     * embedding; per block qkv, the attention scores and their weighted sum, the output
     * projection and the MLP; CLIP's final projection. Norms, softmax and activations are left
     * out (under 1% for ViT-B/16).
     */
    static double vitFlops(VitConfig c, int n) {
        double t = c.numTokens(), d = c.width(), p = c.patchSize();
        double block = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * c.mlpDim();
        return 2 * n * (c.numPatches() * d * 3 * p * p + c.depth() * block + d * c.projectionDim());
    }

    /**
     * Floating-point operations (2 per multiply-add) of the Slow ResNet's convolutions, each at
     * its output size, and of the head's Linear; batch norm, ReLU and pooling are left out.
     * Follows SlowResNet's layout: stem 1x7x7 / 2 and a max-pool / 2; per stage, conv_a with
     * temporal kernel 1 (res2, res3) or 3 (res4, res5), conv_b 1x3x3 with stride 2 in the first
     * block of res3..res5, conv_c 1x1x1, a 1x1x1 projection shortcut in each stage's first block.
     */
    static double slowFlops(SlowResNet.Config c, int n, int[] in) {
        int t = in[0], h = halve(in[1]), w = halve(in[2]);
        double macs = (double) t * h * w * c.width() * 3 * 7 * 7;
        h = halve(h);
        w = halve(w);
        int cin = c.width();
        int[] depths = c.depths();
        for (int s = 0; s < 4; s++) {
            int inner = c.width() << s, out = 4 * inner, kt = s < 2 ? 1 : 3;
            for (int b = 0; b < depths[s]; b++) {
                double before = (double) t * h * w;
                if (b == 0 && s > 0) {
                    h = halve(h);
                    w = halve(w);
                }
                double after = (double) t * h * w;
                macs += before * cin * inner * kt + after * inner * inner * 9 + after * inner * out;
                if (b == 0) macs += after * cin * out;
                cin = out;
            }
        }
        return 2.0 * n * (macs + (double) cin * c.numClasses());
    }

    /** A side after a stride-2 layer padded to keep "same" geometry (224 -> 112, 7 -> 4). */
    private static int halve(int side) {
        return (side + 1) / 2;
    }
}
