package org.iboot4j.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.optim.Sgd;
import org.iboot4j.nn.optim.WarmupCosineSchedule;

/**
 * The pre-training loop: iBoot (or rho-BYOL) steps with LARS, the warm-up + cosine schedule,
 * gradient accumulation, atomic checkpoints, exact resumption, progress, metrics and curves.
 *
 * <p>One optimiser step:
 * <ol>
 *   <li>lr = schedule(step / ITERS_PER_EPOCH) (PySlowFast's fractional epoch); with the SSL term,
 *       the EMA target update with the momentum of that epoch (before the forward, as PySlowFast);
 *   <li>K = ACCUMULATION_STEPS micro-batches of BATCH_SIZE / K videos: forward, loss / K,
 *       backward — gradients add up over the K passes;
 *   <li>one LARS step (trust 0.001, momentum 0.9, weight decay 1e-6; 1-d weights — biases and
 *       batch-norm — neither adapted nor decayed) on the online encoder, the W heads and the BYOL
 *       projector and predictor. Teachers and the EMA target are not in the optimiser and have
 *       no gradients.
 * </ol>
 * Batch-norm runs in training mode (batch statistics) in the online network, so with K > 1 each
 * micro-batch is normalised with its own statistics — as data-parallel training without
 * synchronised batch-norm does — and the running statistics are updated K times per step: the
 * accumulated gradient equals the big batch's only up to these batch-statistics differences
 * (exactly, up to rounding, where batch-norm uses fixed statistics).
 *
 * <p>Resumption is exact on the CPU backend: the weights (with batch-norm buffers and the EMA
 * target), the momentum buffers, the step, the data position and the configuration are saved;
 * the learning rate and EMA momentum are functions of the step; the CPU kernels are
 * deterministic. Running S steps, or S1 steps, a checkpoint, a restart and S - S1 more, gives
 * bit-identical weights.
 *
 * <p>Mixed precision: not available. The CPU backend computes in float32 only and no backend of
 * this build offers a reduced-precision training path, so {@code TRAIN.MIXED_PRECISION: true}
 * is rejected with an error naming the backend.
 */
public final class Pretrainer implements AutoCloseable {
    private final PretrainConfig cfg;
    private final IBootModel model;
    private final ClipBatches data;
    private final Path out;
    private final Sgd optimizer;
    private final WarmupCosineSchedule schedule;
    private final int itersPerEpoch;
    private final long totalSteps;
    private final Progress progress;
    private final ArrayDeque<double[]> recent = new ArrayDeque<>();   // (seconds, clips) of recent steps
    private long step;
    private boolean started;
    private MetricsLog metrics;
    private double lastLoss = Double.NaN;
    private double runSeconds;

    /**
     * A trainer writing to {@code out} and reporting to {@code console} (a carriage-return bar when
     * {@code terminal}, else a line every LOG_PERIOD steps).
     */
    public Pretrainer(PretrainConfig cfg, IBootModel model, ClipBatches data, Path out, PrintStream console, boolean terminal) {
        checkMixedPrecision(cfg);
        if (model.config() != cfg) throw new IllegalArgumentException("the model was built for another configuration");
        if (data.clipsPerVideo() != cfg.clipsPerVideo()) {
            throw new IllegalArgumentException("the data gives " + data.clipsPerVideo() + " clips per video, the configuration needs "
                    + cfg.clipsPerVideo() + " " + cfg.clipNames());
        }
        if (data.batchSize() != cfg.microBatch()) {
            throw new IllegalArgumentException("the data gives micro-batches of " + data.batchSize() + " videos, the configuration "
                    + cfg.microBatch() + " (TRAIN.BATCH_SIZE / ACCUMULATION_STEPS)");
        }
        this.cfg = cfg;
        this.model = model;
        this.data = data;
        this.out = out;
        PretrainConfig.Solver s = cfg.solver();
        this.schedule = new WarmupCosineSchedule(cfg.scaledLr(), s.cosineEndLr(), s.warmupStartLr(), s.warmupEpochs(), s.maxEpoch());
        float lr0 = (float) schedule.lr(0);
        Map<String, Tensor> params = model.trainableParameters();
        this.optimizer = s.optimizer() == PretrainConfig.Optimizer.LARS
                ? Sgd.lars(params, lr0, (float) s.momentum(), (float) s.weightDecay(), (float) s.larsTrust())
                : Sgd.sgd(params, lr0, (float) s.momentum(), (float) s.weightDecay(), s.nesterov());
        int iters = cfg.train().itersPerEpoch();
        this.itersPerEpoch = iters > 0 ? iters : data.stepsPerEpoch() > 0 ? data.stepsPerEpoch() : 1;
        this.totalSteps = cfg.train().maxSteps() > 0 ? cfg.train().maxSteps() : (long) Math.ceil(s.maxEpoch() * itersPerEpoch);
        this.progress = new Progress(console, terminal, cfg.train().logPeriod());
    }

