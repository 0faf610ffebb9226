package org.iboot4j.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.models.resnet.SlowResNetCheckpoint;
import org.iboot4j.train.PretrainCheckpoint;

/**
 * The video encoder under evaluation: a Slow ResNet whose backbone comes from a checkpoint —
 * {@code OUT/encoder.safetensors} of {@code iboot pretrain}, one of its step checkpoints
 * ({@code OUT/checkpoints/step-*.safetensors}: the W heads and BYOL parts are left out), or a
 * pytorchvideo / PySlowFast Slow checkpoint — with the depths and width read from the weights,
 * or initialised at random (the baseline). A classification head is added, freshly
 * initialised, when {@code numClasses > 0} (fine-tuning).
 */
public final class EvalModels {
    private EvalModels() {}

    /** The backbone weights of a checkpoint (encoder keys only). */
    public static Map<String, Tensor> backboneWeights(Path checkpoint) {
        if (!Files.isRegularFile(checkpoint)) throw new IllegalArgumentException("no such checkpoint: " + checkpoint);
        return PretrainCheckpoint.encoderWeights(Checkpoints.read(checkpoint));
    }

    /** A Slow ResNet with {@code checkpoint}'s backbone and a new head of {@code numClasses} (0: none). */
    public static SlowResNet load(Path checkpoint, int numClasses, float dropout, long seed) {
        Map<String, Tensor> weights = backboneWeights(checkpoint);
        SlowResNet.Config c = SlowResNetCheckpoint.inferConfig(weights);
        SlowResNet model = new SlowResNet(new SlowResNet.Config(c.depths(), c.width(), numClasses, dropout), new Rng(seed));
        model.loadBackbone(weights);
        return model;
    }

    /** A randomly initialised Slow ResNet (pytorchvideo's initialisation from {@code seed}). */
    public static SlowResNet random(int[] depths, int width, int numClasses, float dropout, long seed) {
        return new SlowResNet(new SlowResNet.Config(depths, width, numClasses, dropout), new Rng(seed));
    }
}
