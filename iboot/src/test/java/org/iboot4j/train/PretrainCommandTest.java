package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iboot4j.cli.Main;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code iboot pretrain} end to end in fixed-batch mode, resuming, and its one-line errors. */
class PretrainCommandTest {
    @TempDir
    Path dir;
    Path teacher, batch, config;

    @BeforeEach
    void files() throws Exception {
        teacher = dir.resolve("dino_tiny.safetensors");
        SafetensorsWriter.write(teacher, TrainFixtures.vitTeacher("dino", 3).encoder().module().stateDict(), Map.of());
        batch = dir.resolve("batch.safetensors");
        List<Tensor> clips = TrainFixtures.clips(3, 2, 4);
        SafetensorsWriter.write(batch, Map.of("v_ref", clips.get(0), "v1", clips.get(1), "v2", clips.get(2)), Map.of());
        config = write("tiny.yaml", "");
    }

    private Path write(String name, String extraTrain) throws Exception {
        String y = TrainFixtures.yaml("iboot", "    - {NAME: dino, KIND: vit, CHECKPOINT: " + teacher + ", VIT_HEADS: 2}\n",
                "", "", "", extraTrain, "");
        Path p = dir.resolve(name);
        Files.writeString(p, y);
        return p;
    }

    private int run(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {   // as Main.main reports errors
            cmd.getErr().println("iboot " + cmd.getCommandName() + ": " + e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    @Test
    void fixedBatchRunThenResume() throws Exception {
        Path out = dir.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "pretrain", "--config", config.toString(), "--fixed-batch", batch.toString(), "--steps", "2",
                "--out", out.toString()), err.toString());
        assertEquals(2L, JsonText.readObject(out.resolve(PretrainCheckpoint.STATE_FILE)).get("step"));
        assertTrue(Files.exists(out.resolve(PretrainCheckpoint.ENCODER_FILE)));
        assertTrue(Files.exists(out.resolve(PretrainCheckpoint.PLOT_FILE)));
        assertEquals(0, run(err, "pretrain", "--config", config.toString(), "--fixed-batch", batch.toString(), "--steps", "3",
                "--out", out.toString(), "--resume"), err.toString());
        assertEquals(3, MetricsLog.read(out.resolve(PretrainCheckpoint.METRICS_FILE)).size());
        // a second fresh run into the same folder is refused
        assertEquals(1, run(err, "pretrain", "--config", config.toString(), "--fixed-batch", batch.toString(), "--steps", "1",
                "--out", out.toString()));
        assertTrue(err.toString().contains("already holds a run"), err.toString());
    }

    @Test
    void badConfigurationsAndInputsGiveOneClearLine() throws Exception {
        StringWriter err = new StringWriter();
        Path unknown = write("unknown.yaml", "  WARMUP: 3\n");
        assertEquals(1, run(err, "pretrain", "--config", unknown.toString(), "--fixed-batch", batch.toString()));
        assertTrue(err.toString().contains("iboot pretrain: " + unknown + ": unknown key 'TRAIN.WARMUP'"), err.toString());

        err = new StringWriter();
        Path mixed = write("mixed.yaml", "  MIXED_PRECISION: true\n");
        assertEquals(1, run(err, "pretrain", "--config", mixed.toString(), "--fixed-batch", batch.toString()));
        assertTrue(err.toString().contains("mixed precision is not available on the 'cpu' backend"), err.toString());

        err = new StringWriter();
        Path twoViews = dir.resolve("two.safetensors");
        SafetensorsWriter.write(twoViews, Map.of("v_ref", TrainFixtures.clips(1, 2, 1).get(0)), Map.of());
        assertEquals(1, run(err, "pretrain", "--config", config.toString(), "--fixed-batch", twoViews.toString(),
                "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("no tensor 'v1'"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "pretrain", "--config", dir.resolve("none.yaml").toString()));
        assertTrue(err.toString().contains("no such configuration file"), err.toString());
    }
}
