package org.iboot4j.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.eval.Accuracy;
import org.iboot4j.eval.EvalJson;
import org.iboot4j.eval.FeatureExtractor;
import org.iboot4j.eval.Features;
import org.iboot4j.eval.Knn;
import org.iboot4j.eval.TestProtocol;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.models.resnet.SlowResNet;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.train.ClipBatches;
import org.iboot4j.train.IBootModel;
import org.iboot4j.train.LoaderBatches;
import org.iboot4j.train.PretrainCheckpoint;
import org.iboot4j.train.PretrainConfig;
import org.iboot4j.train.Pretrainer;
import org.iboot4j.train.Teacher;

/**
 * The main job, end to end on the CPU in a few minutes ({@code bin/iboot demo}):
 * <ol>
 *   <li>pre-train a reduced Slow ResNet with iBoot ({@code iboot/configs/demo.yaml}) on the 40
 *       train videos of the bundled synthetic action dataset, the frozen target being the small
 *       image teacher shipped in {@code test-data/teacher/} ({@link TeacherTrainer});
 *   <li>extract frozen features of the train and test videos ({@link FeatureExtractor}: K
 *       evenly spaced clips per video, averaged) with the pre-trained encoder and with the SAME
 *       network as initialised before pre-training (the random baseline);
 *   <li>weighted k-NN (k = 20, T = 0.07; {@link Knn}) of the 20 test videos against the 40
 *       train videos, over the four motion classes; print the accuracies side by side (with,
 *       for reference, the image teacher alone — its frame features averaged over each clip —
 *       and optionally rho-BYOL pre-trained with the same budget).
 * </ol>
 * Everything is seeded; on the CPU backend the numbers repeat run to run.
 */
public final class IBootDemo {
    private IBootDemo() {}

    /**
     * @param config     the demo configuration (iboot/configs/demo.yaml); relative paths in it are
     *                   taken from the repository root
     * @param out        output folder (the runs go to OUT/iboot and OUT/rho_byol, the summary to OUT/demo.json)
     * @param epochs     pre-training epochs (0: the configuration's MAX_EPOCH)
     * @param testClips  clips per video for the k-NN features
     * @param withByol   also pre-train and evaluate rho-BYOL (no teacher) with the same budget
     * @param withTeacher also report the image teacher's own k-NN (frame features averaged over each clip)
     */
    public record Settings(Path config, Path out, double epochs, int testClips, boolean withByol, boolean withTeacher) {}

    /** One row of the comparison. */
    public record Row(String name, Accuracy accuracy, double seconds) {}

    /** The comparison and the time taken. */
    public record Outcome(Row random, Row iboot, Row teacher, Row byol, double pretrainSeconds, double totalSeconds) {}

