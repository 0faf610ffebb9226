package org.iboot4j.nn.models.resnet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.layers.BatchNorm;
import org.iboot4j.nn.layers.Conv2d;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.layers.Sequential;

/**
 * The 2D bottleneck ResNet of torchvision ({@code resnet50}, {@code resnet101}), with SimCLR's
 * width multiplier: a CNN image teacher for iBoot.
 *
 * <p>Architecture, for images (B, 3, H, W): {@code conv1} 7x7 stride 2 padding 3 (no bias),
 * {@code bn1}, ReLU, max-pool 3x3 stride 2 padding 1; {@code layer1..layer4} of (3, 4, 6, 3)
 * (R50) or (3, 4, 23, 3) (R101) bottlenecks {@code conv1} 1x1, {@code bn1}, ReLU, {@code conv2}
 * 3x3 carrying the stride ("ResNet v1.5", torchvision's choice), {@code bn2}, ReLU,
 * {@code conv3} 1x1, {@code bn3}, plus the shortcut ({@code downsample.0} 1x1 conv with the
 * stride, {@code downsample.1} BN, on the first block of each layer), then ReLU; global average
 * pooling; {@code fc} (when numClasses > 0). BN eps 1e-5, momentum 0.1.
 *
 * <p>Width multiplier w (SimCLR's ResNet-50 (2x) and (4x), as in the TensorFlow original and in
 * the PyTorch conversion of tonylins/simclr-converter): EVERY width is multiplied by w — the stem
 * (64w), the bottleneck inner widths (64w, 128w, 256w, 512w) and outer widths (256w ... 2048w) —
 * so the features have 2048w channels. This is not torchvision's {@code wide_resnet50_2}, which
 * doubles only the inner widths and keeps 2048 output channels. Parameter counts with the
 * 1000-way fc: ResNet-50 25,557,032 (23,508,032 without fc), R50-w2 98,004,072 (93,907,072 without fc:
 * SimCLR's "94M" counts no fc), R50-w4 383,571,176, ResNet-101 44,549,160.
 *
 * <p>Names are torchvision's, so torchvision checkpoints and the SimCLR conversions load as
 * they are ({@link #loadCheckpoint}, {@link #loadBackbone}).
 *
 * <pre>{@code
 * ResNet2d teacher = ResNet2d.resnet50(2, 0, new Rng(0));      // R50-w2 without fc
 * teacher.loadBackbone(Checkpoints.read(Path.of("r50_2x_sk0.safetensors")));
 * teacher.eval().requiresGrad(false);
 * Tensor f = teacher.features(images);                          // (B, 4096)
 * }</pre>
 */
public final class ResNet2d extends Module {
    static final float BN_EPS = 1e-5f, BN_MOMENTUM = 0.1f;

    /**
     * The shape of a 2D ResNet.
     *
     * @param depths bottleneck blocks per layer: (3, 4, 6, 3) for ResNet-50, (3, 4, 23, 3) for 101
     * @param width the base width (64); layer l has inner width width * w * 2^l
     * @param widthMultiplier SimCLR's w (1, 2, 4): multiplies every width
     * @param numClasses the fc's output size; 0 for no fc (an encoder only)
     */
    public record Config(int[] depths, int width, int widthMultiplier, int numClasses) {
        public Config {
            depths = depths.clone();
            if (depths.length != 4 || Arrays.stream(depths).anyMatch(d -> d < 1)) {
                throw new IllegalArgumentException("ResNet2d: depths must be 4 positive block counts, got "
                        + Arrays.toString(depths));
            }
            if (width < 1 || widthMultiplier < 1 || numClasses < 0) {
                throw new IllegalArgumentException("ResNet2d: need width >= 1, widthMultiplier >= 1 and"
                        + " numClasses >= 0, got " + width + ", " + widthMultiplier + ", " + numClasses);
            }
        }

        @Override
        public int[] depths() {
            return depths.clone();
        }

        public static Config resnet50(int widthMultiplier, int numClasses) {
            return new Config(new int[] {3, 4, 6, 3}, 64, widthMultiplier, numClasses);
        }

        public static Config resnet101(int widthMultiplier, int numClasses) {
            return new Config(new int[] {3, 4, 23, 3}, 64, widthMultiplier, numClasses);
        }

        /** 32 * width * widthMultiplier: 2048 for ResNet-50, 4096 for R50-w2. */
        public int featureDim() {
            return 32 * width * widthMultiplier;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && Arrays.equals(depths, c.depths) && width == c.width
                    && widthMultiplier == c.widthMultiplier && numClasses == c.numClasses;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(depths) * 31 + width * 17 + widthMultiplier * 7 + numClasses;
        }

