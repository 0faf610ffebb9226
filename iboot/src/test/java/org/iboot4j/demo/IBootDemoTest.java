package org.iboot4j.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iboot4j.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job, shortened: the demo configuration with 40 epochs instead of 80 and 3 clips per
 * video for the k-NN (about a minute on 2 cores). The full demo ({@code bin/iboot demo}) gets
 * 65% against 25%; this shorter run must still put the iBoot encoder clearly above the same
 * network at random initialisation.
 */
class IBootDemoTest {
    static Path root() {
        return Path.of(System.getProperty("iboot.testData", "../test-data")).toAbsolutePath().getParent();
    }

    @Test
    void ibootBeatsRandomInitialisationOnKnn(@TempDir Path out) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        IBootDemo.Settings s = new IBootDemo.Settings(Path.of("iboot/configs/demo.yaml"), out, 40, 3, false, false);
        IBootDemo.Outcome o = IBootDemo.run(root(), s, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String log = buf.toString(StandardCharsets.UTF_8);
        System.out.println(log);
        double random = o.random().accuracy().top1(), iboot = o.iboot().accuracy().top1();
        assertEquals(20, o.iboot().accuracy().count());
        assertTrue(iboot >= random + 0.1, "iBoot " + iboot + " vs random " + random + "\n" + log);
        assertTrue(log.contains("iBoot beats random initialisation"), log);
        assertTrue(Files.isRegularFile(out.resolve("iboot/encoder.safetensors")));
        assertTrue(Files.readString(out.resolve("demo.json")).contains("\"top1\""));
    }

    @Test
    void theConfigurationIsReadWithOverrides() throws Exception {
        Path yaml = root().resolve("iboot/configs/demo.yaml");
        PretrainConfig plain = PretrainConfig.load(yaml);
        assertEquals(PretrainConfig.Method.IBOOT, plain.method());
        assertEquals(PretrainConfig.TeacherKind.RESNET, plain.iboot().teachers().getFirst().kind());
        assertEquals(8, plain.model().width());
        PretrainConfig c = IBootDemo.configure(yaml, Map.of("SOLVER.MAX_EPOCH", 30.0, "IBOOT.TEACHERS.0.CHECKPOINT", "/x/t.safetensors",
                "TRAIN.OUTPUT_DIR", "/tmp/o"));
        assertEquals(30.0, c.solver().maxEpoch());
        assertEquals("/x/t.safetensors", c.iboot().teachers().getFirst().checkpoint());
        assertEquals("/tmp/o", c.train().outputDir());
        assertEquals(plain.solver().baseLr(), c.solver().baseLr());
        // the rho-BYOL baseline is the same file with the method switched
        PretrainConfig byol = IBootDemo.configure(yaml, Map.of("METHOD", "rho_byol", "IBOOT.TEACHERS", List.of(), "SSL.ENABLE", true));
        assertEquals(PretrainConfig.Method.RHO_BYOL, byol.method());
        assertEquals(2, byol.clipsPerVideo());
        assertThrows(IllegalArgumentException.class, () -> IBootDemo.configure(yaml, Map.of("NO.SUCH", 1)));
        assertThrows(IllegalArgumentException.class, () -> IBootDemo.configure(yaml, Map.of("SOLVER.MAX_EPOCH", 3.0)),
                "validated like the file: fewer epochs than the warm-up");
    }
}
