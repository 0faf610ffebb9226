package org.iboot4j.nn.models.resnet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.Checkpoints;

/**
 * Maps Slow ResNet checkpoints onto {@link SlowResNet}'s own names, which are pytorchvideo's.
 *
 * <p>Two namings exist for the same network:
 * <table>
 *   <caption>pytorchvideo vs PySlowFast key names</caption>
 *   <tr><th>pytorchvideo ({@code create_resnet}, hub {@code slow_r50})</th><th>PySlowFast ({@code video_model_builder.ResNet})</th></tr>
 *   <tr><td>{@code blocks.0.conv.weight}</td><td>{@code s1.pathway0_stem.conv.weight}</td></tr>
 *   <tr><td>{@code blocks.0.norm.*}</td><td>{@code s1.pathway0_stem.bn.*}</td></tr>
 *   <tr><td>{@code blocks.S.res_blocks.I.branch1_conv.weight}</td><td>{@code s(S+1).pathway0_resI.branch1.weight}</td></tr>
 *   <tr><td>{@code blocks.S.res_blocks.I.branch1_norm.*}</td><td>{@code s(S+1).pathway0_resI.branch1_bn.*}</td></tr>
 *   <tr><td>{@code blocks.S.res_blocks.I.branch2.conv_a.weight} (a, b, c)</td><td>{@code s(S+1).pathway0_resI.branch2.a.weight}</td></tr>
 *   <tr><td>{@code blocks.S.res_blocks.I.branch2.norm_a.*} (a, b, c)</td><td>{@code s(S+1).pathway0_resI.branch2.a_bn.*}</td></tr>
 *   <tr><td>{@code blocks.5.proj.weight/bias}</td><td>{@code head.projection.weight/bias}</td></tr>
 * </table>
 * where S = 1..4 is the stage (res2..res5), I the block in it, and * one of weight, bias,
 * running_mean, running_var, num_batches_tracked. Leading {@code model.}, {@code backbone.}
 * and {@code module.} prefixes are stripped first ({@link StateDicts#stripWrapperPrefixes}).
 *
 * <p>Checkpoints converted from Caffe2 may lack {@code num_batches_tracked}; where a batch norm
 * has {@code running_mean} but no counter, a counter of 0 is added (PyTorch's own default).
 *
 * <p>The files are PyTorch pickles ({@code SLOW_8x8_R50.pyth}, whose weights sit under
 * {@code "model_state"}); convert them to safetensors once with Python, e.g.
 * {@code safetensors.torch.save_file(torch.load(f, map_location="cpu")["model_state"], out)}
 * (or fixture_io.save), then read them with {@link StateDicts#read}.
 */
public final class SlowResNetCheckpoint {
    private SlowResNetCheckpoint() {}

    /** The key naming of a checkpoint. */
    public enum Naming {
        /** pytorchvideo ({@code blocks.0.conv.weight}, ...): {@link SlowResNet}'s own. */
        PYTORCHVIDEO,
        /** PySlowFast ({@code s1.pathway0_stem.conv.weight}, ...). */
        PYSLOWFAST
    }

    /** The prefix of the head's keys in pytorchvideo naming. */
    static final String HEAD_PREFIX = "blocks.5.";

    private static final String SUFFIX = "(weight|bias|running_mean|running_var|num_batches_tracked)";
    private static final Pattern PTV_KEY = Pattern.compile("blocks\\.(?:0\\.(?:conv|norm)"
            + "|[1-4]\\.res_blocks\\.\\d+\\.(?:branch1_conv|branch1_norm|branch2\\.(?:conv|norm)_[abc])"
            + "|5\\.proj)\\." + SUFFIX);
    private static final Pattern SF_STEM = Pattern.compile("s1\\.pathway0_stem\\.(conv|bn)\\." + SUFFIX);
    private static final Pattern SF_BRANCH1 = Pattern.compile("s([2-5])\\.pathway0_res(\\d+)\\.branch1(_bn)?\\." + SUFFIX);
    private static final Pattern SF_BRANCH2 = Pattern.compile("s([2-5])\\.pathway0_res(\\d+)\\.branch2\\.([abc])(_bn)?\\." + SUFFIX);
    private static final Pattern SF_HEAD = Pattern.compile("head\\.projection\\.(weight|bias)");

    /**
     * The naming of a checkpoint (wrapper prefixes ignored): PySlowFast when any key starts with
     * {@code s1.} .. {@code s5.} followed by {@code pathway0_}, or is {@code head.projection.*};
     * pytorchvideo when any key starts with {@code blocks.}.
     *
     * @throws IllegalArgumentException when the keys show both namings or neither (the message
     *     quotes some of them)
     */
    public static Naming detect(Collection<String> keys) {
        boolean sf = false, ptv = false;
        for (String raw : keys) {
            String k = Checkpoints.stripPrefix(raw);
            if (k.matches("s[1-5]\\.pathway0_.*") || k.startsWith("head.projection.")) sf = true;
            if (k.startsWith("blocks.")) ptv = true;
        }
        if (sf && ptv) {
            throw new IllegalArgumentException("Slow ResNet checkpoint: the keys mix pytorchvideo names (blocks.*)"
                    + " and PySlowFast names (s1.pathway0_stem.*, ...); pass the naming explicitly. Keys: "
                    + sample(keys));
        }
        if (!sf && !ptv) {
            throw new IllegalArgumentException("Slow ResNet checkpoint: cannot tell the naming; expected pytorchvideo"
                    + " keys (blocks.0.conv.weight, ...) or PySlowFast keys (s1.pathway0_stem.conv.weight, ...),"
                    + " optionally under model./backbone./module. Keys: " + sample(keys));
        }
        return sf ? Naming.PYSLOWFAST : Naming.PYTORCHVIDEO;
    }

