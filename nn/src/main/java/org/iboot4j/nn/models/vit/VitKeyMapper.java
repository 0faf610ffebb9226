package org.iboot4j.nn.models.vit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;

/**
 * Converts a checkpoint's key names (and layouts) to {@link VisionTransformer}'s own. One mapper
 * per naming ({@link VitVariant#mapper()}):
 *
 * <ul>
 *   <li>HF CLIP: {@code vision_model.embeddings.patch_embedding.weight -> patch_embed.proj.weight},
 *       {@code class_embedding} (D) {@code -> cls_token} (1, 1, D),
 *       {@code position_embedding.weight} (T, D) {@code -> pos_embed} (1, T, D),
 *       {@code pre_layrnorm -> norm_pre}, {@code encoder.layers.N.layer_norm1/2 -> blocks.N.norm1/2},
 *       {@code self_attn.q_proj, k_proj, v_proj} concatenated (q, k, v) {@code -> blocks.N.attn.qkv},
 *       {@code self_attn.out_proj -> attn.proj}, {@code mlp.fc1/fc2 -> mlp.fc1/fc2},
 *       {@code post_layernorm -> norm}, {@code visual_projection.weight -> proj.weight}; the
 *       {@code position_ids} buffer and every non-vision key (text tower, logit_scale) ignored.</li>
 *   <li>OpenAI / open_clip CLIP: {@code visual.conv1 -> patch_embed.proj},
 *       {@code visual.class_embedding -> cls_token}, {@code visual.positional_embedding -> pos_embed},
 *       {@code ln_pre -> norm_pre}, {@code transformer.resblocks.N.ln_1/ln_2 -> blocks.N.norm1/2},
 *       {@code attn.in_proj_weight/bias -> attn.qkv.weight/bias} (already q, k, v stacked),
 *       {@code attn.out_proj -> attn.proj}, {@code mlp.c_fc/c_proj -> mlp.fc1/fc2},
 *       {@code ln_post -> norm}, {@code visual.proj} (D, out) transposed {@code -> proj.weight}
 *       (out, D); every key outside {@code visual.} ignored.</li>
 *   <li>DINO / timm: the module's own names; {@code head.*} (classifier or DINO projection head)
 *       ignored.</li>
 * </ul>
 *
 * Keys that look like the image model but match no rule are passed on unchanged, so that a
 * strict {@link VisionTransformer#loadStateDict} reports them as unexpected. Mappers are
 * linear in the tensors (renames, reshapes, a transpose, a concatenation), so they map
 * gradients named like the checkpoint just as well as weights. Prefixes such as
 * {@code module.} are removed before, by {@link org.iboot4j.nn.io.Checkpoints#stripPrefixes}.
 */
public abstract sealed class VitKeyMapper {

    /** Mapped tensors under module names, and the checkpoint keys skipped as not part of the image model. */
    public record Result(Map<String, Tensor> state, List<String> ignored) {}

    /** Whether {@code key} (prefix-stripped) is skipped: it belongs to something other than the image model. */
    public abstract boolean ignores(String key);

    /** The checkpoint's name for an essential module key, for error messages. */
    public abstract String checkpointName(String moduleKey);

    /** Maps a (prefix-stripped) checkpoint or a part of one. */
    public Result map(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        Map<String, Tensor[]> groups = new TreeMap<>();   // fused target -> parts (q, k, v)
        Map<String, String[]> groupSources = new TreeMap<>();
        try (var _ = GradMode.disable()) {
            for (var e : checkpoint.entrySet()) {
                String key = e.getKey();
                if (ignores(key)) {
                    ignored.add(key);
                    continue;
                }
                Part part = part(key);
                if (part != null) {
                    groups.computeIfAbsent(part.target, k -> new Tensor[3])[part.index] = e.getValue();
                    groupSources.computeIfAbsent(part.target, k -> new String[3])[part.index] = key;
                    continue;
                }
                Renamed r = rename(key, e.getValue());
                put(out, r.key, r.value, key);
            }
            for (var g : groups.entrySet()) {
                Tensor[] parts = g.getValue();
                String[] sources = groupSources.get(g.getKey());
                for (int i = 0; i < 3; i++) {
                    if (parts[i] == null) {
                        throw new IllegalArgumentException("checkpoint: '" + g.getKey() + "' is the concatenation of the q, k and v"
                                + " projections, but only " + Arrays.stream(sources).filter(s -> s != null).toList()
                                + " are present (the " + "qkv".charAt(i) + " part is missing)");
                    }
                }
                put(out, g.getKey(), Functional.concat(0, parts[0], parts[1], parts[2]), String.join(", ", sources));
            }
        }
        return new Result(out, List.copyOf(ignored));
    }

