package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend's JCuda and FFM plumbing end to end against a fake driver, cuBLAS and cuDNN
 * ({@link FakeDriver}, {@link FakeCudaLibraries}) in a child JVM, so the fake "GPU" never leaks
 * into the other tests. Needs a C compiler and {@code nm}; no GPU.
 */
class FakeDriverTest {
    @TempDir
    Path dir;

    @Test
    void theBackendRunsOnAFakeDriver() throws Exception {
        assumeTrue(FakeCudaLibraries.compiler() != null, "no C compiler to build the fake driver");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nm")) || Files.isExecutable(Path.of("/bin/nm")), "no nm");
        Path driver = FakeDriver.build(dir);
        Path[] libs = FakeDriver.buildLibraries(dir);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-Xmx2g",
                "-Djava.io.tmpdir=" + dir, "-cp", System.getProperty("java.class.path"),
                FakeDriverMain.class.getName(), driver.toString(), libs[0].toString(), libs[1].toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        assertEquals(true, done, "child JVM timed out:\n" + out);
        assertEquals(0, p.exitValue(), out);
    }
}