        @Override
        public String toString() {
            return "ResNet2d.Config[depths=" + Arrays.toString(depths) + ", width=" + width
                    + ", widthMultiplier=" + widthMultiplier + ", numClasses=" + numClasses + "]";
        }
    }

    /**
     * The architecture a torchvision-named checkpoint holds: stem width from conv1 (a width
     * multiplier folds into it), block counts from the highest index in each layer, classes from
     * fc (0 without one).
     */
    public static Config inferConfig(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> state = Checkpoints.stripPrefixes(checkpoint);
        Tensor stem = state.get("conv1.weight");
        if (stem == null) {
            throw new IllegalArgumentException("ResNet2d: the checkpoint has no conv1.weight (torchvision naming);"
                    + " its keys begin " + state.keySet().stream().limit(5).toList());
        }
        int[] depths = new int[4];
        for (String k : state.keySet()) {
            var m = java.util.regex.Pattern.compile("^layer([1-4])\\.(\\d+)\\.").matcher(k);
            if (m.find()) {
                int layer = Integer.parseInt(m.group(1)) - 1;
                depths[layer] = Math.max(depths[layer], Integer.parseInt(m.group(2)) + 1);
            }
        }
        Tensor fc = state.get("fc.weight");
        return new Config(depths, stem.shape()[0], 1, fc == null ? 0 : fc.shape()[0]);
    }

    private final Config config;
    public final Conv2d conv1;
    public final BatchNorm bn1;
    private final List<Sequential> layers;
    public final Linear fc; // null without a head

