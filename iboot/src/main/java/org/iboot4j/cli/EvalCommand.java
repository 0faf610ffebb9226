package org.iboot4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.eval.Accuracy;
import org.iboot4j.eval.DatasetSpec;
import org.iboot4j.eval.EvalJson;
import org.iboot4j.eval.EvalModels;
import org.iboot4j.eval.FeatureExtractor;
import org.iboot4j.eval.Features;
import org.iboot4j.eval.FineTune;
import org.iboot4j.eval.Knn;
import org.iboot4j.eval.LinearProbe;
import org.iboot4j.eval.Subsets;
import org.iboot4j.eval.TestProtocol;
import org.iboot4j.nn.models.resnet.SlowResNet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code iboot eval knn|linear|finetune}: the paper's three evaluations of a pre-trained video
 * encoder (section 4.2) — weighted k-NN and a linear probe on frozen features, and fine-tuning
 * of the whole network (also on 1% / 10% per-class subsets) — each printing top-1 / top-5 and
 * writing a JSON result.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a video encoder: k-NN or linear probe on frozen features, or fine-tuning.",
                "DATA is a folder of class folders, a path,label (or Kinetics) CSV list, ucf101:VIDEOS:SPLITS[:N]"
                        + " or hmdb51:VIDEOS:SPLITS[:N]."},
        subcommands = {EvalCommand.KnnCommand.class, EvalCommand.LinearCommand.class, EvalCommand.FinetuneCommand.class})