    /** Runs the demo from the repository at {@code root}, reporting to {@code console}. */
    public static Outcome run(Path root, Settings s, PrintStream console) throws IOException {
        long t0 = System.nanoTime();
        Consumer<String> log = console::println;
        Path teacherFile = DemoData.teacherDir(root).resolve(DemoData.TEACHER_FILE);
        if (!Files.isRegularFile(teacherFile)) {
            throw new IllegalStateException("the demo teacher " + teacherFile + " is missing; make it with: bin/iboot demo train-teacher");
        }
        VideoDataset all = DemoData.all(root);
        VideoDataset train = DemoData.split(all, false), test = DemoData.split(all, true);
        Path trainList = DemoData.teacherDir(root).resolve(DemoData.TRAIN_LIST);
        if (!Files.isRegularFile(trainList)) {
            trainList = s.out().resolve(DemoData.TRAIN_LIST);
            DemoData.writeList(train, DemoData.syntheticDir(root), trainList);
        }
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("DATA.PATH_TO_DATA_DIR", DemoData.syntheticDir(root).toString());
        overrides.put("DATA.PATH_TO_CSV", trainList.toAbsolutePath().toString());
        overrides.put("IBOOT.TEACHERS.0.CHECKPOINT", teacherFile.toString());
        overrides.put("TRAIN.OUTPUT_DIR", s.out().resolve("iboot").toString());
        Path config = s.config().isAbsolute() ? s.config() : root.resolve(s.config());
        if (s.epochs() > 0) {
            // the warm-up keeps its share of the schedule
            PretrainConfig.Solver solver = PretrainConfig.load(config).solver();
            overrides.put("SOLVER.MAX_EPOCH", s.epochs());
            overrides.put("SOLVER.WARMUP_EPOCHS", solver.warmupEpochs() * s.epochs() / solver.maxEpoch());
        }
        PretrainConfig cfg = configure(config, overrides);
        console.printf(Locale.ROOT, "iboot demo: iBoot on the synthetic motion dataset (%s): %d train videos (pre-training and the"
                        + " k-NN bank), %d test videos, %d classes %s%n", DemoData.syntheticDir(root), train.size(), test.size(),
                all.classes().size(), all.classes().names());

        // 1. pre-train
        long tp = System.nanoTime();
        List<Teacher> teachers = Teacher.loadAll(cfg);
        IBootModel model = pretrain(cfg, teachers, console);
        double pretrainSeconds = (System.nanoTime() - tp) * 1e-9;

        // 2. and 3. k-NN of the random and the pre-trained encoder
        PretrainConfig.Data d = cfg.data();
        TestProtocol protocol = new TestProtocol(d.numFrames(), d.samplingRate(), s.testClips(), 1, d.cropSize(), d.decodeShortSide(),
                d.mean(), d.std(), 8, cfg.loader().numWorkers());
        console.println("k-NN features: " + protocol.describe() + ", averaged per video");
        SlowResNet random = new SlowResNet(cfg.model().slowConfig(), new org.iboot4j.engine.Rng(cfg.train().seed()));
        Row randomRow = knn("random init (the same network before pre-training)", random, random::features, train, test, protocol, log);
        SlowResNet online = model.online();
        Row ibootRow = knn(String.format(Locale.ROOT, "iBoot (%.0f epochs, image teacher '%s')", cfg.solver().maxEpoch(),
                teachers.getFirst().name()), online, online::features, train, test, protocol, log);
        Row teacherRow = null;
        if (s.withTeacher()) {
            Teacher t = teachers.getFirst();
            Preprocessing norm = new Preprocessing(d.mean(), d.std());
            teacherRow = knn("image teacher alone (frame features averaged)", t.encoder().module(),
                    x -> t.frameFeatures(x, norm, 0).mean(1), train, test, protocol, log);
        }
        Row byolRow = null;
        if (s.withByol()) {
            Map<String, Object> b = new LinkedHashMap<>(overrides);
            b.put("METHOD", "rho_byol");
            b.put("IBOOT.TEACHERS", List.of());
            b.put("SSL.ENABLE", true);
            b.put("TRAIN.OUTPUT_DIR", s.out().resolve("rho_byol").toString());
            PretrainConfig bcfg = configure(config, b);
            IBootModel byol = pretrain(bcfg, List.of(), console);
            SlowResNet enc = byol.online();
            byolRow = knn(String.format(Locale.ROOT, "rho-BYOL (%.0f epochs, no teacher)", bcfg.solver().maxEpoch()), enc, enc::features,
                    train, test, protocol, log);
        }
        double total = (System.nanoTime() - t0) * 1e-9;
        Outcome o = new Outcome(randomRow, ibootRow, teacherRow, byolRow, pretrainSeconds, total);
        print(o, test.size(), train.size(), protocol, console);
        EvalJson.writeFile(s.out().resolve("demo.json"), summary(o, cfg, protocol, train.size(), test.size()));
        return o;
    }

    private static IBootModel pretrain(PretrainConfig cfg, List<Teacher> teachers, PrintStream console) throws IOException {
        Path dir = Path.of(cfg.train().outputDir());
        clearPreviousRun(dir);
        IBootModel model = IBootModel.create(cfg, teachers);
        ClipBatches data = LoaderBatches.open(cfg);
        try (Pretrainer trainer = new Pretrainer(cfg, model, data, dir, console, false)) {
            trainer.start();
            trainer.run(0);
        }
        return model;
    }

