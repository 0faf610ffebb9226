package org.iboot4j.nn.models.resnet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.nn.Init;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.layers.BatchNorm;
import org.iboot4j.nn.layers.Conv3d;
import org.iboot4j.nn.layers.Dropout;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.layers.Pool3d;

/**
 * The "Slow" (SlowOnly) 3D ResNet of Feichtenhofer et al., exactly as pytorchvideo's
 * {@code create_resnet} builds it for the hub model {@code slow_r50} (and PySlowFast's
 * {@code ResNet} with {@code MODEL.ARCH = slow}): the video encoder of iBoot.
 *
 * <p>Architecture, for input (N, 3, T, H, W) (Slow 8x8: T = 8, H = W = 224):
 * <ul>
 *   <li>{@code blocks.0} stem: conv 3 -> 64, kernel 1x7x7, stride (1, 2, 2), padding (0, 3, 3), no
 *       bias; BN; ReLU; max-pool 1x3x3, stride (1, 2, 2), padding (0, 1, 1);
 *   <li>{@code blocks.1..4} = res2..res5: (3, 4, 6, 3) bottleneck blocks for R50, (3, 4, 23, 3)
 *       for R101; output widths 256/512/1024/2048, inner widths 64/128/256/512; conv_a has
 *       temporal kernel 3 (padding 1) in res4 and res5 only, 1 in res2 and res3; the first block
 *       of res3/res4/res5 has spatial stride 2 on its 1x3x3 conv_b; no temporal stride anywhere;
 *       a projection shortcut (1x1x1 conv with the block's stride + BN) where the shape changes
 *       (the first block of every stage);
 *   <li>{@code blocks.5} head (when numClasses > 0): global average pooling, dropout 0.5,
 *       Linear 2048 -> numClasses ({@code blocks.5.proj}). pytorchvideo pools with
 *       AvgPool3d((8, 7, 7)) and averages the projected map again; for the 8x224x224 input it
 *       was made for, the final map is 8x7x7 and the two are the same function. This class
 *       averages the whole map, so it also accepts other input sizes.
 * </ul>
 * BatchNorm everywhere with eps 1e-5 and momentum 0.1. Slow-R50 with the 400-way Kinetics head
 * has 32,454,096 parameters (31,634,496 without the head); Slow-R101: 60,359,120.
 *
 * <p>State-dict names are pytorchvideo's ({@code blocks.0.conv.weight},
 * {@code blocks.1.res_blocks.0.branch1_conv.weight},
 * {@code blocks.1.res_blocks.0.branch2.conv_a.weight}, {@code ...norm_a.running_mean},
 * {@code blocks.5.proj.weight}, ...), so {@link #stateDict()} is a pytorchvideo checkpoint.
 * {@link #loadCheckpoint} and {@link #loadBackbone} also take PySlowFast checkpoints (see
 * {@link SlowResNetCheckpoint}).
 *
 * <pre>{@code
 * SlowResNet model = SlowResNet.slowR50(400, new Rng(0));
 * model.loadCheckpoint(Checkpoints.read(Path.of("SLOW_8x8_R50.safetensors")));   // either naming
 * model.eval();
 * Tensor logits = model.forward(clip);        // (N, 400)
 * Tensor feats = model.features(clip);        // (N, 2048), globally average-pooled
 * }</pre>
 */
public final class SlowResNet extends Module {

    /** conv_a temporal kernel per stage (res2..res5) of the "slow" architecture. */
    static final int[] TEMPORAL_KERNELS = {1, 1, 3, 3};
    /** conv_b spatial stride of the first block per stage (res2..res5). */
    static final int[] SPATIAL_STRIDES = {1, 2, 2, 2};
    static final float BN_EPS = 1e-5f, BN_MOMENTUM = 0.1f;

