package org.iboot4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.iboot4j.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Param;

/**
 * The shape table, the JMH parameters that name its cases, the whole-network cases at tiny sizes
 * and one tiny run of the harness. Runs no benchmark.
 */
class BenchHarnessTest {

    @Test
    void shippedTableParsesWithEverySlowR50LayerAtBothInputSizes() {
        ShapeTable table = ShapeTable.load();
        assertEquals(4, table.cases("gemm").size());
        List<ShapeTable.Case> convs = table.cases("conv3d");
        assertEquals(30, convs.size());
        for (String in : List.of("8x56x56", "8x28x28")) {
            Set<String> layers = convs.stream().filter(c -> c.params().get("in").equals(in))
                    .map(ShapeTable.Case::name).collect(Collectors.toSet());
            assertEquals(15, layers.size(), in);
        }
        ShapeTable.Case b = table.get("conv3d", "res3.conv_b@8x56x56");
        assertEquals(128, b.get("cin"));
        assertEquals(List.of(1, 2, 2), List.of(b.triple("s")[0], b.triple("s")[1], b.triple("s")[2]));
        assertEquals(2048, table.get("gemm", "square-2048").get("k"));
        assertFalse(table.cases("batchnorm").isEmpty());
        assertFalse(table.cases("maxpool").isEmpty());
        ShapeTable.Case vit = table.get("model", "vit-b16-dino.n1@1x224x224");
        assertEquals("vit-dino", vit.value("arch"));
        assertEquals(List.of(768, 12), List.of(vit.get("width"), vit.get("depth")));
        ShapeTable.Case slow = table.get("model", "slow-r50.n1@8x224x224");
        assertEquals("slow", slow.value("arch"));
        assertEquals(List.of(64, 50), List.of(slow.get("width"), slow.get("depth")));
        assertEquals(5, table.cases("model").size());
    }

    @Test
    void modelFlopsMatchPyTorchsOwnCount() {
        // Multiply-adds counted by forward hooks on the fixture scripts' torch models (Conv and
        // Linear outputs times their fan-in), plus 12 x 2 x 197^2 x 768 for ViT's attention products.
        assertEquals(2 * 41_740_828_672.0,
                ModelForward.slowFlops(ModelForward.slowConfig(64, 50), 1, new int[] {8, 224, 224}));
        // Odd sides (40 -> 20 -> 10 -> 5 -> 3 -> 2; 36 -> ... -> 2) and temporal kernels over T = 3.
        assertEquals(2 * 6_907_456.0,
                ModelForward.slowFlops(ModelForward.slowConfig(4, 50), 2, new int[] {3, 40, 36}));
        assertEquals(2 * (16_847_732_736.0 + 12 * 2 * 197 * 197 * 768.0),
                ModelForward.vitFlops(ModelForward.vitConfig("vit-dino", 224, 768, 12), 1));
        // CLIP adds its 768 -> 512 projection.
        assertEquals(ModelForward.vitFlops(ModelForward.vitConfig("vit-dino", 224, 768, 12), 8) + 8 * 2 * 768 * 512.0,
                ModelForward.vitFlops(ModelForward.vitConfig("vit-clip", 224, 768, 12), 8));
    }

    @Test
    void tinyModelCasesBuildTheNamedNetwork() throws Exception {
        ShapeTable table = ShapeTable.parse(new StringReader("""
                model clip arch=vit-clip n=2 in=1x32x32 width=64 depth=1
                model slow arch=slow n=1 in=2x32x32 width=4 depth=50
                model wide arch=vit-dino n=1 in=1x32x16 width=64 depth=1
                """), "t");
        Workload clip = Workload.of(Op.MODEL_FORWARD, table.get("model", "clip@1x32x32"));
        assertEquals("1 blocks of 1 heads, 2x3x32x32 -> 512", clip.shape());
        assertArrayEquals(new int[] {2, 512}, ((Tensor) clip.run()).shape());
        Workload slow = Workload.of(Op.MODEL_FORWARD, table.get("model", "slow@2x32x32"));
        assertEquals("R50 width 4, 1x3x2x32x32 -> 400", slow.shape());
        Tensor logits = (Tensor) slow.run();
        assertArrayEquals(new int[] {1, 400}, logits.shape());
        assertFalse(logits.requiresGrad());
        assertThrows(IllegalArgumentException.class, () -> Workload.of(Op.MODEL_FORWARD, table.get("model", "wide@1x32x16")));
        var e = assertThrows(IllegalArgumentException.class,
                () -> ShapeTable.parse(new StringReader("\nmodel m arch=vgg n=1 in=1x32x32 width=64 depth=1\n"), "t"));
        assertTrue(e.getMessage().startsWith("t:2: unknown arch 'vgg'"), e.getMessage());
    }