    private static void put(Map<String, Tensor> out, String key, Tensor value, String source) {
        if (out.put(key, value) != null) {
            throw new IllegalArgumentException("checkpoint: two entries map to '" + key + "' (the second from " + source + ")");
        }
    }

    /** One of three tensors concatenated along dim 0 into {@code target}. */
    record Part(String target, int index) {}

    record Renamed(String key, Tensor value) {}

    /** For keys that are one part of a fused tensor, the target and the index; otherwise null. */
    Part part(String key) {
        return null;
    }

    /** Renames one key (and changes its layout if needed); unknown keys come back unchanged. */
    abstract Renamed rename(String key, Tensor value);

    // ---- helpers ---------------------------------------------------------------------------

    /** A regex rename with an optional layout change. */
    record Rule(Pattern from, String to, UnaryOperator<Tensor> layout) {
        static Rule of(String regex, String to) {
            return new Rule(Pattern.compile(regex), to, t -> t);
        }

        static Rule of(String regex, String to, UnaryOperator<Tensor> layout) {
            return new Rule(Pattern.compile(regex), to, layout);
        }
    }

    static Renamed applyRules(List<Rule> rules, String key, Tensor value) {
        for (Rule rule : rules) {
            Matcher m = rule.from.matcher(key);
            if (m.matches()) return new Renamed(m.replaceFirst(rule.to), rule.layout.apply(value));
        }
        return new Renamed(key, value);
    }

    /** (D) -> (1, 1, D); other ranks unchanged (a strict load then reports the shape). */
    static Tensor clsLayout(Tensor t) {
        return t.dim() == 1 ? t.reshape(1, 1, t.size(0)) : t;
    }

    /** (T, D) -> (1, T, D); other ranks unchanged. */
    static Tensor posLayout(Tensor t) {
        return t.dim() == 2 ? t.unsqueeze(0) : t;
    }

    /** OpenAI's (D, out), applied as x @ proj, -> Linear's (out, D). */
    static Tensor transposed(Tensor t) {
        return t.dim() == 2 ? t.transpose(0, 1).contiguous() : t;
    }

    private static final String WB = "(weight|bias)";

    // ---- HF transformers CLIP ---------------------------------------------------------------

    static final class HfClip extends VitKeyMapper {
        private static final String L = "vision_model\\.encoder\\.layers\\.(\\d+)\\.";
        private static final Pattern QKV = Pattern.compile(L + "self_attn\\.([qkv])_proj\\." + WB);
        private static final List<Rule> RULES = List.of(
                Rule.of("vision_model\\.embeddings\\.patch_embedding\\." + WB, "patch_embed.proj.$1"),
                Rule.of("vision_model\\.embeddings\\.class_embedding", "cls_token", VitKeyMapper::clsLayout),
                Rule.of("vision_model\\.embeddings\\.position_embedding\\.weight", "pos_embed", VitKeyMapper::posLayout),
                Rule.of("vision_model\\.pre_layrnorm\\." + WB, "norm_pre.$1"),
                Rule.of(L + "layer_norm1\\." + WB, "blocks.$1.norm1.$2"),
                Rule.of(L + "layer_norm2\\." + WB, "blocks.$1.norm2.$2"),
                Rule.of(L + "self_attn\\.out_proj\\." + WB, "blocks.$1.attn.proj.$2"),
                Rule.of(L + "mlp\\.(fc1|fc2)\\." + WB, "blocks.$1.mlp.$2.$3"),
                Rule.of("vision_model\\.post_layernorm\\." + WB, "norm.$1"),
                Rule.of("visual_projection\\.weight", "proj.weight"));

