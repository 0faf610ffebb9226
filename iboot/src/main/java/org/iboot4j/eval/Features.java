package org.iboot4j.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsReader;
import org.iboot4j.nn.io.SafetensorsWriter;

/**
 * Frozen features of a labelled video set: one row per view (a clip x crop of a video), with
 * the label and the video (its index in the dataset) of each row. Rows of one video are
 * adjacent. {@link #perVideo()} averages them.
 *
 * <p>Saved as safetensors ({@link #save}): {@code features} F32 (R, D), {@code labels} I64 (R),
 * {@code videos} I64 (R); metadata {@code format} = {@value #FORMAT}, {@code classes} (the
 * {@link ClassIndex} JSON), {@code videos_total} (the dataset's size) and whatever the caller
 * adds (the checkpoint and the test protocol, so a cache is not reused by mistake).
 *
 * @param features    (R, D) float32
 * @param labels      R labels in [0, classes.size())
 * @param videos      R dataset indices
 * @param videosTotal the number of videos in the dataset (some may have no row: undecodable)
 * @param classes     the class names
 */
public record Features(Tensor features, long[] labels, int[] videos, int videosTotal, ClassIndex classes) {
    public static final String FORMAT = "iboot4j-features/1";

    public Features {
        if (features.dim() != 2 || features.size(0) != labels.length || videos.length != labels.length) {
            throw new IllegalArgumentException("features " + Arrays.toString(features.shape()) + " with " + labels.length
                    + " labels and " + videos.length + " video indices");
        }
        for (long l : labels) {
            if (l < 0 || l >= classes.size()) throw new IllegalArgumentException("label " + l + " outside the " + classes.size() + " classes");
        }
    }

    public int rows() {
        return labels.length;
    }

    public int dim() {
        return features.size(1);
    }

    /** The number of distinct videos with at least one row. */
    public int videoCount() {
        return (int) Arrays.stream(videos).distinct().count();
    }

    /**
     * One row per video, the mean of its rows, in order of first appearance; videos without a
     * row are absent. Rows of a video must all carry the same label.
     */
    public Features perVideo() {
        float[] f = features.contiguous().toFloatArray();
        int d = dim();
        Map<Integer, Integer> slot = new LinkedHashMap<>();
        for (int v : videos) slot.putIfAbsent(v, slot.size());
        int n = slot.size();
        double[] sums = new double[n * d];
        int[] counts = new int[n];
        long[] lab = new long[n];
        int[] vid = new int[n];
        for (int r = 0; r < rows(); r++) {
            int s = slot.get(videos[r]);
            if (counts[s] > 0 && lab[s] != labels[r]) {
                throw new IllegalArgumentException("video " + videos[r] + " has rows with labels " + lab[s] + " and " + labels[r]);
            }
            lab[s] = labels[r];
            vid[s] = videos[r];
            counts[s]++;
            for (int j = 0; j < d; j++) sums[s * d + j] += f[r * d + j];
        }
        float[] mean = new float[n * d];
        for (int s = 0; s < n; s++) {
            for (int j = 0; j < d; j++) mean[s * d + j] = (float) (sums[s * d + j] / counts[s]);
        }
        return new Features(Tensor.of(mean, n, d), lab, vid, videosTotal, classes);
    }

    /** Writes the features (see the class comment) with extra metadata. */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        long[] vids = Arrays.stream(videos).asLongStream().toArray();
        new SafetensorsWriter().metadata(metadata).metadata("format", FORMAT)
                .metadata("classes", classes.toJson()).metadata("videos_total", Integer.toString(videosTotal))
                .add("features", features.contiguous()).add("labels", Tensor.ofLongs(labels.clone(), labels.length))
                .add("videos", Tensor.ofLongs(vids, vids.length)).write(file);
    }

    /**
     * The features saved in {@code file} if it exists and its metadata holds every entry of
     * {@code key} with the same value (the checkpoint, the protocol, the data); otherwise the
     * features {@code compute} gives, saved there with {@code key} as metadata. A null file
     * just computes.
     */
    public static Features cached(Path file, Map<String, String> key, java.util.function.Supplier<Features> compute,
            java.util.function.Consumer<String> log) throws IOException {
        if (file != null && Files.isRegularFile(file)) {
            Loaded l = load(file);
            boolean same = key.entrySet().stream().allMatch(e -> e.getValue().equals(l.metadata().get(e.getKey())));
            if (same) {
                if (log != null) log.accept("  features: reusing " + file + " (" + l.features().rows() + " rows)");
                return l.features();
            }
            if (log != null) log.accept("  features: " + file + " was made with other settings; recomputing");
        }
        Features f = compute.get();
        if (file != null) {
            f.save(file, key);
            if (log != null) log.accept("  features: saved " + file);
        }
        return f;
    }

    /** A saved feature file and its metadata. */
    public record Loaded(Features features, Map<String, String> metadata) {}

    /** Reads what {@link #save} wrote. */
    public static Loaded load(Path file) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, String> meta = new LinkedHashMap<>(r.metadata());
            if (!FORMAT.equals(meta.get("format"))) {
                throw new IOException(file + ": not a feature file of format " + FORMAT + " (format: " + meta.get("format") + ")");
            }
            ClassIndex classes = ClassIndex.fromJson(meta.get("classes"));
            long[] vids = r.longs("videos");
            int[] videos = Arrays.stream(vids).mapToInt(Math::toIntExact).toArray();
            Features f = new Features(r.tensor("features"), r.longs("labels"), videos,
                    Integer.parseInt(meta.get("videos_total")), classes);
            return new Loaded(f, meta);
        }
    }
}
