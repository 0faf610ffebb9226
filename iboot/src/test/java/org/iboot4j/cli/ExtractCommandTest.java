package org.iboot4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.iboot4j.nn.io.SafetensorsReader;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code iboot extract} on the checkpoints the fixture scripts wrote (reduced models, every
 * naming), against the features PyTorch computed for the same input.
 */
class ExtractCommandTest {
    @TempDir
    Path dir;

    private static Path golden(String name) {
        return Path.of(System.getProperty("iboot.testData", "../test-data"), "golden", name + ".safetensors");
    }

    /** Splits a fixture into a clean checkpoint (real keys only) and an input file. */
    private Path[] split(String fixture) throws Exception {
        Path ckpt = dir.resolve(fixture + ".ckpt.safetensors"), input = dir.resolve(fixture + ".input.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(golden(fixture))) {
            SafetensorsWriter weights = new SafetensorsWriter();
            for (String n : r.names()) {
                if (n.startsWith("__test__.")) continue;
                weights.add(n, r.info(n).dtype().isFloatingPoint() ? r.tensor(n) : r.longTensor(n));
            }
            weights.write(ckpt);
            new SafetensorsWriter().add("clip", r.tensor("__test__.input")).write(input);
        }
        return new Path[] {ckpt, input};
    }

    private int run(StringWriter err, String... args) {
        var cli = Main.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return cli.execute(args);
    }

    @ParameterizedTest
    @CsvSource({
        "slow_r50_pytorchvideo, slow_resnet, 0, __test__.features",
        "slow_r50_pyslowfast, slow_resnet, 0, __test__.features",
        "resnet2d_r50, resnet, 0, __test__.features",
        "vit_hf_clip, vit, 4, __test__.output",
        "vit_openai_clip, vit, 4, __test__.output",
        "vit_dino, vit, 4, __test__.output"})
    void extractsTheFeaturesPyTorchComputed(String fixture, String model, int heads, String expectedName) throws Exception {
        Path[] files = split(fixture);
        Path out = dir.resolve(fixture + ".features.safetensors");
        StringWriter err = new StringWriter();
        int code = run(err, "extract", "--model", model, "--checkpoint", files[0].toString(), "--input", files[1].toString(),
                "--input-name", "clip", "--output", out.toString(), "--heads", Integer.toString(heads));
        assertEquals(0, code, err.toString());
        try (SafetensorsReader got = SafetensorsReader.open(out); SafetensorsReader ref = SafetensorsReader.open(golden(fixture))) {
            float[] expected = ref.floats(expectedName), actual = got.floats("features");
            assertEquals(expected.length, actual.length);
            double worst = 0, scale = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                scale = Math.max(scale, Math.abs(expected[i]));
            }
            assertTrue(worst / scale <= 1e-4, fixture + ": relative error " + worst / scale);
        }
    }

    @Test
    void badInputsGiveOneClearLine() throws Exception {
        Path[] files = split("resnet2d_r50");
        Path out = dir.resolve("never.safetensors");
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "extract", "--model", "resnet", "--checkpoint", files[0].toString(),
                "--input", files[1].toString(), "--output", out.toString()));
        assertTrue(err.toString().contains("has no tensor 'input'") && err.toString().contains("clip"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "extract", "--model", "slow_resnet", "--checkpoint", files[0].toString(),
                "--input", files[1].toString(), "--input-name", "clip", "--output", out.toString()));
        assertTrue(err.toString().contains("stem"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "extract", "--model", "transformer", "--checkpoint", files[0].toString(),
                "--input", files[1].toString(), "--output", out.toString()));
        assertTrue(err.toString().contains("unknown model 'transformer'"), err.toString());

        Path[] slow = split("slow_r50_pytorchvideo");
        err = new StringWriter();
        assertEquals(1, run(err, "extract", "--model", "resnet", "--checkpoint", files[0].toString(),
                "--input", slow[1].toString(), "--input-name", "clip", "--output", out.toString()));
        assertTrue(err.toString().contains("expects images (N, 3, H, W), got shape [2, 3, 4, 32, 32]"), err.toString());
        assertTrue(Files.notExists(out), "nothing is written on failure");
    }
}
