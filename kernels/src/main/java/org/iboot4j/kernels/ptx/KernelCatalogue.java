package org.iboot4j.kernels.ptx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.UnaryOp;

/**
 * Every kernel of the GPU backend: its module, entry name, parameters (types and order, exactly
 * as the {@code .param} list of its {@code .entry}) and recommended launch shape, so the runtime
 * launches by name. The PTX files' header comments explain each kernel; this class is the
 * machine-readable summary, and {@code KernelCatalogueTest} checks it against the PTX text.
 *
 * <h2>Conventions shared by all kernels</h2>
 * <ul>
 *   <li>Pointers ({@link ParamType#PTR}) are raw device addresses (u64) already advanced by the
 *       tensor's storage offset: kernels never see offsets. A pointer documented "0 = none" may be
 *       0 (an optional weight, bias, output or error flag).</li>
 *   <li>Element counts, sizes and strides are s32 (tensors have fewer than 2^31 elements);
 *       strides are in elements, not bytes.</li>
 *   <li>{@link ParamType#STRUCT} parameters are small structs passed by value
 *       ({@code .param .align 8 .b8 name[bytes]}); {@link PtxStructs} packs them little-endian.
 *       With JCuda, pass the packed bytes as {@code Pointer.to(byte[])}.</li>
 *   <li>Shared memory is static (declared in the PTX): launch with 0 dynamic shared bytes.</li>
 *   <li>Every kernel is written for any grid size (grid-stride loops) unless its launch note
 *       says otherwise, so the grids below are recommendations, not requirements.</li>
 * </ul>
 */
public final class KernelCatalogue {
    private KernelCatalogue() {}

    /** A kernel parameter's PTX type. */
    public enum ParamType {
        /** A device address: {@code .param .u64}. */
        PTR("u64", 8),
        /** {@code .param .s32}. */
        S32("s32", 4),
        /** {@code .param .f32}. */
        F32("f32", 4),
        /** {@code .param .f64}. */
        F64("f64", 8),
        /** A struct by value: {@code .param .align 8 .b8 name[bytes]}. */
        STRUCT("b8", -1);

        private final String ptxType;
        private final int bytes;

        ParamType(String ptxType, int bytes) {
            this.ptxType = ptxType;
            this.bytes = bytes;
        }

        /** The type as written in the {@code .param} declaration. */
        public String ptxType() {
            return ptxType;
        }

        /** Size in bytes; -1 for STRUCT (see {@link Param#bytes()}). */
        public int bytes() {
            return bytes;
        }
    }

    /** One parameter: name (as in the PTX), type, size in bytes, and what it holds. */
    public record Param(String name, ParamType type, int bytes, String doc) {
        public static Param ptr(String name, String doc) {
            return new Param(name, ParamType.PTR, 8, doc);
        }

        public static Param s32(String name, String doc) {
            return new Param(name, ParamType.S32, 4, doc);
        }

        public static Param f32(String name, String doc) {
            return new Param(name, ParamType.F32, 4, doc);
        }

        public static Param f64(String name, String doc) {
            return new Param(name, ParamType.F64, 8, doc);
        }

        public static Param struct(String name, int bytes, String doc) {
            return new Param(name, ParamType.STRUCT, bytes, doc);
        }
    }

    /**
     * The recommended launch: block (blockX, blockY, 1) and a grid described in words (the
     * runtime computes it from the shapes at hand). Dynamic shared memory is always 0.
     */
    public record Launch(int blockX, int blockY, String grid) {}

    /** One kernel. */
    public record Kernel(String name, PtxModule module, List<Param> params, Launch launch, String doc) {
        public Kernel {
            params = List.copyOf(params);
        }
    }

    /** Threads per block of the elementwise, indexing and pooling kernels. */
    public static final int ELEMENTWISE_BLOCK = 256;

    /** Most blocks any elementwise launch needs: the kernels are grid-stride loops. */
    public static final int ELEMENTWISE_MAX_GRID = 1 << 20;

    /** Most blocks of {@code sgd_step_norms} (its last block sums this many partials). */
    public static final int SGD_NORMS_MAX_GRID = 1024;

    /** Largest Gaussian kernel (taps) {@code blur_h} / {@code blur_v} accept: radius 63 (the engine's limit). */
    public static final int BLUR_MAX_TAPS = AugmentClip.BLUR_MAX_TAPS;

