package org.iboot4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * The configuration of one pre-training run, read from YAML in PySlowFast's style (upper-case
 * sections and keys). Reading is strict: an unknown key is an error naming the key and the file,
 * a missing required key is named, and values are type- and range-checked; every other key
 * takes the default written below. The files in {@code iboot/configs/} spell out every key.
 *
 * <pre>
 * METHOD: iboot                  # iboot | rho_byol                                    (required)
 * DATA:
 *   DATASET: kinetics400         # a name, for the logs (K400 / K600: Table 8)
 *   PATH_TO_DATA_DIR: ""         # root of the videos: class folders, or the root of PATH_TO_CSV's paths
 *   PATH_TO_CSV: ""              # optional "path,label" list or Kinetics annotation CSV
 *   NUM_FRAMES: 8                # T
 *   SAMPLING_RATE: 8             # tau, in frames of the decoder's 30 fps time base
 *   DECODE_SHORT_SIDE: 0         # short side asked from the decoder (0: native)
 *   TRAIN_JITTER_SCALES: [256, 320]
 *   TRAIN_CROP_SIZE: 224
 *   MEAN: [0.45, 0.45, 0.45]     # the normalisation of the ONLINE network's input
 *   STD: [0.225, 0.225, 0.225]
 * AUG:                           # per clip, the same for every frame (section 4.1)
 *   FLIP_PROB: 0.5
 *   COLOR_JITTER_PROB: 0.8
 *   BRIGHTNESS: 0.2
 *   CONTRAST: 0.2
 *   SATURATION: 0.2
 *   HUE: 0.05
 *   GRAYSCALE_PROB: 0.2
 *   BLUR_PROB: 0.5
 *   BLUR_SIGMA: [0.1, 2.0]
 * DATA_LOADER:
 *   NUM_WORKERS: 8
 *   PREFETCH_BATCHES: 2
 * MODEL:
 *   ARCH: slow_r50               # slow_r50 | slow_r101 (Table 7) | slow_custom   (required)
 *   DEPTHS: [3, 4, 6, 3]         # slow_custom only
 *   WIDTH: 64                    # slow_custom only (features: 32 x WIDTH channels)
 *   INIT: scratch                # scratch | inflate (Table 9) | checkpoint
 *   INIT_CHECKPOINT: ""          # inflate: a torchvision ResNet-50; checkpoint: a Slow ResNet
 *   INFLATE_MODE: average        # average (PySlowFast: w/kT replicated) | center
 * IBOOT:                         # METHOD: iboot only
 *   TEACHERS:                    # one or more frozen image models; losses are summed (Table 2) (required)
 *     - NAME: clip               # [a-z0-9_]+, unique; names the W head and the loss term
 *       KIND: vit                # vit (CLIP / DINO / DeiT, naming detected) | resnet (torchvision, R50-w2)
 *       CHECKPOINT: weights/clip_vit_b16.safetensors
 *       VIT_HEADS: 0             # 0: width / 64
 *       MEAN: [...]              # optional: the teacher's input normalisation (default: the model's own)
 *       STD: [...]
 *   NUM_VIEWS: 2                 # online views v1..vK (Table 5: 2, or 1)
 *   V1_IS_REF: false             # Table 5 row 1: the online network sees v_ref itself (NUM_VIEWS 1)
 *   TEMPORAL_POOL: true          # Table 4: average over T before the loss; false: a loss per frame
 *   TEACHER_BATCH: 64            # frames per teacher forward (memory only; 0: all at once)
 * SSL:                           # the momentum-encoder (rho-BYOL) term
 *   ENABLE: false                # iboot: add it (Table 3); rho_byol: must be true
 *   WEIGHT: 1.0                  # iboot: loss = sum of iBoot terms + WEIGHT x SSL term
 *   NUM_VIEWS: 2                 # rho_byol: rho (clips per video); iboot uses its online views
 *   MLP_DIM: 4096                # projector / predictor hidden width
 *   DIM: 256                     # projection width
 *   MOMENTUM: 0.996              # EMA momentum, annealed to 1 by a cosine when MOMENTUM_ANNEALING
 *   MOMENTUM_ANNEALING: true
 * SOLVER:
 *   OPTIMIZING_METHOD: lars      # lars | sgd
 *   BASE_LR: 2.4                 # lr = BASE_LR x TRAIN.BATCH_SIZE / BASE_LR_BATCH    (required)
 *   BASE_LR_BATCH: 256
 *   MOMENTUM: 0.9
 *   NESTEROV: false
 *   WEIGHT_DECAY: 1e-6
 *   LARS_TRUST: 0.001
 *   LR_POLICY: cosine            # the only policy: linear warm-up, then cosine (PySlowFast)
 *   WARMUP_EPOCHS: 8.0
 *   WARMUP_START_LR: 0.0
 *   COSINE_END_LR: 0.0
 *   MAX_EPOCH: 100                                                                    (required)
 * TRAIN:
 *   BATCH_SIZE: 104              # videos per optimiser step (the effective batch)     (required)
 *   ACCUMULATION_STEPS: 1        # micro-batches of BATCH_SIZE / K, one step after K
 *   ITERS_PER_EPOCH: 0           # 0: from the data (videos / BATCH_SIZE); fixed-batch mode: 1
 *   MAX_STEPS: 0                 # 0: MAX_EPOCH x ITERS_PER_EPOCH
 *   CHECKPOINT_PERIOD: 1000      # steps between checkpoints (and one at the end)
 *   LOG_PERIOD: 20               # steps between progress lines
 *   MIXED_PRECISION: false       # no backend trains in reduced precision yet (CPU: float32 only; CUDA: no bf16
 *                                # dtype in the engine): true is an error naming the backend
 *   SEED: 0
 *   OUTPUT_DIR: runs/iboot       # --out overrides it
 * </pre>
 * Relative paths are resolved against the working directory, as PySlowFast does.
 */