    /** Removes the files of an earlier demo run in {@code dir} (only those the trainer writes). */
    static void clearPreviousRun(Path dir) throws IOException {
        for (String f : List.of(PretrainCheckpoint.STATE_FILE, PretrainCheckpoint.ENCODER_FILE, PretrainCheckpoint.METRICS_FILE,
                PretrainCheckpoint.PLOT_FILE)) {
            Files.deleteIfExists(dir.resolve(f));
        }
        Path ckpt = dir.resolve(PretrainCheckpoint.CHECKPOINT_DIR);
        if (Files.isDirectory(ckpt)) {
            try (var files = Files.list(ckpt)) {
                for (Path p : files.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith("step-") && n.endsWith(".safetensors")) Files.delete(p);
                }
            }
        }
    }

    private static Row knn(String name, Module module, java.util.function.UnaryOperator<org.iboot4j.engine.Tensor> features,
            VideoDataset train, VideoDataset test, TestProtocol p, Consumer<String> log) {
        long t0 = System.nanoTime();
        Features tr = FeatureExtractor.extract(module, features, train, p, null).perVideo();
        Features te = FeatureExtractor.extract(module, features, test, p, null).perVideo();
        Accuracy acc = Knn.evaluate(tr, te, Knn.DEFAULT_K, Knn.DEFAULT_TEMPERATURE);
        double sec = (System.nanoTime() - t0) * 1e-9;
        log.accept(String.format(Locale.ROOT, "  k-NN %-50s top-1 %5.1f%%  (%.0f s)", name, 100 * acc.top1(), sec));
        return new Row(name, acc, sec);
    }

    private static void print(Outcome o, int testVideos, int trainVideos, TestProtocol p, PrintStream console) {
        console.println();
        console.printf(Locale.ROOT, "k-NN (k = %d, T = %.2f) on %d test videos, %d train videos as the bank, 4 motion classes"
                + " (chance 25%%):%n", Knn.DEFAULT_K, Knn.DEFAULT_TEMPERATURE, testVideos, trainVideos);
        List<Row> rows = new ArrayList<>();
        rows.add(o.random());
        rows.add(o.iboot());
        if (o.byol() != null) rows.add(o.byol());
        if (o.teacher() != null) rows.add(o.teacher());
        for (Row r : rows) {
            console.printf(Locale.ROOT, "  %-52s top-1 %5.1f%%   (%d of %d)%n", r.name(), 100 * r.accuracy().top1(),
                    Math.round(r.accuracy().top1() * r.accuracy().count()), r.accuracy().count());
        }
        double gain = 100 * (o.iboot().accuracy().top1() - o.random().accuracy().top1());
        console.printf(Locale.ROOT, "iBoot %s random initialisation by %+.1f points. Pre-training %.0f s, total %.0f s.%n",
                gain > 0 ? "beats" : "does NOT beat", gain, o.pretrainSeconds(), o.totalSeconds());
    }

    private static Map<String, Object> summary(Outcome o, PretrainConfig cfg, TestProtocol p, int train, int test) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", cfg.source());
        m.put("epochs", cfg.solver().maxEpoch());
        m.put("train_videos", train);
        m.put("test_videos", test);
        m.put("knn", Map.of("k", Knn.DEFAULT_K, "temperature", Knn.DEFAULT_TEMPERATURE, "protocol", p.describe()));
        Map<String, Object> rows = new LinkedHashMap<>();
        for (Row r : new Row[] {o.random(), o.iboot(), o.byol(), o.teacher()}) {
            if (r == null) continue;
            rows.put(r.name(), Map.of("top1", r.accuracy().top1(), "top5", r.accuracy().top5(), "confusion", r.accuracy().confusion(4)));
        }
        m.put("results", rows);
        m.put("pretrain_seconds", o.pretrainSeconds());
        m.put("total_seconds", o.totalSeconds());
        return m;
    }

    /**
     * The configuration in {@code yaml} with some keys replaced: {@code overrides} maps dotted
     * keys of the canonical form (e.g. {@code DATA.PATH_TO_CSV}, {@code IBOOT.TEACHERS.0.CHECKPOINT})
     * to values; the result is validated like the file itself.
     */
    @SuppressWarnings("unchecked")
    public static PretrainConfig configure(Path yaml, Map<String, Object> overrides) throws IOException {
        PretrainConfig base = PretrainConfig.load(yaml);
        Map<String, Object> tree = (Map<String, Object>) deepCopy(base.canonical());
        overrides.forEach((key, value) -> {
            String[] parts = key.split("\\.");
            Object node = tree;
            for (int i = 0; i < parts.length - 1; i++) node = child(node, parts[i], key);
            String last = parts[parts.length - 1];
            if (node instanceof Map<?, ?> map) {
                ((Map<String, Object>) map).put(last, value);
            } else if (node instanceof List<?> list) {
                ((List<Object>) list).set(Integer.parseInt(last), value);
            } else {
                throw new IllegalArgumentException("cannot set " + key + " in " + yaml);
            }
        });
        return PretrainConfig.fromCanonical(tree, yaml.toString());
    }

    private static Object child(Object node, String part, String key) {
        Object next = node instanceof Map<?, ?> m ? m.get(part) : node instanceof List<?> l ? l.get(Integer.parseInt(part)) : null;
        if (next == null) throw new IllegalArgumentException("no key " + key + " in the configuration");
        return next;
    }

    private static Object deepCopy(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, v) -> c.put(String.valueOf(k), deepCopy(v)));
            return c;
        }
        if (o instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            for (Object v : l) c.add(deepCopy(v));
            return c;
        }
        return o;
    }
}