    /**
     * The shape of a Slow ResNet.
     *
     * @param depths the number of bottleneck blocks in res2..res5: (3, 4, 6, 3) for R50,
     *     (3, 4, 23, 3) for R101
     * @param width the stem's output width (64); stage s has inner width width * 2^s and output
     *     width 4 * width * 2^s, so the features have 32 * width channels
     * @param numClasses the head's output size; 0 for no head (an encoder only: {@link #forward}
     *     then returns the pooled features)
     * @param dropout the head's dropout rate (0.5)
     */
    public record Config(int[] depths, int width, int numClasses, float dropout) {
        public Config {
            depths = depths.clone();
            if (depths.length != 4 || Arrays.stream(depths).anyMatch(d -> d < 1)) {
                throw new IllegalArgumentException("SlowResNet: depths must be 4 positive block counts, got "
                        + Arrays.toString(depths));
            }
            if (width < 1 || numClasses < 0 || !(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("SlowResNet: need width >= 1, numClasses >= 0 and"
                        + " dropout in [0, 1), got " + width + ", " + numClasses + ", " + dropout);
            }
        }

        @Override
        public int[] depths() {
            return depths.clone();
        }

        /** Slow-R50 (SlowOnly 8x8 R50, pytorchvideo hub {@code slow_r50}). */
        public static Config slowR50(int numClasses) {
            return new Config(new int[] {3, 4, 6, 3}, 64, numClasses, 0.5f);
        }

        /** Slow-R101. */
        public static Config slowR101(int numClasses) {
            return new Config(new int[] {3, 4, 23, 3}, 64, numClasses, 0.5f);
        }

        /** The width of the final feature map and of {@link SlowResNet#features}. */
        public int featureDim() {
            return 32 * width;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && Arrays.equals(depths, c.depths) && width == c.width
                    && numClasses == c.numClasses && Float.compare(dropout, c.dropout) == 0;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(depths) * 31 + width * 17 + numClasses * 7 + Float.hashCode(dropout);
        }

        @Override
        public String toString() {
            return "SlowResNet.Config[depths=" + Arrays.toString(depths) + ", width=" + width
                    + ", numClasses=" + numClasses + ", dropout=" + dropout + "]";
        }
    }

    private final Config config;
    private final ModuleList<Module> blocks;
    private final Stem stem;
    private final List<Stage> stages;
    private final Head head; // null without a head

    /**
     * Builds the model with fresh weights drawn from {@code rng}: convolutions He-normal with
     * fan-out (PySlowFast's c2_msra_fill), BN weight 1 and bias 0, the head's Linear N(0, 0.01)
     * with bias 0 (pytorchvideo's and PySlowFast's ResNet initialisation).
     */
    public SlowResNet(Config config, Rng rng) {
        this.config = config;
        List<Module> list = new ArrayList<>();
        this.stem = new Stem(3, config.width(), rng);
        list.add(stem);
        List<Stage> st = new ArrayList<>();
        int in = config.width(), out = 4 * config.width();
        for (int s = 0; s < 4; s++) {
            Stage stage = new Stage(config.depths[s], in, out / 4, out, TEMPORAL_KERNELS[s], SPATIAL_STRIDES[s], rng);
            st.add(stage);
            list.add(stage);
            in = out;
            out *= 2;
        }
        this.stages = List.copyOf(st);
        this.head = config.numClasses() > 0 ? new Head(in, config.numClasses(), config.dropout(), rng) : null;
        if (head != null) list.add(head);
        this.blocks = registerModule("blocks", new ModuleList<>(list));
        initWeights(rng);
    }

    /** Slow-R50 with a {@code numClasses}-way head (400 for Kinetics-400; 0 for none). */
    public static SlowResNet slowR50(int numClasses, Rng rng) {
        return new SlowResNet(Config.slowR50(numClasses), rng);
    }

    /** Slow-R101 with a {@code numClasses}-way head (0 for none). */
    public static SlowResNet slowR101(int numClasses, Rng rng) {
        return new SlowResNet(Config.slowR101(numClasses), rng);
    }

    private void initWeights(Rng rng) {
        try (var _ = GradMode.disable()) {
            visitConvs(this, c -> c.weight.copyFrom(Init.kaimingNormalFanOut(rng, c.weight.shape())));
            if (head != null) {
                head.proj.weight.copyFrom(Tensor.randn(rng, 0, 0.01f, head.proj.weight.shape()));
                head.proj.bias.copyFrom(Tensor.zeros(head.proj.bias.shape()));
            }
        }
    }

    private static void visitConvs(Module m, java.util.function.Consumer<Conv3d> action) {
        if (m instanceof Conv3d c) action.accept(c);
        m.children().values().forEach(child -> visitConvs(child, action));
    }

    public Config config() {
        return config;
    }

    /** Whether the model has a classification head ({@code blocks.5}). */
    public boolean hasHead() {
        return head != null;
    }

    /** The classification head, or null. */
    public Head head() {
        return head;
    }

    /** The stem ({@code blocks.0}). */
    public Stem stem() {
        return stem;
    }

    /** Stage {@code i} (0..3 = res2..res5, {@code blocks.1..4}). */
    public Stage stage(int i) {
        return stages.get(i);
    }

