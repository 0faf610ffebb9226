package org.iboot4j.kernels.ptx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Assembles every PTX module -- each hand-written resource and the template-generated
 * elementwise module -- with {@code ptxas} for sm_80 (Ampere) and sm_90 (Hopper). A module that
 * does not assemble fails the build. Where no {@code ptxas} is installed the tests are SKIPPED
 * (JUnit assumption, with the reason in the report), never passed silently.
 *
 * <p>ptxas is looked up in {@code -Dptxas=...}, {@code $PTXAS}, {@code $CUDA_HOME/bin},
 * {@code $PATH}, {@code /usr/local/cuda/bin} and {@code /usr/local/cuda-* /bin}.
 */
class PtxAssembleTest {

    static Stream<Arguments> modulesAndArchs() {
        List<Arguments> list = new ArrayList<>();
        for (PtxModule m : PtxModule.values()) {
            for (String arch : new String[] {"sm_80", "sm_90"}) list.add(Arguments.of(m, arch));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} assembles for {1}")
    @MethodSource("modulesAndArchs")
    void assembles(PtxModule module, String arch, @TempDir Path dir) throws Exception {
        Optional<Path> ptxas = findPtxas();
        Assumptions.assumeTrue(ptxas.isPresent(),
                "ptxas not found (looked in -Dptxas, $PTXAS, $CUDA_HOME/bin, $PATH, /usr/local/cuda*/bin):"
                        + " PTX assembly NOT checked");
        Path src = dir.resolve(module.name().toLowerCase() + ".ptx");
        Files.writeString(src, module.source(), StandardCharsets.US_ASCII);
        Path cubin = dir.resolve(module.name().toLowerCase() + "." + arch + ".cubin");
        ProcessBuilder pb = new ProcessBuilder(ptxas.get().toString(), "-arch=" + arch, src.toString(),
                "-o", cubin.toString()).redirectErrorStream(true);
        Process p = pb.start();
        String log;
        try (var in = p.getInputStream()) {
            log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "ptxas did not finish");
        assertEquals(0, p.exitValue(), () -> module + " (" + module.resource() + ") does not assemble for " + arch
                + ":\n" + log);
        assertFalse(log.toLowerCase().contains("error"), () -> "ptxas reported errors for " + module + ":\n" + log);
        assertTrue(Files.size(cubin) > 0, "ptxas wrote no cubin");
        if (!log.isBlank()) System.out.println("ptxas " + arch + " " + module + ": " + log.strip());
    }

    /** The ptxas to use, if any. */
    static Optional<Path> findPtxas() {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("ptxas");
        if (prop != null && !prop.isBlank()) candidates.add(Path.of(prop));
        String env = System.getenv("PTXAS");
        if (env != null && !env.isBlank()) candidates.add(Path.of(env));
        String cuda = System.getenv("CUDA_HOME");
        if (cuda != null && !cuda.isBlank()) candidates.add(Path.of(cuda, "bin", "ptxas"));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) if (!d.isBlank()) candidates.add(Path.of(d, "ptxas"));
        }
        candidates.add(Path.of("/usr/local/cuda/bin/ptxas"));
        try (Stream<Path> dirs = Files.list(Path.of("/usr/local"))) {
            dirs.filter(d -> d.getFileName().toString().startsWith("cuda-")).sorted()
                    .forEach(d -> candidates.add(d.resolve("bin").resolve("ptxas")));
        } catch (IOException | RuntimeException e) {
            // no /usr/local: nothing more to look at
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c) && Files.isExecutable(c)) return Optional.of(c);
        }
        return Optional.empty();
    }
}
