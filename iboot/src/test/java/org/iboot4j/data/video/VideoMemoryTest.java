package org.iboot4j.data.video;

import static org.iboot4j.data.video.VideoFixtures.video;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** A long decode loop keeps a flat memory profile, and every reader's native memory is freed. */
class VideoMemoryTest {

    /**
     * 2000 open / 4-frame clip at short side 64 / close iterations (plus reuse, a big VP9 file
     * and failing opens, see {@link VideoMemoryLoop}) in a child JVM with a 96 MiB heap, so
     * the resident set is mostly native memory: after a 300-iteration warm-up it may grow by
     * less than 40 MiB. (Leaving out one avcodec_free_context per file grows it by ~250 MiB in
     * 400 iterations.)
     */
    @Test
    @EnabledOnOs(OS.LINUX) // VmRSS comes from /proc/self/status
    void longDecodeLoopHasAFlatResidentSet() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                VideoMemoryLoop.class.getName(), video("small_h264.mp4").getParent().toString(), "2000", "100");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<long[]> reports = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                log.append(line).append('\n');
                String[] f = line.trim().split(" ");
                if (f.length == 4 && f[0].matches("\\d+")) {
                    reports.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
                }
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "loop finished");
        assertEquals(0, p.exitValue(), log::toString);
        assertEquals(20, reports.size(), log::toString);
        long warm = reports.stream().filter(r -> r[0] == 300).findFirst().orElseThrow()[1];
        long peak = reports.stream().filter(r -> r[0] >= 300).mapToLong(r -> r[1]).max().orElseThrow();
        long last = reports.get(reports.size() - 1)[1];
        System.out.printf("decode loop RSS: %d MiB after warm-up, peak %d MiB, last %d MiB%n", warm, peak, last);
        assertTrue(peak - warm < 40, "RSS grew from " + warm + " to " + peak + " MiB:\n" + log);
    }

    /** close() frees everything; a reader dropped without close() is freed by the Cleaner. */
    @Test
    void nativeResourcesAreFreed() throws Exception {
        long before = VideoReader.openReaders();
        try (VideoReader a = VideoReader.open(video("small_h264.mp4"));
             VideoReader b = VideoReader.open(video("mjpeg.avi"))) {
            a.readClip(0, 4, 1, 32);
            b.readClip(0, 4, 1, 32);
            assertEquals(before + 2, VideoReader.openReaders());
        }
        assertEquals(before, VideoReader.openReaders(), "closed readers are freed");

        // failed opens free what they had allocated
        Path text = Files.createTempFile("not-a-video", ".mp4");
        try {
            Files.writeString(text, "hello\n".repeat(100));
            for (int i = 0; i < 20; i++) {
                try (VideoReader r = VideoReader.open(text)) {
                    throw new AssertionError("opened " + r);
                } catch (VideoDecodeException expected) {
                    // counted below
                }
            }
        } finally {
            Files.delete(text);
        }
        assertEquals(before, VideoReader.openReaders(), "failed opens are freed");

        dropReaders(5);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (VideoReader.openReaders() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, VideoReader.openReaders(), "the Cleaner frees readers that were never closed");
    }

    private static void dropReaders(int n) throws VideoDecodeException {
        for (int i = 0; i < n; i++) {
            @SuppressWarnings("resource")
            VideoReader r = VideoReader.open(video("small_h264.mp4"));
            r.readClip(0.5, 2, 2, 32);
        }
    }

    /** Many clips from one reader: the native buffers are reused, not re-allocated per clip. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void oneReaderManyClips() throws Exception {
        try (VideoReader r = VideoReader.open(video("friday.mp4"))) {
            long warm = 0;
            for (int i = 0; i < 300; i++) {
                r.readClip((i * 0.37) % 5.5, 4, 2, 64);
                if (i == 50) warm = VideoMemoryLoop.rssMiB();
            }
            long after = VideoMemoryLoop.rssMiB();
            assertTrue(after - warm < 100, "RSS " + warm + " -> " + after + " MiB");
        }
    }
}
