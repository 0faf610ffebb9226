package org.iboot4j.kernels.ptx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.FusedActivation;
import org.iboot4j.engine.backend.UnaryOp;
import org.iboot4j.kernels.ptx.KernelCatalogue.Kernel;
import org.iboot4j.kernels.ptx.KernelCatalogue.Param;
import org.iboot4j.kernels.ptx.KernelCatalogue.ParamType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue against the PTX text: every catalogued kernel is a {@code .visible .entry} of its
 * module with exactly the declared parameters (names, types, struct sizes, order); every entry of
 * every module is catalogued; every op of the engine's enums has its kernel; and each
 * hand-written file carries the header the design asks for.
 */
class KernelCatalogueTest {

    /** One {@code .param} of an entry as written in the PTX. */
    record PtxParam(String name, String type, int bytes) {}

    private static final Pattern ENTRY = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern SCALAR = Pattern.compile("\\.param\\s+\\.(u64|s32|f32|f64)\\s+(\\w+)");
    private static final Pattern STRUCT = Pattern.compile("\\.param\\s+\\.align\\s+8\\s+\\.b8\\s+(\\w+)\\s*\\[(\\d+)]");

    /** The entries of a PTX text with their parameter lists, in file order. */
    static Map<String, List<PtxParam>> entries(String ptx) {
        String code = ptx.replaceAll("//[^\n]*", "");
        Map<String, List<PtxParam>> map = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(code);
        while (m.find()) {
            List<PtxParam> params = new ArrayList<>();
            String list = m.group(2).strip();
            if (!list.isEmpty()) {
                for (String decl : list.split(",")) {
                    decl = decl.strip();
                    Matcher s = SCALAR.matcher(decl), st = STRUCT.matcher(decl);
                    if (s.matches()) {
                        params.add(new PtxParam(s.group(2), s.group(1), s.group(1).equals("u64") || s.group(1).equals("f64") ? 8 : 4));
                    } else if (st.matches()) {
                        params.add(new PtxParam(st.group(1), "b8", Integer.parseInt(st.group(2))));
                    } else {
                        throw new AssertionError("unparsed parameter of " + m.group(1) + ": " + decl);
                    }
                }
            }
            if (map.put(m.group(1), params) != null) throw new AssertionError("entry " + m.group(1) + " declared twice");
        }
        return map;
    }

    @ParameterizedTest(name = "{0}: catalogue matches the PTX")
    @EnumSource(PtxModule.class)
    void everyCatalogueEntryExistsWithItsSignature(PtxModule module) {
        Map<String, List<PtxParam>> ptx = entries(module.source());
        List<Kernel> kernels = KernelCatalogue.of(module);
        assertFalse(kernels.isEmpty(), module + " has no catalogued kernel");
        for (Kernel k : kernels) {
            List<PtxParam> actual = ptx.get(k.name());
            assertNotNull(actual, () -> k.name() + " is not a .visible .entry of " + module);
            assertEquals(k.params().size(), actual.size(), () -> k.name() + ": parameter count " + actual);
            for (int i = 0; i < actual.size(); i++) {
                Param want = k.params().get(i);
                PtxParam got = actual.get(i);
                String where = k.name() + " parameter " + i;
                assertEquals(want.name(), got.name(), where + " name");
                assertEquals(want.type().ptxType(), got.type(), where + " (" + want.name() + ") type");
                assertEquals(want.bytes(), got.bytes(), where + " (" + want.name() + ") size");
                if (want.type() != ParamType.STRUCT) assertEquals(want.type().bytes(), want.bytes(), where);
            }
        }
        Set<String> uncatalogued = new TreeSet<>(ptx.keySet());
        kernels.forEach(k -> uncatalogued.remove(k.name()));
        assertTrue(uncatalogued.isEmpty(), () -> module + " has entries missing from the catalogue: " + uncatalogued);
    }