    @Test
    void everyJmhParameterNamesACaseAndEveryCaseHasABenchmark() throws Exception {
        ShapeTable table = ShapeTable.load();
        record Bench(Class<?> type, String field, String kind) {}
        for (Bench b : List.of(new Bench(GemmBenchmark.class, "gemm", "gemm"),
                new Bench(Conv3dBenchmark.class, "conv", "conv3d"),
                new Bench(BatchNormBenchmark.class, "bn", "batchnorm"),
                new Bench(MaxPoolBenchmark.class, "pool", "maxpool"),
                new Bench(ModelBenchmark.class, "model", "model"))) {
            Field f = b.type().getField(b.field());
            List<String> ids = List.of(f.getAnnotation(Param.class).value());
            assertEquals(table.cases(b.kind()).stream().map(ShapeTable.Case::id).toList(), ids, b.type().getName());
        }
        for (Op op : Op.values()) {
            String method = BenchmarkState.methodName(op);
            Class<?> type = switch (op.kind) {
                case "gemm" -> GemmBenchmark.class;
                case "conv3d" -> Conv3dBenchmark.class;
                case "batchnorm" -> BatchNormBenchmark.class;
                case "maxpool" -> MaxPoolBenchmark.class;
                default -> ModelBenchmark.class;
            };
            assertTrue(type.getMethod(method).isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class),
                    type.getSimpleName() + "." + method);
        }
    }

    @Test
    void badLinesAreRejectedWithTheirLineNumber() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ShapeTable.parse(new StringReader("gemm a m=1 k=2 n=3\nconv3d b n=1\n"), "t"));
        assertTrue(e.getMessage().startsWith("t:2: missing"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ShapeTable.parse(new StringReader("gemm a m=1 k=2x2x2 n=3\n"), "t"));
        assertThrows(IllegalArgumentException.class,
                () -> ShapeTable.parse(new StringReader("pool a n=1\n"), "t"));
        assertThrows(IllegalArgumentException.class,
                () -> ShapeTable.parse(new StringReader("gemm a m=1 k=2 n=3\ngemm a m=1 k=2 n=3\n"), "t"));
    }

    @Test
    void harnessRunsTinyShapesAndJoinsTorchTimes(@TempDir Path dir) throws Exception {
        Path shapes = dir.resolve("shapes.txt"), torch = dir.resolve("torch.tsv"), md = dir.resolve("out.md");
        Files.writeString(shapes, """
                gemm tiny m=8 k=16 n=4
                conv3d c n=1 cin=2 cout=3 in=2x5x5 k=1x3x3 s=1x2x2 p=0x1x1
                batchnorm b n=2 c=3 in=1x2x2
                maxpool p n=1 c=2 in=1x4x4 k=1x3x3 s=1x2x2 p=0x1x1
                model v arch=vit-dino n=1 in=1x32x32 width=64 depth=1
                """);
        // A torch time of 1000 ms for matmul makes its ratio huge (met); 1e-9 ms for sgemm (not met).
        Files.writeString(torch, "#meta\ttorch\ttest\nmatmul\ttiny\t1000\t3\nsgemm\ttiny\t0.000000001\t3\n");
        var out = new ByteArrayOutputStream();
        var log = new ByteArrayOutputStream();
        int rc = CompareMain.run(new String[] {"--shapes", shapes.toString(), "--torch", torch.toString(),
                "--out", md.toString(), "--warmup", "0", "--warmup-seconds", "0", "--reps", "1", "--budget", "0",
                "--meta", "date=today"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(0, rc);
        String table = Files.readString(md);
        assertEquals(out.toString(StandardCharsets.UTF_8), table);
        assertTrue(table.contains("- **date**: today"), table);
        assertTrue(table.contains("- **torch**: test"), table);
        assertTrue(table.matches("(?s).*\\| matmul \\| tiny \\| 8x16x4 \\(MxKxN\\) \\| 1000\\.0 \\| [0-9.]+ \\| [0-9.]+ \\| 0\\.7x \\| met \\|.*"), table);
        assertTrue(table.contains("| 0.7x | not met |"), table);
        for (String op : List.of("conv3d fwd", "conv3d bwd-data", "conv3d bwd-filter", "batch_norm train fwd+bwd",
                "max_pool3d fwd", "max_pool3d fwd+bwd", "model forward")) {
            assertTrue(table.contains("| " + op + " | "), op + " missing from\n" + table);
        }
        assertTrue(table.contains("| conv3d fwd | c@2x5x5 | 1x2x2x5x5 -> 3, k1x3x3 s1x2x2 p0x1x1 | — |"), table);
        assertTrue(table.contains("| model forward | v@1x32x32 | 1 blocks of 1 heads, 1x3x32x32 -> 64 | — |"), table);
        assertTrue(table.contains("## Summary"), table);
    }

    @Test
    void timingTakesTheMedianAndStopsAtTheBudget() {
        int[] calls = {0};
        Workload w = new CountingWorkload(calls);
        Timing.Result r = new Timing(1, 0, 5, 2, 0).measure(w);
        assertEquals(2, r.runs()); // budget 0: stops at min-reps
        assertEquals(3, calls[0]);
        assertTrue(r.medianMs() >= 0 && r.minMs() <= r.medianMs());
    }

    /** A workload that only counts its runs. */
    private static final class CountingWorkload extends Workload {
        private final int[] calls;

        CountingWorkload(int[] calls) {
            super("none", 0);
            this.calls = calls;
        }

        @Override
        public Object run() {
            return ++calls[0];
        }
    }
}
