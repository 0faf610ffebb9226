package org.iboot4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.models.vit.Preprocessing;

/**
 * What iBoot trains and how its loss is computed (Algorithm 1 of the paper, with every
 * ablation of section 4.3 as an option).
 *
 * <p>Per video the data gives clips (each (N, 3, T, H, W)): for {@code METHOD: iboot} first
 * v_ref, then the online views v1..vK (K = IBOOT.NUM_VIEWS, 2 by default; with V1_IS_REF only
 * v_ref, which the online network then sees too); for {@code rho_byol} its rho views.
 * <ol>
 *   <li>Online: x = concat(v1..vK) along the batch (K N clips) -> the Slow ResNet's final map
 *       (K N, C, T, h, w) -> spatial average (K N, C, T).
 *   <li>Target, per teacher: v_ref frame by frame through the frozen image model -> (N, T, D),
 *       repeated K times along the batch (Algorithm 1's {@code q = Concat([q, q])}).
 *   <li>TEMPORAL_POOL (default, Table 4): both sides averaged over T; the online side mapped by
 *       the teacher's linear W (C -> D, with bias) -> loss over K N rows. Otherwise a loss per
 *       frame: W applied to every frame -> K N T rows.
 *   <li>Loss per teacher: mean over rows of 2 - 2 cos(q, W f), gradient to the online side only
 *       ({@link Functional#cosineRegressionLoss}); summed over teachers (Table 2).
 *   <li>SSL (Table 3) or rho-BYOL: {@link Byol} on the online pooled features of the same views;
 *       iboot adds it with weight SSL.WEIGHT, rho_byol trains it alone.
 * </ol>
 *
 * <p>Weights, by name ({@link #stateDict}): the online encoder in pytorchvideo naming at the top
 * level ({@code blocks.0.conv.weight}, ...: a pytorchvideo Slow checkpoint), the W heads as
 * {@code iboot.heads.<teacher>.weight} (D, C) and {@code .bias} (D), the BYOL parts under
 * {@code byol.} (see {@link Byol}). Teachers are not part of it: they never change.
 */
public final class IBootModel {
    /** The prefix of the W heads in the weights file. */
    public static final String HEADS_PREFIX = "iboot.heads.";
    /** The prefix of the BYOL parts in the weights file. */
    public static final String BYOL_PREFIX = "byol.";

    private final PretrainConfig config;
    private final SlowResNet online;
    private final List<Teacher> teachers;
    private final Map<String, Linear> heads = new LinkedHashMap<>();
    private final Byol byol;
    private final Preprocessing dataNorm;

    /** The loss of one batch: the total to back-propagate and each term (iboot.NAME, ssl). */
    public record Loss(Tensor total, Map<String, Tensor> terms) {}

    /**
     * Builds the model for {@code config} with the given teachers (in the order and with the
     * names of IBOOT.TEACHERS; none for rho_byol): the online encoder initialised per
     * MODEL.INIT, the heads with PyTorch's default Linear init, all from TRAIN.SEED.
     */
    public static IBootModel create(PretrainConfig config, List<Teacher> teachers) {
        List<String> want = config.iboot().teachers().stream().map(PretrainConfig.TeacherSpec::name).toList();
        List<String> got = teachers.stream().map(Teacher::name).toList();
        if (config.method() == PretrainConfig.Method.IBOOT ? !want.equals(got) : !teachers.isEmpty()) {
            throw new IllegalArgumentException("teachers " + got + " do not match the configuration's "
                    + (config.method() == PretrainConfig.Method.IBOOT ? want : "(none for rho_byol)"));
        }
        return new IBootModel(config, teachers);
    }

    private IBootModel(PretrainConfig config, List<Teacher> teachers) {
        this.config = config;
        this.teachers = List.copyOf(teachers);
        this.dataNorm = new Preprocessing(config.data().mean(), config.data().std());
        Rng rng = new Rng(config.train().seed());
        this.online = new SlowResNet(config.model().slowConfig(), rng);
        initialise(config.model());
        for (Teacher t : teachers) heads.put(t.name(), new Linear(online.featureDim(), t.dim(), true, rng));
        this.byol = config.usesSsl() ? new Byol(online, config.ssl().mlpDim(), config.ssl().dim(), rng) : null;
        train();
    }

    private void initialise(PretrainConfig.Model m) {
        switch (m.init()) {
            case SCRATCH -> { }
            case INFLATE -> online.loadStateDict(Inflation.inflate(Checkpoints.read(Path.of(m.initCheckpoint())), online,
                    m.inflateMode()));
            case CHECKPOINT -> online.loadBackbone(PretrainCheckpoint.encoderWeights(Checkpoints.read(Path.of(m.initCheckpoint()))));
        }
    }

    /** Training mode: batch-norm with batch statistics in the online network and the BYOL parts. */
    public void train() {
        online.train(true);
        if (byol != null) byol.train(true);
    }

    public PretrainConfig config() {
        return config;
    }

    /** The online video encoder f_theta (what pre-training is for). */
    public SlowResNet online() {
        return online;
    }

    public List<Teacher> teachers() {
        return teachers;
    }