    /**
     * Everything {@code iboot pretrain} does, for programs (the demo, scripts): loads the
     * teachers the configuration names, builds the model, opens the data (the video loader, or
     * the batch in {@code fixedBatch} when not null), starts or resumes the run in {@code out}
     * and trains until step {@code steps} (0: the whole schedule). Returns the model, trained.
     */
    public static IBootModel pretrain(PretrainConfig cfg, Path out, boolean resume, Path fixedBatch, long steps,
            PrintStream console, boolean terminal) throws IOException {
        checkMixedPrecision(cfg);   // before loading any weights
        IBootModel model = IBootModel.create(cfg, Teacher.loadAll(cfg));
        ClipBatches data = fixedBatch != null ? FixedBatch.read(fixedBatch, cfg) : LoaderBatches.open(cfg);
        try (Pretrainer trainer = new Pretrainer(cfg, model, data, out, console, terminal)) {
            if (resume) trainer.resume();
            else trainer.start();
            trainer.run(steps);
        }
        return model;
    }

    /** Rejects TRAIN.MIXED_PRECISION: true: no backend here trains in reduced precision. */
    public static void checkMixedPrecision(PretrainConfig cfg) {
        if (cfg.train().mixedPrecision()) {
            throw new IllegalArgumentException(cfg.source() + ": TRAIN.MIXED_PRECISION: true, but mixed precision is not available"
                    + " on the '" + Backends.current().name() + "' backend (it computes in float32 only; no backend of this"
                    + " build implements reduced-precision training). Set it to false.");
        }
    }

    public long step() {
        return step;
    }

    /** Steps in the whole schedule: TRAIN.MAX_STEPS, or MAX_EPOCH x ITERS_PER_EPOCH. */
    public long totalSteps() {
        return totalSteps;
    }

    public int itersPerEpoch() {
        return itersPerEpoch;
    }

    public IBootModel model() {
        return model;
    }

    public Sgd optimizer() {
        return optimizer;
    }

    /** The total loss of the last step (mean over its micro-batches). */
    public double lastLoss() {
        return lastLoss;
    }

    /** The learning rate of step {@code s}. */
    public double lrAt(long s) {
        return schedule.lr((double) s / itersPerEpoch);
    }

    // ---- starting ------------------------------------------------------------------------------

    /** Starts a fresh run in OUT; refuses a folder that already holds one (use {@link #resume}). */
    public void start() throws IOException {
        if (started) throw new IllegalStateException("already started");
        Files.createDirectories(out);
        Path state = out.resolve(PretrainCheckpoint.STATE_FILE);
        if (Files.exists(state)) {
            throw new IllegalArgumentException(out + " already holds a run (" + PretrainCheckpoint.STATE_FILE
                    + "); continue it with --resume, or choose another --out");
        }
        metrics = MetricsLog.open(out.resolve(PretrainCheckpoint.METRICS_FILE), -1);
        started = true;
        progress.message(header());
    }

