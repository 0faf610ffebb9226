package org.iboot4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.iboot4j.train.PretrainConfig;
import org.iboot4j.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code iboot pretrain}: iBoot (or rho-BYOL) pre-training from a YAML configuration, on the
 * video loader or, with {@code --fixed-batch}, on one batch read from a safetensors file. The
 * work is {@link Pretrainer#pretrain}.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pre-train a video encoder with iBoot (a frozen image model as target) or rho-BYOL.",
                "Configurations: iboot/configs/*.yaml. Writes OUT/trainer_state.json, OUT/checkpoints/,"
                        + " OUT/encoder.safetensors, OUT/metrics.jsonl and OUT/curves.png."})
final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "YAML configuration (see iboot/configs/).")
    Path config;

    @Option(names = "--out", description = "Output folder (default: the configuration's TRAIN.OUTPUT_DIR).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in the output folder from its last checkpoint.")
    boolean resume;

    @Option(names = "--fixed-batch", paramLabel = "FILE",
            description = "Train on this one batch (safetensors: v_ref, v1, v2 ... as (N, 3, T, H, W)) instead of the videos.")
    Path fixedBatch;

    @Option(names = "--steps", paramLabel = "N",
            description = "Stop at step N (counted from the start of the run, resumed steps included); default: the whole schedule.")
    long steps;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("no such configuration file: " + config);
        if (steps < 0) throw new IllegalArgumentException("--steps must be positive, got " + steps);
        PretrainConfig cfg = PretrainConfig.load(config);
        Path dir = out != null ? out : Path.of(cfg.train().outputDir());
        var console = System.console();
        Pretrainer.pretrain(cfg, dir, resume, fixedBatch, steps, System.out, console != null && console.isTerminal());
        return 0;
    }
}