    /** The number of channels of {@link #features} (2048 for R50 and R101). */
    public int featureDim() {
        return config.featureDim();
    }

    /**
     * The final feature map: stem and res2..res5, (N, 3, T, H, W) -> (N, 2048, T, H/32, W/32)
     * (H/32 rounded as the strided convolutions round: 224 -> 7).
     */
    public Tensor featureMap(Tensor x) {
        if (x.dim() != 5 || x.size(1) != 3) {
            throw new IllegalArgumentException("SlowResNet: expected a clip (N, 3, T, H, W), got shape "
                    + Arrays.toString(x.shape()));
        }
        x = TensorScope.releasingTemporaries(x, stem::forward);
        for (Stage s : stages) x = s.forward(x);
        return x;
    }

    /** Globally average-pooled features: (N, 3, T, H, W) -> (N, 2048). What iBoot trains. */
    public Tensor features(Tensor x) {
        return pool(featureMap(x));
    }

    /** Global average pooling of a feature map (N, C, T, H, W) -> (N, C). */
    static Tensor pool(Tensor map) {
        return map.mean(new int[] {2, 3, 4}, false);
    }

    /** The logits (N, numClasses), or the pooled features (N, 2048) when there is no head. */
    @Override
    public Tensor forward(Tensor x) {
        Tensor map = featureMap(x);
        return head != null ? head.forward(map) : pool(map);
    }

    /**
     * Loads a whole checkpoint (pytorchvideo or PySlowFast naming, detected from the keys;
     * {@code model.}/{@code backbone.}/{@code module.} prefixes stripped) strictly: every key
     * must match, head included. See {@link SlowResNetCheckpoint#toPytorchvideo(Map)}.
     */
    public void loadCheckpoint(Map<String, Tensor> checkpoint) {
        loadStateDict(SlowResNetCheckpoint.toPytorchvideo(checkpoint), true);
    }

    /** As {@link #loadCheckpoint(Map)} with the naming given instead of detected. */
    public void loadCheckpoint(Map<String, Tensor> checkpoint, SlowResNetCheckpoint.Naming naming) {
        loadStateDict(SlowResNetCheckpoint.toPytorchvideo(checkpoint, naming), true);
    }

    /**
     * Loads the backbone (stem and res2..res5) from a checkpoint in either naming and leaves the
     * head as it is: every backbone key must be present; the checkpoint's head
     * ({@code blocks.5.*}, {@code head.projection.*}), whatever its size, is ignored. For
     * fine-tuning with another number of classes, or for a model without a head.
     */
    public void loadBackbone(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> mapped = SlowResNetCheckpoint.toPytorchvideo(checkpoint);
        Map<String, Tensor> backbone = new LinkedHashMap<>();
        mapped.forEach((k, v) -> {
            if (!k.startsWith(SlowResNetCheckpoint.HEAD_PREFIX)) backbone.put(k, v);
        });
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        for (String k : own.keySet()) {
            if (!k.startsWith(SlowResNetCheckpoint.HEAD_PREFIX) && !backbone.containsKey(k)) missing.add(k);
        }
        List<String> unexpected = backbone.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            StringBuilder msg = new StringBuilder("SlowResNet.loadBackbone: the checkpoint does not fit " + config + ":");
            if (!missing.isEmpty()) msg.append("\n  missing keys (").append(missing.size()).append("): ").append(missing);
            if (!unexpected.isEmpty()) {
                msg.append("\n  unexpected keys (").append(unexpected.size()).append("): ").append(unexpected);
            }
            throw new IllegalArgumentException(msg.toString());
        }
        loadStateDict(backbone, false);
    }

    // ---- parts ------------------------------------------------------------------------------

    /** pytorchvideo's ResNetBasicStem: conv, norm, (ReLU), pool. */
    public static final class Stem extends Module {
        public final Conv3d conv;
        public final BatchNorm norm;
        private final Pool3d pool;

        Stem(int in, int out, Rng rng) {
            this.conv = registerModule("conv", new Conv3d(in, out, new int[] {1, 7, 7}, new int[] {1, 2, 2},
                    new int[] {0, 3, 3}, rng));
            this.norm = registerModule("norm", BatchNorm.bn3d(out, BN_EPS, BN_MOMENTUM));
            this.pool = Pool3d.max(new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1});
        }

