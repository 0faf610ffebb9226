package org.iboot4j.data.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.bytedeco.javacpp.Pointer;
import org.iboot4j.data.Frames;
import org.iboot4j.engine.Rng;

/**
 * The decode loop {@link VideoMemoryTest} runs in a child JVM with a small fixed heap, so that
 * the process's resident memory reflects native (FFmpeg) memory rather than Java heap growth.
 *
 * <p>Each iteration opens a file, decodes one 4-frame clip at short side 64 from a random
 * start and closes the reader, the pattern of a data loader; every 4th iteration also reuses one
 * long-lived reader, every 50th opens a 1280x720 VP9 file (whose frames are big, so a leaked
 * frame shows), and every 25th opens a file that fails (the error path must free too).
 * Prints one line per report: {@code iteration rssMiB javacppBytes seconds}.
 *
 * <p>Arguments: videoDir iterations reportEvery.
 */
public final class VideoMemoryLoop {
    private VideoMemoryLoop() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int iterations = Integer.parseInt(args[1]);
        int reportEvery = Integer.parseInt(args[2]);
        Path[] small = {dir.resolve("small_h264.mp4"), dir.resolve("mjpeg.avi")};
        Path big = dir.resolve("no_duration.webm");
        Path bad = Files.createTempFile("iboot-bad-video", ".mp4");
        Files.writeString(bad, "not a video\n".repeat(100));
        Rng rng = new Rng(7);
        long t0 = System.nanoTime();
        long checksum = 0;
        try (VideoReader shared = VideoReader.open(dir.resolve("small_h264.mp4"))) {
            for (int it = 1; it <= iterations; it++) {
                Path file = small[it % 2];
                try (VideoReader r = VideoReader.open(file)) {
                    double start = rng.nextFloat() * r.duration();
                    Frames f = r.readClip(start, 4, 1 + rng.nextInt(8), 64);
                    checksum += f.rgb()[f.rgb().length / 2];
                }
                if (it % 4 == 0) {
                    Frames f = shared.readClip(rng.nextFloat() * shared.duration(), 4, 4, 64);
                    checksum += f.rgb()[0];
                }
                if (it % 50 == 0) {
                    try (VideoReader r = VideoReader.open(big)) {
                        checksum += r.readClip(0, 4, 1, 64).rgb()[0];
                    }
                }
                if (it % 25 == 0) {
                    try (VideoReader r = VideoReader.open(bad)) {
                        throw new IllegalStateException("a text file opened as video: " + r);
                    } catch (VideoDecodeException expected) {
                        checksum++;
                    }
                }
                if (it % reportEvery == 0) {
                    System.out.printf(Locale.ROOT, "%d %d %d %.2f%n", it, rssMiB(), Pointer.totalBytes(),
                            (System.nanoTime() - t0) / 1e9);
                    System.out.flush();
                }
            }
        } finally {
            Files.deleteIfExists(bad);
        }
        System.out.println("checksum " + checksum);
    }

    /** Resident set size from /proc/self/status (VmRSS), in MiB. */
    static long rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