    /**
     * Continues the run in OUT from its last checkpoint: weights, optimiser state, step and data
     * position are restored; the configuration must be the checkpoint's (up to
     * {@link PretrainConfig#RESUMABLE_CHANGES}).
     */
    @SuppressWarnings("unchecked")
    public void resume() throws IOException {
        if (started) throw new IllegalStateException("already started");
        Path statePath = out.resolve(PretrainCheckpoint.STATE_FILE);
        if (!Files.exists(statePath)) {
            throw new IllegalArgumentException("--resume: " + out + " holds no " + PretrainCheckpoint.STATE_FILE + "; nothing to resume");
        }
        Map<String, Object> state = JsonText.readObject(statePath);
        if (!PretrainCheckpoint.FORMAT.equals(state.get("format"))) {
            throw new IllegalArgumentException(statePath + ": not a trainer state of format " + PretrainCheckpoint.FORMAT);
        }
        List<String> diffs = cfg.differencesFrom((Map<String, Object>) state.get("config"));
        if (!diffs.isEmpty()) {
            throw new IllegalArgumentException("--resume: the configuration differs from the checkpoint's in "
                    + String.join("; ", diffs) + " (only " + new java.util.TreeSet<>(PretrainConfig.RESUMABLE_CHANGES)
                    + " may change)");
        }
        if (((Number) state.get("iters_per_epoch")).intValue() != itersPerEpoch) {
            throw new IllegalArgumentException("--resume: " + itersPerEpoch + " steps per epoch now, "
                    + state.get("iters_per_epoch") + " in the checkpoint (has the dataset changed?)");
        }
        model.loadStateDict(Checkpoints.read(out.resolve((String) state.get("weights"))));
        Map<String, Tensor> momentum = new LinkedHashMap<>();
        Checkpoints.read(out.resolve((String) state.get("optimizer"))).forEach((k, v) -> {
            if (k.startsWith(PretrainCheckpoint.MOMENTUM_PREFIX)) momentum.put(k.substring(PretrainCheckpoint.MOMENTUM_PREFIX.length()), v);
        });
        optimizer.loadState(momentum);
        data.restore((Map<String, Object>) state.get("data"));
        step = ((Number) state.get("step")).longValue();
        runSeconds = ((Number) state.getOrDefault("run_seconds", 0.0)).doubleValue();
        metrics = MetricsLog.open(out.resolve(PretrainCheckpoint.METRICS_FILE), step);
        started = true;
        progress.message(header() + "\nresumed at step " + step + " from " + state.get("weights"));
    }

    private String header() {
        String teachers = model.teachers().stream().map(t -> t.name() + " (" + t.encoder().kind().name().toLowerCase(Locale.ROOT)
                + ", D=" + t.dim() + ")").toList().toString();
        return String.format(Locale.ROOT, "iboot pretrain: %s%s, online %s (%,d parameters), batch %d = %d x %d, lr %.4g"
                        + " (LARS %s), %d steps (%d per epoch), out %s, backend %s",
                cfg.method().name().toLowerCase(Locale.ROOT),
                cfg.method() == PretrainConfig.Method.IBOOT ? " with " + teachers : "",
                cfg.model().arch().name().toLowerCase(Locale.ROOT), model.online().parameterCount(), cfg.train().batchSize(),
                cfg.train().accumulationSteps(), cfg.microBatch(), cfg.scaledLr(),
                cfg.solver().optimizer() == PretrainConfig.Optimizer.LARS ? "on" : "off", totalSteps, itersPerEpoch, out,
                Backends.current().name());
    }

    // ---- training ------------------------------------------------------------------------------

