package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.iboot4j.cli.Main;
import org.iboot4j.engine.Rng;
import org.iboot4j.nn.io.Json;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code iboot eval knn|linear|finetune} end to end on the bundled synthetic videos (the demo's
 * 40 / 20 split), with a tiny Slow ResNet (depths 1,1,1,1, width 4) on 4 x 32 x 32 clips so
 * each command takes seconds.
 */
class EvalCommandTest {
    static final Path TEST_DATA = Path.of(System.getProperty("iboot.testData", "../test-data")).toAbsolutePath();

    /** Runs {@code iboot ARGS}; returns {exit code, stdout}. */
    static Object[] run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            CommandLine cli = new CommandLine(new Main());
            cli.setErr(new java.io.PrintWriter(ps, true));
            code = cli.execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        return new Object[] {code, out};
    }

    static List<String> common(Path outJson, String... more) {
        List<String> a = new ArrayList<>(List.of("--train", TEST_DATA.resolve("teacher/synthetic_train.csv").toString(),
                "--test", TEST_DATA.resolve("teacher/synthetic_test.csv").toString(),
                "--data-root", TEST_DATA.resolve("synthetic").toString(),
                "--frames", "4", "--stride", "8", "--size", "32", "--eval-batch", "8", "--workers", "2",
                "--output", outJson.toString()));
        a.addAll(List.of(more));
        return a;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(Path file) throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(file));
    }

    /** A JSON object's numbers as ints (the parser reads them as Long or Double). */
    private static Map<String, Integer> normalised(Map<?, ?> json) {
        Map<String, Integer> out = new java.util.HashMap<>();
        json.forEach((k, v) -> out.put((String) k, ((Number) v).intValue()));
        return out;
    }

    @Test
    void theCommandsDefaultsAreThePapersProtocol() {
        String help = ((String) run("eval", "knn", "--help")[1]).replaceAll("\\s+", " ");   // picocli wraps lines
        TestProtocol paper = TestProtocol.paper();
        for (String[] option : new String[][] {{"--test-clips", "" + paper.clips()}, {"--test-crops", "" + paper.crops()},
                {"--frames", "" + paper.frames()}, {"--stride", "" + paper.stride()}, {"--size", "" + paper.size()}}) {
            assertTrue(help.matches(".*" + option[0] + "=<[^>]+> [^-]*\\(default: " + option[1] + "\\).*"),
                    option[0] + " defaults to " + option[1] + ": " + help);
        }
    }

    @Test
    void knnWithCachedFeatures(@TempDir Path dir) throws Exception {
        List<String> args = new ArrayList<>(List.of("eval", "knn", "--random-init", "--depths", "1,1,1,1", "--width", "4"));
        args.addAll(common(dir.resolve("knn.json"), "--fast", "--features-dir", dir.resolve("features").toString()));
        Object[] r = run(args.toArray(String[]::new));
        assertEquals(0, r[0], (String) r[1]);
        Map<String, Object> j = json(dir.resolve("knn.json"));
        assertEquals("knn", j.get("mode"));
        assertEquals(20, ((Number) j.get("k")).intValue());
        assertEquals(40L, ((Number) j.get("train_videos")).longValue());
        assertEquals(20L, ((Number) j.get("scored_videos")).longValue());
        double top1 = ((Number) j.get("top1")).doubleValue();
        assertTrue(top1 >= 0 && top1 <= 1);
        assertEquals(1.0, ((Number) j.get("top5")).doubleValue(), "4 classes: the label is always in the top 5");
        assertEquals(Map.of("clips", 1, "crops", 1, "frames", 4, "stride", 8, "size", 32),
                normalised((Map<?, ?>) j.get("test_protocol")), "--fast tests 1 clip x 1 crop");
        assertTrue(((String) r[1]).contains("knn: top-1"));
        assertTrue(Files.isRegularFile(dir.resolve("features/train.safetensors")));
        // the second run reuses the cached features and gives the same answer
        Object[] again = run(args.toArray(String[]::new));
        assertTrue(((String) again[1]).contains("reusing"), (String) again[1]);
        assertEquals(top1, ((Number) json(dir.resolve("knn.json")).get("top1")).doubleValue());
        // a bad invocation is an error, not a crash
        Object[] bad = run("eval", "knn", "--train", "no/such/dir", "--test", "x", "--random-init");
        assertNotEquals(0, bad[0]);
    }

    @Test
    void linearAndSemiSupervisedFinetuneFromACheckpoint(@TempDir Path dir) throws Exception {
        SlowResNet enc = new SlowResNet(new SlowResNet.Config(new int[] {1, 1, 1, 1}, 4, 0, 0.5f), new Rng(3));
        Path ckpt = dir.resolve("encoder.safetensors");
        SafetensorsWriter.write(ckpt, enc.stateDict(), Map.of());

        List<String> lin = new ArrayList<>(List.of("eval", "linear", "--checkpoint", ckpt.toString(), "--epochs", "5", "--warmup", "1",
                "--batch-size", "16", "--train-clips", "2", "--test-clips", "2", "--test-crops", "1"));
        lin.addAll(common(dir.resolve("linear.json")));
        Object[] r = run(lin.toArray(String[]::new));
        assertEquals(0, r[0], (String) r[1]);
        Map<String, Object> j = json(dir.resolve("linear.json"));
        assertEquals("linear", j.get("mode"));
        assertEquals(Map.of("clips", 2, "crops", 1, "frames", 4, "stride", 8, "size", 32),
                normalised((Map<?, ?>) j.get("test_protocol")), "--test-clips 2 --test-crops 1");
        assertEquals(20L, ((Number) j.get("scored_videos")).longValue());
        assertTrue(((Number) j.get("train_loss_last_epoch")).doubleValue() < ((Number) j.get("train_loss_first")).doubleValue());

        List<String> ft = new ArrayList<>(List.of("eval", "finetune", "--checkpoint", ckpt.toString(), "--fraction", "0.1",
                "--epochs", "2", "--batch-size", "4", "--train-scale", "32,40", "--fast", "--save-model", dir.resolve("ft.safetensors").toString()));
        ft.addAll(common(dir.resolve("ft.json")));
        Object[] f = run(ft.toArray(String[]::new));
        assertEquals(0, f[0], (String) f[1]);
        Map<String, Object> fj = json(dir.resolve("ft.json"));
        assertEquals(4L, ((Number) fj.get("finetune_videos")).longValue(), "10% of 10 videos per class: one per class");
        assertEquals(0.01, ((Number) ((Map<?, ?>) fj.get("settings")).get("lr")).doubleValue(), "the semi-supervised learning rate");
        assertEquals(2L, ((Number) fj.get("steps")).longValue(), "4 videos in one batch of 4, 2 epochs");
        assertTrue(Files.isRegularFile(dir.resolve("ft.safetensors")));
    }
}