    private static final Map<String, Kernel> KERNELS = build();

    /** Every kernel, in catalogue order (module by module). */
    public static List<Kernel> all() {
        return List.copyOf(KERNELS.values());
    }

    /** The kernel called {@code name}; throws if there is none. */
    public static Kernel get(String name) {
        Kernel k = KERNELS.get(name);
        if (k == null) throw new IllegalArgumentException("no kernel called " + name + " in the PTX catalogue");
        return k;
    }

    /** Whether a kernel called {@code name} exists. */
    public static boolean contains(String name) {
        return KERNELS.containsKey(name);
    }

    /** The kernels of one module. */
    public static List<Kernel> of(PtxModule module) {
        List<Kernel> list = new ArrayList<>();
        for (Kernel k : KERNELS.values()) if (k.module() == module) list.add(k);
        return Collections.unmodifiableList(list);
    }

    // ---- names of the generated elementwise kernels ------------------------------------------

    /** {@code unary_<op>_f32}, e.g. {@code unary_quick_gelu_f32}. */
    public static String unary(UnaryOp op) {
        return "unary_" + op.name().toLowerCase(java.util.Locale.ROOT) + "_f32";
    }

    /** {@code binary_<op>_f32}; comparisons (EQ..GE) write bool (u8), the others f32. */
    public static String binary(BinaryOp op) {
        return "binary_" + op.name().toLowerCase(java.util.Locale.ROOT) + "_f32";
    }

    /** {@code where_<dtype>}: out = cond ? a : b with out, a, b of that dtype. */
    public static String where(DType dtype) {
        return "where_" + dtypeName(dtype);
    }

    /** {@code copy_<src>_<dst>}: strided copy with dtype conversion (PyTorch's casts). */
    public static String copy(DType src, DType dst) {
        return "copy_" + dtypeName(src) + "_" + dtypeName(dst);
    }

    /** {@code fill_<dtype>}. */
    public static String fill(DType dtype) {
        return "fill_" + dtypeName(dtype);
    }

    /** f32, i64 or bool: the suffix used in kernel names. */
    public static String dtypeName(DType dtype) {
        return switch (dtype) {
            case F32 -> "f32";
            case I64 -> "i64";
            case BOOL -> "bool";
        };
    }

    // ---- the catalogue -----------------------------------------------------------------------

    private static final String EW_GRID = "min(ceil(n / 256), 2^20) blocks (grid-stride loop)";

