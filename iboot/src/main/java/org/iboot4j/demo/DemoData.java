package org.iboot4j.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;

/**
 * Where the demo's files are and how it splits the bundled synthetic action dataset
 * ({@code test-data/synthetic}: 60 videos, 15 per motion class).
 *
 * <p>The split: within each class, the videos in path order; every third (ranks 2, 5, 8, 11,
 * 14) is a test video, the others train: 40 train videos (10 per class) and 20 test videos (5
 * per class); the four codecs are spread over both. The teacher is trained on frames of the
 * train videos only, pre-training sees the train videos only (without labels), and the k-NN
 * bank is the train videos' features; the test videos are seen only to be classified. The lists
 * are {@code test-data/teacher/synthetic_train.csv} and {@code synthetic_test.csv}
 * ({@code path,label}, paths relative to {@code test-data/synthetic}), written by
 * {@code iboot demo train-teacher}.
 */
public final class DemoData {
    public static final String TRAIN_LIST = "synthetic_train.csv", TEST_LIST = "synthetic_test.csv";
    /** The shipped teacher, in test-data/teacher/. */
    public static final String TEACHER_FILE = "synthetic_teacher.safetensors";

    private DemoData() {}

    /**
     * The repository root: {@code -Diboot.root} if set, else the first of the working directory
     * and its parents that holds {@code test-data/synthetic}, else the repository these classes
     * were built in ({@code ROOT/iboot/target/classes}, as {@code bin/iboot} runs them).
     */
    public static Path root() {
        String prop = System.getProperty("iboot.root");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath().normalize();
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("test-data/synthetic/videos"))) return p;
        }
        try {
            Path classes = Path.of(DemoData.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = classes; p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("test-data/synthetic/videos"))) return p;
            }
        } catch (Exception e) {
            // no code source (unusual class loader): fall through to the error
        }
        throw new IllegalStateException("cannot find test-data/synthetic from " + dir
                + "; run from the repository, or pass -Diboot.root=/path/to/repository (IBOOT_JAVA_OPTS)");
    }

    /** {@code ROOT/test-data/synthetic}. */
    public static Path syntheticDir(Path root) {
        return root.resolve("test-data/synthetic");
    }

    /** {@code ROOT/test-data/teacher}. */
    public static Path teacherDir(Path root) {
        return root.resolve("test-data/teacher");
    }

    /** The whole bundled dataset (class folders; classes sorted). */
    public static VideoDataset all(Path root) throws IOException {
        return VideoDataset.fromClassFolders(syntheticDir(root).resolve("videos"));
    }

    /** The train ({@code test = false}) or test part of {@code all} (see the class comment). */
    public static VideoDataset split(VideoDataset all, boolean test) {
        List<VideoSample> out = new ArrayList<>();
        int[] rank = new int[all.classes().size()];
        // fromClassFolders lists each class's files in path order, so rank counts within a class in that order
        for (VideoSample s : all.samples()) {
            int r = rank[s.label()]++;
            if ((r % 3 == 2) == test) out.add(s);
        }
        return new VideoDataset(out, all.classes());
    }

    /** Writes {@code ds} as a {@code path,label} list with paths relative to {@code base}. */
    public static void writeList(VideoDataset ds, Path base, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("path,label\n");
        ClassIndex classes = ds.classes();
        for (VideoSample s : ds.samples()) {
            sb.append(base.toAbsolutePath().relativize(s.path().toAbsolutePath()).toString().replace('\\', '/'))
                    .append(',').append(classes.name(s.label())).append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /** Reads a list written by {@link #writeList} (paths relative to the synthetic folder) with the dataset's classes. */
    public static VideoDataset readList(Path root, Path file) throws IOException {
        ClassIndex classes = ClassIndex.load(syntheticDir(root).resolve("classes.json"));
        return VideoDataset.fromCsv(file, syntheticDir(root), classes);
    }
}