    @Test
    void everyEngineOpHasItsKernel() {
        for (UnaryOp op : UnaryOp.values()) assertEquals(PtxModule.ELEMENTWISE, KernelCatalogue.get(KernelCatalogue.unary(op)).module());
        for (BinaryOp op : BinaryOp.values()) {
            Kernel k = KernelCatalogue.get(KernelCatalogue.binary(op));
            assertEquals(op.isComparison() ? "bool (u8) output" : "f32 output", k.params().get(0).doc());
        }
        for (DType t : DType.values()) {
            assertTrue(KernelCatalogue.contains(KernelCatalogue.where(t)));
            assertTrue(KernelCatalogue.contains(KernelCatalogue.fill(t)));
            for (DType d : DType.values()) assertTrue(KernelCatalogue.contains(KernelCatalogue.copy(t, d)));
        }
        for (String named : new String[] {"reduce_f32", "softmax_forward_f32", "softmax_backward_f32",
                "layer_norm_forward_f32", "layer_norm_backward_f32", "layer_norm_param_grad_f32", "index_select",
                "index_add_f32", "gather", "scatter_add_f32", "adaptive_avg_pool3d_forward_f32",
                "adaptive_avg_pool3d_backward_f32", "sgd_step_norms", "sgd_step", "cosine_loss", "augment_clip",
                "blur_h", "blur_v", "bias_act_forward_f32", "bias_act_backward_f32", "bias_act_bias_grad_f32"}) {
            assertTrue(KernelCatalogue.contains(named), named);
        }
        assertEquals(ElementwisePtx.kernelNames(),
                KernelCatalogue.of(PtxModule.ELEMENTWISE).stream().map(Kernel::name).toList());
    }

    /** bias_act.ptx branches on FusedActivation's ordinal with these constants. */
    @Test
    void theFusedActivationOrdinalsAreTheOnesTheKernelsTest() {
        assertEquals(List.of(FusedActivation.IDENTITY, FusedActivation.RELU, FusedActivation.GELU,
                FusedActivation.QUICK_GELU), List.of(FusedActivation.values()));
        assertEquals("FusedActivation ordinal: 0 identity, 1 ReLU, 2 GELU, 3 QuickGELU",
                KernelCatalogue.get("bias_act_forward_f32").params().get(5).doc());
    }

    @Test
    void launchShapesAreSane() {
        for (Kernel k : KernelCatalogue.all()) {
            int threads = k.launch().blockX() * k.launch().blockY();
            assertTrue(threads > 0 && threads <= 1024 && threads % 32 == 0, k.name() + " block " + k.launch());
            assertFalse(k.launch().grid().isBlank(), k.name());
        }
    }

    /** Every module declares the same PTX version, target and address size. */
    @ParameterizedTest(name = "{0}: .version / .target / .address_size")
    @EnumSource(PtxModule.class)
    void directives(PtxModule module) {
        String code = module.source().replaceAll("//[^\n]*", "");
        assertTrue(code.contains(".version 8.0"), module + ": .version 8.0");
        assertTrue(code.contains(".target sm_80"), module + ": .target sm_80");
        assertTrue(code.contains(".address_size 64"), module + ": .address_size 64");
        assertTrue(module.source().chars().allMatch(c -> c < 128), module + " is not plain ASCII");
    }

    /** The modules written by hand (the elementwise family is generated, and documented in ElementwisePtx). */
    static Stream<PtxModule> handWrittenModules() {
        return Arrays.stream(PtxModule.values()).filter(m -> !m.generated());
    }

    /**
     * Each hand-written file opens with the comment the design asks for: the algorithm, memory
     * traffic, launch shape and parameters, and names its CPU twin, which must exist.
     */
    @ParameterizedTest(name = "{0}: header comment")
    @MethodSource("handWrittenModules")
    void handWrittenFilesExplainThemselves(PtxModule module) {
        String src = module.source();
        assertTrue(src.startsWith("//"), module + " must open with a comment");
        String header = src.substring(0, src.indexOf(".version"));
        for (String section : new String[] {"CPU twin:", "MEMORY TRAFFIC", "LAUNCH", "PARAMETERS", "ALGORITHM"}) {
            assertTrue(header.contains(section), module.resource() + " header lacks " + section);
        }
        String root = System.getProperty("iboot.testData");
        Assumptions.assumeTrue(root != null, "iboot.testData not set: CPU twin paths not checked");
        Path repo = Path.of(root).getParent();
        Matcher m = Pattern.compile("CPU twin: (\\S+\\.java)").matcher(header);
        assertTrue(m.find(), module + " names no CPU twin file");
        Path twin = repo.resolve(m.group(1));
        assertTrue(Files.isRegularFile(twin), module + ": CPU twin " + twin + " does not exist");
    }
}
