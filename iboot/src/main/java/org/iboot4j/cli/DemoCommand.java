package org.iboot4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.demo.DemoData;
import org.iboot4j.demo.IBootDemo;
import org.iboot4j.demo.SpiralDemo;
import org.iboot4j.demo.TeacherTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code iboot demo}: the main job end to end on the CPU — iBoot pre-training on the bundled
 * synthetic motion dataset with the shipped small image teacher, then k-NN of the pre-trained
 * encoder next to the same network at random initialisation. {@code iboot demo train-teacher}
 * makes that teacher; {@code iboot demo spiral} is the engine's original smoke demo.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"End-to-end iBoot demo on the bundled synthetic action dataset (CPU, a few minutes):"
                + " pre-train a small Slow ResNet against the shipped image teacher, then print the k-NN accuracy of"
                + " the iBoot encoder next to a randomly initialised one.",
                "Run from the repository (or pass -Diboot.root=DIR in IBOOT_JAVA_OPTS)."},
        subcommands = {DemoCommand.TrainTeacher.class, DemoCommand.Spiral.class})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Demo configuration, relative to the repository (default: ${DEFAULT-VALUE}).")
    Path config = Path.of("iboot/configs/demo.yaml");

    @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/demo");

    @Option(names = "--epochs", description = "Pre-training epochs (default: the configuration's MAX_EPOCH).")
    double epochs;

    @Option(names = "--test-clips", description = "Clips per video for the k-NN features (default: ${DEFAULT-VALUE}).")
    int testClips = 5;

    @Option(names = "--with-byol", description = "Also pre-train rho-BYOL (no teacher) with the same budget and compare.")
    boolean withByol;

    @Option(names = "--no-teacher", description = "Do not report the image teacher's own k-NN accuracy.")
    boolean noTeacher;

    @Override
    public Integer call() throws Exception {
        Path root = DemoData.root();
        IBootDemo.Settings s = new IBootDemo.Settings(config, out, epochs, testClips, withByol, !noTeacher);
        IBootDemo.run(root, s, System.out);
        return 0;
    }

    @Command(name = "train-teacher", mixinStandardHelpOptions = true,
            description = {"Train the demo's image teacher: a tiny 2-d ResNet that predicts the position, size and orientation of the"
                    + " object in one frame (measured from the pixels), on frames of the 40 train videos of"
                    + " test-data/synthetic; writes test-data/teacher/" + DemoData.TEACHER_FILE + " and the split lists."})
    static final class TrainTeacher implements Callable<Integer> {
        @Option(names = "--steps", description = "Optimiser steps (default: ${DEFAULT-VALUE}).")
        int steps = TeacherTrainer.Settings.defaults().steps();

        @Option(names = "--out", description = "Teacher file (default: test-data/teacher/" + DemoData.TEACHER_FILE + ").")
        Path out;

        @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() throws Exception {
            Path root = DemoData.root();
            Path dir = DemoData.teacherDir(root);
            Path file = out != null ? out : dir.resolve(DemoData.TEACHER_FILE);
            VideoDataset all = DemoData.all(root);
            VideoDataset train = DemoData.split(all, false), test = DemoData.split(all, true);
            DemoData.writeList(train, DemoData.syntheticDir(root), dir.resolve(DemoData.TRAIN_LIST));
            DemoData.writeList(test, DemoData.syntheticDir(root), dir.resolve(DemoData.TEST_LIST));
            TeacherTrainer.Settings d = TeacherTrainer.Settings.defaults();
            TeacherTrainer.Settings s = new TeacherTrainer.Settings(steps, d.batch(), d.lr(), d.warmupFraction(), d.weightDecay(), seed,
                    d.augment());
            System.out.printf(Locale.ROOT, "iboot demo train-teacher: %s, %d steps of %d frames, on the %d train videos%n",
                    TeacherTrainer.architecture(), s.steps(), s.batch(), train.size());
            TeacherTrainer.Result r = TeacherTrainer.train(train, test, s, System.out::println);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("command", "bin/iboot demo train-teacher --steps " + steps + " --seed " + seed);
            meta.put("steps", Integer.toString(steps));
            meta.put("seed", Long.toString(seed));
            meta.put("train_frames", Integer.toString(r.trainFrames()));
            meta.put("loss_train_centre_view", String.format(Locale.ROOT, "%.4f", r.lastLoss()));
            meta.put("loss_held_out", String.format(Locale.ROOT, "%.4f", r.heldOutLoss()));
            meta.put("train_list", DemoData.TRAIN_LIST);
            TeacherTrainer.save(r.model(), file, meta, r.centre());
            System.out.println("wrote " + file);
            return 0;
        }
    }

    @Command(name = "spiral", mixinStandardHelpOptions = true,
            description = "The engine smoke demo: a two-hidden-layer MLP on a synthetic 3-class spiral, printing the loss"
                    + " and accuracy as it learns (tensors, autograd and the CPU backend end to end, in a second).")
    static final class Spiral implements Callable<Integer> {
        @Option(names = "--steps", description = "Training steps (default: ${DEFAULT-VALUE}).")
        int steps = 600;

        @Option(names = "--hidden", description = "Width of each hidden layer (default: ${DEFAULT-VALUE}).")
        int hidden = 64;

        @Option(names = "--lr", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
        float lr = 0.5f;

        @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
        long seed = 0;

        @Override
        public Integer call() {
            SpiralDemo.Result r = new SpiralDemo(hidden, lr, seed).train(steps, 50, System.out::println);
            System.out.printf("loss %.4f -> %.4f, training accuracy %.1f%%%n", r.firstLoss(), r.lastLoss(), 100 * r.accuracy());
            return r.lastLoss() < r.firstLoss() ? 0 : 1;
        }
    }
}
