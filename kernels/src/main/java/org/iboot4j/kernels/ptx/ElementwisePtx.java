package org.iboot4j.kernels.ptx;

import java.util.ArrayList;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.backend.BinaryOp;
import org.iboot4j.engine.backend.UnaryOp;

/**
 * Emits the PTX of the elementwise family: one kernel per {@link UnaryOp}, per {@link BinaryOp}
 * (comparisons write bool), {@code where}, strided {@code copy} with dtype conversion and
 * {@code fill} per dtype. The kernels differ only in the few instructions that compute one
 * element, so they share one skeleton, written once below ({@link #kernel}); the per-op
 * instructions ({@link #unaryBody}, {@link #binaryBody} and the math routines {@link #EXP},
 * {@link #LOG}, {@link #PHI}, ...) are plain PTX text. DESIGN.md allows exactly this for
 * near-identical families; the named kernels are hand-written {@code .ptx} files.
 *
 * <h2>The skeleton</h2>
 * A grid-stride loop over the n output elements (block 256, grid min(ceil(n / 256), 2^20)). The
 * operands are strided views of rank <= 8 described by one by-value struct ({@code ew_geom}, see
 * {@link PtxStructs#elementwise}): the linear output index i is split into coordinates by
 * dividing by the dims from the innermost out, and each operand's element offset is the dot
 * product of the coordinates with its strides (a stride of 0 is a broadcast dimension). The
 * host merges dims that are contiguous in every operand, so contiguous tensors arrive as rank 1
 * and pay no division at all. Memory traffic: one read per input element and one write per
 * output element; nothing is staged in shared memory.
 *
 * <h2>Arithmetic versus the CPU twin ({@code UnaryOp.apply}, {@code BinaryOp.apply})</h2>
 * add/sub/mul/div, sqrt, the comparisons, relu, abs, neg, sign, maximum/minimum (NaN and signed
 * zeros as Java's Math.max/min), the *_GRAD_FROM_OUTPUT ops and rsqrt (done in f64) give the
 * same bits as the CPU: every operation carries an explicit rounding mode ({@code .rn}) so ptxas
 * cannot contract a multiply and an add into an fma the CPU does not do. exp, log, tanh,
 * sigmoid, GELU (erf as Numerical Recipes' erfc fit, the same approximation as Erf.java) and
 * QuickGELU are computed in f32 with range reduction, within a few ulp of the CPU's double
 * evaluation; pow works in f64 (log and exp by series) and follows Java's Math.pow special cases.
 */
public final class ElementwisePtx {
    private ElementwisePtx() {}

    private static volatile String cached;

    /** The whole module's PTX text (built once). */
    public static String source() {
        String s = cached;
        if (s == null) cached = s = build();
        return s;
    }

