package org.iboot4j.nn.models.vit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.io.SafetensorsReader;

/**
 * Loads pretrained ViT weights (CLIP in HF or OpenAI/open_clip naming, DINO in timm naming) into a
 * {@link VisionTransformer}: strips wrapper prefixes, detects the variant from the key names,
 * maps the keys to the module's own ({@link VitKeyMapper}), infers the architecture from the
 * tensor shapes and loads strictly.
 *
 * <pre>{@code
 * VisionTransformer clip = VitCheckpoint.load(Path.of("clip-vit-base-patch16.safetensors"));
 * VisionTransformer dino = VitCheckpoint.load(Path.of("dino_vitbase16.safetensors"));
 * Tensor features = clip.forward(clip.preprocessing().normalize(images));   // (B, 512)
 *
 * // explicit variant, head count (not recorded in checkpoints) or activation:
 * var report = VitCheckpoint.loadWithReport(file, VitCheckpoint.Options.DETECT
 *         .withVariant(VitVariant.OPENAI_CLIP).withActivation(VitActivation.GELU));
 * }</pre>
 *
 * <p>What the weights cannot tell is taken from the variant's ViT-B/16 preset: LayerNorm eps,
 * activation (QuickGELU for CLIP, as OpenAI's weights; open_clip's own LAION-trained models use
 * exact GELU and need {@link Options#withActivation}), and the number of heads, taken as width /
 * 64 (true of ViT-S/B/L/H) unless {@link Options#withHeads} says otherwise.
 */
public final class VitCheckpoint {
    private VitCheckpoint() {}

    /** Wrapper prefixes removed from the start of every key, repeatedly (DataParallel, DINO's backbone, torch.compile...). */

    /**
     * What the checkpoint does not say. {@code variant} null: detect it from the keys;
     * {@code heads} 0: width / 64; {@code activation}, {@code layerNormEps} null: the variant's.
     */
    public record Options(VitVariant variant, int heads, VitActivation activation, Float layerNormEps) {
        /** Detect everything. */
        public static final Options DETECT = new Options(null, 0, null, null);

        public Options {
            if (heads < 0) throw new IllegalArgumentException("heads must be positive (or 0 to infer), got " + heads);
        }

        public Options withVariant(VitVariant v) {
            return new Options(v, heads, activation, layerNormEps);
        }

        public Options withHeads(int h) {
            return new Options(variant, h, activation, layerNormEps);
        }

        public Options withActivation(VitActivation a) {
            return new Options(variant, heads, a, layerNormEps);
        }

        public Options withLayerNormEps(float eps) {
            return new Options(variant, heads, activation, eps);
        }
    }

    /** A loaded model, the variant it was read as, and the checkpoint keys skipped (text tower, heads, buffers). */
    public record Loaded(VisionTransformer model, VitVariant variant, List<String> ignoredKeys) {}

    // ---- loading ---------------------------------------------------------------------------

    /** Loads a safetensors checkpoint, detecting everything ({@link Options#DETECT}). */
    public static VisionTransformer load(Path file) throws IOException {
        return loadWithReport(file, Options.DETECT).model();
    }

    public static VisionTransformer load(Path file, Options options) throws IOException {
        return loadWithReport(file, options).model();
    }

    /** Loads from tensors already in memory (checkpoint names). */
    public static VisionTransformer load(Map<String, Tensor> checkpoint, Options options) {
        return loadWithReport(checkpoint, options).model();
    }

