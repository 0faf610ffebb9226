package org.iboot4j.data.video;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.iboot4j.data.Frames;

/** The test videos in test-data/videos and their ffprobe/ffmpeg-CLI fixtures (see ATTRIBUTION.md). */
final class VideoFixtures {
    private VideoFixtures() {}

    /** The repository's test-data/videos folder (surefire sets {@code iboot.testData}). */
    static Path dir() {
        String root = System.getProperty("iboot.testData");
        Path base = root != null ? Path.of(root) : Path.of("../test-data");
        return base.resolve("videos");
    }

    static Path video(String fileName) {
        Path p = dir().resolve(fileName);
        if (!Files.isRegularFile(p)) throw new IllegalStateException("missing test video " + p);
        return p;
    }

    /** The file name without its extension: the prefix of its fixtures in frames/. */
    static String stem(String fileName) {
        return fileName.substring(0, fileName.lastIndexOf('.'));
    }

    /** ffprobe's decoded frame times (seconds from the stream start; NaN where it had none). */
    static double[] ffprobeFrameTimes(String fileName) {
        try {
            List<String> lines = Files.readAllLines(dir().resolve("frames").resolve(stem(fileName) + ".txt"));
            return lines.stream().filter(s -> !s.isBlank())
                    .mapToDouble(s -> s.trim().equals("nan") ? Double.NaN : Double.parseDouble(s.trim()))
                    .toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reference frames: every frames/NAME_fK.png, as (video file name, K). */
    static Stream<Object[]> referenceFrames() {
        try (Stream<Path> files = Files.list(dir().resolve("frames"))) {
            List<Path> pngs = files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
            List<String> videos;
            try (Stream<Path> all = Files.list(dir())) {
                videos = all.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                        .filter(n -> !n.endsWith(".md")).toList();
            }
            return pngs.stream().map(p -> {
                String n = p.getFileName().toString();
                int cut = n.lastIndexOf("_f");
                String stem = n.substring(0, cut);
                int k = Integer.parseInt(n.substring(cut + 2, n.length() - 4));
                String video = videos.stream().filter(v -> stem(v).equals(stem)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("no video for " + n));
                return new Object[] {video, k};
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage referencePng(String fileName, int k) {
        try {
            return ImageIO.read(dir().resolve("frames").resolve(stem(fileName) + "_f" + k + ".png").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Mean absolute difference (0..255) between frame t of a clip and an RGB image of the same size. */
    static double meanAbsDiff(Frames f, int t, BufferedImage img) {
        assertEquals(img.getWidth(), f.width(), "width");
        assertEquals(img.getHeight(), f.height(), "height");
        double sum = 0;
        for (int y = 0; y < f.height(); y++) {
            for (int x = 0; x < f.width(); x++) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) sum += Math.abs(((rgb >> (16 - 8 * c)) & 0xFF) - f.at(t, y, x, c));
            }
        }
        return sum / (3.0 * f.width() * f.height());
    }

    /** Mean absolute difference between frame a of x and frame b of y (same size). */
    static double meanAbsDiff(Frames x, int a, Frames y, int b) {
        assertEquals(x.width(), y.width());
        assertEquals(x.height(), y.height());
        int n = x.height() * x.width() * 3;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.abs((x.rgb()[a * n + i] & 0xFF) - (y.rgb()[b * n + i] & 0xFF));
        return sum / n;
    }

    /** Frame t of a clip as its own byte array. */
    static byte[] frame(Frames f, int t) {
        int n = f.height() * f.width() * 3;
        byte[] out = new byte[n];
        System.arraycopy(f.rgb(), t * n, out, 0, n);
        return out;
    }

    /**
     * Index of the last time <= t (+ tolerance) in a sorted list (the frame a sample at t takes),
     * 0 if t is before all; NaN entries are skipped.
     */
    static int lastAtOrBefore(double[] times, double t, double tolerance) {
        int k = 0;
        for (int i = 0; i < times.length; i++) if (times[i] <= t + tolerance) k = i;
        return k;
    }
}
