package org.iboot4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.loader.ClipBatch;
import org.iboot4j.data.loader.ClipLoader;
import org.iboot4j.data.loader.ClipSource;
import org.iboot4j.data.loader.VideoClipSource;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.nn.Module;

/**
 * Runs a frozen encoder over every test view of a dataset ({@link TestProtocol}: K clips x
 * crops per video, read and cut by the {@link ClipLoader} in test mode) and collects the
 * features, one row per view, in dataset order (video 0's views first).
 *
 * <p>The model is put in evaluation mode (batch-norm with its running statistics) and run
 * without a graph. A video that cannot be decoded is skipped by the loader, which puts a
 * replacement video's clip in its place; such rows carry the replacement's index, so
 * {@link Features#perVideo()} still averages the right views, and the skipped video has no row.
 */
public final class FeatureExtractor {
    private FeatureExtractor() {}

    /** Features of {@code dataset} with {@code model}'s {@code features} function (e.g. {@code SlowResNet::features}). */
    public static Features extract(Module model, UnaryOperator<Tensor> features, VideoDataset dataset, TestProtocol protocol,
            Consumer<String> log) {
        return extract(model, features, dataset, protocol, new VideoClipSource(), log);
    }

    /** As {@link #extract(Module, UnaryOperator, VideoDataset, TestProtocol, Consumer)} reading clips from {@code source}. */
    public static Features extract(Module model, UnaryOperator<Tensor> features, VideoDataset dataset, TestProtocol protocol,
            ClipSource source, Consumer<String> log) {
        boolean wasTraining = model.isTraining();
        model.eval();
        List<float[]> rows = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        List<Integer> videos = new ArrayList<>();
        int dim = -1;
        long t0 = System.nanoTime();
        try (var ignored = GradMode.disable();
                ClipLoader loader = new ClipLoader(dataset, source, protocol.loaderConfig());
                ClipLoader.Epoch epoch = loader.epoch(0)) {
            int batches = loader.batchesPerEpoch(), done = 0;
            while (epoch.hasNext()) {
                ClipBatch b;
                float[][] perCrop;
                try (TensorScope _ = TensorScope.open()) { // a batch's tensors are recycled by the next
                    b = epoch.next();
                    int n = b.size(), crops = b.views().size();
                    perCrop = new float[crops][];
                    for (int c = 0; c < crops; c++) {
                        Tensor f = features.apply(b.view(c));
                        if (f.dim() != 2 || f.size(0) != n) {
                            throw new IllegalStateException("the encoder gave " + Arrays.toString(f.shape()) + " for " + n + " clips; expected (N, D)");
                        }
                        dim = f.size(1);
                        perCrop[c] = f.contiguous().toFloatArray();
                    }
                }
                int n = b.size(), crops = perCrop.length;
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < crops; c++) {
                        rows.add(Arrays.copyOfRange(perCrop[c], i * dim, (i + 1) * dim));
                        labels.add(b.labels()[i]);
                        videos.add(b.videoIndices()[i]);
                    }
                }
                done++;
                if (log != null && (done % 10 == 0 || done == batches)) {
                    log.accept(String.format(Locale.ROOT, "  features: batch %d/%d (%.1f s)", done, batches, (System.nanoTime() - t0) * 1e-9));
                }
            }
            if (log != null && loader.badSamples() > 0) {
                log.accept("  features: " + loader.badSamples() + " undecodable clip(s) skipped: " + loader.badFiles().keySet());
            }
        } finally {
            model.train(wasTraining);
        }
        float[] all = new float[rows.size() * Math.max(dim, 0)];
        for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, all, r * dim, dim);
        Tensor f = Tensor.of(all, rows.size(), Math.max(dim, 0));
        return new Features(f, labels.stream().mapToLong(Long::longValue).toArray(), videos.stream().mapToInt(Integer::intValue).toArray(),
                dataset.size(), dataset.classes());
    }
}
