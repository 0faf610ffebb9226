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
import org.iboot4j.engine.TensorScope;
import org.iboot4j.nn.io.SafetensorsWriter;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.nn.models.resnet.ResNet2d;
import org.iboot4j.nn.optim.WarmupCosineSchedule;

/**
 * Trains the demo's image teacher: a tiny 2-d ResNet that looks at ONE frame of a synthetic
 * video and predicts the {@link FrameAttributes#embedding embedding} of the object's position,
 * size and orientation in it, which {@link ObjectMasks} and {@link FrameAttributes} measure from
 * the pixels. Large pretrained image models (CLIP, DINO) cannot be downloaded here; this one is
 * made from the bundled data by the project itself ({@code iboot demo train-teacher}) and
 * shipped in {@code test-data/teacher/}.
 *
 * <p>The model ({@link #architecture()}): torchvision's ResNet layout (so iBoot loads it as a
 * {@code KIND: resnet} teacher) with one bottleneck per layer and base width 16 — 512 pooled
 * features — and an fc from them to the {@value FrameAttributes#DIM}-number embedding, minus
 * the embedding's mean over the train frames (a centred target); ImageNet input normalisation;
 * about 0.5 M parameters. As an iBoot teacher only the backbone is used: its pooled features,
 * which the training made carry the object's geometry linearly (the fc reads it from them) and,
 * being trained across six colours, random background gradients, copy-paste composites and
 * colour augmentation, not much of its colour. (A tiny ViT of the same cost — 8 x 8 patches,
 * width 64, 3 blocks — was tried first: in 1500 steps it either stayed at the mean prediction
 * or, with mild augmentation, learned the 40 train videos by heart and failed on others; the
 * convolutional prior finds the object from the first hundred steps.)
 *
 * <p>Training: frames of the train videos, each varied ({@link Variation}: half of them
 * composited over another video's background at a random place, colour channels permuted,
 * transposed, flipped) and augmented ({@link #demoAugment()}: random resize of the short side to
 * [64, 88] and 64 crop, flip, colour jitter, grayscale, blur); the target is measured on the
 * SAME geometric transform of the object's mask (so a crop that cuts the object gives the
 * attributes of what is left). Loss: squared error summed over the embedding, averaged over the
 * batch; {@link AdamW} (betas 0.9 / 0.999, weight decay 0.05 on matrices), peak learning rate
 * 2e-3 reached by a linear warm-up over the first 5% of the steps, then cosine decay; batch-norm
 * in training mode.
 */
public final class TeacherTrainer {
    /** The side of the teacher's input (the synthetic videos are 64 x 64). */
    public static final int IMAGE = 64;

    private TeacherTrainer() {}