public record PretrainConfig(String source, Method method, Data data, Augment aug, LoaderSettings loader,
        Model model, IBoot iboot, Ssl ssl, Solver solver, Train train, Map<String, Object> canonical) {

    public enum Method { IBOOT, RHO_BYOL }

    public enum Arch { SLOW_R50, SLOW_R101, SLOW_CUSTOM }

    public enum Init { SCRATCH, INFLATE, CHECKPOINT }

    public enum InflateMode { AVERAGE, CENTER }

    public enum TeacherKind { VIT, RESNET }

    public enum Optimizer { LARS, SGD }

    public record Data(String dataset, String pathToDataDir, String pathToCsv, int numFrames, int samplingRate,
            int decodeShortSide, int minScale, int maxScale, int cropSize, float[] mean, float[] std) {}

    public record Augment(double flipProb, double colorJitterProb, double brightness, double contrast,
            double saturation, double hue, double grayscaleProb, double blurProb, double blurSigmaMin,
            double blurSigmaMax) {}

    public record LoaderSettings(int numWorkers, int prefetchBatches) {}

    public record Model(Arch arch, int[] depths, int width, Init init, String initCheckpoint, InflateMode inflateMode) {
        /** The online encoder's shape (no classification head). */
        public SlowResNet.Config slowConfig() {
            return new SlowResNet.Config(depths, width, 0, 0.5f);
        }
    }

    /** One frozen image model; {@code mean}/{@code std} null: the model's own normalisation. */
    public record TeacherSpec(String name, TeacherKind kind, String checkpoint, int vitHeads, float[] mean, float[] std) {}

    public record IBoot(List<TeacherSpec> teachers, int numViews, boolean v1IsRef, boolean temporalPool,
            int teacherBatch) {}

    public record Ssl(boolean enable, double weight, int numViews, int mlpDim, int dim, double momentum,
            boolean momentumAnnealing) {}

    public record Solver(Optimizer optimizer, double baseLr, int baseLrBatch, double momentum, boolean nesterov,
            double weightDecay, double larsTrust, double warmupEpochs, double warmupStartLr, double cosineEndLr,
            double maxEpoch) {}

    public record Train(int batchSize, int accumulationSteps, int itersPerEpoch, long maxSteps, int checkpointPeriod,
            int logPeriod, boolean mixedPrecision, long seed, String outputDir) {}

    /**
     * Keys that may change between a run and its {@code --resume} (they steer the run, not what
     * it computes): periods, the output folder, the stopping step, the loader's threads, the
     * teacher's chunking, and where files live. Every other key must be as it was.
     */
    static final Set<String> RESUMABLE_CHANGES = Set.of("TRAIN.CHECKPOINT_PERIOD", "TRAIN.LOG_PERIOD",
            "TRAIN.OUTPUT_DIR", "TRAIN.MAX_STEPS", "DATA_LOADER.NUM_WORKERS", "DATA_LOADER.PREFETCH_BATCHES",
            "IBOOT.TEACHER_BATCH", "DATA.PATH_TO_DATA_DIR", "DATA.PATH_TO_CSV", "MODEL.INIT_CHECKPOINT");

    // ---- derived values ----------------------------------------------------------------------

    /** The learning rate after warm-up: BASE_LR x BATCH_SIZE / BASE_LR_BATCH (linear scaling). */
    public double scaledLr() {
        return solver.baseLr() * train.batchSize() / solver.baseLrBatch();
    }

    /** Videos per micro-batch: BATCH_SIZE / ACCUMULATION_STEPS. */
    public int microBatch() {
        return train.batchSize() / train.accumulationSteps();
    }

    /** Whether the momentum-encoder (BYOL) term is trained. */
    public boolean usesSsl() {
        return method == Method.RHO_BYOL || ssl.enable();
    }

    /** The clips the online network sees per video. */
    public int onlineViews() {
        if (method == Method.RHO_BYOL) return ssl.numViews();
        return iboot.v1IsRef() ? 1 : iboot.numViews();
    }

    /**
     * The clips each video yields (the loader's rho): iboot: v_ref then the online views (just
     * v_ref when V1_IS_REF); rho_byol: its rho views.
     */
    public int clipsPerVideo() {
        if (method == Method.RHO_BYOL) return ssl.numViews();
        return iboot.v1IsRef() ? 1 : 1 + iboot.numViews();
    }

    /** The names of the clips, in order, as the fixed-batch file holds them. */
    public List<String> clipNames() {
        List<String> names = new ArrayList<>();
        if (method == Method.IBOOT) {
            names.add("v_ref");
            for (int i = 1; i < clipsPerVideo(); i++) names.add("v" + i);
        } else {
            for (int i = 1; i <= clipsPerVideo(); i++) names.add("v" + i);
        }
        return names;
    }

    /** The canonical configuration flattened to dotted keys (lists indexed: IBOOT.TEACHERS.0.NAME). */
    public Map<String, Object> flattened() {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", canonical, flat);
        return flat;
    }

    @SuppressWarnings("unchecked")
    static void flatten(String prefix, Object node, Map<String, Object> flat) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                String key = prefix.isEmpty() ? k.toString() : prefix + "." + k;
                if (v instanceof Map || (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map)) {
                    flatten(key, v, flat);
                } else {
                    flat.put(key, v);
                }
            });
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) flatten(prefix + "." + i, l.get(i), flat);
        } else {
            flat.put(prefix, node);
        }
    }

    /**
     * The keys whose values differ from {@code saved} (a canonical map as {@link #canonical}
     * stores it, e.g. read back from a trainer state), other than {@link #RESUMABLE_CHANGES} and
     * teacher checkpoint paths. Values compare by their JSON text, so 8 and 8.0 differ only when
     * the key's type does.
     */
    public List<String> differencesFrom(Map<String, Object> saved) {
        Map<String, Object> mine = flattened(), theirs = new LinkedHashMap<>();
        flatten("", saved, theirs);
        Set<String> keys = new java.util.TreeSet<>(mine.keySet());
        keys.addAll(theirs.keySet());
        List<String> diffs = new ArrayList<>();
        for (String k : keys) {
            if (RESUMABLE_CHANGES.contains(k) || k.matches("IBOOT\\.TEACHERS\\.\\d+\\.CHECKPOINT")) continue;
            String a = JsonText.write(normalizeNumber(mine.get(k))), b = JsonText.write(normalizeNumber(theirs.get(k)));
            if (!a.equals(b)) diffs.add(k + ": was " + b + ", now " + a);
        }
        return diffs;
    }

    private static Object normalizeNumber(Object v) {
        if (v instanceof Integer i) return i.longValue();
        if (v instanceof List<?> l) return l.stream().map(PretrainConfig::normalizeNumber).toList();
        return v;
    }

    // ---- reading -----------------------------------------------------------------------------

    /** Reads and validates a YAML file. */
    public static PretrainConfig load(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** Parses and validates YAML text; {@code source} names it in error messages. */
    public static PretrainConfig parse(String yaml, String source) {
        Object doc;
        try {
            LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).setAllowDuplicateKeys(false)
                    .setLabel(source).build();
            doc = new Load(settings).loadFromString(yaml);
        } catch (YamlEngineException e) {
            throw ConfigReader.error(source, "not valid YAML: " + e.getMessage());
        }
        if (doc == null) throw ConfigReader.error(source, "the file is empty");
        return read(new ConfigReader.Section(source, "", doc));
    }

    /** Re-reads a canonical map (e.g. from a trainer state) with the same validation. */
    public static PretrainConfig fromCanonical(Map<String, Object> canonical, String source) {
        return read(new ConfigReader.Section(source, "", canonical));
    }

    private static PretrainConfig read(ConfigReader.Section root) {
        String file = root.file();
        Method method = Method.valueOf(root.choice("METHOD", null, "iboot", "rho_byol").toUpperCase(Locale.ROOT));

        ConfigReader.Section d = root.section("DATA");
        String dataset = d.string("DATASET", "");
        String dir = d.string("PATH_TO_DATA_DIR", "");
        String csv = d.string("PATH_TO_CSV", "");
        int frames = positive(d, "NUM_FRAMES", d.integer("NUM_FRAMES", 8));
        int rate = positive(d, "SAMPLING_RATE", d.integer("SAMPLING_RATE", 8));
        int decodeShort = d.integer("DECODE_SHORT_SIDE", 0);
        if (decodeShort < 0) throw d.invalid("DECODE_SHORT_SIDE", "must be >= 0");
        int[] scales = d.integers("TRAIN_JITTER_SCALES", new int[] {256, 320}, 2);
        int crop = positive(d, "TRAIN_CROP_SIZE", d.integer("TRAIN_CROP_SIZE", 224));
        if (scales[0] < 1 || scales[1] < scales[0] || crop > scales[0]) {
            throw d.invalid("TRAIN_JITTER_SCALES", "must be [min, max] with TRAIN_CROP_SIZE (" + crop
                    + ") <= min <= max, got " + Arrays.toString(scales));
        }
        float[] mean = floats(d.numbers("MEAN", new double[] {0.45, 0.45, 0.45}, 3));
        float[] std = stds(d, "STD", d.numbers("STD", new double[] {0.225, 0.225, 0.225}, 3));
        d.finish();
        Data data = new Data(dataset, dir, csv, frames, rate, decodeShort, scales[0], scales[1], crop, mean, std);

        ConfigReader.Section a = root.section("AUG");
        Augment aug = new Augment(prob(a, "FLIP_PROB", 0.5), prob(a, "COLOR_JITTER_PROB", 0.8),
                nonNegative(a, "BRIGHTNESS", 0.2), nonNegative(a, "CONTRAST", 0.2), nonNegative(a, "SATURATION", 0.2),
                nonNegative(a, "HUE", 0.05), prob(a, "GRAYSCALE_PROB", 0.2), prob(a, "BLUR_PROB", 0.5), 0, 0);
        if (aug.hue() > 0.5) throw a.invalid("HUE", "must be in [0, 0.5]");
        double[] sigma = a.numbers("BLUR_SIGMA", new double[] {0.1, 2.0}, 2);
        if (!(sigma[0] > 0) || sigma[1] < sigma[0]) throw a.invalid("BLUR_SIGMA", "must be [min, max] with 0 < min <= max");
        aug = new Augment(aug.flipProb(), aug.colorJitterProb(), aug.brightness(), aug.contrast(), aug.saturation(),
                aug.hue(), aug.grayscaleProb(), aug.blurProb(), sigma[0], sigma[1]);
        a.finish();

        ConfigReader.Section l = root.section("DATA_LOADER");
        LoaderSettings loader = new LoaderSettings(positive(l, "NUM_WORKERS", l.integer("NUM_WORKERS", 8)),
                positive(l, "PREFETCH_BATCHES", l.integer("PREFETCH_BATCHES", 2)));
        l.finish();

        ConfigReader.Section m = root.section("MODEL");
        Arch arch = Arch.valueOf(m.choice("ARCH", null, "slow_r50", "slow_r101", "slow_custom").toUpperCase(Locale.ROOT));
        int[] depths;
        int width;
        if (arch == Arch.SLOW_CUSTOM) {
            depths = m.integers("DEPTHS", null, 4);
            width = positive(m, "WIDTH", m.requiredInt("WIDTH"));
            if (Arrays.stream(depths).anyMatch(x -> x < 1)) throw m.invalid("DEPTHS", "must be 4 positive block counts");
        } else {
            int[] preset = arch == Arch.SLOW_R50 ? new int[] {3, 4, 6, 3} : new int[] {3, 4, 23, 3};
            depths = m.integers("DEPTHS", preset, 4);
            width = m.integer("WIDTH", 64);
            if (!Arrays.equals(depths, preset) || width != 64) {
                throw m.invalid("DEPTHS", "and WIDTH are fixed by ARCH " + arch.name().toLowerCase(Locale.ROOT)
                        + " (" + Arrays.toString(preset) + ", 64); use ARCH: slow_custom for other sizes");
            }
        }
        Init init = Init.valueOf(m.choice("INIT", "scratch", "scratch", "inflate", "checkpoint").toUpperCase(Locale.ROOT));
        String initCkpt = m.string("INIT_CHECKPOINT", "");
        InflateMode inflate = InflateMode.valueOf(m.choice("INFLATE_MODE", "average", "average", "center").toUpperCase(Locale.ROOT));
        if (init != Init.SCRATCH && initCkpt.isBlank()) {
            throw m.invalid("INIT_CHECKPOINT", "is required with INIT: " + init.name().toLowerCase(Locale.ROOT));
        }
        m.finish();
        Model model = new Model(arch, depths, width, init, initCkpt, inflate);

        ConfigReader.Section ib = root.section("IBOOT");
        List<TeacherSpec> teachers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigReader.Section t : ib.sections("TEACHERS")) {
            String name = t.string("NAME", null);
            if (!name.matches("[a-z0-9_]+")) throw t.invalid("NAME", "must match [a-z0-9_]+, got '" + name + "'");
            if (!names.add(name)) throw t.invalid("NAME", "'" + name + "' names two teachers");
            TeacherKind kind = TeacherKind.valueOf(t.choice("KIND", null, "vit", "resnet").toUpperCase(Locale.ROOT));
            String ckpt = t.string("CHECKPOINT", null);
            int heads = t.integer("VIT_HEADS", 0);
            if (heads < 0) throw t.invalid("VIT_HEADS", "must be >= 0");
            // absent (or "default", as the canonical form records it): the teacher's own normalisation
            float[] tm = t.peek("MEAN") instanceof List ? floats(t.numbers("MEAN", null, 3)) : null;
            float[] ts = t.peek("STD") instanceof List ? stds(t, "STD", t.numbers("STD", null, 3)) : null;
            if ((tm == null) != (ts == null)) throw t.invalid(tm == null ? "MEAN" : "STD", "must be given together with "
                    + (tm == null ? "STD" : "MEAN"));
            if (tm == null) {
                for (String k : new String[] {"MEAN", "STD"}) {
                    if (!t.string(k, "default").equals("default")) throw t.invalid(k, "must be a list of 3 numbers");
                }
            }
            t.finish();
            teachers.add(new TeacherSpec(name, kind, ckpt, heads, tm, ts));
        }
        int numViews = positive(ib, "NUM_VIEWS", ib.integer("NUM_VIEWS", 2));
        boolean v1IsRef = ib.bool("V1_IS_REF", false);
        boolean pool = ib.bool("TEMPORAL_POOL", true);
        int teacherBatch = ib.integer("TEACHER_BATCH", 64);
        if (teacherBatch < 0) throw ib.invalid("TEACHER_BATCH", "must be >= 0");
        if (method == Method.IBOOT && teachers.isEmpty()) {
            throw ConfigReader.error(file, "missing required key 'IBOOT.TEACHERS' (METHOD: iboot needs at least one frozen image model)");
        }
        if (method == Method.RHO_BYOL && !teachers.isEmpty()) {
            throw ib.invalid("TEACHERS", "must be empty with METHOD: rho_byol (it has no image teacher)");
        }
        if (v1IsRef && numViews != 1) throw ib.invalid("V1_IS_REF", "needs NUM_VIEWS: 1 (the online network sees v_ref only)");
        ib.finish();
        IBoot iboot = new IBoot(List.copyOf(teachers), numViews, v1IsRef, pool, teacherBatch);

        ConfigReader.Section s = root.section("SSL");
        Ssl ssl = new Ssl(s.bool("ENABLE", false), nonNegative(s, "WEIGHT", 1.0),
                positive(s, "NUM_VIEWS", s.integer("NUM_VIEWS", 2)), positive(s, "MLP_DIM", s.integer("MLP_DIM", 4096)),
                positive(s, "DIM", s.integer("DIM", 256)), s.number("MOMENTUM", 0.996), s.bool("MOMENTUM_ANNEALING", true));
        if (!(ssl.momentum() >= 0 && ssl.momentum() <= 1)) throw s.invalid("MOMENTUM", "must be in [0, 1]");
        if (method == Method.RHO_BYOL && !ssl.enable()) {
            throw s.invalid("ENABLE", "must be true with METHOD: rho_byol (the SSL term is its whole loss)");
        }
        if (method == Method.RHO_BYOL && ssl.numViews() < 2) throw s.invalid("NUM_VIEWS", "must be >= 2 for rho_byol");
        if (method == Method.IBOOT && ssl.enable() && (v1IsRef || numViews < 2)) {
            throw s.invalid("ENABLE", "needs at least two online views (IBOOT.NUM_VIEWS >= 2, V1_IS_REF false):"
                    + " the SSL term predicts one view from another");
        }
        s.finish();

        ConfigReader.Section o = root.section("SOLVER");
        Optimizer opt = Optimizer.valueOf(o.choice("OPTIMIZING_METHOD", "lars", "lars", "sgd").toUpperCase(Locale.ROOT));
        double baseLr = o.requiredNumber("BASE_LR");
        if (!(baseLr > 0)) throw o.invalid("BASE_LR", "must be > 0");
        int baseBatch = positive(o, "BASE_LR_BATCH", o.integer("BASE_LR_BATCH", 256));
        double momentum = nonNegative(o, "MOMENTUM", 0.9);
        boolean nesterov = o.bool("NESTEROV", false);
        if (nesterov && opt == Optimizer.LARS) throw o.invalid("NESTEROV", "is not supported with LARS (PySlowFast's LARS wraps plain SGD)");
        double wd = nonNegative(o, "WEIGHT_DECAY", 1e-6);
        double trust = o.number("LARS_TRUST", 0.001);
        if (!(trust > 0)) throw o.invalid("LARS_TRUST", "must be > 0");
        o.choice("LR_POLICY", "cosine", "cosine");
        double warmup = nonNegative(o, "WARMUP_EPOCHS", 8.0);
        double warmupStart = nonNegative(o, "WARMUP_START_LR", 0.0);
        double endLr = nonNegative(o, "COSINE_END_LR", 0.0);
        double maxEpoch = o.requiredNumber("MAX_EPOCH");
        if (!(maxEpoch > 0) || warmup > maxEpoch) {
            throw o.invalid("MAX_EPOCH", "must be > 0 and >= WARMUP_EPOCHS (" + warmup + "), got " + maxEpoch);
        }
        o.finish();
        Solver solver = new Solver(opt, baseLr, baseBatch, momentum, nesterov, wd, trust, warmup, warmupStart, endLr, maxEpoch);

        ConfigReader.Section tr = root.section("TRAIN");
        int batch = positive(tr, "BATCH_SIZE", tr.requiredInt("BATCH_SIZE"));
        int accum = positive(tr, "ACCUMULATION_STEPS", tr.integer("ACCUMULATION_STEPS", 1));
        if (batch % accum != 0) {
            throw tr.invalid("ACCUMULATION_STEPS", "(" + accum + ") must divide BATCH_SIZE (" + batch + ")");
        }
        int iters = tr.integer("ITERS_PER_EPOCH", 0);
        long maxSteps = tr.integer("MAX_STEPS", 0L);
        if (iters < 0) throw tr.invalid("ITERS_PER_EPOCH", "must be >= 0");
        if (maxSteps < 0) throw tr.invalid("MAX_STEPS", "must be >= 0");
        Train train = new Train(batch, accum, iters, maxSteps,
                positive(tr, "CHECKPOINT_PERIOD", tr.integer("CHECKPOINT_PERIOD", 1000)),
                positive(tr, "LOG_PERIOD", tr.integer("LOG_PERIOD", 20)), tr.bool("MIXED_PRECISION", false),
                tr.integer("SEED", 0L), tr.string("OUTPUT_DIR", "runs/pretrain"));
        tr.finish();

        root.finish();
        return new PretrainConfig(file, method, data, aug, loader, model, iboot, ssl, solver, train, root.canonical());
    }

    private static int positive(ConfigReader.Section s, String key, int v) {
        if (v < 1) throw s.invalid(key, "must be >= 1, got " + v);
        return v;
    }

    private static double nonNegative(ConfigReader.Section s, String key, double def) {
        double v = s.number(key, def);
        if (v < 0) throw s.invalid(key, "must be >= 0, got " + v);
        return v;
    }

    private static double prob(ConfigReader.Section s, String key, double def) {
        double v = s.number(key, def);
        if (!(v >= 0 && v <= 1)) throw s.invalid(key, "must be a probability in [0, 1], got " + v);
        return v;
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static float[] stds(ConfigReader.Section s, String key, double[] d) {
        for (double v : d) if (!(v > 0)) throw s.invalid(key, "must be positive, got " + Arrays.toString(d));
        return floats(d);
    }
}