        @Override
        public Tensor forward(Tensor x) {
            return pool.forward(norm.forward(conv.forward(x)).relu());
        }
    }

    /**
     * pytorchvideo's BottleneckBlock: conv_a (kT x 1 x 1), norm_a, ReLU, conv_b (1x3x3, the
     * block's spatial stride), norm_b, ReLU, conv_c (1x1x1), norm_c.
     */
    public static final class Bottleneck extends Module {
        public final Conv3d convA, convB, convC;
        public final BatchNorm normA, normB, normC;

        Bottleneck(int in, int inner, int out, int temporalKernel, int stride, Rng rng) {
            convA = registerModule("conv_a", new Conv3d(in, inner, new int[] {temporalKernel, 1, 1},
                    new int[] {1, 1, 1}, new int[] {temporalKernel / 2, 0, 0}, rng));
            normA = registerModule("norm_a", BatchNorm.bn3d(inner, BN_EPS, BN_MOMENTUM));
            convB = registerModule("conv_b", new Conv3d(inner, inner, new int[] {1, 3, 3},
                    new int[] {1, stride, stride}, new int[] {0, 1, 1}, rng));
            normB = registerModule("norm_b", BatchNorm.bn3d(inner, BN_EPS, BN_MOMENTUM));
            convC = registerModule("conv_c", new Conv3d(inner, out, new int[] {1, 1, 1}, new int[] {1, 1, 1},
                    new int[] {0, 0, 0}, rng));
            normC = registerModule("norm_c", BatchNorm.bn3d(out, BN_EPS, BN_MOMENTUM));
        }

        @Override
        public Tensor forward(Tensor x) {
            x = normA.forward(convA.forward(x)).relu();
            x = normB.forward(convB.forward(x)).relu();
            return normC.forward(convC.forward(x));
        }
    }

    /**
     * pytorchvideo's ResBlock: ReLU(shortcut(x) + branch2(x)), the shortcut a projection
     * (branch1_conv 1x1x1 with the block's stride, branch1_norm) where the shape changes, else
     * the identity.
     */
    public static final class ResBlock extends Module {
        public final Conv3d branch1Conv; // null for an identity shortcut
        public final BatchNorm branch1Norm;
        public final Bottleneck branch2;

        ResBlock(int in, int inner, int out, int temporalKernel, int stride, Rng rng) {
            if (in != out || stride != 1) {
                branch1Conv = registerModule("branch1_conv", new Conv3d(in, out, new int[] {1, 1, 1},
                        new int[] {1, stride, stride}, new int[] {0, 0, 0}, rng));
                branch1Norm = registerModule("branch1_norm", BatchNorm.bn3d(out, BN_EPS, BN_MOMENTUM));
            } else {
                branch1Conv = null;
                branch1Norm = null;
            }
            branch2 = registerModule("branch2", new Bottleneck(in, inner, out, temporalKernel, stride, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor shortcut = branch1Conv == null ? x : branch1Norm.forward(branch1Conv.forward(x));
            return shortcut.add(branch2.forward(x)).relu();
        }
    }

    /** pytorchvideo's ResStage: {@code res_blocks.0..depth-1}; the first carries the stride. */
    public static final class Stage extends Module {
        private final ModuleList<ResBlock> blocks;

        Stage(int depth, int in, int inner, int out, int temporalKernel, int stride, Rng rng) {
            List<ResBlock> list = new ArrayList<>();
            for (int i = 0; i < depth; i++) {
                list.add(new ResBlock(i == 0 ? in : out, inner, out, temporalKernel, i == 0 ? stride : 1, rng));
            }
            blocks = registerModule("res_blocks", new ModuleList<>(list));
        }

        public int depth() {
            return blocks.size();
        }

        public ResBlock block(int i) {
            return blocks.get(i);
        }

        @Override
        public Tensor forward(Tensor x) {
            for (ResBlock b : blocks.items()) x = TensorScope.releasingTemporaries(x, b::forward);
            return x;
        }
    }

    /**
     * pytorchvideo's ResNetBasicHead, with global average pooling: (N, C, T, H, W) -> average
     * -> dropout -> {@code proj} Linear -> (N, numClasses).
     */
    public static final class Head extends Module {
        public final Linear proj;
        private final Dropout dropout;

        Head(int in, int classes, float dropout, Rng rng) {
            this.dropout = registerModule("dropout", new Dropout(dropout, rng)); // no state; follows train/eval
            this.proj = registerModule("proj", new Linear(in, classes, true, rng));
        }

        /** Takes the feature map (N, C, T, H, W) or already pooled features (N, C). */
        @Override
        public Tensor forward(Tensor x) {
            if (x.dim() == 5) x = pool(x);
            return proj.forward(dropout.forward(x));
        }
    }
}