    private static Map<String, Kernel> build() {
        Map<String, Kernel> m = new LinkedHashMap<>();
        Launch ew = new Launch(ELEMENTWISE_BLOCK, 1, EW_GRID);
        Param geom = Param.struct("geom", PtxStructs.ELEMENTWISE_GEOMETRY_BYTES,
                "PtxStructs.elementwise: n, rank, shape[8], strides[4][8] (operand 0 = out, then the inputs in order)");

        // ---- elementwise (generated by ElementwisePtx) ----
        for (UnaryOp op : UnaryOp.values()) {
            add(m, new Kernel(unary(op), PtxModule.ELEMENTWISE, List.of(
                    Param.ptr("out", "f32 output"), Param.ptr("x", "f32 input"), geom), ew,
                    "out = " + op + "(x), as UnaryOp.apply"));
        }
        for (BinaryOp op : BinaryOp.values()) {
            add(m, new Kernel(binary(op), PtxModule.ELEMENTWISE, List.of(
                    Param.ptr("out", op.isComparison() ? "bool (u8) output" : "f32 output"),
                    Param.ptr("a", "f32 input"), Param.ptr("b", "f32 input"), geom), ew,
                    "out = " + op + "(a, b), as BinaryOp.apply / BinaryOp.test"));
        }
        for (DType t : DType.values()) {
            add(m, new Kernel(where(t), PtxModule.ELEMENTWISE, List.of(
                    Param.ptr("out", dtypeName(t) + " output"), Param.ptr("cond", "bool (u8) condition"),
                    Param.ptr("a", dtypeName(t) + " taken where cond"), Param.ptr("b", dtypeName(t) + " taken elsewhere"),
                    geom), ew, "out = cond ? a : b"));
        }
        for (DType s : DType.values()) {
            for (DType d : DType.values()) {
                add(m, new Kernel(copy(s, d), PtxModule.ELEMENTWISE, List.of(
                        Param.ptr("out", dtypeName(d) + " destination"), Param.ptr("src", dtypeName(s) + " source"), geom),
                        ew, "out = (" + dtypeName(d) + ") src, with CpuStorage's conversions"));
            }
        }
        for (DType t : DType.values()) {
            add(m, new Kernel(fill(t), PtxModule.ELEMENTWISE, List.of(
                    Param.ptr("out", dtypeName(t) + " destination"), Param.f64("value", "converted as CpuStorage.set"),
                    geom), ew, "out = value"));
        }

        // ---- bias_act.ptx ----
        Param act = Param.s32("act", "FusedActivation ordinal: 0 identity, 1 ReLU, 2 GELU, 3 QuickGELU");
        add(m, new Kernel("bias_act_forward_f32", PtxModule.BIAS_ACT, List.of(
                Param.ptr("out", "f32 (rows, width)"), Param.ptr("x", "f32 (rows, width), contiguous"),
                Param.ptr("bias", "f32 (width)"), Param.s32("n", "elements rows * width"),
                Param.s32("width", "row length D"), act), ew,
                "out = act(x + bias[i mod width]), as binary_add_f32 then unary_<act>_f32"));
        add(m, new Kernel("bias_act_backward_f32", PtxModule.BIAS_ACT, List.of(
                Param.ptr("gradX", "f32 (rows, width), 0 = none"),
                Param.ptr("gradBias", "f32 (width), written directly when gridDim.y = 1; 0 = none"),
                Param.ptr("partials", "f64 [gridDim.y][width] when gridDim.y > 1 (then bias_act_bias_grad_f32), else 0"),
                Param.ptr("gradOut", "f32 (rows, width)"), Param.ptr("x", "f32 (rows, width): the pre-bias input"),
                Param.ptr("bias", "f32 (width)"), Param.s32("rows", "number of rows"),
                Param.s32("width", "row length D"), act),
                new Launch(32, 8, "x: ceil(width / 32); y: row splits S (about 8 * SMs / x, at most ceil(rows / 8))"),
                "dx = g act'(x + bias); the bias' column sums (f64) per row split"));
        add(m, new Kernel("bias_act_bias_grad_f32", PtxModule.BIAS_ACT, List.of(
                Param.ptr("gradBias", "f32 (width)"), Param.ptr("partials", "f64 [splits][width] from bias_act_backward_f32"),
                Param.s32("splits", "gridDim.y of the backward launch"), Param.s32("width", "row length D")),
                new Launch(ELEMENTWISE_BLOCK, 1, "ceil(width / 256) blocks, one thread per column (no grid stride)"),
                "gradBias[j] = sum of partials[s][j] in split order (deterministic)"));

        // ---- reduce.ptx ----
        add(m, new Kernel("reduce_f32", PtxModule.REDUCE, List.of(
                Param.ptr("out", "f32, outCount * gridDim.y values: out[o * gridDim.y + blockIdx.y]"),
                Param.ptr("x", "f32 input (strided)"),
                Param.struct("geom", PtxStructs.REDUCE_GEOMETRY_BYTES,
                        "PtxStructs.reduce: outCount, redCount, kept/reduced ranks, shapes and strides"),
                Param.s32("op", "ReduceOp ordinal: 0 sum, 1 max, 2 min"),
                Param.s32("threadsPerOutput", "power of two in [1, blockDim.x]: the threads sharing one output"),
                Param.s32("chunk", "reduced elements per blockIdx.y split: ceil(redCount / gridDim.y)")),
                new Launch(256, 1, "x: min(ceil(outCount * threadsPerOutput / 256), 65535); y: splits S"
                        + " (1 = final result; S > 1 writes partials, reduce them with a second launch)"),
                "sum (f64 accumulation) / max / min (NaN propagates) of each output's reduced range"));

        // ---- softmax.ptx ----
        Launch rowsLaunch = new Launch(256, 1, "min(rows, 65535) blocks, one row per block (grid-stride over rows)");
        add(m, new Kernel("softmax_forward_f32", PtxModule.SOFTMAX, List.of(
                Param.ptr("out", "f32 (rows, width)"), Param.ptr("x", "f32 (rows, width), contiguous"),
                Param.s32("rows", "number of rows"), Param.s32("width", "row length D"),
                Param.s32("log", "1: log-softmax, 0: softmax")), rowsLaunch, "row softmax / log-softmax"));
        add(m, new Kernel("softmax_backward_f32", PtxModule.SOFTMAX, List.of(
                Param.ptr("gradX", "f32 (rows, width)"), Param.ptr("y", "the forward's output"),
                Param.ptr("gradY", "f32 (rows, width)"), Param.s32("rows", "number of rows"),
                Param.s32("width", "row length D"), Param.s32("log", "1: log-softmax, 0: softmax")),
                rowsLaunch, "softmax: dx = y (g - sum(g y)); log-softmax: dx = g - exp(y) sum(g)"));

        // ---- layer_norm.ptx ----
        add(m, new Kernel("layer_norm_forward_f32", PtxModule.LAYER_NORM, List.of(
                Param.ptr("out", "f32 (rows, width)"), Param.ptr("mean", "f32 (rows)"), Param.ptr("rstd", "f32 (rows)"),
                Param.ptr("x", "f32 (rows, width), contiguous"), Param.ptr("weight", "f32 (width), 0 = none"),
                Param.ptr("bias", "f32 (width), 0 = none"), Param.s32("rows", "number of rows"),
                Param.s32("width", "row length D"), Param.f32("eps", "added to the variance")),
                rowsLaunch, "out = (x - mean) * rstd * weight + bias; saves mean and rstd"));
        add(m, new Kernel("layer_norm_backward_f32", PtxModule.LAYER_NORM, List.of(
                Param.ptr("gradX", "f32 (rows, width)"), Param.ptr("gradOut", "f32 (rows, width)"),
                Param.ptr("x", "f32 (rows, width)"), Param.ptr("weight", "f32 (width), 0 = none"),
                Param.ptr("mean", "f32 (rows)"), Param.ptr("rstd", "f32 (rows)"),
                Param.s32("rows", "number of rows"), Param.s32("width", "row length D")),
                rowsLaunch, "dx = rstd (gh - mean(gh) - xhat mean(gh xhat)), gh = g * weight"));
        add(m, new Kernel("layer_norm_param_grad_f32", PtxModule.LAYER_NORM, List.of(
                Param.ptr("gradWeight", "f32 (width), ZERO-FILLED before the launch, 0 = none"),
                Param.ptr("gradBias", "f32 (width), ZERO-FILLED before the launch, 0 = none"),
                Param.ptr("gradOut", "f32 (rows, width)"), Param.ptr("x", "f32 (rows, width)"),
                Param.ptr("mean", "f32 (rows)"), Param.ptr("rstd", "f32 (rows)"),
                Param.s32("rows", "number of rows"), Param.s32("width", "row length D")),
                new Launch(32, 8, "x: ceil(width / 32); y: row splits S (about 4 * SMs / x; 1 = deterministic)"),
                "dweight[j] = sum_r g xhat, dbias[j] = sum_r g: column sums, atomically added per row split"));

        // ---- indexing.ptx ----
        Launch ewIdx = new Launch(ELEMENTWISE_BLOCK, 1, "min(ceil(elements / 256), 2^20) blocks (grid-stride loop)");
        add(m, new Kernel("index_select", PtxModule.INDEXING, List.of(
                Param.ptr("out", "(outer, picks, inner), contiguous"), Param.ptr("x", "(outer, size, inner), contiguous"),
                Param.ptr("index", "i64 (picks)"), Param.s32("outer", "product of dims before dim"),
                Param.s32("size", "x's size along dim"), Param.s32("inner", "product of dims after dim"),
                Param.s32("picks", "index length"), Param.s32("elemBytes", "1 (bool), 4 (f32) or 8 (i64)"),
                Param.ptr("err", "u32 flag set to 1 on an out-of-range index, 0 = none")),
                ewIdx, "out[o, i, j] = x[o, index[i], j]; one thread per output element"));
        add(m, new Kernel("index_add_f32", PtxModule.INDEXING, List.of(
                Param.ptr("dst", "f32 (outer, size, inner), contiguous, updated in place"),
                Param.ptr("src", "f32 (outer, picks, inner), contiguous"), Param.ptr("index", "i64 (picks)"),
                Param.s32("outer", "product of dims before dim"), Param.s32("size", "dst's size along dim"),
                Param.s32("inner", "product of dims after dim"), Param.s32("picks", "index length"),
                Param.ptr("err", "u32 flag set to 1 on an out-of-range index, 0 = none")),
                ewIdx, "dst[o, index[i], j] += src[o, i, j] (atomic adds); one thread per src element"));
        Param gatherGeom = Param.struct("geom", PtxStructs.GATHER_GEOMETRY_BYTES,
                "PtxStructs.gather: n, rank, dim, dimSize, indexShape[8], strides[8] of x (gather) / dst (scatter)");
        add(m, new Kernel("gather", PtxModule.INDEXING, List.of(
                Param.ptr("out", "index's shape, contiguous"), Param.ptr("x", "strided by geom.strides"),
                Param.ptr("index", "i64, contiguous"), gatherGeom,
                Param.s32("elemBytes", "1 (bool), 4 (f32) or 8 (i64)"),
                Param.ptr("err", "u32 flag set to 1 on an out-of-range index, 0 = none")),
                ewIdx, "out[p] = x[coords(p) with dim := index[p]]; one thread per index element"));
        add(m, new Kernel("scatter_add_f32", PtxModule.INDEXING, List.of(
                Param.ptr("dst", "f32, strided by geom.strides, updated in place"),
                Param.ptr("src", "f32, index's shape, contiguous"), Param.ptr("index", "i64, contiguous"), gatherGeom,
                Param.ptr("err", "u32 flag set to 1 on an out-of-range index, 0 = none")),
                ewIdx, "dst[coords(p) with dim := index[p]] += src[p] (atomic adds)"));

        // ---- adaptive_avg_pool.ptx ----
        Param poolGeom = Param.struct("geom", PtxStructs.POOL_GEOMETRY_BYTES,
                "PtxStructs.pool: N, C, T, H, W (input), To, Ho, Wo (output), strides[5] of the strided operand");
        add(m, new Kernel("adaptive_avg_pool3d_forward_f32", PtxModule.POOLING, List.of(
                Param.ptr("out", "f32 (N, C, To, Ho, Wo), contiguous"), Param.ptr("x", "f32 (N, C, T, H, W), strided"),
                poolGeom), new Launch(ELEMENTWISE_BLOCK, 1, "min(ceil(N C To Ho Wo / 256), 2^20)"),
                "each output averages input [floor(i In / Out), ceil((i + 1) In / Out)) per axis"));
        add(m, new Kernel("adaptive_avg_pool3d_backward_f32", PtxModule.POOLING, List.of(
                Param.ptr("gradX", "f32 (N, C, T, H, W), contiguous (overwritten)"),
                Param.ptr("gradOut", "f32 (N, C, To, Ho, Wo), strided"), poolGeom),
                new Launch(ELEMENTWISE_BLOCK, 1, "min(ceil(N C T H W / 256), 2^20)"),
                "each input element gathers g / windowSize from the outputs whose windows hold it (no atomics)"));

        // ---- sgd_step.ptx ----
        add(m, new Kernel("sgd_step_norms", PtxModule.SGD_STEP, List.of(
                Param.ptr("ws", "workspace: PtxStructs.sgdWorkspaceBytes(gridDim.x) bytes, ZEROED once at allocation"),
                Param.ptr("w", "f32 parameter (n), contiguous"), Param.ptr("g", "f32 gradient (n), contiguous"),
                Param.s32("n", "elements"), Param.f32("weightDecay", "SgdStep.weightDecay"),
                Param.f32("trust", "SgdStep.trustCoefficient (> 0: this kernel is only needed for LARS)"),
                Param.f32("eps", "SgdStep.eps")),
                new Launch(256, 1, "min(ceil(n / 2048), " + SGD_NORMS_MAX_GRID + ") blocks (at most " + SGD_NORMS_MAX_GRID + ")"),
                "||w||, ||g|| (f64), then the last block writes (decay, scale) of the LARS rule to ws"));
        add(m, new Kernel("sgd_step", PtxModule.SGD_STEP, List.of(
                Param.ptr("w", "f32 parameter (n), updated in place"), Param.ptr("g", "f32 gradient (n)"),
                Param.ptr("buf", "f32 momentum buffer (n), updated in place"),
                Param.ptr("coeff", "ws + " + PtxStructs.SGD_COEFF_OFFSET + " after sgd_step_norms (LARS), or 0 for plain SGD"),
                Param.s32("n", "elements"), Param.f32("lr", "SgdStep.lr"), Param.f32("momentum", "SgdStep.momentum"),
                Param.f32("weightDecay", "SgdStep.weightDecay (used when coeff is 0)"),
                Param.s32("nesterov", "1: Nesterov momentum")),
                new Launch(ELEMENTWISE_BLOCK, 1, "min(ceil(n / 256), 2^20) blocks (grid-stride loop)"),
                "d = (g + decay w) scale; b = mu b + d; w -= lr (nesterov ? d + mu b : b) (f64 arithmetic)"));

        // ---- cosine_loss.ptx ----
        add(m, new Kernel("cosine_loss", PtxModule.COSINE_LOSS, List.of(
                Param.ptr("loss", "f32 scalar: the mean over rows"), Param.ptr("gradK", "f32 (rows, width)"),
                Param.ptr("q", "f32 target (rows, width), contiguous"), Param.ptr("k", "f32 online (rows, width), contiguous"),
                Param.ptr("ws", "workspace: PtxStructs.cosineWorkspaceBytes(rows) bytes, ZEROED once at allocation"),
                Param.s32("rows", "number of rows N"), Param.s32("width", "row length D")),
                new Launch(256, 1, "min(rows, 65535) blocks, one row per block (grid-stride over rows)"),
                "loss = mean(2 - 2 cos(q, k)), gradK = d loss / dk, one pass; the last block sums the rows in order"));

        // ---- augment.ptx ----
        Param clipParams = Param.ptr("params", "device array of clips x PtxStructs.AUGMENT_PARAMS_BYTES (PtxStructs.augment)");
        add(m, new Kernel("augment_clip", PtxModule.AUGMENT, List.of(
                Param.ptr("out", "f32 (clips, 3, T, outH, outW)"),
                Param.ptr("lumaMean", "f32 (clips, T): written by pass 0, read by pass 1; 0 = none (no contrast anywhere)"),
                Param.ptr("frames", "u8 frames of all clips; clip c's (T, H, W, 3) at params[c].frameOffset"),
                clipParams, Param.s32("clips", "number of clips N"), Param.s32("frameCount", "frames per clip T"),
                Param.s32("outH", "crop height (224)"), Param.s32("outW", "crop width (224)"),
                Param.s32("pass", "0: per-frame mean luma for contrast (only clips whose jitter has contrast); 1: the output")),
                new Launch(256, 1, "(T, clips) blocks: one block per frame of each clip"),
                "resize + crop + flip + colour jitter + grayscale + normalise, uint8 in, float out"));
        Launch blurLaunch = new Launch(256, 1, "(T * 3, clips) blocks: one block per channel plane of each frame");
        add(m, new Kernel("blur_h", PtxModule.AUGMENT, List.of(
                Param.ptr("tmp", "f32 scratch (clips, 3, T, outH, outW)"), Param.ptr("img", "f32 (clips, 3, T, outH, outW)"),
                clipParams, Param.s32("clips", "number of clips N"), Param.s32("frameCount", "frames per clip T"),
                Param.s32("outH", "height"), Param.s32("outW", "width")), blurLaunch,
                "row pass of the Gaussian blur (reflect padding) for clips with blurSigma > 0"));
        add(m, new Kernel("blur_v", PtxModule.AUGMENT, List.of(
                Param.ptr("img", "f32 (clips, 3, T, outH, outW): blurred and normalised in place"),
                Param.ptr("tmp", "f32 scratch from blur_h"), clipParams, Param.s32("clips", "number of clips N"),
                Param.s32("frameCount", "frames per clip T"), Param.s32("outH", "height"), Param.s32("outW", "width")),
                blurLaunch, "column pass of the Gaussian blur, then (x - mean) / std, for clips with blurSigma > 0"));
        return Collections.unmodifiableMap(m);
    }

    private static void add(Map<String, Kernel> m, Kernel k) {
        if (m.put(k.name(), k) != null) throw new IllegalStateException("duplicate kernel " + k.name());
    }
}