    /** The checkpoint in pytorchvideo naming, its naming detected ({@link #detect}). */
    public static Map<String, Tensor> toPytorchvideo(Map<String, Tensor> checkpoint) {
        return toPytorchvideo(checkpoint, detect(checkpoint.keySet()));
    }

    /**
     * The checkpoint, read in the given naming, in pytorchvideo naming (the order of the keys
     * kept). Strict: a key that is not a Slow ResNet key of that naming is an error.
     *
     * @throws IllegalArgumentException listing every unknown key
     */
    public static Map<String, Tensor> toPytorchvideo(Map<String, Tensor> checkpoint, Naming naming) {
        return toPytorchvideo(checkpoint, naming, false);
    }

    /**
     * As {@link #toPytorchvideo(Map, Naming)}; with {@code dropUnknown} keys that are not Slow
     * ResNet keys (an SSL projector, a non-local block, an optimiser's state) are left out
     * instead of failing.
     */
    public static Map<String, Tensor> toPytorchvideo(Map<String, Tensor> checkpoint, Naming naming, boolean dropUnknown) {
        Map<String, Tensor> stripped = Checkpoints.stripPrefixes(checkpoint);
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        stripped.forEach((key, value) -> {
            String mapped = naming == Naming.PYTORCHVIDEO ? (PTV_KEY.matcher(key).matches() ? key : null)
                    : fromPySlowFast(key);
            if (mapped == null) {
                unknown.add(key);
            } else if (out.put(mapped, value) != null) {
                throw new IllegalArgumentException("Slow ResNet checkpoint: two keys map to '" + mapped + "'");
            }
        });
        if (!unknown.isEmpty() && !dropUnknown) {
            throw new IllegalArgumentException("Slow ResNet checkpoint read as " + naming + ": "
                    + unknown.size() + " unknown key(s) (not a " + describe(naming) + " key): " + unknown);
        }
        addMissingBatchCounters(out);
        return out;
    }

    /** One PySlowFast key in pytorchvideo naming, or null when it is not a Slow ResNet key. */
    public static String fromPySlowFast(String key) {
        Matcher m = SF_STEM.matcher(key);
        if (m.matches()) return "blocks.0." + (m.group(1).equals("conv") ? "conv" : "norm") + "." + m.group(2);
        m = SF_BRANCH1.matcher(key);
        if (m.matches()) {
            return block(m.group(1), m.group(2)) + (m.group(3) == null ? "branch1_conv." : "branch1_norm.") + m.group(4);
        }
        m = SF_BRANCH2.matcher(key);
        if (m.matches()) {
            return block(m.group(1), m.group(2)) + "branch2." + (m.group(4) == null ? "conv_" : "norm_") + m.group(3)
                    + "." + m.group(5);
        }
        m = SF_HEAD.matcher(key);
        if (m.matches()) return HEAD_PREFIX + "proj." + m.group(1);
        return null;
    }

    private static String block(String stage, String index) {
        return "blocks." + (Integer.parseInt(stage) - 1) + ".res_blocks." + Integer.parseInt(index) + ".";
    }

    private static void addMissingBatchCounters(Map<String, Tensor> state) {
        List<String> norms = new ArrayList<>();
        for (String k : state.keySet()) {
            if (k.endsWith(".running_mean")) norms.add(k.substring(0, k.length() - ".running_mean".length()));
        }
        for (String n : norms) state.putIfAbsent(n + ".num_batches_tracked", Tensor.ofLongs(new long[] {0}));
    }

    private static String describe(Naming naming) {
        return naming == Naming.PYTORCHVIDEO
                ? "pytorchvideo Slow ResNet (blocks.0.conv|norm, blocks.1-4.res_blocks.I.branch1_conv|branch1_norm"
                        + "|branch2.conv_a..norm_c, blocks.5.proj)"
                : "PySlowFast Slow ResNet (s1.pathway0_stem.conv|bn, s2-s5.pathway0_resI.branch1|branch1_bn"
                        + "|branch2.a..c_bn, head.projection)";
    }

    private static String sample(Collection<String> keys) {
        List<String> list = keys.stream().limit(8).toList();
        return list + (keys.size() > list.size() ? " ... (" + keys.size() + " in all)" : "");
    }

    /**
     * The architecture a checkpoint (either naming) holds: the stem width from the stem conv,
     * the block counts from the highest block index of each stage, the classes from the head
     * (0 without one). So reduced or deeper variants load without being named.
     */
    public static SlowResNet.Config inferConfig(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> state = toPytorchvideo(checkpoint, detect(Checkpoints.stripPrefixes(checkpoint).keySet()), true);
        Tensor stem = state.get("blocks.0.conv.weight");
        if (stem == null) {
            throw new IllegalArgumentException("SlowResNet: the checkpoint has no stem convolution (blocks.0.conv.weight"
                    + " / s1.pathway0_stem.conv.weight); its keys begin " + state.keySet().stream().limit(5).toList());
        }
        int[] depths = new int[4];
        for (String k : state.keySet()) {
            var m = Pattern.compile("^blocks\\.([1-4])\\.res_blocks\\.(\\d+)\\.").matcher(k);
            if (m.find()) {
                int stage = Integer.parseInt(m.group(1)) - 1;
                depths[stage] = Math.max(depths[stage], Integer.parseInt(m.group(2)) + 1);
            }
        }
        Tensor head = state.get(HEAD_PREFIX + "proj.weight");
        return new SlowResNet.Config(depths, stem.shape()[0], head == null ? 0 : head.shape()[0], 0.5f);
    }
}