final class EvalCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Options every evaluation takes. */
    static final class Common {
        /** The paper's test protocol gives the defaults, so the command and the library cannot drift apart. */
        private static final TestProtocol PAPER = TestProtocol.paper();

        @Option(names = "--checkpoint", paramLabel = "FILE",
                description = "Encoder weights: OUT/encoder.safetensors or a step checkpoint of 'iboot pretrain', or a"
                        + " pytorchvideo / PySlowFast Slow ResNet checkpoint.")
        Path checkpoint;

        @Option(names = "--random-init", description = "Evaluate a randomly initialised encoder (the baseline) instead of --checkpoint.")
        boolean randomInit;

        @Option(names = "--depths", split = ",", paramLabel = "N,N,N,N", description = "--random-init: blocks per stage (default: 3,4,6,3, Slow-R50).")
        int[] depths = {3, 4, 6, 3};

        @Option(names = "--width", description = "--random-init: stem width, features are 32 x WIDTH (default: ${DEFAULT-VALUE}).")
        int width = 64;

        @Option(names = "--train", required = true, paramLabel = "DATA", description = "The labelled train set.")
        String train;

        @Option(names = "--test", required = true, paramLabel = "DATA", description = "The labelled test set.")
        String test;

        @Option(names = "--data-root", paramLabel = "DIR", description = "Where the paths of list files start (default: each list's folder).")
        Path dataRoot;

        @Option(names = "--frames", description = "Frames per clip T (default: ${DEFAULT-VALUE}).")
        int frames = PAPER.frames();

        @Option(names = "--stride", description = "Frame stride tau at 30 fps (default: ${DEFAULT-VALUE}).")
        int stride = PAPER.stride();

        @Option(names = "--size", description = "Test crop side (default: ${DEFAULT-VALUE}).")
        int size = PAPER.size();

        @Option(names = "--test-clips", description = "Temporal clips per test video (default: ${DEFAULT-VALUE}).")
        int testClips = PAPER.clips();

        @Option(names = "--test-crops", description = "Spatial crops per clip, 1 or 3 (default: ${DEFAULT-VALUE}).")
        int testCrops = PAPER.crops();

        @Option(names = "--fast", description = "Test with 1 clip x 1 crop (instead of --test-clips x --test-crops).")
        boolean fast;

        @Option(names = "--decode-short-side", description = "Short side asked from the decoder, 0 = native (default: ${DEFAULT-VALUE}).")
        int decodeShortSide;

        @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "Input normalisation mean (default: 0.45,0.45,0.45).")
        float[] mean = TestProtocol.SLOWFAST_MEAN.clone();

        @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "Input normalisation std (default: 0.225,0.225,0.225).")
        float[] std = TestProtocol.SLOWFAST_STD.clone();

        @Option(names = "--eval-batch", description = "Clips per forward pass when extracting features or testing (default: ${DEFAULT-VALUE}).")
        int evalBatch = PAPER.batch();

        @Option(names = "--workers", description = "Decoding threads (default: the number of processors).")
        int workers = Math.max(1, Runtime.getRuntime().availableProcessors());

        @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--output", paramLabel = "FILE", description = "JSON result file (default: runs/eval/<mode>.json).")
        Path output;

        TestProtocol protocol() {
            return new TestProtocol(frames, stride, fast ? 1 : testClips, fast ? 1 : testCrops, size, decodeShortSide, mean, std,
                    evalBatch, workers);
        }

        VideoDataset[] datasets() throws IOException {
            VideoDataset tr = DatasetSpec.read(train, true, null, dataRoot);
            VideoDataset te = DatasetSpec.read(test, false, tr.classes(), dataRoot);
            return new VideoDataset[] {tr, te};
        }

        void checkModelChoice() {
            if (randomInit == (checkpoint != null)) {
                throw new IllegalArgumentException("give exactly one of --checkpoint FILE and --random-init");
            }
        }

        /** The encoder (head of numClasses when > 0). */
        SlowResNet model(int numClasses, float dropout) {
            checkModelChoice();
            return randomInit ? EvalModels.random(depths, width, numClasses, dropout, seed)
                    : EvalModels.load(checkpoint, numClasses, dropout, seed);
        }

        String modelName() {
            return randomInit ? "random-init depths " + Arrays.toString(depths) + " width " + width + " seed " + seed
                    : checkpoint.toString();
        }

        /** Identifies the model file for feature caches: path, size and modification time. */
        String modelKey() throws IOException {
            if (randomInit) return modelName();
            return checkpoint.toAbsolutePath() + " " + Files.size(checkpoint) + " " + Files.getLastModifiedTime(checkpoint).toMillis();
        }

        Map<String, Object> header(String mode, VideoDataset tr, VideoDataset te, TestProtocol p) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("mode", mode);
            r.put("model", modelName());
            r.put("train", train);
            r.put("test", test);
            r.put("classes", tr.classes().size());
            r.put("train_videos", tr.size());
            r.put("test_videos", te.size());
            r.put("test_protocol", Map.of("clips", p.clips(), "crops", p.crops(), "frames", p.frames(), "stride", p.stride(),
                    "size", p.size()));
            return r;
        }

        Path outputFile(String mode) {
            return output != null ? output : Path.of("runs", "eval", mode + ".json");
        }
    }

    /** Progress lines go to the current standard output (looked up at each call, so tests can capture it). */
    static final Consumer<String> LOG = line -> System.out.println(line);

    static void report(Map<String, Object> result, Accuracy acc, VideoDataset te, long t0) {
        result.put("top1", acc.top1());
        result.put("top5", acc.top5());
        result.put("scored_videos", acc.count());
        int classes = te.classes().size();
        int[][] confusion = acc.confusion(classes);
        Map<String, Object> perClass = new LinkedHashMap<>();
        for (int c = 0; c < classes; c++) {
            int total = Arrays.stream(confusion[c]).sum();
            perClass.put(te.classes().name(c), total == 0 ? null : (double) confusion[c][c] / total);
        }
        result.put("per_class_top1", perClass);
        result.put("confusion", confusion);
        result.put("seconds", (System.nanoTime() - t0) * 1e-9);
        result.put("finished", Instant.now().toString());
    }

    static void finish(Common c, String mode, Map<String, Object> result, Accuracy acc) throws IOException {
        Path out = c.outputFile(mode);
        EvalJson.writeFile(out, result);
        System.out.printf(Locale.ROOT, "%s: top-1 %.2f%%, top-5 %.2f%% on %d test videos; result in %s%n", mode, 100 * acc.top1(),
                100 * acc.top5(), acc.count(), out);
    }

    @Command(name = "knn", mixinStandardHelpOptions = true,
            description = "Weighted k-NN (k 20, temperature 0.07, cosine similarity) on frozen features: the train set's"
                    + " features (one row per video, its views averaged) vote for each test video.")
    static final class KnnCommand implements Callable<Integer> {
        @Mixin
        Common c;

        @Option(names = "--k", description = "Neighbours (default: ${DEFAULT-VALUE}).")
        int k = Knn.DEFAULT_K;

        @Option(names = "--temperature", description = "Vote temperature (default: ${DEFAULT-VALUE}).")
        double temperature = Knn.DEFAULT_TEMPERATURE;

        @Mixin
        FrozenFeatures f;

        @Override
        public Integer call() throws Exception {
            long t0 = System.nanoTime();
            c.checkModelChoice();
            VideoDataset[] ds = c.datasets();
            TestProtocol testP = c.protocol(), trainP = f.trainProtocol(testP);
            SlowResNet model = c.model(0, 0.5f);
            f.announce("knn", c, ds, trainP, testP);
            Features train = f.extract(c, model, ds[0], trainP, "train").perVideo();
            Features test = f.extract(c, model, ds[1], testP, "test").perVideo();
            Accuracy acc = Knn.evaluate(train, test, k, temperature);
            Map<String, Object> r = c.header("knn", ds[0], ds[1], testP);
            r.put("k", k);
            r.put("temperature", temperature);
            r.put("train_views", f.trainViews());
            report(r, acc, ds[1], t0);
            finish(c, "knn", r, acc);
            return 0;
        }
    }

    /** The SGD options the linear probe and the fine-tuning share. */
    static final class SgdOptions {
        @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
        double momentum = 0.9;

        @Option(names = "--weight-decay", description = "Weight decay (default: ${DEFAULT-VALUE}).")
        double weightDecay;
    }

    /** The options of the evaluations on frozen features (k-NN, linear probe): train views and the cache. */
    static final class FrozenFeatures {
        @Option(names = "--train-clips", description = "Temporal clips per train video (default: ${DEFAULT-VALUE}).")
        int trainClips = 1;

        @Option(names = "--train-crops", description = "Spatial crops per train clip, 1 or 3 (default: ${DEFAULT-VALUE}).")
        int trainCrops = 1;

        @Option(names = "--features-dir", paramLabel = "DIR", description = "Cache the features as DIR/{train,test}.safetensors (reused when they match).")
        Path featuresDir;

        /** The train set's views: the test protocol's sampling with these clip and crop counts. */
        TestProtocol trainProtocol(TestProtocol test) {
            return test.withViews(trainClips, trainCrops);
        }

        Map<String, Object> trainViews() {
            return Map.of("clips", trainClips, "crops", trainCrops);
        }

        void announce(String command, Common c, VideoDataset[] ds, TestProtocol train, TestProtocol test) {
            System.out.println("eval " + command + ": " + c.modelName() + "; train " + ds[0] + " (" + train.describe()
                    + "), test " + ds[1] + " (" + test.describe() + ")");
        }

        /** Frozen features of {@code ds}, cached as {@code featuresDir/name.safetensors} when a folder is given. */
        Features extract(Common c, SlowResNet model, VideoDataset ds, TestProtocol p, String name) throws IOException {
            Map<String, String> key = new LinkedHashMap<>();
            key.put("model", c.modelKey());
            key.put("data", name.equals("train") ? c.train : c.test);
            key.put("videos", Integer.toString(ds.size()));
            key.put("protocol", p.toString());
            Path file = featuresDir == null ? null : featuresDir.resolve(name + ".safetensors");
            return Features.cached(file, key, () -> FeatureExtractor.extract(model, model::features, ds, p, LOG), LOG);
        }
    }

    @Command(name = "linear", mixinStandardHelpOptions = true,
            description = "Linear probe on frozen features (computed once, cached): SGD momentum 0.9, linear warm-up then"
                    + " cosine; softmax averaged over the test views.")
    static final class LinearCommand implements Callable<Integer> {
        @Mixin
        Common c;

        @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
        int epochs = 100;

        @Option(names = "--lr", description = "Base learning rate (default: ${DEFAULT-VALUE}).")
        double lr = 1.0;

        @Option(names = "--warmup", description = "Warm-up epochs (default: 8, or 8% of --epochs when that is given).")
        Double warmup;

        @Option(names = "--batch-size", description = "Feature rows per step (default: ${DEFAULT-VALUE}).")
        int batch = 64;

        @Mixin
        SgdOptions sgd;

        @Option(names = "--feature-norm", description = "none, l2 or standardize (default: ${DEFAULT-VALUE}).")
        LinearProbe.FeatureNorm norm = LinearProbe.FeatureNorm.STANDARDIZE;

        @Mixin
        FrozenFeatures f;

        @Override
        public Integer call() throws Exception {
            long t0 = System.nanoTime();
            c.checkModelChoice();
            double warm = warmup != null ? warmup : 8.0 * epochs / 100;
            LinearProbe.Settings s = new LinearProbe.Settings(epochs, batch, lr, warm, sgd.momentum, sgd.weightDecay, norm, c.seed);
            VideoDataset[] ds = c.datasets();
            TestProtocol testP = c.protocol(), trainP = f.trainProtocol(testP);
            SlowResNet model = c.model(0, 0.5f);
            f.announce("linear", c, ds, trainP, testP);
            Features train = f.extract(c, model, ds[0], trainP, "train");
            Features test = f.extract(c, model, ds[1], testP, "test");
            LinearProbe.Trained t = LinearProbe.train(train, s, LOG);
            Accuracy acc = LinearProbe.evaluate(t.classifier(), test);
            Map<String, Object> r = c.header("linear", ds[0], ds[1], testP);
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("epochs", epochs);
            settings.put("lr", lr);
            settings.put("warmup_epochs", warm);
            settings.put("batch", batch);
            settings.put("momentum", sgd.momentum);
            settings.put("weight_decay", sgd.weightDecay);
            settings.put("feature_norm", norm.name().toLowerCase(Locale.ROOT));
            settings.put("train_views", f.trainViews());
            r.put("settings", settings);
            r.put("train_loss_first", t.firstLoss());
            r.put("train_loss_last_epoch", t.lastLoss());
            report(r, acc, ds[1], t0);
            finish(c, "linear", r, acc);
            return 0;
        }
    }

    @Command(name = "finetune", mixinStandardHelpOptions = true,
            description = "Fine-tune the whole network with a new linear head (SGD momentum 0.9, warm-up then cosine);"
                    + " --fraction 0.01 / 0.1 trains on that fraction of every class (semi-supervised).")
    static final class FinetuneCommand implements Callable<Integer> {
        @Mixin
        Common c;

        @Option(names = "--fraction", description = "Train on this fraction of the videos of each class (at least one per class).")
        Double fraction;

        @Option(names = "--subset-seed", description = "Seed of the --fraction selection (default: ${DEFAULT-VALUE}).")
        long subsetSeed;

        @Option(names = "--epochs", description = "Epochs (default: 196; 100 with --fraction).")
        Integer epochs;

        @Option(names = "--lr", description = "Base learning rate (default: 0.0025; 0.01 with --fraction).")
        Double lr;

        @Option(names = "--warmup", description = "Warm-up epochs (default: 0; with --fraction 8, or 8% of --epochs when that is given).")
        Double warmup;

        @Option(names = "--batch-size", description = "Videos per step (default: 128; 64 with --fraction).")
        Integer batch;

        @Mixin
        SgdOptions sgd;

        @Option(names = "--dropout", description = "Dropout before the head (default: ${DEFAULT-VALUE}).")
        float dropout = 0.5f;

        @Option(names = "--train-scale", split = ",", paramLabel = "MIN,MAX",
                description = "Short side range of the training resize before the random --size crop (default: 256,320).")
        int[] trainScale = {256, 320};

        @Option(names = "--save-model", paramLabel = "FILE", description = "Write the fine-tuned network (pytorchvideo names, with the head).")
        Path saveModel;

        @Override
        public Integer call() throws Exception {
            long t0 = System.nanoTime();
            c.checkModelChoice();
            FineTune.Settings base = fraction != null ? FineTune.Settings.semiSupervised() : FineTune.Settings.paper();
            if (trainScale.length != 2 || trainScale[0] < c.size || trainScale[1] < trainScale[0]) {
                throw new IllegalArgumentException("--train-scale must be MIN,MAX with --size (" + c.size + ") <= MIN <= MAX");
            }
            int ep = epochs != null ? epochs : base.epochs();
            double warm = warmup != null ? warmup : base.warmupEpochs() * ep / base.epochs();   // the default's share of the run
            FineTune.Settings s = new FineTune.Settings(ep, batch != null ? batch : base.batch(),
                    lr != null ? lr : base.lr(), warm, sgd.momentum, sgd.weightDecay, c.frames,
                    c.stride, c.decodeShortSide, FineTune.spatialAugment(trainScale[0], trainScale[1], c.size, c.mean, c.std),
                    c.workers, c.seed);
            VideoDataset[] ds = c.datasets();
            VideoDataset train = fraction != null ? Subsets.perClass(ds[0], fraction, subsetSeed) : ds[0];
            TestProtocol testP = c.protocol();
            SlowResNet model = c.model(train.classes().size(), dropout);
            System.out.println("eval finetune: " + c.modelName() + "; train " + train + (fraction != null ? " (" + fraction
                    + " of each class of " + ds[0].size() + " videos)" : "") + ", test " + ds[1] + " (" + testP.describe() + ")");
            FineTune.Trained t = FineTune.train(model, train, s, LOG);
            if (saveModel != null) {
                org.iboot4j.nn.io.SafetensorsWriter.write(saveModel, model.stateDict(),
                        Map.of("format", "pytorchvideo slow_resnet (iboot4j eval finetune)", "classes", train.classes().toJson()));
            }
            Accuracy acc = FineTune.evaluate(model, ds[1], testP, LOG);
            Map<String, Object> r = c.header("finetune", ds[0], ds[1], testP);
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("epochs", s.epochs());
            settings.put("lr", s.lr());
            settings.put("warmup_epochs", s.warmupEpochs());
            settings.put("batch", s.batch());
            settings.put("momentum", s.momentum());
            settings.put("weight_decay", s.weightDecay());
            settings.put("dropout", (double) dropout);
            settings.put("train_scale", trainScale);
            settings.put("fraction", fraction);
            settings.put("subset_seed", fraction != null ? subsetSeed : null);
            r.put("settings", settings);
            r.put("finetune_videos", train.size());
            r.put("steps", t.steps());
            r.put("train_loss_first_epoch", t.firstLoss());
            r.put("train_loss_last_epoch", t.lastLoss());
            report(r, acc, ds[1], t0);
            finish(c, "finetune", r, acc);
            return 0;
        }
    }
}
