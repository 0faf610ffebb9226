package org.iboot4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.models.Encoder;
import org.iboot4j.nn.io.SafetensorsReader;
import org.iboot4j.nn.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code iboot extract}: features of a batch with any supported encoder. Reads the input tensor
 * from a safetensors file, runs the model in evaluation mode without a graph, and writes the
 * tensor {@code features} (N, D) to a new safetensors file (atomically).
 */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = "Extract features with a pretrained encoder. The input file holds clips (N, 3, T, H, W)"
                + " for slow_resnet or images (N, 3, H, W) for vit and resnet, already"
                + " normalised; the output file holds 'features' (N, D).")
final class ExtractCommand implements Callable<Integer> {
    @Option(names = "--model", required = true,
            description = "slow_resnet (Slow-R50/R101), vit (CLIP or DINO, detected from the keys) or resnet"
                    + " (torchvision ResNet-50/101/w2). Sizes are read from the checkpoint.")
    String model;

    @Option(names = "--heads", description = "ViT attention heads (default: width / 64, as ViT-S/B/L/H).")
    int heads;

    @Option(names = "--checkpoint", required = true,
            description = "Weights as safetensors (pytorchvideo / PySlowFast / HF / OpenAI / timm / torchvision names).")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "Safetensors file holding the input tensor.")
    Path input;

    @Option(names = "--input-name", description = "Name of the input tensor (default: ${DEFAULT-VALUE}).")
    String inputName = "input";

    @Option(names = "--output", required = true, description = "Safetensors file to write 'features' to.")
    Path output;

    @Override
    public Integer call() throws Exception {
        for (Path p : new Path[] {checkpoint, input}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no such file: " + p);
        }
        Encoder encoder = Encoder.load(Encoder.Kind.parse(model), checkpoint, heads);
        Tensor batch;
        try (SafetensorsReader r = SafetensorsReader.open(input)) {
            if (!r.contains(inputName)) {
                throw new IllegalArgumentException(input + " has no tensor '" + inputName + "' (it has "
                        + r.names() + "); choose one with --input-name");
            }
            batch = r.tensor(inputName);
        }
        Tensor features;
        try (var ignored = GradMode.disable()) {
            features = encoder.features(batch);
        }
        new SafetensorsWriter()
                .metadata("model", model.toLowerCase(Locale.ROOT))
                .metadata("checkpoint", checkpoint.getFileName().toString())
                .add("features", features)
                .write(output);
        System.out.printf("%s: %s -> features %s written to %s%n", model, java.util.Arrays.toString(batch.shape()),
                java.util.Arrays.toString(features.shape()), output);
        return 0;
    }
}