    /**
     * Trains until step {@code untilStep} (0: the end of the schedule), writing a checkpoint every
     * CHECKPOINT_PERIOD steps and at the end, then the curves. Starts a fresh run if neither
     * {@link #start} nor {@link #resume} was called. Returns the step reached.
     */
    public long run(long untilStep) throws IOException {
        if (!started) start();
        long until = untilStep > 0 ? untilStep : totalSteps;
        if (until > totalSteps) {
            throw new IllegalArgumentException("cannot train to step " + until + ": the schedule has " + totalSteps
                    + " steps (MAX_EPOCH x ITERS_PER_EPOCH, or TRAIN.MAX_STEPS)");
        }
        while (step < until) {
            long t0 = System.nanoTime();
            Map<String, Double> losses = trainStep();
            double seconds = (System.nanoTime() - t0) * 1e-9;
            runSeconds += seconds;
            record(seconds, losses, until);
            if (step % cfg.train().checkpointPeriod() == 0 || step == until) writeCheckpoint();
        }
        plot();
        return step;
    }

    /**
     * One optimiser step over K micro-batches; the loss terms averaged over them. The step's
     * batches, activations and temporaries are released at its end (parameters, momentum and
     * running statistics are updated in place; the gradients are kept), so the next step reuses
     * their memory.
     */
    Map<String, Double> trainStep() {
        double epochExact = (double) step / itersPerEpoch;
        optimizer.setLr((float) schedule.lr(epochExact));
        Map<String, Double> sums = new LinkedHashMap<>();
        try (TensorScope scope = TensorScope.open()) {
            Byol byol = model.byol();
            if (byol != null) {
                PretrainConfig.Ssl s = cfg.ssl();
                byol.updateTarget(model.online(), Byol.momentum(s.momentum(), s.momentumAnnealing(), epochExact, cfg.solver().maxEpoch()));
            }
            optimizer.zeroGrad();
            int k = cfg.train().accumulationSteps();
            for (int i = 0; i < k; i++) {
                IBootModel.Loss loss = model.loss(data.next(), data.normalization());
                double value = loss.total().item();
                if (!Double.isFinite(value)) {
                    throw new IllegalStateException("the loss is " + value + " at step " + step + " (micro-batch " + i
                            + "); lower SOLVER.BASE_LR or check the data");
                }
                (k == 1 ? loss.total() : loss.total().div(k)).backward();
                sums.merge("loss", value / k, Double::sum);
                loss.terms().forEach((name, t) -> sums.merge("loss." + name, (double) t.item() / k, Double::sum));
            }
            optimizer.step();
            // the gradients stay readable after the step, as in PyTorch (the next step drops them)
            model.trainableParameters().values().forEach(scope::keep);
        }
        step++;
        lastLoss = sums.get("loss");
        return sums;
    }

