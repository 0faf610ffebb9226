package org.iboot4j.models;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.models.resnet.ResNet2d;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.models.resnet.SlowResNetCheckpoint;
import org.iboot4j.nn.models.vit.VitCheckpoint;

/**
 * A model as a feature extractor: the video encoder (Slow-R50/R101: clips (N, 3, T, H, W) to
 * (N, 2048)) and the image encoders (ViT-B/16 from CLIP or DINO, 2-d ResNet-50: images
 * (N, 3, H, W) to (N, D)), loaded from a safetensors checkpoint in any naming the model's mapper
 * knows. Used by {@code iboot extract} and as the iBoot target network.
 */
public record Encoder(Kind kind, Module module, int featureDim, UnaryOperator<Tensor> featuresOf) {

    /** The architectures, by the name used on the command line. */
    public enum Kind {
        /** Slow-R50/R101 and reduced variants (depths and width read from the checkpoint). */
        SLOW_RESNET(5),
        /** ViT-B/16 and relatives, CLIP (HF or OpenAI naming) or DINO/timm, detected from the keys. */
        VIT(4),
        /** torchvision ResNet-50/101 and wide variants (R50-w2), as image teachers. */
        RESNET(4);

        /** Rank of the input: 5 for clips (N, C, T, H, W), 4 for images (N, C, H, W). */
        public final int inputRank;

        Kind(int inputRank) {
            this.inputRank = inputRank;
        }

        public static Kind parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown model '" + name + "'; choose one of "
                        + Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT)).toList(), e);
            }
        }
    }

    /**
     * Loads {@code kind} from a checkpoint in evaluation mode. The architecture is read from the
     * checkpoint's shapes; heads are ignored. {@code vitHeads} overrides the ViT head count,
     * which checkpoints do not store (0: width / 64, right for ViT-S/B/L/H).
     */
    public static Encoder load(Kind kind, Path checkpoint, int vitHeads) throws java.io.IOException {
        Rng rng = new Rng(0);
        Encoder e = switch (kind) {
            case SLOW_RESNET -> {
                Map<String, Tensor> weights = Checkpoints.read(checkpoint);
                SlowResNet.Config c = SlowResNetCheckpoint.inferConfig(weights);
                SlowResNet m = new SlowResNet(new SlowResNet.Config(c.depths(), c.width(), 0, c.dropout()), rng);
                m.loadBackbone(weights);
                yield new Encoder(kind, m, m.featureDim(), m::features);
            }
            case RESNET -> {
                Map<String, Tensor> weights = Checkpoints.read(checkpoint);
                ResNet2d.Config c = ResNet2d.inferConfig(weights);
                ResNet2d m = new ResNet2d(new ResNet2d.Config(c.depths(), c.width(), c.widthMultiplier(), 0), rng);
                m.loadBackbone(weights);
                yield new Encoder(kind, m, m.featureDim(), m::features);
            }
            case VIT -> {
                var options = vitHeads > 0 ? VitCheckpoint.Options.DETECT.withHeads(vitHeads) : VitCheckpoint.Options.DETECT;
                var m = VitCheckpoint.load(checkpoint, options);
                yield new Encoder(kind, m, m.config().outputDim(), m::forward);
            }
        };
        e.module.eval();
        return e;
    }

    /** The features of a batch; a clear error when the input's rank or channels do not fit. */
    public Tensor features(Tensor input) {
        int[] s = input.shape();
        if (s.length != kind.inputRank || s[1] != 3) {
            throw new IllegalArgumentException(kind.name().toLowerCase(Locale.ROOT) + " expects "
                    + (kind.inputRank == 5 ? "clips (N, 3, T, H, W)" : "images (N, 3, H, W)")
                    + ", got shape " + Arrays.toString(s));
        }
        return featuresOf.apply(input);
    }
}