    /** The W head of each teacher, by teacher name. */
    public Map<String, Linear> heads() {
        return Collections.unmodifiableMap(heads);
    }

    /** The BYOL parts, or null without an SSL term. */
    public Byol byol() {
        return byol;
    }

    /** The normalisation the online network takes (DATA.MEAN / DATA.STD). */
    public Preprocessing dataNormalization() {
        return dataNorm;
    }

    /** Every parameter the optimiser updates, by its name in the weights file. */
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>(online.namedParameters());
        heads.forEach((name, w) -> w.namedParameters().forEach((k, v) -> out.put(HEADS_PREFIX + name + "." + k, v)));
        if (byol != null) byol.trainableParameters().forEach((k, v) -> out.put(BYOL_PREFIX + k, v));
        return out;
    }

    /** Everything saved in a checkpoint's weights file (the tensors themselves). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>(online.stateDict());
        heads.forEach((name, w) -> w.stateDict().forEach((k, v) -> out.put(HEADS_PREFIX + name + "." + k, v)));
        if (byol != null) byol.stateDict().forEach((k, v) -> out.put(BYOL_PREFIX + k, v));
        return out;
    }

    /** Loads a {@link #stateDict} strictly (every key present, no other, shapes equal). */
    public void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> onlinePart = new LinkedHashMap<>(), byolPart = new LinkedHashMap<>();
        Map<String, Map<String, Tensor>> headParts = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        state.forEach((k, v) -> {
            if (k.startsWith(HEADS_PREFIX)) {
                String rest = k.substring(HEADS_PREFIX.length());
                int dot = rest.indexOf('.');
                String name = dot < 0 ? rest : rest.substring(0, dot);
                if (dot < 0 || !heads.containsKey(name)) unexpected.add(k);
                else headParts.computeIfAbsent(name, x -> new LinkedHashMap<>()).put(rest.substring(dot + 1), v);
            } else if (k.startsWith(BYOL_PREFIX)) {
                if (byol == null) unexpected.add(k);
                else byolPart.put(k.substring(BYOL_PREFIX.length()), v);
            } else {
                onlinePart.put(k, v);
            }
        });
        if (!unexpected.isEmpty()) throw new IllegalArgumentException("weights: unexpected keys " + unexpected);
        online.loadStateDict(onlinePart);
        heads.forEach((name, w) -> w.loadStateDict(headParts.getOrDefault(name, Map.of())));
        if (byol != null) byol.loadStateDict(byolPart);
    }

    /**
     * The loss of one (micro-)batch of clips normalised with {@code clipNorm}, in training mode:
     * builds the graph from the online network's parameters to the total.
     */
    public Loss loss(List<Tensor> clips, Preprocessing clipNorm) {
        if (clips.size() != config.clipsPerVideo()) {
            throw new IllegalArgumentException("expected " + config.clipsPerVideo() + " clips per video "
                    + config.clipNames() + ", got " + clips.size());
        }
        boolean iboot = config.method() == PretrainConfig.Method.IBOOT;
        List<Tensor> views = !iboot ? clips : config.iboot().v1IsRef() ? List.of(clips.get(0)) : clips.subList(1, clips.size());
        int k = views.size();
        Tensor x = k == 1 ? views.get(0) : Functional.concat(0, views.toArray(Tensor[]::new));
        x = Normalization.convert(x, clipNorm, dataNorm);
        Tensor perFrame = online.featureMap(x).mean(new int[] {3, 4}, false);   // (K N, C, T)
        Tensor pooled = null;
        Map<String, Tensor> terms = new LinkedHashMap<>();
        Tensor total = null;
        if (iboot) {
            Tensor ref = clips.get(0);
            for (Teacher t : teachers) {
                Tensor q = t.frameFeatures(ref, clipNorm, config.iboot().teacherBatch());   // (N, T, D)
                Linear w = heads.get(t.name());
                Tensor target, prediction;
                if (config.iboot().temporalPool()) {
                    if (pooled == null) pooled = perFrame.mean(2);                          // (K N, C)
                    prediction = w.forward(pooled);                                          // (K N, D)
                    target = repeat(q.mean(1), k);                                          // (K N, D)
                } else {
                    Tensor frames = w.forward(perFrame.permute(0, 2, 1));                   // (K N, T, D)
                    prediction = frames.reshape(-1, frames.size(2));                          // (K N T, D)
                    target = repeat(q, k).reshape(-1, q.size(2));
                }
                Tensor term = Functional.cosineRegressionLoss(target, prediction);
                terms.put("iboot." + t.name(), term);
                total = total == null ? term : total.add(term);
            }
        }
        if (byol != null) {
            if (pooled == null) pooled = perFrame.mean(2);
            Tensor ssl = byol.loss(pooled, x, k);
            terms.put("ssl", ssl);
            total = iboot ? total.add(ssl.mul((float) config.ssl().weight())) : ssl;
        }
        return new Loss(total, terms);
    }

    private static Tensor repeat(Tensor t, int k) {
        if (k == 1) return t;
        Tensor[] copies = new Tensor[k];
        java.util.Arrays.fill(copies, t);
        return Functional.concat(0, copies);
    }
}