        @Override
        public boolean ignores(String key) {
            boolean vision = key.startsWith("vision_model.") || key.equals("visual_projection.weight");
            return !vision || key.equals("vision_model.embeddings.position_ids");
        }

        @Override
        Part part(String key) {
            Matcher m = QKV.matcher(key);
            return m.matches() ? new Part("blocks." + m.group(1) + ".attn.qkv." + m.group(3), "qkv".indexOf(m.group(2))) : null;
        }

        @Override
        Renamed rename(String key, Tensor value) {
            return applyRules(RULES, key, value);
        }

        @Override
        public String checkpointName(String moduleKey) {
            return switch (moduleKey) {
                case "patch_embed.proj.weight" -> "vision_model.embeddings.patch_embedding.weight";
                case "cls_token" -> "vision_model.embeddings.class_embedding";
                case "pos_embed" -> "vision_model.embeddings.position_embedding.weight";
                case "blocks.0.mlp.fc1.weight" -> "vision_model.encoder.layers.0.mlp.fc1.weight";
                default -> moduleKey;
            };
        }
    }

    // ---- OpenAI CLIP / open_clip -------------------------------------------------------------

    static final class OpenAiClip extends VitKeyMapper {
        private static final String B = "visual\\.transformer\\.resblocks\\.(\\d+)\\.";
        private static final List<Rule> RULES = List.of(
                Rule.of("visual\\.conv1\\." + WB, "patch_embed.proj.$1"),
                Rule.of("visual\\.class_embedding", "cls_token", VitKeyMapper::clsLayout),
                Rule.of("visual\\.positional_embedding", "pos_embed", VitKeyMapper::posLayout),
                Rule.of("visual\\.ln_pre\\." + WB, "norm_pre.$1"),
                Rule.of(B + "ln_1\\." + WB, "blocks.$1.norm1.$2"),
                Rule.of(B + "ln_2\\." + WB, "blocks.$1.norm2.$2"),
                Rule.of(B + "attn\\.in_proj_" + WB, "blocks.$1.attn.qkv.$2"),
                Rule.of(B + "attn\\.out_proj\\." + WB, "blocks.$1.attn.proj.$2"),
                Rule.of(B + "mlp\\.c_fc\\." + WB, "blocks.$1.mlp.fc1.$2"),
                Rule.of(B + "mlp\\.c_proj\\." + WB, "blocks.$1.mlp.fc2.$2"),
                Rule.of("visual\\.ln_post\\." + WB, "norm.$1"),
                Rule.of("visual\\.proj", "proj.weight", VitKeyMapper::transposed));

        @Override
        public boolean ignores(String key) {
            return !key.startsWith("visual.");
        }

        @Override
        Renamed rename(String key, Tensor value) {
            return applyRules(RULES, key, value);
        }

        @Override
        public String checkpointName(String moduleKey) {
            return switch (moduleKey) {
                case "patch_embed.proj.weight" -> "visual.conv1.weight";
                case "cls_token" -> "visual.class_embedding";
                case "pos_embed" -> "visual.positional_embedding";
                case "blocks.0.mlp.fc1.weight" -> "visual.transformer.resblocks.0.mlp.c_fc.weight";
                default -> moduleKey;
            };
        }
    }

    // ---- DINO / timm ---------------------------------------------------------------------------

    static final class Timm extends VitKeyMapper {
        @Override
        public boolean ignores(String key) {
            return key.startsWith("head.") || key.startsWith("head_dist.");
        }

        @Override
        Renamed rename(String key, Tensor value) {
            return new Renamed(key, value);
        }

        @Override
        public String checkpointName(String moduleKey) {
            return moduleKey;
        }
    }
}
