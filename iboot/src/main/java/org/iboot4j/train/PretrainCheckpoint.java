package org.iboot4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;

/**
 * The files of a pre-training run, in its output folder OUT:
 * <pre>
 * OUT/trainer_state.json                       the commit point: step, epoch, the files below,
 *                                              the data position and RNG seeds, the config
 * OUT/checkpoints/step-NNNNNNNN.safetensors    weights (see below)
 * OUT/checkpoints/step-NNNNNNNN.optim.safetensors   optimiser momentum buffers: "momentum.NAME"
 *                                              for every trainable weight NAME
 * OUT/encoder.safetensors                      the online encoder alone (pytorchvideo names):
 *                                              for evaluation, {@code iboot extract}, PyTorch
 * OUT/metrics.jsonl                            one JSON line per step
 * OUT/curves.png                               loss and learning-rate curves (at the end)
 * </pre>
 * Weights file keys: the online Slow ResNet at the top level in pytorchvideo naming
 * ({@code blocks.0.conv.weight}, ..., with batch-norm buffers), {@code iboot.heads.<teacher>.weight}
 * (D, 2048) and {@code .bias} (D), and {@code byol.projector.*}, {@code byol.predictor.*},
 * {@code byol.target.*} (the EMA encoder), {@code byol.target_projector.*} when the SSL term is
 * on. Metadata: {@code format} = {@value #FORMAT}, {@code step}.
 *
 * <p>Atomicity: each file is written to a temporary file and renamed into place; the weights and
 * optimiser files of step S are complete before {@code trainer_state.json} is replaced to name
 * them, and older step files are deleted only after. A run killed at any moment leaves the
 * previous state and its files intact: it loses at most the steps since the last checkpoint.
 */
public final class PretrainCheckpoint {
    private PretrainCheckpoint() {}

    public static final String FORMAT = "iboot4j-pretrain/1";
    public static final String STATE_FILE = "trainer_state.json";
    public static final String ENCODER_FILE = "encoder.safetensors";
    public static final String METRICS_FILE = "metrics.jsonl";
    public static final String PLOT_FILE = "curves.png";
    public static final String CHECKPOINT_DIR = "checkpoints";
    public static final String MOMENTUM_PREFIX = "momentum.";

    /** The file names of step {@code step}'s weights and optimiser state, relative to OUT. */
    static String[] stepFiles(long step) {
        String base = CHECKPOINT_DIR + "/" + String.format("step-%08d", step);
        return new String[] {base + ".safetensors", base + ".optim.safetensors"};
    }

    /**
     * The online encoder's weights (pytorchvideo names) out of a weights file's entries: what
     * {@code SlowResNet.loadBackbone} takes. Other checkpoints pass through unchanged.
     */
    public static Map<String, Tensor> encoderWeights(Map<String, Tensor> weights) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (!k.startsWith(IBootModel.HEADS_PREFIX) && !k.startsWith(IBootModel.BYOL_PREFIX)) out.put(k, v);
        });
        return out;
    }

    /** The online encoder's weights from a run's weights file (or from encoder.safetensors). */
    public static Map<String, Tensor> readEncoder(Path file) {
        return encoderWeights(Checkpoints.read(file));
    }

    /** The weights file the trainer state of {@code out} names (the latest checkpoint). */
    public static Path latestWeights(Path out) throws IOException {
        Map<String, Object> state = JsonText.readObject(out.resolve(STATE_FILE));
        return out.resolve((String) state.get("weights"));
    }
}
