package org.iboot4j.nn.models.resnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.io.Checkpoints;
import org.iboot4j.nn.io.SafetensorsReader;
import org.opentest4j.AssertionFailedError;

/** Reads the golden fixtures of test-data/scripts/make_resnet_golden.py; float comparisons. */
final class Fixtures {
    static final String TEST_PREFIX = "__test__.";

    /** One fixture: the checkpoint (every non-test tensor), the test tensors, the metadata. */
    record Golden(Map<String, Tensor> weights, Map<String, Tensor> test, SortedMap<String, String> metadata) {
        Tensor test(String name) {
            Tensor t = test.get(name);
            if (t == null) throw new IllegalArgumentException("fixture has no test tensor " + name + ": " + test.keySet());
            return t;
        }

        int[] ints(String key) {
            return Arrays.stream(metadata.get(key).split(",")).mapToInt(Integer::parseInt).toArray();
        }

        int integer(String key) {
            return Integer.parseInt(metadata.get(key));
        }

        long count(String key) {
            return Long.parseLong(metadata.get(key));
        }

        /** A "layout.*" entry: "name:d0xd1;..." as name -> shape, in order. */
        Map<String, List<Integer>> layout(String key) {
            Map<String, List<Integer>> out = new LinkedHashMap<>();
            for (String entry : metadata.get(key).split(";")) {
                int colon = entry.lastIndexOf(':');
                String dims = entry.substring(colon + 1);
                List<Integer> shape = new ArrayList<>();
                if (!dims.isEmpty()) for (String d : dims.split("x")) shape.add(Integer.parseInt(d));
                out.put(entry.substring(0, colon), shape);
            }
            return out;
        }
    }

    private Fixtures() {}

    static Path golden(String file) {
        String dir = System.getProperty("iboot.testData");
        return Path.of(dir == null || dir.isBlank() ? "../test-data" : dir).resolve("golden").resolve(file);
    }

    static Golden read(String file) {
        Path path = golden(file);
        Map<String, Tensor> all = Checkpoints.read(path);
        Map<String, Tensor> weights = new LinkedHashMap<>(), test = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(TEST_PREFIX)) test.put(k.substring(TEST_PREFIX.length()), v);
            else weights.put(k, v);
        });
        try (SafetensorsReader r = SafetensorsReader.open(path)) {
            return new Golden(weights, test, r.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A module's state-dict layout as name -> shape, in order. */
    static Map<String, List<Integer>> layout(Module m) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, Arrays.stream(v.shape()).boxed().toList()));
        return out;
    }

    /** max|expected - actual| / max|expected| <= rtol, shapes equal. */
    static void assertClose(String what, Tensor expected, Tensor actual, double rtol) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw new AssertionFailedError(what + ": shape " + Arrays.toString(actual.shape()) + ", expected "
                    + Arrays.toString(expected.shape()));
        }
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double diff = 0, scale = 0;
        int worst = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= diff)) { // NaN counts as worst
                diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                worst = i;
            }
            scale = Math.max(scale, Math.abs(e[i]));
        }
        double err = scale > 0 ? diff / scale : diff;
        if (!(err <= rtol)) {
            throw new AssertionFailedError(String.format("%s: relative error %.3g > %.3g (max |ref| %.5g); worst at"
                    + " flat index %d: expected %s, got %s", what, err, rtol, scale, worst, e[worst], a[worst]));
        }
    }
}