    /**
     * Loads a safetensors checkpoint; keys that do not belong to the image model (a CLIP text
     * tower, a classifier head) are skipped without being read.
     */
    public static Loaded loadWithReport(Path file, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Map<String, String> byName = new LinkedHashMap<>();
            reader.names().forEach(name -> byName.put(name, name));
            Map<String, String> byStripped = Checkpoints.stripPrefixes(byName);
            VitVariant variant = options.variant() != null ? options.variant() : detect(byStripped.keySet());
            Map<String, Tensor> checkpoint = new LinkedHashMap<>();
            List<String> skipped = new ArrayList<>();
            byStripped.forEach((stripped, name) -> {
                if (variant.mapper().ignores(stripped)) skipped.add(name);
                else checkpoint.put(stripped, reader.tensor(name));
            });
            Loaded loaded = build(checkpoint, variant, options, file.toString());
            List<String> ignored = new ArrayList<>(skipped);
            ignored.addAll(loaded.ignoredKeys());
            return new Loaded(loaded.model(), variant, List.copyOf(ignored));
        }
    }

    /** As {@link #loadWithReport(Path, Options)} for tensors already in memory (checkpoint names). */
    public static Loaded loadWithReport(Map<String, Tensor> checkpoint, Options options) {
        Objects.requireNonNull(options, "options");
        Map<String, Tensor> stripped = Checkpoints.stripPrefixes(checkpoint);
        VitVariant variant = options.variant() != null ? options.variant() : detect(stripped.keySet());
        return build(stripped, variant, options, "checkpoint");
    }

    private static Loaded build(Map<String, Tensor> stripped, VitVariant variant, Options options, String source) {
        VitKeyMapper.Result mapped = variant.mapper().map(stripped);
        VitConfig config = inferConfig(mapped.state(), variant, options);
        VisionTransformer model = new VisionTransformer(config, new Rng(0));
        try {
            model.loadStateDict(mapped.state());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load " + source + " as " + variant + " into " + config
                    + " (keys below are after mapping to the model's names; the mapping is described in VitKeyMapper): "
                    + e.getMessage(), e);
        }
        model.eval();
        return new Loaded(model, variant, mapped.ignored());
    }

    // ---- the steps, public for tools and tests -----------------------------------------------

    /**
     * The variant whose {@link VitVariant#markers() marker keys} are all among {@code keys}
     * (prefix-stripped).
     *
     * @throws IllegalArgumentException listing what was looked for when none or several match
     */
    public static VitVariant detect(Collection<String> keys) {
        List<VitVariant> found = Arrays.stream(VitVariant.values()).filter(v -> v.matches(keys)).toList();
        if (found.size() == 1) return found.getFirst();
        if (found.isEmpty()) {
            StringBuilder msg = new StringBuilder("not a ViT checkpoint this loader knows: looked for");
            for (VitVariant v : VitVariant.values()) msg.append("\n  ").append(v).append(": keys ").append(v.markers());
            List<String> sample = new TreeSet<>(keys).stream().limit(12).toList();
            msg.append("\n(after removing the prefixes ").append(Checkpoints.WRAPPER_PREFIXES).append("); the checkpoint has ")
                    .append(keys.size()).append(" keys, e.g. ").append(sample)
                    .append(". Pass Options.withVariant(...) to force a variant.");
            throw new IllegalArgumentException(msg.toString());
        }
        throw new IllegalArgumentException("ambiguous ViT checkpoint: its keys match " + found
                + "; pass Options.withVariant(...) to choose");
    }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\..*");

    /**
     * The architecture of a mapped checkpoint (module names): sizes from the tensor shapes,
     * optional parts from which keys exist, the rest from the options and the variant's preset.
     */
    public static VitConfig inferConfig(Map<String, Tensor> state, VitVariant variant, Options options) {
        VitKeyMapper names = variant.mapper();
        int[] patch = shape(state, "patch_embed.proj.weight", variant);
        if (patch.length != 4 || patch[1] != 3 || patch[2] != patch[3]) {
            throw new IllegalArgumentException(variant + " checkpoint: " + names.checkpointName("patch_embed.proj.weight")
                    + " should be a square RGB patch convolution (D, 3, P, P), got " + Arrays.toString(patch));
        }
        int width = patch[0], patchSize = patch[2];
        int[] pos = shape(state, "pos_embed", variant);
        int tokens = pos.length == 3 ? pos[1] : -1;
        int grid = (int) Math.round(Math.sqrt(Math.max(0, tokens - 1)));
        if (pos.length != 3 || pos[2] != width || grid * grid + 1 != tokens || grid == 0) {
            throw new IllegalArgumentException(variant + " checkpoint: " + names.checkpointName("pos_embed")
                    + " should hold 1 + g*g positions of width " + width + " (a square grid of patches plus [CLS]), got "
                    + Arrays.toString(pos));
        }
        TreeSet<Integer> blockIds = new TreeSet<>();
        for (String k : state.keySet()) {
            Matcher m = BLOCK.matcher(k);
            if (m.matches()) blockIds.add(Integer.parseInt(m.group(1)));
        }
        int depth = blockIds.isEmpty() ? 0 : blockIds.last() + 1;
        int mlpDim = depth == 0 ? 4 * width : shape(state, "blocks.0.mlp.fc1.weight", variant)[0];
        int heads = options.heads();
        if (heads == 0) {
            if (width % 64 != 0) {
                throw new IllegalArgumentException(variant + " checkpoint of width " + width + ": the number of attention"
                        + " heads is not recorded in checkpoints and cannot be inferred as width / 64; pass"
                        + " Options.withHeads(n)");
            }
            heads = width / 64;
        }
        Tensor projection = state.get("proj.weight");
        VitConfig preset = variant.preset();
        return preset.toBuilder()
                .imageSize(grid * patchSize).patchSize(patchSize).width(width).depth(depth).heads(heads).mlpDim(mlpDim)
                .layerNormEps(options.layerNormEps() != null ? options.layerNormEps() : preset.layerNormEps())
                .activation(options.activation() != null ? options.activation() : preset.activation())
                .patchBias(state.containsKey("patch_embed.proj.bias"))
                .preNorm(state.containsKey("norm_pre.weight"))
                .finalNorm(state.containsKey("norm.weight"))
                .projectionDim(projection == null ? 0 : projection.size(0))
                .build();
    }

    private static int[] shape(Map<String, Tensor> state, String moduleKey, VitVariant variant) {
        Tensor t = state.get(moduleKey);
        if (t == null) {
            throw new IllegalArgumentException(variant + " checkpoint has no '" + variant.mapper().checkpointName(moduleKey)
                    + "' (after removing the prefixes " + Checkpoints.WRAPPER_PREFIXES + "), so its architecture cannot be inferred");
        }
        return t.shape();
    }
}