    /**
     * Builds the model with fresh weights from {@code rng}: convolutions He-normal with fan-out
     * (torchvision's init), BN 1 and 0, fc PyTorch's default Linear init.
     */
    public ResNet2d(Config config, Rng rng) {
        this.config = config;
        int w = config.width() * config.widthMultiplier();
        conv1 = registerModule("conv1", new Conv2d(3, w, new int[] {7, 7}, new int[] {2, 2}, new int[] {3, 3},
                new int[] {1, 1}, 1, false, rng));
        bn1 = registerModule("bn1", BatchNorm.bn2d(w, BN_EPS, BN_MOMENTUM));
        List<Sequential> list = new ArrayList<>();
        int in = w;
        for (int l = 0; l < 4; l++) {
            int planes = w << l;
            Bottleneck[] blocks = new Bottleneck[config.depths[l]];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = new Bottleneck(in, planes, i == 0 && l > 0 ? 2 : 1, rng);
                in = 4 * planes;
            }
            list.add(registerModule("layer" + (l + 1), new Sequential(blocks)));
        }
        layers = List.copyOf(list);
        fc = config.numClasses() > 0 ? registerModule("fc", new Linear(in, config.numClasses(), true, rng)) : null;
        try (var _ = GradMode.disable()) {
            visitConvs(this, c -> c.weight.copyFrom(Init.kaimingNormalFanOut(rng, c.weight.shape())));
        }
    }

    /** ResNet-50 with width multiplier {@code widthMultiplier} and a {@code numClasses}-way fc (0: none). */
    public static ResNet2d resnet50(int widthMultiplier, int numClasses, Rng rng) {
        return new ResNet2d(Config.resnet50(widthMultiplier, numClasses), rng);
    }

    /** ResNet-101 with width multiplier {@code widthMultiplier} and a {@code numClasses}-way fc (0: none). */
    public static ResNet2d resnet101(int widthMultiplier, int numClasses, Rng rng) {
        return new ResNet2d(Config.resnet101(widthMultiplier, numClasses), rng);
    }

    private static void visitConvs(Module m, java.util.function.Consumer<Conv2d> action) {
        if (m instanceof Conv2d c) action.accept(c);
        m.children().values().forEach(child -> visitConvs(child, action));
    }

    public Config config() {
        return config;
    }

    public boolean hasHead() {
        return fc != null;
    }

    /** {@code layer(1)} .. {@code layer(4)}. */
    public Sequential layer(int i) {
        return layers.get(i - 1);
    }

    /** The number of channels of {@link #features}: 2048 * widthMultiplier for ResNet-50. */
    public int featureDim() {
        return config.featureDim();
    }

    /** The final feature map: (B, 3, H, W) -> (B, 2048w, H/32, W/32). */
    public Tensor featureMap(Tensor images) {
        if (images.dim() != 4 || images.size(1) != 3) {
            throw new IllegalArgumentException("ResNet2d: expected images (B, 3, H, W), got shape "
                    + Arrays.toString(images.shape()));
        }
        Tensor x = bn1.forward(conv1.forward(images)).relu();
        x = maxPool(x);
        for (Sequential layer : layers) x = layer.forward(x);
        return x;
    }

    /** Globally average-pooled features: (B, 3, H, W) -> (B, 2048 * widthMultiplier). */
    public Tensor features(Tensor images) {
        return featureMap(images).mean(new int[] {2, 3}, false);
    }

    /** The logits (B, numClasses), or the pooled features when there is no fc. */
    @Override
    public Tensor forward(Tensor images) {
        Tensor f = features(images);
        return fc != null ? fc.forward(f) : f;
    }

    /** torch.nn.MaxPool2d(3, stride 2, padding 1), as a 3-d pool over T = 1. */
    private static Tensor maxPool(Tensor x) {
        return Functional.maxPool3d(x.unsqueeze(2), new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1},
                false).squeeze(2);
    }

    /**
     * Loads a torchvision-named checkpoint strictly (fc included), after stripping the
     * {@code module.}/{@code model.}/{@code backbone.} prefixes; errors list every missing,
     * unexpected and mis-shaped key.
     */
    public void loadCheckpoint(Map<String, Tensor> checkpoint) {
        loadStateDict(Checkpoints.stripPrefixes(checkpoint), true);
    }

    /**
     * Loads everything but the fc (whatever its size, or absent) from a torchvision-named
     * checkpoint: every backbone key must be present and no other key than {@code fc.*} may be.
     */
    public void loadBackbone(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> backbone = new LinkedHashMap<>();
        Checkpoints.stripPrefixes(checkpoint).forEach((k, v) -> {
            if (!k.startsWith("fc.")) backbone.put(k, v);
        });
        Map<String, Tensor> own = stateDict();
        List<String> missing = own.keySet().stream().filter(k -> !k.startsWith("fc.") && !backbone.containsKey(k)).toList();
        List<String> unexpected = backbone.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            StringBuilder msg = new StringBuilder("ResNet2d.loadBackbone: the checkpoint does not fit " + config + ":");
            if (!missing.isEmpty()) msg.append("\n  missing keys (").append(missing.size()).append("): ").append(missing);
            if (!unexpected.isEmpty()) {
                msg.append("\n  unexpected keys (").append(unexpected.size()).append("): ").append(unexpected);
            }
            throw new IllegalArgumentException(msg.toString());
        }
        loadStateDict(backbone, false);
    }

    /** torchvision's Bottleneck: conv1/bn1, conv2/bn2 (stride), conv3/bn3, downsample.0/1. */
    public static final class Bottleneck extends Module {
        public final Conv2d conv1, conv2, conv3;
        public final BatchNorm bn1, bn2, bn3;
        public final Sequential downsample; // null for an identity shortcut

        Bottleneck(int in, int planes, int stride, Rng rng) {
            int[] one = {1, 1}, zero = {0, 0};
            conv1 = registerModule("conv1", new Conv2d(in, planes, one, one, zero, one, 1, false, rng));
            bn1 = registerModule("bn1", BatchNorm.bn2d(planes, BN_EPS, BN_MOMENTUM));
            conv2 = registerModule("conv2", new Conv2d(planes, planes, new int[] {3, 3}, new int[] {stride, stride}, one,
                    one, 1, false, rng));
            bn2 = registerModule("bn2", BatchNorm.bn2d(planes, BN_EPS, BN_MOMENTUM));
            conv3 = registerModule("conv3", new Conv2d(planes, 4 * planes, one, one, zero, one, 1, false, rng));
            bn3 = registerModule("bn3", BatchNorm.bn2d(4 * planes, BN_EPS, BN_MOMENTUM));
            if (stride != 1 || in != 4 * planes) {
                downsample = registerModule("downsample", new Sequential(
                        new Conv2d(in, 4 * planes, one, new int[] {stride, stride}, zero, one, 1, false, rng),
                        BatchNorm.bn2d(4 * planes, BN_EPS, BN_MOMENTUM)));
            } else {
                downsample = null;
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor out = bn1.forward(conv1.forward(x)).relu();
            out = bn2.forward(conv2.forward(out)).relu();
            out = bn3.forward(conv3.forward(out));
            Tensor identity = downsample == null ? x : downsample.forward(x);
            return out.add(identity).relu();
        }
    }
}