    private void record(double seconds, Map<String, Double> losses, long until) throws IOException {
        double clips = (double) cfg.train().batchSize() * cfg.clipsPerVideo();
        recent.addLast(new double[] {seconds, clips});
        if (recent.size() > 20) recent.removeFirst();
        double sec = 0, n = 0;
        for (double[] r : recent) {
            sec += r[0];
            n += r[1];
        }
        double clipsPerSecond = sec > 0 ? n / sec : 0, stepSeconds = sec / recent.size();
        long done = step;
        int epoch = (int) ((done - 1) / itersPerEpoch);
        double lr = lrAt(done - 1);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", done);
        row.put("epoch", (long) epoch);
        row.put("epoch_exact", (double) (done - 1) / itersPerEpoch);
        row.put("lr", lr);
        losses.forEach(row::put);
        row.put("clips_per_s", clipsPerSecond);
        row.put("skipped_videos", data.skippedVideos());
        row.put("time_s", runSeconds);
        metrics.append(row);
        progress.update(done, until, epoch, losses.get("loss"), lr, clipsPerSecond, (until - done) * stepSeconds);
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    /** Writes the checkpoint of the current step (see {@link PretrainCheckpoint} for the files). */
    public void writeCheckpoint() throws IOException {
        String[] files = PretrainCheckpoint.stepFiles(step);
        Files.createDirectories(out.resolve(PretrainCheckpoint.CHECKPOINT_DIR));
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", PretrainCheckpoint.FORMAT)
                .metadata("step", Long.toString(step)).metadata("method", cfg.method().name().toLowerCase(Locale.ROOT));
        model.stateDict().forEach(weights::add);
        weights.write(out.resolve(files[0]));
        SafetensorsWriter optim = new SafetensorsWriter().metadata("format", PretrainCheckpoint.FORMAT)
                .metadata("step", Long.toString(step));
        optimizer.state().forEach((k, v) -> optim.add(PretrainCheckpoint.MOMENTUM_PREFIX + k, v));
        optim.write(out.resolve(files[1]));

        Map<String, Object> state = new LinkedHashMap<>();
        state.put("format", PretrainCheckpoint.FORMAT);
        state.put("step", step);
        state.put("epoch", step / itersPerEpoch);
        state.put("epoch_exact", (double) step / itersPerEpoch);
        state.put("iters_per_epoch", (long) itersPerEpoch);
        state.put("total_steps", totalSteps);
        state.put("lr_next", lrAt(step));
        state.put("weights", files[0]);
        state.put("optimizer", files[1]);
        state.put("optimizer_kind", cfg.solver().optimizer().name().toLowerCase(Locale.ROOT));
        // the RNG states: the weights' initial draw (TRAIN.SEED) and the data's position; the
        // loader's random streams are pure functions of (its seed, epoch, sample), so its seed,
        // epoch and batch are its whole state
        state.put("rng", Map.of("init_seed", cfg.train().seed()));
        state.put("data", data.state());
        state.put("skipped_videos", data.skippedVideos());
        state.put("run_seconds", runSeconds);
        state.put("backend", Backends.current().name());
        state.put("written", Instant.now().toString());
        state.put("config_file", cfg.source());
        state.put("config", cfg.canonical());
        JsonText.writeAtomically(out.resolve(PretrainCheckpoint.STATE_FILE), JsonText.pretty(state));   // the commit point

        SafetensorsWriter.write(out.resolve(PretrainCheckpoint.ENCODER_FILE), model.online().stateDict(),
                Map.of("format", "pytorchvideo slow_resnet (iboot4j pretrain)", "step", Long.toString(step)));
        deleteOlderSteps(files);
    }

    private void deleteOlderSteps(String[] keep) throws IOException {
        Path dir = out.resolve(PretrainCheckpoint.CHECKPOINT_DIR);
        java.util.Set<Path> kept = java.util.Set.of(out.resolve(keep[0]).normalize(), out.resolve(keep[1]).normalize());
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                boolean older = name.startsWith("step-") && name.endsWith(".safetensors") && !kept.contains(p.normalize());
                boolean leftover = name.startsWith(".step-") && name.endsWith(".tmp");   // a write cut short by a kill
                if (older || leftover) Files.deleteIfExists(p);
            }
        }
    }

    private void plot() throws IOException {
        Path file = out.resolve(PretrainCheckpoint.METRICS_FILE);
        if (!Files.exists(file)) return;
        CurvePlot.write(out.resolve(PretrainCheckpoint.PLOT_FILE), MetricsLog.read(file),
                "iboot pretrain (" + cfg.method().name().toLowerCase(Locale.ROOT) + "): " + Path.of(cfg.source()).getFileName());
        progress.message("done: step " + step + ", loss " + String.format(Locale.ROOT, "%.4f", lastLoss) + "; weights in "
                + out.resolve(PretrainCheckpoint.ENCODER_FILE) + ", curves in " + out.resolve(PretrainCheckpoint.PLOT_FILE));
    }

    @Override
    public void close() throws IOException {
        if (metrics != null) metrics.close();
        data.close();
    }
}