    /** The names of every kernel this template emits, in module order. */
    public static List<String> kernelNames() {
        List<String> names = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) names.add(KernelCatalogue.unary(op));
        for (BinaryOp op : BinaryOp.values()) names.add(KernelCatalogue.binary(op));
        for (DType t : DType.values()) names.add(KernelCatalogue.where(t));
        for (DType s : DType.values()) for (DType d : DType.values()) names.add(KernelCatalogue.copy(s, d));
        for (DType t : DType.values()) names.add(KernelCatalogue.fill(t));
        return names;
    }

    private static String build() {
        StringBuilder sb = new StringBuilder(1 << 18);
        sb.append(HEADER);
        for (UnaryOp op : UnaryOp.values()) {
            kernel(sb, KernelCatalogue.unary(op), "y = " + op + "(x)", DType.F32,
                    List.of(new Operand("x", DType.F32)), "", unaryBody(op));
        }
        for (BinaryOp op : BinaryOp.values()) {
            kernel(sb, KernelCatalogue.binary(op), "y = " + op + "(a, b)", op.isComparison() ? DType.BOOL : DType.F32,
                    List.of(new Operand("a", DType.F32), new Operand("b", DType.F32)), "", binaryBody(op));
        }
        for (DType t : DType.values()) whereKernel(sb, t);
        for (DType s : DType.values()) {
            for (DType d : DType.values()) {
                kernel(sb, KernelCatalogue.copy(s, d), "y = (" + KernelCatalogue.dtypeName(d) + ") src", d,
                        List.of(new Operand("src", s)), "", convert(s, d));
            }
        }
        for (DType t : DType.values()) fillKernel(sb, t);
        return sb.toString();
    }

    private static final String HEADER = """
            //
            // elementwise.ptx -- GENERATED at run time by org.iboot4j.kernels.ptx.ElementwisePtx
            // (the template and its documentation live there; this text is never committed).
            //
            // Every kernel: y[i] = f(inputs at i) for i in [0, n), a grid-stride loop, block 256.
            // Operands are strided views (rank <= 8, stride 0 = broadcast) described by the by-value
            // struct geom (ew_geom, 168 bytes):
            //   +0 s32 n | +4 s32 rank | +8 s32 shape[8] (outermost first) |
            //   +40 s32 stride[4][8] (operand 0 = y, then the inputs in parameter order; in elements)
            // Pointers arrive already advanced by the tensors' offsets. Traffic: one read per input
            // element, one write per output element. CPU twins: UnaryOp.apply, BinaryOp.apply,
            // CpuElementwise (copy, fill, where).
            //
            .version 8.0
            .target sm_80
            .address_size 64

            """;

    /** A kernel input: its parameter name, dtype, and whether the skeleton loads it (%v<k>). */
    private record Operand(String name, DType dtype, boolean load) {
        Operand(String name, DType dtype) {
            this(name, dtype, true);
        }
    }

    private static int bytes(DType t) {
        return switch (t) {
            case F32 -> 4;
            case I64 -> 8;
            case BOOL -> 1;
        };
    }

    /** The register type and load/store type of a dtype's values. */
    private static String reg(DType t) {
        return switch (t) {
            case F32 -> "f32";
            case I64 -> "s64";
            case BOOL -> "u16";
        };
    }

    private static String mem(DType t) {
        return switch (t) {
            case F32 -> "f32";
            case I64 -> "s64";
            case BOOL -> "u8";
        };
    }

    /**
     * The skeleton. Registers the body may use: inputs %v0, %v1, %v2 (in the operands' register
     * types), the output %vy; the body opens its own { } scope for temporaries.
     */
    private static void kernel(StringBuilder sb, String name, String what, DType out, List<Operand> inputs,
            String extraParams, String body) {
        int ops = 1 + inputs.size();
        sb.append("// ").append(name).append(": ").append(what).append('\n');
        sb.append(".visible .entry ").append(name).append("(\n");
        sb.append("    .param .u64 out,\n");
        for (Operand in : inputs) sb.append("    .param .u64 ").append(in.name()).append(",\n");
        sb.append(extraParams);
        sb.append("    .param .align 8 .b8 geom[").append(PtxStructs.ELEMENTWISE_GEOMETRY_BYTES).append("]\n)\n{\n");
        sb.append("""
                    .reg .pred  %p, %pr<8>;
                    .reg .b32   %r<6>, %n, %rank, %i, %step, %t, %q, %c;
                    .reg .b32   %sh<8>;
                    .reg .b64   %rw;
                """);
        sb.append("    .reg .b32   ");
        for (int k = 0; k < ops; k++) {
            sb.append(k == 0 ? "" : ", ").append("%off").append(k);
            for (int d = 0; d < 8; d++) sb.append(", %st").append(k).append('_').append(d);
        }
        sb.append(";\n    .reg .b64   ");
        for (int k = 0; k < ops; k++) sb.append(k == 0 ? "" : ", ").append("%base").append(k).append(", %ad").append(k);
        sb.append(";\n");
        sb.append("    .reg .").append(reg(out)).append(" %vy;\n");
        for (int k = 0; k < inputs.size(); k++) {
            if (inputs.get(k).load()) sb.append("    .reg .").append(reg(inputs.get(k).dtype())).append(" %v").append(k).append(";\n");
        }
        sb.append("\n    // ---- parameters: base pointers, n, rank, shape, strides\n");
        sb.append("    ld.param.u64 %base0, [out];\n    cvta.to.global.u64 %base0, %base0;\n");
        for (int k = 0; k < inputs.size(); k++) {
            sb.append("    ld.param.u64 %base").append(k + 1).append(", [").append(inputs.get(k).name()).append("];\n");
            sb.append("    cvta.to.global.u64 %base").append(k + 1).append(", %base").append(k + 1).append(";\n");
        }
        sb.append("    ld.param.u32 %n, [geom+0];\n    ld.param.u32 %rank, [geom+4];\n");
        for (int d = 0; d < 8; d++) sb.append("    ld.param.u32 %sh").append(d).append(", [geom+").append(8 + 4 * d).append("];\n");
        for (int k = 0; k < ops; k++) {
            for (int d = 0; d < 8; d++) {
                sb.append("    ld.param.u32 %st").append(k).append('_').append(d).append(", [geom+")
                        .append(40 + 32 * k + 4 * d).append("];\n");
            }
        }
        sb.append("    // %pr<d>: dimension d exists (d < rank)\n");
        for (int d = 1; d < 8; d++) sb.append("    setp.lt.s32 %pr").append(d).append(", ").append(d).append(", %rank;\n");
        sb.append("""

                    // ---- i = global thread index; step = all threads of the grid
                    mov.u32 %r1, %ctaid.x;
                    mov.u32 %r2, %ntid.x;
                    mov.u32 %r3, %tid.x;
                    mad.lo.u32 %i, %r1, %r2, %r3;
                    mov.u32 %r4, %nctaid.x;
                    mul.lo.u32 %step, %r4, %r2;
                    setp.ge.u32 %p, %i, %n;
                    @%p bra $done;
                $loop:
                    // ---- split i into coordinates (innermost dim first), accumulate each operand's offset
                    mov.u32 %t, %i;
                """);
        for (int k = 0; k < ops; k++) sb.append("    mov.u32 %off").append(k).append(", 0;\n");
        sb.append("    @!%pr1 bra.uni $d0;                 // rank 1: the index is the coordinate, no division\n");
        for (int d = 2; d < 8; d++) sb.append("    @!%pr").append(d).append(" bra.uni $d").append(d - 1).append(";\n");
        for (int d = 7; d >= 1; d--) {
            sb.append("$d").append(d).append(":\n");
            sb.append("    div.u32 %q, %t, %sh").append(d).append(";\n");
            sb.append("    mul.lo.u32 %c, %q, %sh").append(d).append(";\n");
            sb.append("    sub.u32 %c, %t, %c;                 // coordinate along dim ").append(d).append('\n');
            for (int k = 0; k < ops; k++) {
                sb.append("    mad.lo.s32 %off").append(k).append(", %c, %st").append(k).append('_').append(d)
                        .append(", %off").append(k).append(";\n");
            }
            sb.append("    mov.u32 %t, %q;\n");
        }
        sb.append("$d0:\n");
        for (int k = 0; k < ops; k++) {
            sb.append("    mad.lo.s32 %off").append(k).append(", %t, %st").append(k).append("_0, %off").append(k).append(";\n");
        }
        sb.append("    // ---- addresses and loads\n");
        DType[] types = new DType[ops];
        types[0] = out;
        for (int k = 0; k < inputs.size(); k++) types[k + 1] = inputs.get(k).dtype();
        for (int k = 0; k < ops; k++) {
            sb.append("    mul.wide.s32 %rw, %off").append(k).append(", ").append(bytes(types[k])).append(";\n");
            sb.append("    add.s64 %ad").append(k).append(", %base").append(k).append(", %rw;\n");
        }
        for (int k = 0; k < inputs.size(); k++) {
            if (!inputs.get(k).load()) continue;
            sb.append("    ld.global.").append(mem(types[k + 1])).append(" %v").append(k).append(", [%ad").append(k + 1).append("];\n");
        }
        sb.append("    // ---- the element\n");
        sb.append(indent(body));
        sb.append("    st.global.").append(mem(out)).append(" [%ad0], %vy;\n");
        sb.append("""
                    add.u32 %i, %i, %step;
                    setp.lt.u32 %p, %i, %n;
                    @%p bra $loop;
                $done:
                    ret;
                }

                """);
    }

    private static String indent(String body) {
        StringBuilder b = new StringBuilder();
        for (String line : body.split("\n")) {
            if (!line.isBlank()) b.append("    ").append(line);
            b.append('\n');
        }
        return b.toString();
    }

    /** where: the condition picks which address to load from, so only one of a and b is read. */
    private static void whereKernel(StringBuilder sb, DType t) {
        String body = """
                {   // %v0 = cond; the value comes from a (%ad2) where cond != 0, else from b (%ad3)
                    .reg .pred %w_c;
                    .reg .b64 %w_ad;
                    setp.ne.u16 %w_c, %v0, 0;
                    selp.b64 %w_ad, %ad2, %ad3, %w_c;
                    ld.global.MEM %vy, [%w_ad];
                }
                """.replace("MEM", mem(t));
        kernel(sb, KernelCatalogue.where(t), "y = cond ? a : b", t,
                List.of(new Operand("cond", DType.BOOL), new Operand("a", t, false), new Operand("b", t, false)), "", body);
    }

    private static void fillKernel(StringBuilder sb, DType t) {
        String name = KernelCatalogue.fill(t);
        // The value is converted once per element (a few instructions; n is memory-bound anyway).
        String body = switch (t) {
            case F32 -> """
                    {   // (float) value
                        .reg .f64 %fl_v;
                        ld.param.f64 %fl_v, [value];
                        cvt.rn.f32.f64 %vy, %fl_v;
                    }
                    """;
            case I64 -> """
                    {   // (long) value: truncation toward zero, saturating, NaN -> 0 (as Java)
                        .reg .f64 %fl_v;
                        ld.param.f64 %fl_v, [value];
                        cvt.rzi.s64.f64 %vy, %fl_v;
                    }
                    """;
            case BOOL -> """
                    {   // value != 0 (NaN counts as true)
                        .reg .f64 %fl_v;
                        .reg .pred %fl_p;
                        ld.param.f64 %fl_v, [value];
                        setp.neu.f64 %fl_p, %fl_v, 0d0000000000000000;
                        selp.u16 %vy, 1, 0, %fl_p;
                    }
                    """;
        };
        kernel(sb, name, "y = value", t, List.of(), "    .param .f64 value,\n", body);
    }

    /** The conversion %v0 (src dtype) -> %vy (dst dtype), as CpuStorage.get then set. */
    private static String convert(DType s, DType d) {
        if (s == d) {
            return switch (s) {
                case F32 -> "mov.f32 %vy, %v0;\n";
                case I64 -> "mov.b64 %vy, %v0;\n";
                case BOOL -> "mov.u16 %vy, %v0;\n";
            };
        }
        return switch (s) {
            case F32 -> switch (d) {
                case I64 -> "cvt.rzi.s64.f32 %vy, %v0;                 // (long): truncate, saturate, NaN -> 0\n";
                case BOOL -> """
                        {   // v != 0 (NaN is true)
                            .reg .pred %cv_p;
                            setp.neu.f32 %cv_p, %v0, 0f00000000;
                            selp.u16 %vy, 1, 0, %cv_p;
                        }
                        """;
                default -> throw new IllegalStateException();
            };
            case I64 -> switch (d) {
                case F32 -> """
                        {   // (float) (double) v: the same two roundings as the CPU's get/set
                            .reg .f64 %cv_d;
                            cvt.rn.f64.s64 %cv_d, %v0;
                            cvt.rn.f32.f64 %vy, %cv_d;
                        }
                        """;
                case BOOL -> """
                        {   // v != 0
                            .reg .pred %cv_p;
                            setp.ne.s64 %cv_p, %v0, 0;
                            selp.u16 %vy, 1, 0, %cv_p;
                        }
                        """;
                default -> throw new IllegalStateException();
            };
            case BOOL -> switch (d) {
                case F32 -> """
                        {   // 1 or 0
                            .reg .pred %cv_p;
                            setp.ne.u16 %cv_p, %v0, 0;
                            selp.f32 %vy, 0f3F800000, 0f00000000, %cv_p;
                        }
                        """;
                case I64 -> """
                        {   // 1 or 0
                            .reg .pred %cv_p;
                            setp.ne.u16 %cv_p, %v0, 0;
                            selp.s64 %vy, 1, 0, %cv_p;
                        }
                        """;
                default -> throw new IllegalStateException();
            };
        };
    }

    // ---- the per-op instructions -------------------------------------------------------------

    /** Substitutes a routine's input and output registers. */
    private static String call(String routine, String in, String out) {
        return routine.replace("<x>", in).replace("<y>", out);
    }

    private static String unaryBody(UnaryOp op) {
        return switch (op) {
            case NEG -> "neg.f32 %vy, %v0;\n";
            case EXP -> call(EXP, "%v0", "%vy");
            case LOG -> call(LOG, "%v0", "%vy");
            case SQRT -> "sqrt.rn.f32 %vy, %v0;                     // correctly rounded, as (float) Math.sqrt\n";
            case RSQRT -> """
                    {   // (float) (1 / Math.sqrt(x)) exactly: sqrt and reciprocal in f64, one final rounding
                        .reg .f64 %rs_d;
                        cvt.f64.f32 %rs_d, %v0;
                        sqrt.rn.f64 %rs_d, %rs_d;
                        rcp.rn.f64 %rs_d, %rs_d;
                        cvt.rn.f32.f64 %vy, %rs_d;
                    }
                    """;
            case ABS -> "abs.f32 %vy, %v0;\n";
            case SIGN -> """
                    {   // Math.signum: +-1 with x's sign; +-0 and NaN are returned as they are
                        .reg .f32 %sg_one;
                        .reg .pred %sg_keep;
                        copysign.f32 %sg_one, %v0, 0f3F800000;
                        setp.equ.f32 %sg_keep, %v0, 0f00000000;   // x == 0 or x is NaN
                        selp.f32 %vy, %v0, %sg_one, %sg_keep;
                    }
                    """;
            case RELU -> """
                    {   // x > 0 || x is NaN ? x : 0 (NaN propagates, -0 becomes +0)
                        .reg .pred %rl_p;
                        setp.gtu.f32 %rl_p, %v0, 0f00000000;
                        selp.f32 %vy, %v0, 0f00000000, %rl_p;
                    }
                    """;
            case SIGMOID -> call(SIGMOID, "%v0", "%vy");
            case TANH -> call(TANH, "%v0", "%vy");
            case GELU -> """
                    {   // x * Phi(x)
                        .reg .f32 %gl_phi;
                    """ + call(PHI, "%v0", "%gl_phi") + """
                        mul.rn.f32 %vy, %v0, %gl_phi;
                    }
                    """;
            case QUICK_GELU -> """
                    {   // x * sigmoid(1.702 x), the product 1.702 x rounded to float as in Java
                        .reg .f32 %qg_z, %qg_s;
                        mul.rn.f32 %qg_z, %v0, QG_SLOPE;
                    """.replace("QG_SLOPE", hex(UnaryOp.QUICK_GELU_SLOPE)) + call(SIGMOID, "%qg_z", "%qg_s") + """
                        mul.rn.f32 %vy, %v0, %qg_s;
                    }
                    """;
        };
    }

    private static String binaryBody(BinaryOp op) {
        return switch (op) {
            case ADD -> "add.rn.f32 %vy, %v0, %v1;\n";
            case SUB -> "sub.rn.f32 %vy, %v0, %v1;\n";
            case MUL -> "mul.rn.f32 %vy, %v0, %v1;\n";
            case DIV -> "div.rn.f32 %vy, %v0, %v1;                 // IEEE division, as Java\n";
            case POW -> POW;
            case MAXIMUM, MINIMUM -> """
                    {   // NaN if either is NaN (max.NaN); equal operands (+0 vs -0): AND of the bits gives
                        // max's +0, OR gives min's -0, as Math.max / Math.min
                        .reg .pred %mm_eq;
                        .reg .b32 %mm_a, %mm_b, %mm_r;
                        .reg .f32 %mm_m;
                        OP.NaN.f32 %mm_m, %v0, %v1;
                        mov.b32 %mm_a, %v0;
                        mov.b32 %mm_b, %v1;
                        BITS.b32 %mm_r, %mm_a, %mm_b;
                        setp.eq.f32 %mm_eq, %v0, %v1;
                        @%mm_eq mov.b32 %mm_m, %mm_r;
                        mov.f32 %vy, %mm_m;
                    }
                    """.replace("OP", op == BinaryOp.MAXIMUM ? "max" : "min").replace("BITS", op == BinaryOp.MAXIMUM ? "and" : "or");
            case EQ, NE, LT, LE, GT, GE -> """
                    {   // IEEE comparison: false with NaN, except != which is true
                        .reg .pred %cp_p;
                        setp.CMP.f32 %cp_p, %v0, %v1;
                        selp.u16 %vy, 1, 0, %cp_p;
                    }
                    """.replace("CMP", switch (op) {
                        case EQ -> "eq";
                        case NE -> "neu";
                        case LT -> "lt";
                        case LE -> "le";
                        case GT -> "gt";
                        default -> "ge";
                    });
            case RELU_GRAD -> """
                    {   // a > 0 ? g : 0
                        .reg .pred %rg_p;
                        setp.gt.f32 %rg_p, %v0, 0f00000000;
                        selp.f32 %vy, %v1, 0f00000000, %rg_p;
                    }
                    """;
            case GELU_GRAD -> """
                    {   // g * (Phi(a) + a phi(a)), phi(a) = exp(-a^2 / 2) / sqrt(2 pi)
                        .reg .f32 %gg_phi, %gg_q, %gg_e;
                    """ + call(PHI, "%v0", "%gg_phi") + """
                        mul.rn.f32 %gg_q, %v0, %v0;
                        mul.rn.f32 %gg_q, %gg_q, 0fBF000000;      // -a^2 / 2
                    """ + call(EXP, "%gg_q", "%gg_e") + """
                        mul.rn.f32 %gg_e, %gg_e, 0f3ECC422A;      // phi(a) = exp(.) * 0.3989422804
                        fma.rn.f32 %gg_e, %v0, %gg_e, %gg_phi;    // Phi(a) + a phi(a)
                        mul.rn.f32 %vy, %v1, %gg_e;
                    }
                    """;
            case QUICK_GELU_GRAD -> """
                    {   // g * (s + 1.702 a s (1 - s)), s = sigmoid(1.702 a)
                        .reg .f32 %qd_z, %qd_s, %qd_t;
                        mul.rn.f32 %qd_z, %v0, QG_SLOPE;
                    """.replace("QG_SLOPE", hex(UnaryOp.QUICK_GELU_SLOPE)) + call(SIGMOID, "%qd_z", "%qd_s") + """
                        sub.rn.f32 %qd_t, 0f3F800000, %qd_s;      // 1 - s
                        mul.rn.f32 %qd_t, %qd_t, %qd_s;           // s (1 - s)
                        mul.rn.f32 %qd_t, %qd_t, %qd_z;           // 1.702 a s (1 - s)
                        add.rn.f32 %qd_t, %qd_t, %qd_s;
                        mul.rn.f32 %vy, %v1, %qd_t;
                    }
                    """;
            case SIGMOID_GRAD_FROM_OUTPUT -> """
                    {   // g * y * (1 - y), rounded in Java's order: (g * y) * (1 - y)
                        .reg .f32 %sd_a, %sd_b;
                        mul.rn.f32 %sd_a, %v1, %v0;
                        sub.rn.f32 %sd_b, 0f3F800000, %v0;
                        mul.rn.f32 %vy, %sd_a, %sd_b;
                    }
                    """;
            case TANH_GRAD_FROM_OUTPUT -> """
                    {   // g * (1 - y * y)
                        .reg .f32 %td_a;
                        mul.rn.f32 %td_a, %v0, %v0;
                        sub.rn.f32 %td_a, 0f3F800000, %td_a;
                        mul.rn.f32 %vy, %v1, %td_a;
                    }
                    """;
        };
    }

    /** A float as a PTX hex literal (exact bits). */
    static String hex(float f) {
        return String.format("0f%08X", Float.floatToRawIntBits(f));
    }

    // ---- math routines: input register <x>, output register <y>; each opens its own scope -------

    /**
     * exp(x) in f32 within about 2 ulp over the whole range. Range reduction: j = rint(x log2 e),
     * r = x - j ln2 with ln2 split in a high part of 15 bits (so j * ln2_hi is exact) and a low
     * part, both by fma; e^r = 2^(r log2 e) by ex2.approx (|r log2 e| <= 0.5, where it is
     * accurate); then times 2^j, built from exponent bits in two halves so that every factor is
     * a normal float and a subnormal or infinite result comes from one final rounding. x is
     * clamped to [-110, 110] first (exp is 0 or inf in f32 beyond); NaN is passed through.
     */
    static final String EXP = """
            {   // <y> = exp(<x>)
                .reg .f32 %ex_x, %ex_j, %ex_r, %ex_e, %ex_s;
                .reg .b32 %ex_i, %ex_h;
                .reg .pred %ex_nan;
                max.f32 %ex_x, <x>, 0fC2DC0000;           // clamp to [-110, 110]
                min.f32 %ex_x, %ex_x, 0f42DC0000;
                mul.rn.f32 %ex_j, %ex_x, 0f3FB8AA3B;      // x log2(e)
                cvt.rni.f32.f32 %ex_j, %ex_j;             // j, the nearest integer
                fma.rn.f32 %ex_r, %ex_j, 0fBF317200, %ex_x;   // r = x - j ln2_hi (exact)
                fma.rn.f32 %ex_r, %ex_j, 0fB5BFBE8E, %ex_r;   //     - j ln2_lo
                mul.rn.f32 %ex_r, %ex_r, 0f3FB8AA3B;      // r log2(e), |.| <= 0.5
                ex2.approx.ftz.f32 %ex_e, %ex_r;          // e^r
                cvt.rzi.s32.f32 %ex_i, %ex_j;
                shr.s32 %ex_h, %ex_i, 1;                  // 2^j = 2^h * 2^(j - h), h = floor(j / 2)
                sub.s32 %ex_i, %ex_i, %ex_h;
                add.s32 %ex_h, %ex_h, 127;
                shl.b32 %ex_h, %ex_h, 23;
                mov.b32 %ex_s, %ex_h;
                mul.rn.f32 %ex_e, %ex_e, %ex_s;
                add.s32 %ex_i, %ex_i, 127;
                shl.b32 %ex_i, %ex_i, 23;
                mov.b32 %ex_s, %ex_i;
                mul.rn.f32 %ex_e, %ex_e, %ex_s;
                testp.notanumber.f32 %ex_nan, <x>;
                selp.f32 <y>, <x>, %ex_e, %ex_nan;
            }
            """;

    /**
     * log(x) in f32 within about 2 ulp: x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals are
     * scaled by 2^23 first), log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^11/11) with s = (m - 1) /
     * (m + 1), |s| <= 0.1716 (the series' remainder is below 1e-10 relative), plus e ln2 in two
     * parts. Specials as Math.log: log 0 = -inf, log of a negative = NaN, log inf = inf.
     */
    static final String LOG = """
            {   // <y> = log(<x>)
                .reg .f32 %lg_x, %lg_m, %lg_f, %lg_s, %lg_z, %lg_p, %lg_e, %lg_r;
                .reg .b32 %lg_b, %lg_k, %lg_mb;
                .reg .pred %lg_sub, %lg_big, %lg_p0, %lg_p1;
                setp.lt.f32 %lg_sub, <x>, 0f00800000;     // below 2^-126: scale subnormals up by 2^23
                mul.rn.f32 %lg_x, <x>, 0f4B000000;
                selp.f32 %lg_x, %lg_x, <x>, %lg_sub;
                mov.b32 %lg_b, %lg_x;
                shr.u32 %lg_k, %lg_b, 23;
                and.b32 %lg_k, %lg_k, 255;
                sub.s32 %lg_k, %lg_k, 127;                // unbiased exponent e
                @%lg_sub sub.s32 %lg_k, %lg_k, 23;
                and.b32 %lg_mb, %lg_b, 8388607;
                or.b32 %lg_mb, %lg_mb, 1065353216;        // mantissa m in [1, 2)
                mov.b32 %lg_m, %lg_mb;
                setp.gt.f32 %lg_big, %lg_m, 0f3FB504F3;   // m > sqrt(2): halve m, e + 1
                @%lg_big mul.rn.f32 %lg_m, %lg_m, 0f3F000000;
                @%lg_big add.s32 %lg_k, %lg_k, 1;
                sub.rn.f32 %lg_f, %lg_m, 0f3F800000;      // f = m - 1 (exact)
                add.rn.f32 %lg_s, %lg_f, 0f40000000;
                div.rn.f32 %lg_s, %lg_f, %lg_s;           // s = f / (2 + f)
                mul.rn.f32 %lg_z, %lg_s, %lg_s;
                fma.rn.f32 %lg_p, %lg_z, 0f3DBA2E8C, 0f3DE38E39;  // 1/11 z + 1/9
                fma.rn.f32 %lg_p, %lg_p, %lg_z, 0f3E124925;       // .. + 1/7
                fma.rn.f32 %lg_p, %lg_p, %lg_z, 0f3E4CCCCD;       // .. + 1/5
                fma.rn.f32 %lg_p, %lg_p, %lg_z, 0f3EAAAAAB;       // .. + 1/3
                mul.rn.f32 %lg_p, %lg_p, %lg_z;           // z/3 + z^2/5 + ...
                add.rn.f32 %lg_s, %lg_s, %lg_s;           // 2s
                fma.rn.f32 %lg_r, %lg_s, %lg_p, %lg_s;    // log m = 2s (1 + z/3 + ...)
                cvt.rn.f32.s32 %lg_e, %lg_k;
                fma.rn.f32 %lg_r, %lg_e, 0f35BFBE8E, %lg_r;   // + e ln2_lo
                fma.rn.f32 %lg_r, %lg_e, 0f3F317200, %lg_r;   // + e ln2_hi (exact product)
                setp.eq.f32 %lg_p0, <x>, 0f00000000;
                selp.f32 %lg_r, 0fFF800000, %lg_r, %lg_p0;    // log(+-0) = -inf
                setp.lt.f32 %lg_p1, <x>, 0f00000000;
                selp.f32 %lg_r, 0f7FC00000, %lg_r, %lg_p1;    // log(negative) = NaN
                setp.eq.f32 %lg_p0, <x>, 0f7F800000;
                selp.f32 %lg_r, <x>, %lg_r, %lg_p0;           // log(inf) = inf
                testp.notanumber.f32 %lg_p1, <x>;
                selp.f32 <y>, <x>, %lg_r, %lg_p1;
            }
            """;

    /** sigmoid(x) = 1 / (1 + exp(-x)), exp as {@link #EXP}; 0 for large negative x, 1 for large x. */
    static final String SIGMOID = """
            {   // <y> = sigmoid(<x>)
                .reg .f32 %sm_n, %sm_e;
                neg.f32 %sm_n, <x>;
            """ + call(EXP, "%sm_n", "%sm_e") + """
                add.rn.f32 %sm_e, %sm_e, 0f3F800000;
                rcp.rn.f32 <y>, %sm_e;
            }
            """;

    /**
     * tanh(x): for |x| < 0.5 its Taylor series to x^17 (remainder below 1e-9 relative); beyond,
     * sign(x) (1 - 2 / (exp(2|x|) + 1)), which loses at most a bit to cancellation at 0.5 and
     * saturates to +-1. Both are computed and one selected (no divergence).
     */
    static final String TANH = """
            {   // <y> = tanh(<x>)
                .reg .f32 %th_a, %th_z, %th_p, %th_s, %th_e, %th_l;
                .reg .pred %th_small;
                abs.f32 %th_a, <x>;
                mul.rn.f32 %th_z, <x>, <x>;
                fma.rn.f32 %th_p, %th_z, 0f3A1AAC12, 0fBABED1B2;   // 6404582/10854718875 z - 929569/638512875
                fma.rn.f32 %th_p, %th_p, %th_z, 0f3B6B69E8;        // + 21844/6081075
                fma.rn.f32 %th_p, %th_p, %th_z, 0fBC11371B;        // - 1382/155925
                fma.rn.f32 %th_p, %th_p, %th_z, 0f3CB327A4;        // + 62/2835
                fma.rn.f32 %th_p, %th_p, %th_z, 0fBD5D0DD1;        // - 17/315
                fma.rn.f32 %th_p, %th_p, %th_z, 0f3E088889;        // + 2/15
                fma.rn.f32 %th_p, %th_p, %th_z, 0fBEAAAAAB;        // - 1/3
                mul.rn.f32 %th_s, <x>, %th_z;
                fma.rn.f32 %th_s, %th_s, %th_p, <x>;               // x + x^3 P(x^2)
                add.rn.f32 %th_l, %th_a, %th_a;
            """ + call(EXP, "%th_l", "%th_e") + """
                add.rn.f32 %th_e, %th_e, 0f3F800000;
                div.rn.f32 %th_e, 0f40000000, %th_e;
                sub.rn.f32 %th_e, 0f3F800000, %th_e;               // 1 - 2 / (e^2|x| + 1)
                copysign.f32 %th_l, <x>, %th_e;
                setp.lt.f32 %th_small, %th_a, 0f3F000000;
                selp.f32 <y>, %th_s, %th_l, %th_small;
            }
            """;

    /**
     * Phi(x) = (1 + erf(x / sqrt 2)) / 2 with Erf.java's erf: for |z| < 0.5 the Maclaurin series
     * (nine terms), else erfc(|z|) = t exp(-z^2 + P(t)), t = 1 / (1 + |z|/2), P the degree-9
     * Numerical Recipes fit (the same ten coefficients). 1 + erf(z) is then 2 - erfc(|z|) for
     * z > 0 and erfc(|z|) itself for z < 0, which keeps Phi's relative accuracy in the left tail.
     */
    static final String PHI = """
            {   // <y> = Phi(<x>)
                .reg .f32 %ph_z, %ph_a, %ph_z2, %ph_s, %ph_t, %ph_p, %ph_q, %ph_c, %ph_o1, %ph_o2;
                .reg .pred %ph_small, %ph_neg;
                mul.rn.f32 %ph_z, <x>, 0f3F3504F3;                 // z = x / sqrt(2)
                abs.f32 %ph_a, %ph_z;
                // |z| < 0.5: erf(a) = 2/sqrt(pi) a sum_n (-1)^n a^2n / (n! (2n + 1)), n = 0..8
                mul.rn.f32 %ph_z2, %ph_a, %ph_a;
                fma.rn.f32 %ph_s, %ph_z2, 0f35C3D001, 0fB75DEBBD;  // 1/685440 a^2 - 1/75600
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0f38E00E01;       // + 1/9360
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0fBA46980C;       // - 1/1320
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0f3B97B426;       // + 1/216
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0fBCC30C31;       // - 1/42
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0f3DCCCCCD;       // + 1/10
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0fBEAAAAAB;       // - 1/3
                fma.rn.f32 %ph_s, %ph_s, %ph_z2, 0f3F800000;       // + 1
                mul.rn.f32 %ph_s, %ph_s, %ph_a;
                mul.rn.f32 %ph_s, %ph_s, 0f3F906EBB;               // * 2/sqrt(pi): erf(a)
                // |z| >= 0.5: erfc(a) = t exp(-a^2 + P(t))
                fma.rn.f32 %ph_t, %ph_a, 0f3F000000, 0f3F800000;
                rcp.rn.f32 %ph_t, %ph_t;                           // t = 1 / (1 + a/2)
                fma.rn.f32 %ph_p, %ph_t, 0f3E2EF945, 0fBF527892;   //  0.17087277 t - 0.82215223
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0f3FBE87B0;        // + 1.48851587
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0fBF914E5D;        // - 1.13520398
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0f3E8EC7CC;        // + 0.27886807
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0fBE3EC24C;        // - 0.18628806
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0f3DC636C9;        // + 0.09678418
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0f3EBF88FB;        // + 0.37409196
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0f3F8000C7;        // + 1.00002368
                fma.rn.f32 %ph_p, %ph_p, %ph_t, 0fBFA1FC4E;        // - 1.26551223
                neg.f32 %ph_q, %ph_a;
                fma.rn.f32 %ph_q, %ph_q, %ph_a, %ph_p;             // -a^2 + P(t), the square exact inside the fma
            """ + call(EXP, "%ph_q", "%ph_c") + """
                mul.rn.f32 %ph_c, %ph_c, %ph_t;                    // erfc(a)
                // 1 + erf(z)
                setp.lt.f32 %ph_small, %ph_a, 0f3F000000;
                setp.lt.f32 %ph_neg, %ph_z, 0f00000000;
                sub.rn.f32 %ph_o1, 0f3F800000, %ph_s;              // series, z < 0: 1 - erf(a)
                add.rn.f32 %ph_o2, 0f3F800000, %ph_s;              // series, z >= 0: 1 + erf(a)
                selp.f32 %ph_o1, %ph_o1, %ph_o2, %ph_neg;
                sub.rn.f32 %ph_o2, 0f40000000, %ph_c;              // tail, z > 0: 2 - erfc(a)
                selp.f32 %ph_o2, %ph_c, %ph_o2, %ph_neg;           // tail, z < 0: erfc(a)
                selp.f32 %ph_o1, %ph_o1, %ph_o2, %ph_small;
                mul.rn.f32 <y>, %ph_o1, 0f3F000000;
            }
            """;

    /**
     * a^b as Java's Math.pow, the magnitude as exp(b ln|a|) evaluated in f64 so that the f32
     * result is within an ulp: ln|a| by the atanh series of {@link #LOG} in double (terms to
     * s^19), exp by a Cody-Waite reduction and the Taylor series to r^12 (|r| <= ln2 / 2), times
     * 2^k from exponent bits (b ln|a| is clamped to [-200, 200], beyond which the f32 result is 0
     * or inf anyway). Special cases in Java's order: b == 0 gives 1; NaN operands give NaN; a
     * finite negative a with a finite non-integer b gives NaN; a negative a (including -0 and
     * -inf) with an odd integer b gives the negated magnitude; |a| == 1 with infinite b gives NaN
     * (0 * inf inside). Operands: a = %v0, b = %v1.
     */
    static final String POW = """
            {   // %vy = pow(%v0, %v1)
                .reg .f64 %pw_a, %pw_m, %pw_f, %pw_s, %pw_z, %pw_p, %pw_l, %pw_y, %pw_k, %pw_r, %pw_e, %pw_sc;
                .reg .b64 %pw_bits, %pw_mb, %pw_kb;
                .reg .b32 %pw_hi, %pw_ex, %pw_bi, %pw_ki;
                .reg .f32 %pw_res, %pw_tb, %pw_ab;
                .reg .pred %pw_big, %pw_zero, %pw_inf, %pw_int, %pw_odd, %pw_neg, %pw_bfin, %pw_afin, %pw_q, %pw_ynan;
                // ---- ln|a| in f64 (|a| as a double is normal even for subnormal floats)
                abs.f32 %pw_ab, %v0;
                cvt.f64.f32 %pw_a, %pw_ab;
                mov.b64 %pw_bits, %pw_a;
                shr.u64 %pw_mb, %pw_bits, 52;
                cvt.u32.u64 %pw_ex, %pw_mb;
                sub.s32 %pw_ex, %pw_ex, 1023;             // exponent e (sign bit is 0: |a|)
                and.b64 %pw_mb, %pw_bits, 4503599627370495;       // 52 mantissa bits
                or.b64 %pw_mb, %pw_mb, 4607182418800017408;       // | exponent of 1.0: m in [1, 2)
                mov.b64 %pw_m, %pw_mb;
                setp.gt.f64 %pw_big, %pw_m, 0d3FF6A09E667F3BCD;   // m > sqrt(2)
                @%pw_big mul.rn.f64 %pw_m, %pw_m, 0d3FE0000000000000;
                @%pw_big add.s32 %pw_ex, %pw_ex, 1;
                sub.rn.f64 %pw_f, %pw_m, 0d3FF0000000000000;
                add.rn.f64 %pw_s, %pw_f, 0d4000000000000000;
                div.rn.f64 %pw_s, %pw_f, %pw_s;           // s = (m - 1) / (m + 1)
                mul.rn.f64 %pw_z, %pw_s, %pw_s;
                fma.rn.f64 %pw_p, %pw_z, 0d3FAAF286BCA1AF28, 0d3FAE1E1E1E1E1E1E;   // 1/19 z + 1/17
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FB1111111111111;   // 1/15
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FB3B13B13B13B14;   // 1/13
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FB745D1745D1746;   // 1/11
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FBC71C71C71C71C;   // 1/9
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FC2492492492492;   // 1/7
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FC999999999999A;   // 1/5
                fma.rn.f64 %pw_p, %pw_p, %pw_z, 0d3FD5555555555555;   // 1/3
                mul.rn.f64 %pw_p, %pw_p, %pw_z;
                add.rn.f64 %pw_s, %pw_s, %pw_s;
                fma.rn.f64 %pw_l, %pw_s, %pw_p, %pw_s;    // ln m
                cvt.rn.f64.s32 %pw_k, %pw_ex;
                fma.rn.f64 %pw_l, %pw_k, 0d3FE62E42FEFA39EF, %pw_l;   // + e ln2
                setp.eq.f32 %pw_zero, %pw_ab, 0f00000000;
                selp.f64 %pw_l, 0dFFF0000000000000, %pw_l, %pw_zero;   // ln 0 = -inf
                setp.eq.f32 %pw_inf, %pw_ab, 0f7F800000;
                selp.f64 %pw_l, 0d7FF0000000000000, %pw_l, %pw_inf;    // ln inf = inf
                // ---- y = b ln|a|; |a|^b = exp(y)
                cvt.f64.f32 %pw_y, %v1;
                mul.rn.f64 %pw_y, %pw_y, %pw_l;
                testp.notanumber.f64 %pw_ynan, %pw_y;     // 0 * inf: |a| == 1 with b infinite, or a/b NaN
                max.f64 %pw_y, %pw_y, 0dC069000000000000;   // clamp to [-200, 200]
                min.f64 %pw_y, %pw_y, 0d4069000000000000;
                mul.rn.f64 %pw_k, %pw_y, 0d3FF71547652B82FE;
                cvt.rni.f64.f64 %pw_k, %pw_k;             // k = rint(y / ln2)
                fma.rn.f64 %pw_r, %pw_k, 0dBFE62E42FEE00000, %pw_y;   // r = y - k ln2_hi
                fma.rn.f64 %pw_r, %pw_k, 0dBDEA39EF35793C76, %pw_r;   //     - k ln2_lo
                fma.rn.f64 %pw_e, %pw_r, 0d3E21EED8EFF8D898, 0d3E5AE64567F544E4;   // r/12! + 1/11!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3E927E4FB7789F5C;   // 1/10!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3EC71DE3A556C734;   // 1/9!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3EFA01A01A01A01A;   // 1/8!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3F2A01A01A01A01A;   // 1/7!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3F56C16C16C16C17;   // 1/6!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3F81111111111111;   // 1/5!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3FA5555555555555;   // 1/4!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3FC5555555555555;   // 1/3!
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3FE0000000000000;   // 1/2
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3FF0000000000000;   // 1
                fma.rn.f64 %pw_e, %pw_e, %pw_r, 0d3FF0000000000000;   // 1: e^r
                cvt.rzi.s32.f64 %pw_ki, %pw_k;
                add.s32 %pw_ki, %pw_ki, 1023;             // 2^k as a double (|k| <= 289)
                cvt.u64.u32 %pw_kb, %pw_ki;
                shl.b64 %pw_kb, %pw_kb, 52;
                mov.b64 %pw_sc, %pw_kb;
                mul.rn.f64 %pw_e, %pw_e, %pw_sc;
                cvt.rn.f32.f64 %pw_res, %pw_e;            // |a|^b, rounded once to f32
                // ---- signs and special cases
                cvt.rzi.f32.f32 %pw_tb, %v1;
                setp.eq.f32 %pw_int, %pw_tb, %v1;         // b is an integer (or infinite)
                abs.f32 %pw_tb, %v1;
                setp.lt.f32 %pw_q, %pw_tb, 0f4B800000;    // |b| < 2^24: larger floats are all even
                setp.lt.f32 %pw_bfin, %pw_tb, 0f7F800000; // b finite
                cvt.rzi.s32.f32 %pw_bi, %v1;
                and.b32 %pw_bi, %pw_bi, 1;
                setp.eq.and.b32 %pw_odd, %pw_bi, 1, %pw_q;
                and.pred %pw_odd, %pw_odd, %pw_int;       // b is an odd integer
                mov.b32 %pw_hi, %v0;
                setp.lt.s32 %pw_neg, %pw_hi, 0;           // a's sign bit (also -0, -inf)
                and.pred %pw_q, %pw_neg, %pw_odd;
                neg.f32 %pw_ab, %pw_res;
                selp.f32 %pw_res, %pw_ab, %pw_res, %pw_q; // negative base, odd power: negative
                setp.lt.f32 %pw_afin, %v0, 0f00000000;    // a < 0 (not -0) ...
                setp.gt.and.f32 %pw_afin, %v0, 0fFF800000, %pw_afin;   // ... and finite
                not.pred %pw_int, %pw_int;
                and.pred %pw_q, %pw_afin, %pw_int;
                and.pred %pw_q, %pw_q, %pw_bfin;          // finite negative a, finite non-integer b
                or.pred %pw_q, %pw_q, %pw_ynan;
                testp.notanumber.f32 %pw_zero, %v0;
                or.pred %pw_q, %pw_q, %pw_zero;
                testp.notanumber.f32 %pw_zero, %v1;
                or.pred %pw_q, %pw_q, %pw_zero;
                selp.f32 %pw_res, 0f7FC00000, %pw_res, %pw_q;   // NaN
                setp.eq.f32 %pw_q, %v1, 0f00000000;
                selp.f32 %vy, 0f3F800000, %pw_res, %pw_q;   // b == +-0: 1, even for a NaN
            }
            """;
}
