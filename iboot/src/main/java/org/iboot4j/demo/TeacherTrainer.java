package org.iboot4j.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.AugmentConfig;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.data.augment.ClipAugmenter;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.iboot4j.data.video.VideoReader;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.nn.models.vit.VisionTransformer;
import org.iboot4j.nn.models.vit.VitConfig;
import org.iboot4j.nn.optim.Sgd;
import org.iboot4j.nn.optim.WarmupCosineSchedule;

/**
 * Trains the demo's image teacher: a tiny ViT that looks at ONE frame of a synthetic video and
 * outputs the {@link FrameAttributes#embedding embedding} of the object's position, size and
 * orientation in it, which {@link ObjectMasks} and {@link FrameAttributes} measure from the
 * pixels. Large pretrained image models (CLIP, DINO) cannot be downloaded here; this one is
 * made from the bundled data by the project itself ({@code iboot demo train-teacher}) and
 * shipped in {@code test-data/teacher/}.
 *
 * <p>The model ({@link #architecture()}): DINO/timm layout, 64 x 64 input, 8 x 8 patches (64
 * tokens + [CLS]), width 64, 3 blocks of 4 heads, MLP 128, final LayerNorm and a bias-free
 * projection of [CLS] to the {@value FrameAttributes#DIM}-number embedding; ImageNet input
 * normalisation. Its output — what iBoot regresses — is the embedding itself, so the teacher
 * carries the object's geometry and (being trained across six colours, random background
 * gradients and colour augmentation) not its colour.
 *
 * <p>Training: frames of the train videos, each with the pre-training augmentation (random
 * resize of the short side to [64, 80] and 64 crop, flip, colour jitter, grayscale, blur); the
 * target is measured on the SAME geometric transform of the object's mask (so a crop that cuts
 * the object gives the attributes of what is left). Loss: squared error summed over the
 * embedding, averaged over the batch; SGD with Nesterov momentum 0.9, weight decay 1e-4, linear
 * warm-up over the first 5% of the steps then cosine decay.
 */
public final class TeacherTrainer {
    /** The side of the teacher's input (the synthetic videos are 64 x 64). */
    public static final int IMAGE = 64;

    private TeacherTrainer() {}

    /** The teacher's shape (see the class comment). */
    public static VitConfig architecture() {
        return VitConfig.dinoB16().toBuilder().imageSize(IMAGE).patchSize(8).width(64).depth(3).heads(4).mlpDim(128)
                .projectionDim(FrameAttributes.DIM).build();
    }

    /** Attention heads of {@link #architecture()} (checkpoints do not record it: configs set VIT_HEADS). */
    public static final int HEADS = 4;

    /**
     * @param steps          optimiser steps
     * @param batch          frames per step
     * @param lr             peak learning rate
     * @param warmupFraction fraction of the steps spent warming up
     * @param weightDecay    L2 weight decay
     * @param seed           initialisation and sampling seed
     * @param augment        the frame augmentation (its normalisation is replaced by ImageNet's)
     */
    public record Settings(int steps, int batch, double lr, double warmupFraction, double weightDecay, long seed,
            AugmentConfig augment) {
        /** The shipped teacher's settings. */
        public static Settings defaults() {
            return new Settings(1500, 64, 0.05, 0.05, 1e-4, 0, demoAugment());
        }

        public Settings withSteps(int n) {
            return new Settings(n, batch, lr, warmupFraction, weightDecay, seed, augment);
        }
    }

