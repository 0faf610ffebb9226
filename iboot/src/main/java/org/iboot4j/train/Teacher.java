package org.iboot4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.models.Encoder;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.nn.models.vit.VisionTransformer;

/**
 * A frozen image model, iBoot's target network f_phi: applied frame by frame to v_ref, its
 * per-frame features ([CLS] after the final norm and projection for a ViT, the pooled
 * penultimate layer for a ResNet) are the regression targets. Frozen for good: the constructor
 * puts the model in evaluation mode and turns its gradients off, {@link #frameFeatures} runs
 * without recording a graph, and no optimiser ever sees its parameters.
 *
 * @param name          names the teacher's W head ({@code iboot.heads.<name>.*}) and loss term
 * @param encoder       the image model
 * @param normalization the input normalisation the model expects
 */
public record Teacher(String name, Encoder encoder, Preprocessing normalization) {
    public Teacher {
        if (encoder.kind().inputRank != 4) {
            throw new IllegalArgumentException("teacher '" + name + "': an image model is needed, got " + encoder.kind());
        }
        encoder.module().eval();
        encoder.module().requiresGrad(false);
    }

    /** The feature width D. */
    public int dim() {
        return encoder.featureDim();
    }

    /** Loads a teacher from its config entry; the default normalisation is the model's own. */
    public static Teacher load(PretrainConfig.TeacherSpec spec) throws IOException {
        Path file = Path.of(spec.checkpoint());
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("teacher '" + spec.name() + "': no such checkpoint " + file
                    + " (IBOOT.TEACHERS CHECKPOINT; convert released weights to safetensors first)");
        }
        Encoder.Kind kind = spec.kind() == PretrainConfig.TeacherKind.VIT ? Encoder.Kind.VIT : Encoder.Kind.RESNET;
        Encoder e = Encoder.load(kind, file, spec.vitHeads());
        return new Teacher(spec.name(), e, spec.mean() != null ? new Preprocessing(spec.mean(), spec.std()) : defaultNormalization(e));
    }

    /** A ViT's own preprocessing (CLIP or ImageNet); ImageNet's for a torchvision ResNet. */
    public static Preprocessing defaultNormalization(Encoder e) {
        return e.module() instanceof VisionTransformer v ? v.preprocessing() : Preprocessing.IMAGENET;
    }

    /** Every teacher a config names, in order. */
    public static List<Teacher> loadAll(PretrainConfig config) throws IOException {
        List<Teacher> list = new ArrayList<>();
        for (PretrainConfig.TeacherSpec s : config.iboot().teachers()) list.add(load(s));
        return list;
    }

    /**
     * Per-frame features of clips (N, 3, T, H, W) normalised with {@code from}: the clips are
     * re-normalised for this model, reshaped to N*T images, encoded {@code chunk} frames at a
     * time (0: all at once) and reshaped to (N, T, D). No graph is recorded.
     */
    public Tensor frameFeatures(Tensor clips, Preprocessing from, int chunk) {
        if (clips.dim() != 5 || clips.size(1) != 3) {
            throw new IllegalArgumentException("teacher '" + name + "': expected clips (N, 3, T, H, W), got "
                    + Arrays.toString(clips.shape()));
        }
        int n = clips.size(0), t = clips.size(2), h = clips.size(3), w = clips.size(4), frames = n * t;
        try (var _ = GradMode.disable()) {
            Tensor x = Normalization.convert(clips, from, normalization);
            Tensor images = x.permute(0, 2, 1, 3, 4).contiguous().reshape(frames, 3, h, w);
            Tensor f;
            if (chunk <= 0 || chunk >= frames) {
                f = encoder.features(images);
            } else {
                List<Tensor> parts = new ArrayList<>();
                for (int i = 0; i < frames; i += chunk) parts.add(encoder.features(images.narrow(0, i, Math.min(chunk, frames - i))));
                f = Functional.concat(0, parts.toArray(Tensor[]::new));
            }
            return f.reshape(n, t, f.size(1));
        }
    }
}
