package org.iboot4j.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.data.Frames;
import org.iboot4j.nn.io.SafetensorsReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Checks every op of the augmentation, and whole clips, against torchvision 0.14 / PyTorch 1.13
 * (fixture {@code test-data/golden/augment.safetensors}, made by
 * {@code test-data/scripts/make_augment_golden.py}; each case's op and parameters are read from
 * the fixture's metadata, so they live in the script only).
 *
 * <p>Tolerances (max |ours - torch|, absolute, on values in [0, 1]):
 * <ul>
 *   <li>1e-6 for resize, crop, flip, brightness, saturation, grayscale, hue and normalisation
 *       (before normalisation): these repeat torchvision's float32 arithmetic step for step
 *       (same operand order, no fused multiply-add), so they agree to the last bit or within
 *       an ulp or two. Hue included: the HSV round trip is replicated op for op (fmod,
 *       floor, the sector formulas), so it does not need the looser ~1e-4 one might expect from
 *       a reformulated conversion.
 *   <li>1e-5 for contrast (torch sums the mean luma in float32 with its own summation order,
 *       we in double; the mean moves by ~1e-7, times |1 - f| up to 1) and the Gaussian blur
 *       (torchvision convolves with the float32 outer product of the 1-D kernel; we apply the
 *       1-D kernel twice, a different rounding of the same sum; exp may differ by an ulp).
 *   <li>whole clips: 1e-5 / min(std) after normalisation (the 1e-5 budget of the steps before,
 *       scaled by the division by std).
 * </ul>
 */
class AugmentGoldenTest {
    private static SafetensorsReader golden;
    private static final Map<String, Double> WORST = new HashMap<>();

    @BeforeAll
    static void open() throws IOException {
        golden = SafetensorsReader.open(testData().resolve("golden").resolve("augment.safetensors"));
    }

    @AfterAll
    static void close() {
        if (golden != null) golden.close();
        System.out.println("AugmentGoldenTest worst |ours - torchvision| per op: " + new java.util.TreeMap<>(WORST));
    }

    static Path testData() {
        String dir = System.getProperty("iboot.testData");
        return Path.of(dir == null || dir.isBlank() ? "../test-data" : dir);
    }

    @Test
    void fixtureHasEveryOp() {
        List<String> ops = new ArrayList<>();
        for (String name : cases()) ops.add(params(name).get("op"));
        for (String op : List.of("resize_short", "resize", "crop", "hflip", "brightness", "contrast", "saturation",
                "hue", "grayscale", "blur", "normalize", "pipeline")) {
            assertTrue(ops.contains(op), "no golden case for " + op);
        }
    }

    @TestFactory
    List<DynamicTest> everyCase() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : cases()) tests.add(DynamicTest.dynamicTest(name, () -> check(name)));
        return tests;
    }

    private static List<String> cases() {
        List<String> names = new ArrayList<>();
        for (String key : golden.metadata().keySet()) {
            if (golden.contains(key + ".out")) names.add(key);
        }
        assertTrue(names.size() > 50, "expected the golden cases in the fixture's metadata, found " + names.size());
        return names;
    }

    private static Map<String, String> params(String name) {
        Map<String, String> p = new HashMap<>();
        for (String kv : golden.metadata().get(name).split(" ")) {
            int eq = kv.indexOf('=');
            p.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return p;
    }

    private static void check(String name) {
        Map<String, String> p = params(name);
        String op = p.get("op");
        String input = "input." + p.get("input");
        float[] expected = golden.floats(name + ".out");
        int[] outShape = Arrays.stream(golden.info(name + ".out").shape()).mapToInt(Math::toIntExact).toArray();
        float[] ours;
        double tol;
        if (op.equals("pipeline")) {
            ours = pipeline(input, p);
            float minStd = Float.MAX_VALUE;
            for (float s : floats(p.get("std"))) minStd = Math.min(minStd, s);
            tol = 1e-5 / minStd;
        } else {
            float[] img = golden.floats(input);
            int[] shape = Arrays.stream(golden.info(input).shape()).mapToInt(Math::toIntExact).toArray();
            int c = shape[0], h = shape[1], w = shape[2], hw = h * w;
            tol = 1e-6;
            switch (op) {
                case "resize_short" -> {
                    int[] size = ImageOps.shortSideSize(h, w, Integer.parseInt(p.get("size")));
                    assertArrayEquals(new int[] {c, size[0], size[1]}, outShape, "torchvision's short-side size");
                    ours = ImageOps.resize(img, c, h, w, size[0], size[1]);
                }
                case "resize" -> ours = ImageOps.resize(img, c, h, w, Integer.parseInt(p.get("h")), Integer.parseInt(p.get("w")));
                case "crop" -> ours = ImageOps.crop(img, c, h, w, Integer.parseInt(p.get("top")),
                        Integer.parseInt(p.get("left")), Integer.parseInt(p.get("h")), Integer.parseInt(p.get("w")));
                case "hflip" -> {
                    ImageOps.hflip(img, c, h, w);
                    ours = img;
                }
                case "brightness" -> {
                    ImageOps.adjustBrightness(img, hw, Double.parseDouble(p.get("factor")));
                    ours = img;
                }
                case "contrast" -> {
                    ImageOps.adjustContrast(img, hw, Double.parseDouble(p.get("factor")));
                    ours = img;
                    tol = 1e-5;
                }
                case "saturation" -> {
                    ImageOps.adjustSaturation(img, hw, Double.parseDouble(p.get("factor")));
                    ours = img;
                }
                case "hue" -> {
                    ImageOps.adjustHue(img, hw, Double.parseDouble(p.get("factor")));
                    ours = img;
                }
                case "grayscale" -> {
                    ImageOps.grayscale(img, hw);
                    ours = img;
                }
                case "blur" -> {
                    ImageOps.gaussianBlur(img, c, h, w, Integer.parseInt(p.get("kernel")), Double.parseDouble(p.get("sigma")), null);
                    ours = img;
                    tol = 1e-5;
                }
                case "normalize" -> {
                    ImageOps.normalize(img, c, hw, floats(p.get("mean")), floats(p.get("std")));
                    ours = img;
                    tol = 1e-6 / 0.26;
                }
                default -> throw new AssertionError("unknown op " + op + " in case " + name);
            }
        }
        assertEquals(expected.length, ours.length, name + ": output size");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ours.length; i++) {
            double d = Math.abs(ours[i] - expected[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        synchronized (WORST) {
            WORST.merge(op, worst, Math::max);
        }
        if (!(worst <= tol)) {
            throw new AssertionError(name + ": max |ours - torchvision| = " + worst + " > " + tol + " at flat index "
                    + at + " (ours " + ours[at] + ", torch " + expected[at] + ")");
        }
    }

    /** The whole augmentation of one clip with the case's fixed parameters, via ClipAugmenter. */
    private static float[] pipeline(String input, Map<String, String> p) {
        // fixture clip: (T, 3, H, W) uint8 -> Frames (T, H, W, 3)
        int[] shape = Arrays.stream(golden.info(input).shape()).mapToInt(Math::toIntExact).toArray();
        int t = shape[0], h = shape[2], w = shape[3];
        long[] v = golden.longs(input);
        byte[] rgb = new byte[t * h * w * 3];
        for (int f = 0; f < t; f++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < h * w; i++) rgb[(f * h * w + i) * 3 + c] = (byte) v[(f * 3 + c) * h * w + i];
            }
        }
        Frames clip = new Frames(t, h, w, rgb);
        int shortSide = Integer.parseInt(p.get("short"));
        int[] size = ImageOps.shortSideSize(h, w, shortSide);
        String order = p.get("order");
        int[] jitterOrder = order.isEmpty() ? new int[0] : Arrays.stream(order.split(",")).mapToInt(Integer::parseInt).toArray();
        ClipAugmentation aug = new ClipAugmentation(h, w, shortSide, size[0], size[1],
                Integer.parseInt(p.get("top")), Integer.parseInt(p.get("left")),
                Integer.parseInt(p.get("crop_h")), Integer.parseInt(p.get("crop_w")),
                p.get("flip").equals("1"),
                Float.parseFloat(p.get("brightness")), Float.parseFloat(p.get("contrast")),
                Float.parseFloat(p.get("saturation")), Float.parseFloat(p.get("hue")),
                jitterOrder, p.get("gray").equals("1"),
                Float.parseFloat(p.get("sigma")), Integer.parseInt(p.get("kernel")),
                floats(p.get("mean")), floats(p.get("std")));
        return ClipAugmenter.apply(clip, aug);
    }

    private static float[] floats(String csv) {
        String[] parts = csv.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Float.parseFloat(parts[i]);
        return out;
    }
}
