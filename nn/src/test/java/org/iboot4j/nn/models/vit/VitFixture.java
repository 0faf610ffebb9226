package org.iboot4j.nn.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.io.SafetensorsReader;

/**
 * One of the fixtures written by test-data/scripts/make_vit_golden.py: the weights under their
 * checkpoint names, and the {@code __test__.*} entries (input, output, gout, input_grad,
 * grad.KEY, full_param_count) without that prefix.
 */
record VitFixture(Path file, Map<String, Tensor> weights, Map<String, Tensor> test) {
    static final String TEST_PREFIX = "__test__.";
    /** The reduced models' attention heads (not recorded in checkpoints). */
    static final int HEADS = 4;

    static Path golden(String fileName) {
        String dir = System.getProperty("iboot.testData");
        return Path.of(dir == null || dir.isBlank() ? "../test-data" : dir).resolve("golden").resolve(fileName);
    }

    static VitFixture read(String fileName) {
        Path file = golden(fileName);
        Map<String, Tensor> weights = new LinkedHashMap<>(), test = new LinkedHashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String name : r.names()) {
                Tensor t = r.info(name).dtype().isFloatingPoint() ? r.tensor(name) : r.longTensor(name);
                if (name.startsWith(TEST_PREFIX)) test.put(name.substring(TEST_PREFIX.length()), t);
                else weights.put(name, t);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.toAbsolutePath()
                    + " (regenerate with /usr/bin/python3 test-data/scripts/make_vit_golden.py)", e);
        }
        return new VitFixture(file, weights, test);
    }

    Tensor get(String testKey) {
        Tensor t = test.get(testKey);
        assertNotNull(t, file.getFileName() + " has no " + TEST_PREFIX + testKey);
        return t;
    }

    /** The parameter gradients stored in the fixture, under checkpoint names. */
    Map<String, Tensor> paramGrads() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        test.forEach((k, v) -> {
            if (k.startsWith("grad.")) out.put(k.substring("grad.".length()), v);
        });
        return out;
    }

    /** Asserts max|actual - expected| / max|expected| <= tol, with the shapes equal. */
    static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
        assertNotNull(actual, what + ": no value");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape " + Arrays.toString(actual.shape())
                + ", expected " + Arrays.toString(expected.shape()));
        float[] e = expected.contiguous().toFloatArray(), a = actual.contiguous().toFloatArray();
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        double rel = maxDiff / Math.max(maxRef, 1e-30);
        assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol + " (max |diff| " + maxDiff
                + ", max |ref| " + maxRef + ")");
    }
}