    /** The demo's pre-training augmentation (as iboot/configs/demo.yaml): short side [64, 80], 64 crop, the paper's colour ops. */
    public static AugmentConfig demoAugment() {
        return AugmentConfig.iboot().withGeometry(IMAGE, 80, IMAGE)
                .withNormalization(Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
    }

    /** What training produced. */
    public record Result(VisionTransformer model, double firstLoss, double lastLoss, double heldOutLoss, int trainFrames,
            double seconds) {}

    /** Every frame of some videos, decoded, with its object mask. */
    static final class FrameBank {
        final List<Frames> videos = new ArrayList<>();
        final List<float[]> masks = new ArrayList<>();
        final List<Integer> firstFrame = new ArrayList<>();
        int frames;

        static FrameBank load(VideoDataset ds, Consumer<String> log) throws IOException {
            FrameBank bank = new FrameBank();
            for (VideoSample s : ds.samples()) {
                try (VideoReader r = VideoReader.open(s.path())) {
                    int n = (int) Math.floor(r.duration() * VideoReader.CLIP_FPS + 1e-6);
                    Frames f = r.readClip(0, Math.max(1, n), 1, 0);
                    if (f.height() != IMAGE || f.width() != IMAGE) {
                        throw new IOException(s.path() + " is " + f.width() + "x" + f.height() + ", the demo teacher takes "
                                + IMAGE + "x" + IMAGE + " videos (the synthetic dataset's size)");
                    }
                    bank.firstFrame.add(bank.frames);
                    bank.videos.add(f);
                    bank.masks.add(ObjectMasks.masks(f));
                    bank.frames += f.frames();
                }
            }
            if (log != null) log.accept("teacher data: " + bank.frames + " frames of " + bank.videos.size() + " videos");
            return bank;
        }

        /** Frame {@code t} of video {@code v} as a one-frame clip. */
        Frames frame(int v, int t) {
            Frames f = videos.get(v);
            int bytes = f.height() * f.width() * 3;
            byte[] one = new byte[bytes];
            System.arraycopy(f.rgb(), t * bytes, one, 0, bytes);
            return new Frames(1, f.height(), f.width(), one);
        }

        /** (video, frame) of global frame index {@code i}. */
        int[] locate(int i) {
            int v = 0;
            while (v + 1 < videos.size() && firstFrame.get(v + 1) <= i) v++;
            return new int[] {v, i - firstFrame.get(v)};
        }
    }

    /**
     * The object's mask as the augmented frame sees it: the same resize, crop and flip as
     * {@link ClipAugmenter} applies to the pixels, sampled bilinearly (align_corners = False).
     */
    static float[] transformMask(float[] mask, int offset, int h, int w, ClipAugmentation aug) {
        int ch = aug.cropHeight(), cw = aug.cropWidth();
        double sy = (double) h / aug.resizedHeight(), sx = (double) w / aug.resizedWidth();
        float[] out = new float[ch * cw];
        for (int r = 0; r < ch; r++) {
            double y = Math.clamp((r + aug.cropTop() + 0.5) * sy - 0.5, 0, h - 1);
            int y0 = (int) y, y1 = Math.min(y0 + 1, h - 1);
            double fy = y - y0;
            for (int c = 0; c < cw; c++) {
                int cc = aug.flip() ? cw - 1 - c : c;
                double x = Math.clamp((cc + aug.cropLeft() + 0.5) * sx - 0.5, 0, w - 1);
                int x0 = (int) x, x1 = Math.min(x0 + 1, w - 1);
                double fx = x - x0;
                double top = mask[offset + y0 * w + x0] * (1 - fx) + mask[offset + y0 * w + x1] * fx;
                double bottom = mask[offset + y1 * w + x0] * (1 - fx) + mask[offset + y1 * w + x1] * fx;
                out[r * cw + c] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    /** A batch: images (B, 3, 64, 64) and targets (B, DIM). */
    record Batch(Tensor images, Tensor targets) {}

    static Batch batch(FrameBank bank, int[] frameIndices, ClipAugmentation[] augs) {
        int b = frameIndices.length, px = 3 * IMAGE * IMAGE, hw = IMAGE * IMAGE;
        float[] images = new float[b * px], targets = new float[b * FrameAttributes.DIM];
        for (int i = 0; i < b; i++) {
            int[] vt = bank.locate(frameIndices[i]);
            Frames one = bank.frame(vt[0], vt[1]);
            ClipAugmenter.applyInto(one, augs[i], images, i * px);
            float[] m = transformMask(bank.masks.get(vt[0]), vt[1] * hw, IMAGE, IMAGE, augs[i]);
            float[] e = FrameAttributes.of(m, 0, IMAGE, IMAGE).embedding(IMAGE);
            System.arraycopy(e, 0, targets, i * FrameAttributes.DIM, FrameAttributes.DIM);
        }
        return new Batch(Tensor.of(images, b, 3, IMAGE, IMAGE), Tensor.of(targets, b, FrameAttributes.DIM));
    }

    /** Squared error summed over the embedding, mean over the batch. */
    static Tensor loss(Tensor out, Tensor target) {
        Tensor d = out.sub(target);
        return d.mul(d).sum().div(out.size(0));
    }

    /**
     * Trains a teacher on the frames of {@code train}; reports the loss on every 5th frame of
     * {@code heldOut} (centre view, no augmentation; may be null) at the end.
     */
    public static Result train(VideoDataset train, VideoDataset heldOut, Settings s, Consumer<String> log) throws IOException {
        long t0 = System.nanoTime();
        FrameBank bank = FrameBank.load(train, log);
        Rng rng = new Rng(s.seed());
        VisionTransformer vit = new VisionTransformer(architecture(), rng);
        vit.train(true);
        Sgd opt = Sgd.sgd(vit.namedParameters(), 0f, 0.9f, (float) s.weightDecay(), true);
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(s.lr(), 0, 0, s.warmupFraction() * s.steps(), s.steps());
        AugmentConfig aug = s.augment().withNormalization(Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
        double first = Double.NaN, recent = 0;
        int recentCount = 0;
        int logEvery = Math.max(1, s.steps() / 30);
        for (int step = 0; step < s.steps(); step++) {
            int[] idx = new int[s.batch()];
            ClipAugmentation[] augs = new ClipAugmentation[s.batch()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = rng.nextInt(bank.frames);
                augs[i] = ClipAugmentation.draw(aug, rng, IMAGE, IMAGE);
            }
            Batch b = batch(bank, idx, augs);
            opt.setLr((float) schedule.lr(step));
            opt.zeroGrad();
            Tensor l = loss(vit.forward(b.images()), b.targets());
            l.backward();
            opt.step();
            double v = l.item();
            if (!Double.isFinite(v)) throw new IllegalStateException("teacher loss is " + v + " at step " + step + "; lower the learning rate");
            if (step == 0) first = v;
            recent += v;
            recentCount++;
            if (log != null && ((step + 1) % logEvery == 0 || step + 1 == s.steps())) {
                double sec = (System.nanoTime() - t0) * 1e-9;
                log.accept(String.format(Locale.ROOT, "teacher step %5d/%d  loss %.4f  lr %.4f  %.0f s", step + 1, s.steps(),
                        recent / recentCount, schedule.lr(step), sec));
                recent = 0;
                recentCount = 0;
            }
        }
        double last = heldOutLoss(vit, bank, 1);
        double held = heldOut == null ? Double.NaN : heldOutLoss(vit, FrameBank.load(heldOut, null), 5);
        vit.eval();
        vit.requiresGrad(false);
        double sec = (System.nanoTime() - t0) * 1e-9;
        if (log != null) {
            log.accept(String.format(Locale.ROOT, "teacher: loss %.4f at the start, %.4f on the train frames (centre view), %.4f on"
                    + " held-out frames; %.0f s", first, last, held, sec));
        }
        return new Result(vit, first, last, held, bank.frames, sec);
    }

    /** Mean loss over every {@code every}-th frame of a bank, centre view without augmentation. */
    static double heldOutLoss(VisionTransformer vit, FrameBank bank, int every) {
        boolean was = vit.isTraining();
        vit.eval();
        double sum = 0;
        int n = 0;
        try (var ignored = GradMode.disable()) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < bank.frames; i += every) all.add(i);
            for (int from = 0; from < all.size(); from += 128) {
                int b = Math.min(128, all.size() - from);
                int[] idx = new int[b];
                ClipAugmentation[] augs = new ClipAugmentation[b];
                for (int i = 0; i < b; i++) {
                    idx[i] = all.get(from + i);
                    augs[i] = ClipAugmentation.testView(IMAGE, IMAGE, IMAGE, 1, Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
                }
                Batch batch = batch(bank, idx, augs);
                sum += loss(vit.forward(batch.images()), batch.targets()).item() * b;
                n += b;
            }
        } finally {
            vit.train(was);
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Writes the teacher in DINO/timm naming (what {@code Encoder.load(VIT, ...)} and iBoot's TEACHERS read). */
    public static void save(VisionTransformer vit, Path file, Map<String, String> metadata) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "timm vit (iboot4j demo teacher)");
        meta.put("architecture", vit.config().toString());
        meta.put("heads", Integer.toString(vit.config().heads()));
        meta.put("output", "FrameAttributes embedding: " + FrameAttributes.POSITION_BINS + " x bumps, " + FrameAttributes.POSITION_BINS
                + " y bumps, " + FrameAttributes.SIZE_BINS + " log-size bumps, " + FrameAttributes.ANGLE_BINS + " orientation bumps");
        meta.put("normalization", "imagenet");
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        SafetensorsWriter.write(tmp, vit.stateDict(), meta);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
