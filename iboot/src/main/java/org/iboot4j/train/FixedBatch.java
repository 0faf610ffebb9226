package org.iboot4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsReader;
import org.iboot4j.nn.models.vit.Preprocessing;

/**
 * Fixed-batch mode: the same batch at every step, read from a safetensors file — for debugging
 * (a loss that will not fall on one batch is a bug) and for checking a step against a reference
 * implementation.
 *
 * <p>The file holds one float32 tensor (N, 3, T, H, W) per clip, named as
 * {@link PretrainConfig#clipNames()} lists them: {@code v_ref}, {@code v1}, {@code v2} for iboot
 * (only {@code v_ref} with V1_IS_REF; v1..vK for K online views), {@code v1} .. {@code v<rho>}
 * for rho_byol; other tensors are ignored. The clips are normalised with DATA.MEAN / DATA.STD,
 * unless the file's metadata holds {@code mean} and {@code std} ("r,g,b" each: {@code 0,0,0} and
 * {@code 1,1,1} for [0, 1] values). N must equal TRAIN.BATCH_SIZE; with ACCUMULATION_STEPS K the
 * batch is cut into K micro-batches of N / K videos, handed out in turn.
 */
public final class FixedBatch implements ClipBatches {
    private final List<Tensor> clips;
    private final Preprocessing norm;
    private final int accumulation, micro;
    private int position;

    public FixedBatch(List<Tensor> clips, Preprocessing normalization, int accumulationSteps) {
        if (clips.isEmpty()) throw new IllegalArgumentException("fixed batch: no clips");
        int n = clips.get(0).size(0);
        for (Tensor c : clips) {
            if (c.dim() != 5 || c.size(1) != 3 || c.size(0) != n) {
                throw new IllegalArgumentException("fixed batch: every clip must be (N=" + n + ", 3, T, H, W), got "
                        + Arrays.toString(c.shape()));
            }
        }
        if (n % accumulationSteps != 0) {
            throw new IllegalArgumentException("fixed batch: " + accumulationSteps + " micro-batches do not divide N = " + n);
        }
        this.clips = List.copyOf(clips);
        this.norm = normalization;
        this.accumulation = accumulationSteps;
        this.micro = n / accumulationSteps;
    }

    /** Reads the clips {@code config} needs from {@code file}. */
    public static FixedBatch read(Path file, PretrainConfig config) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("fixed batch: no such file " + file);
        List<Tensor> clips = new ArrayList<>();
        Preprocessing norm = new Preprocessing(config.data().mean(), config.data().std());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String name : config.clipNames()) {
                if (!r.contains(name)) {
                    throw new IllegalArgumentException("fixed batch " + file + ": no tensor '" + name + "'; "
                            + config.method().name().toLowerCase(java.util.Locale.ROOT) + " with this configuration needs "
                            + config.clipNames() + ", the file has " + r.names());
                }
                clips.add(r.tensor(name));
            }
            Map<String, String> meta = r.metadata();
            if (meta.containsKey("mean") != meta.containsKey("std")) {
                throw new IllegalArgumentException("fixed batch " + file + ": metadata needs both 'mean' and 'std' or neither");
            }
            if (meta.containsKey("mean")) norm = new Preprocessing(triple(meta.get("mean")), triple(meta.get("std")));
        }
        int n = clips.get(0).size(0);
        if (n != config.train().batchSize()) {
            throw new IllegalArgumentException("fixed batch " + file + " holds N = " + n + " videos but TRAIN.BATCH_SIZE is "
                    + config.train().batchSize() + " (the learning rate scales with it); make them equal");
        }
        return new FixedBatch(clips, norm, config.train().accumulationSteps());
    }

    private static float[] triple(String csv) {
        String[] parts = csv.split(",");
        if (parts.length != 3) throw new IllegalArgumentException("fixed batch: expected three values 'r,g,b', got '" + csv + "'");
        float[] v = new float[3];
        for (int i = 0; i < 3; i++) v[i] = Float.parseFloat(parts[i].trim());
        return v;
    }

    /** The whole batch, clip by clip. */
    public List<Tensor> clips() {
        return clips;
    }

    @Override
    public int batchSize() {
        return micro;
    }

    @Override
    public int clipsPerVideo() {
        return clips.size();
    }

    @Override
    public int stepsPerEpoch() {
        return 0;
    }

    @Override
    public List<Tensor> next() {
        int i = position;
        position = (position + 1) % accumulation;
        if (accumulation == 1) return clips;
        return clips.stream().map(c -> c.narrow(0, i * micro, micro)).toList();
    }

    @Override
    public Preprocessing normalization() {
        return norm;
    }

    @Override
    public long skippedVideos() {
        return 0;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("kind", "fixed_batch");
        s.put("micro_batch", (long) position);
        return s;
    }

    @Override
    public void restore(Map<String, Object> state) {
        if (!"fixed_batch".equals(state.get("kind"))) {
            throw new IllegalArgumentException("the checkpoint's data state is " + state.get("kind") + ", not a fixed batch");
        }
        position = ((Number) state.get("micro_batch")).intValue();
    }
}
