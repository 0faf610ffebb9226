package org.iboot4j.nn.models.resnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsReader;
import org.iboot4j.nn.io.TensorInfo;

/** Small helpers for checkpoints as name -> tensor maps. */
public final class StateDicts {
    /** The wrapper prefixes that training frameworks put in front of model keys. */
    public static final String[] WRAPPER_PREFIXES = {"module.", "model.", "backbone."};

    private StateDicts() {}

    /**
     * Every tensor of a safetensors file: floating-point dtypes as float32, integer and BOOL
     * dtypes as int64 (so {@code num_batches_tracked} stays an integer).
     */
    public static Map<String, Tensor> read(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : r.names()) {
                TensorInfo info = r.info(name);
                out.put(name, info.dtype().isFloatingPoint() ? r.tensor(name) : r.longTensor(name));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file, e);
        }
    }

    /**
     * The keys with the leading {@link #WRAPPER_PREFIXES} ({@code module.}, {@code model.},
     * {@code backbone.}, in any order and combination, e.g. {@code module.backbone.}) removed.
     *
     * @throws IllegalArgumentException when two keys become the same
     */
    public static Map<String, Tensor> stripWrapperPrefixes(Map<String, Tensor> checkpoint) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        checkpoint.forEach((k, v) -> {
            String key = stripWrapperPrefixes(k);
            if (out.put(key, v) != null) {
                throw new IllegalArgumentException("checkpoint: more than one key becomes '" + key
                        + "' once the prefixes " + String.join(", ", WRAPPER_PREFIXES) + " are stripped");
            }
        });
        return out;
    }

    /** One key with its leading wrapper prefixes removed. */
    public static String stripWrapperPrefixes(String key) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String p : WRAPPER_PREFIXES) {
                if (key.startsWith(p) && key.length() > p.length()) {
                    key = key.substring(p.length());
                    changed = true;
                }
            }
        }
        return key;
    }
}
