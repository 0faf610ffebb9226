package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.models.Encoder;
import org.iboot4j.nn.io.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run leaves behind: progress, metrics, curves, checkpoints, the encoder file. */
class OutputsTest {
    @TempDir
    Path out;

    @Test
    void aRunWritesProgressMetricsCurvesCheckpointsAndTheEncoder() throws Exception {
        PretrainConfig c = TrainFixtures.config(TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "  ENABLE: true\n", "",
                "", "").replace("LOG_PERIOD: 1", "LOG_PERIOD: 2").replace("CHECKPOINT_PERIOD: 100", "CHECKPOINT_PERIOD: 2"));
        IBootModel m = IBootModel.create(c, List.of(TrainFixtures.vitTeacher("vit", 1)));
        TrainFixtures.Console console = new TrainFixtures.Console();
        try (Pretrainer p = new Pretrainer(c, m, TrainFixtures.fixed(c, 3), out, console.stream, false)) {
            p.run(3);
        }
        // progress: a header, a line at step 2 (LOG_PERIOD) and at the last step, no carriage returns
        String text = console.text();
        assertTrue(text.startsWith("iboot pretrain: iboot with [vit (vit, D=16)]"), text);
        assertTrue(text.contains("step 2/3  epoch 1  loss ") && text.contains("step 3/3"), text);
        assertTrue(!text.contains("step 1/3") && !text.contains("\r"), text);
        assertTrue(text.matches("(?s).*lr [0-9.e-]+  [0-9.]+ clips/s  ETA [0-9:]+.*"), text);

        // metrics: one JSON line per step with every field
        List<Map<String, Object>> rows = MetricsLog.read(out.resolve(PretrainCheckpoint.METRICS_FILE));
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            Map<String, Object> r = rows.get(i);
            assertEquals((long) i + 1, r.get("step"));
            for (String k : List.of("epoch", "epoch_exact", "lr", "loss", "loss.iboot.vit", "loss.ssl", "clips_per_s",
                    "skipped_videos", "time_s")) {
                assertTrue(r.containsKey(k), "metrics row lacks " + k + ": " + r);
            }
            double total = ((Number) r.get("loss")).doubleValue();
            double parts = ((Number) r.get("loss.iboot.vit")).doubleValue() + ((Number) r.get("loss.ssl")).doubleValue();
            assertEquals(parts, total, 1e-5);
        }

        // curves: a PNG that decodes
        BufferedImage png = ImageIO.read(out.resolve(PretrainCheckpoint.PLOT_FILE).toFile());
        assertEquals(CurvePlot.WIDTH, png.getWidth());
        assertEquals(CurvePlot.HEIGHT, png.getHeight());

        // checkpoints: the state names step 3's files; step 2's were removed
        Map<String, Object> state = JsonText.readObject(out.resolve(PretrainCheckpoint.STATE_FILE));
        assertEquals(3L, state.get("step"));
        assertEquals(PretrainCheckpoint.stepFiles(3)[0], state.get("weights"));
        assertTrue(state.containsKey("rng") && state.containsKey("data") && state.containsKey("config"));
        try (Stream<Path> files = Files.list(out.resolve(PretrainCheckpoint.CHECKPOINT_DIR))) {
            assertEquals(List.of("step-00000003.optim.safetensors", "step-00000003.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve(PretrainCheckpoint.stepFiles(3)[0]))) {
            assertTrue(r.contains("blocks.0.conv.weight") && r.contains("iboot.heads.vit.weight")
                    && r.contains("byol.target.blocks.0.conv.weight") && r.contains("byol.predictor.3.weight"));
            assertEquals(PretrainCheckpoint.FORMAT, r.metadata().get("format"));
        }
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve(PretrainCheckpoint.stepFiles(3)[1]))) {
            assertEquals(m.trainableParameters().size(), r.names().size());
            assertTrue(r.contains("momentum.blocks.0.conv.weight"));
        }

        // the encoder file is a plain pytorchvideo Slow ResNet checkpoint: the evaluation's input
        Encoder e = Encoder.load(Encoder.Kind.SLOW_RESNET, out.resolve(PretrainCheckpoint.ENCODER_FILE), 0);
        Tensor clip = TrainFixtures.clips(1, 1, 4).get(0);
        m.online().eval();
        try (var _ = GradMode.disable()) {
            assertEquals(0.0, TrainFixtures.relativeError(e.features(clip).toFloatArray(), m.online().features(clip).toFloatArray()));
        }
        assertEquals(PretrainCheckpoint.readEncoder(out.resolve(PretrainCheckpoint.stepFiles(3)[0])).keySet(),
                m.online().stateDict().keySet());
    }

    @Test
    void onATerminalTheBarIsRedrawnInPlace() {
        TrainFixtures.Console console = new TrainFixtures.Console();
        Progress p = new Progress(console.stream, true, 100);
        p.update(1, 4, 0, 2.0, 0.1, 10, 30);
        p.update(2, 4, 0, 1.9, 0.1, 10, 20);
        p.update(4, 4, 1, 1.7, 0.1, 10, 0);
        String text = console.text();
        assertEquals(3, text.chars().filter(ch -> ch == '\r').count());
        assertTrue(text.contains("[######..................] step 1/4") && text.endsWith("ETA 0:00\n"), text);
        assertEquals("1:02:03", Progress.duration(3723));
    }
}