    /** The teacher's shape: one bottleneck per layer, base width 16 (512 features), fc to the embedding. */
    public static ResNet2d.Config architecture() {
        return new ResNet2d.Config(new int[] {1, 1, 1, 1}, 16, 1, FrameAttributes.DIM);
    }

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
            return new Settings(1500, 64, 2e-3, 0.05, 0.05, 0, demoAugment());
        }

        public Settings withSteps(int n) {
            return new Settings(n, batch, lr, warmupFraction, weightDecay, seed, augment);
        }
    }

    /**
     * The teacher's frame augmentation: the pre-training's (iboot/configs/demo.yaml: flip, colour
     * jitter, grayscale, blur, with the paper's strengths) over a wider range of scales — short
     * side in [64, 88] before the 64 crop.
     */
    public static AugmentConfig demoAugment() {
        return AugmentConfig.iboot().withGeometry(IMAGE, 88, IMAGE)
                .withNormalization(Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
    }

    /** What training produced. */
    public record Result(ResNet2d model, double firstLoss, double lastLoss, double heldOutLoss, int trainFrames,
            float[] centre, double seconds) {}

    /** Every frame of some videos, decoded, with its object mask. */
    static final class FrameBank {
        final List<Frames> videos = new ArrayList<>();
        final List<float[]> masks = new ArrayList<>();
        final List<float[][]> backgrounds = new ArrayList<>();
        final List<Integer> firstFrame = new ArrayList<>();
        int frames;
        /** The mean embedding of all frames (unaugmented): subtracted from every target. */
        float[] meanEmbedding;

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
                    float[][] bg = ObjectMasks.background(f);
                    bank.backgrounds.add(bg);
                    bank.masks.add(ObjectMasks.masks(f, bg));
                    bank.frames += f.frames();
                } catch (org.iboot4j.data.video.VideoDecodeException e) {
                    throw new IOException("cannot decode " + s.path() + ": " + e.getMessage(), e);
                }
            }
            bank.meanEmbedding = new float[FrameAttributes.DIM];
            for (int v = 0; v < bank.videos.size(); v++) {
                int hw = IMAGE * IMAGE;
                for (int t = 0; t < bank.videos.get(v).frames(); t++) {
                    float[] e = FrameAttributes.of(bank.masks.get(v), t * hw, IMAGE, IMAGE).embedding(IMAGE);
                    for (int d = 0; d < e.length; d++) bank.meanEmbedding[d] += e[d] / bank.frames;
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

        /**
         * Frame {@code t} of video {@code v} re-drawn over the background of video {@code bg},
         * moved by (dx, dy) pixels: the object (its mask, filled with its mean colour, which is
         * its colour: the objects are solid) composited onto the other video's background model.
         * Returns the frame and writes the moved mask into {@code maskOut}.
         */
        Frames composite(int v, int t, int bg, int dx, int dy, float[] maskOut) {
            Frames f = videos.get(v);
            int h = f.height(), w = f.width(), hw = h * w;
            float[] m = masks.get(v);
            byte[] rgb = f.rgb();
            double[] colour = new double[3];
            double weight = 0;
            for (int p = 0; p < hw; p++) {
                float a = m[t * hw + p];
                if (a < 0.9f) continue;
                for (int c = 0; c < 3; c++) colour[c] += a * (rgb[(t * hw + p) * 3 + c] & 0xFF);
                weight += a;
            }
            for (int c = 0; c < 3; c++) colour[c] = weight > 0 ? colour[c] / weight : 128;
            float[][] back = backgrounds.get(bg);
            byte[] out = new byte[hw * 3];
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    int sr = r - dy, sc = c - dx;
                    float a = sr >= 0 && sr < h && sc >= 0 && sc < w ? m[t * hw + sr * w + sc] : 0;
                    maskOut[r * w + c] = a;
                    for (int k = 0; k < 3; k++) {
                        double value = back[k][r] * (1 - a) + colour[k] * a;
                        out[(r * w + c) * 3 + k] = (byte) Math.clamp(Math.round(value), 0, 255);
                    }
                }
            }
            return new Frames(1, h, w, out);
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

    /**
     * The extra, teacher-only variations of a training frame, applied to the pixels and the mask
     * alike before the {@link ClipAugmentation}: for half of the frames a copy-paste composite
     * (the object moved to a random place over another train video's background,
     * {@link FrameBank#composite}), then a permutation of the colour channels (one of 6), a
     * transposition (x and y swapped) and a vertical flip (with the augmentation's horizontal
     * flip: the 8 symmetries of the square). The 40 train videos hold only 40 object and
     * background combinations, each object on one path; without these variations the teacher
     * learns them by heart and then finds the object in the train videos only.
     */
    record Variation(int permutation, boolean transpose, boolean verticalFlip, int background, int targetX, int targetY) {
        static final int[][] PERMUTATIONS = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        static final Variation NONE = new Variation(0, false, false, -1, 0, 0);

        Variation(int permutation, boolean transpose, boolean verticalFlip) {
            this(permutation, transpose, verticalFlip, -1, 0, 0);
        }

        /**
         * Half of the frames are composites ({@link FrameBank#composite}): the object moved so its
         * centroid lands uniformly in [10, 54]^2, over the background of a random train video.
         */
        static Variation draw(Rng rng, int videos) {
            int perm = rng.nextInt(6);
            boolean transpose = rng.nextFloat() < 0.5f, vflip = rng.nextFloat() < 0.5f;
            boolean composite = rng.nextFloat() < 0.5f;
            int bg = rng.nextInt(videos), x = 10 + rng.nextInt(45), y = 10 + rng.nextInt(45);
            return new Variation(perm, transpose, vflip, composite ? bg : -1, x, y);
        }

        /** Source pixel (row, column) of output pixel (r, c) of a side x side image. */
        private int source(int r, int c, int side) {
            int rr = verticalFlip ? side - 1 - r : r;
            return transpose ? c * side + rr : rr * side + c;
        }

        Frames apply(Frames one) {
            int side = one.height();
            byte[] in = one.rgb(), out = new byte[in.length];
            int[] perm = PERMUTATIONS[permutation];
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    int s = source(r, c, side), d = r * side + c;
                    for (int k = 0; k < 3; k++) out[d * 3 + k] = in[s * 3 + perm[k]];
                }
            }
            return new Frames(1, side, side, out);
        }

        float[] apply(float[] mask, int offset, int side) {
            float[] out = new float[side * side];
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) out[r * side + c] = mask[offset + source(r, c, side)];
            }
            return out;
        }
    }

    static Batch batch(FrameBank bank, int[] frameIndices, Variation[] variations, ClipAugmentation[] augs, float[] centre) {
        int b = frameIndices.length, px = 3 * IMAGE * IMAGE, hw = IMAGE * IMAGE;
        float[] images = new float[b * px], targets = new float[b * FrameAttributes.DIM];
        for (int i = 0; i < b; i++) {
            int[] vt = bank.locate(frameIndices[i]);
            Variation var = variations[i];
            Frames source;
            float[] sourceMask;
            int sourceOffset;
            if (var.background() >= 0) {
                FrameAttributes at = FrameAttributes.of(bank.masks.get(vt[0]), vt[1] * hw, IMAGE, IMAGE);
                int dx = at.present() ? (int) Math.round(var.targetX() - at.x()) : 0;
                int dy = at.present() ? (int) Math.round(var.targetY() - at.y()) : 0;
                sourceMask = new float[hw];
                source = bank.composite(vt[0], vt[1], var.background(), dx, dy, sourceMask);
                sourceOffset = 0;
            } else {
                source = bank.frame(vt[0], vt[1]);
                sourceMask = bank.masks.get(vt[0]);
                sourceOffset = vt[1] * hw;
            }
            Frames one = var.apply(source);
            float[] mask = var.apply(sourceMask, sourceOffset, IMAGE);
            ClipAugmenter.applyInto(one, augs[i], images, i * px);
            float[] m = transformMask(mask, 0, IMAGE, IMAGE, augs[i]);
            float[] e = FrameAttributes.of(m, 0, IMAGE, IMAGE).embedding(IMAGE);
            for (int d = 0; d < FrameAttributes.DIM; d++) targets[i * FrameAttributes.DIM + d] = e[d] - centre[d];
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
        ResNet2d model = new ResNet2d(architecture(), rng);
        model.train(true);
        AdamW opt = new AdamW(model.namedParameters(), 0f, 0.9f, 0.999f, 1e-8f, (float) s.weightDecay());
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(s.lr(), 0, 0, s.warmupFraction() * s.steps(), s.steps());
        AugmentConfig aug = s.augment().withNormalization(Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
        double first = Double.NaN, recent = 0;
        int recentCount = 0;
        int logEvery = Math.max(1, s.steps() / 30);
        for (int step = 0; step < s.steps(); step++) {
            int[] idx = new int[s.batch()];
            Variation[] vars = new Variation[s.batch()];
            ClipAugmentation[] augs = new ClipAugmentation[s.batch()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = rng.nextInt(bank.frames);
                vars[i] = Variation.draw(rng, bank.videos.size());
                augs[i] = ClipAugmentation.draw(aug, rng, IMAGE, IMAGE);
            }
            opt.setLr((float) schedule.lr(step));
            double v;
            try (TensorScope _ = TensorScope.open()) { // the step's tensors are recycled by the next
                Batch b = batch(bank, idx, vars, augs, bank.meanEmbedding);
                opt.zeroGrad();
                Tensor l = loss(model.forward(b.images()), b.targets());
                l.backward();
                opt.step();
                opt.zeroGrad();
                v = l.item();
            }
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
        double last = heldOutLoss(model, bank, 1, bank.meanEmbedding);
        double held = heldOut == null ? Double.NaN : heldOutLoss(model, FrameBank.load(heldOut, null), 5, bank.meanEmbedding);
        model.eval();
        model.requiresGrad(false);
        double sec = (System.nanoTime() - t0) * 1e-9;
        if (log != null) {
            log.accept(String.format(Locale.ROOT, "teacher: loss %.4f at the start, %.4f on the train frames (centre view), %.4f on"
                    + " held-out frames; %.0f s", first, last, held, sec));
        }
        return new Result(model, first, last, held, bank.frames, bank.meanEmbedding.clone(), sec);
    }

    /** Mean loss over every {@code every}-th frame of a bank, centre view without augmentation. */
    static double heldOutLoss(ResNet2d model, FrameBank bank, int every, float[] centre) {
        boolean was = model.isTraining();
        model.eval();
        double sum = 0;
        int n = 0;
        try (var ignored = GradMode.disable()) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < bank.frames; i += every) all.add(i);
            for (int from = 0; from < all.size(); from += 128) {
                int b = Math.min(128, all.size() - from);
                int[] idx = new int[b];
                Variation[] vars = new Variation[b];
                ClipAugmentation[] augs = new ClipAugmentation[b];
                for (int i = 0; i < b; i++) {
                    idx[i] = all.get(from + i);
                    vars[i] = Variation.NONE;
                    augs[i] = ClipAugmentation.testView(IMAGE, IMAGE, IMAGE, 1, Preprocessing.IMAGENET.mean(), Preprocessing.IMAGENET.std());
                }
                try (TensorScope _ = TensorScope.open()) {
                    Batch batch = batch(bank, idx, vars, augs, centre);
                    sum += loss(model.forward(batch.images()), batch.targets()).item() * b;
                }
                n += b;
            }
        } finally {
            model.train(was);
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Writes the teacher (fc included) in torchvision naming: what {@code Encoder.load(RESNET, ...)} and iBoot's TEACHERS read. */
    public static void save(ResNet2d model, Path file, Map<String, String> metadata, float[] centre) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "torchvision resnet (iboot4j demo teacher)");
        meta.put("architecture", model.config().toString());
        meta.put("fc", "FrameAttributes embedding minus its train mean: " + FrameAttributes.POSITION_BINS + " x bumps, " + FrameAttributes.POSITION_BINS
                + " y bumps, " + FrameAttributes.SIZE_BINS + " log-size bumps, " + FrameAttributes.ANGLE_BINS + " orientation bumps");
        meta.put("normalization", "imagenet");
        StringBuilder c = new StringBuilder();
        for (float v : centre) c.append(c.isEmpty() ? "" : ",").append(String.format(Locale.ROOT, "%.6f", v));
        meta.put("fc_target_mean", c.toString());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        SafetensorsWriter.write(tmp, model.stateDict(), meta);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
