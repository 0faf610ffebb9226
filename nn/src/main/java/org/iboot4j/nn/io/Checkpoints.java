package org.iboot4j.nn.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;

/**
 * Reading model checkpoints: every tensor of a safetensors file by name, and the removal of the
 * wrapper prefixes that training frameworks put in front of model keys (DataParallel's
 * {@code module.}, Lightning's {@code model.}, SSL frameworks' {@code backbone.},
 * torch.compile's {@code _orig_mod.}), shared by every model's key mapper.
 */
public final class Checkpoints {
    /** Prefixes removed from the front of keys, in any order and combination. */
    public static final List<String> WRAPPER_PREFIXES = List.of("module.", "model.", "backbone.", "_orig_mod.");

    private Checkpoints() {}

    /**
     * Every tensor of a safetensors file: floating-point dtypes as float32, integer and BOOL
     * dtypes as int64 (so {@code num_batches_tracked} stays an integer).
     */
    public static Map<String, Tensor> read(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : r.names()) {
                out.put(name, r.info(name).dtype().isFloatingPoint() ? r.tensor(name) : r.longTensor(name));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code key} without the {@link #WRAPPER_PREFIXES} it starts with. */
    public static String stripPrefix(String key) {
        boolean again = true;
        while (again) {
            again = false;
            for (String p : WRAPPER_PREFIXES) {
                if (key.startsWith(p) && key.length() > p.length()) {
                    key = key.substring(p.length());
                    again = true;
                }
            }
        }
        return key;
    }

    /**
     * The entries re-keyed by {@link #stripPrefix} (order kept).
     *
     * @throws IllegalArgumentException when two keys become the same (two models in one file)
     */
    public static <V> Map<String, V> stripPrefixes(Map<String, V> checkpoint) {
        Map<String, V> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        checkpoint.forEach((k, v) -> {
            String s = stripPrefix(k);
            String previous = origin.put(s, k);
            if (previous != null) {
                throw new IllegalArgumentException("checkpoint keys '" + previous + "' and '" + k + "' are the same"
                        + " after removing the wrapper prefixes " + WRAPPER_PREFIXES + "; the file seems to hold two models");
            }
            out.put(s, v);
        });
        return out;
    }
}
