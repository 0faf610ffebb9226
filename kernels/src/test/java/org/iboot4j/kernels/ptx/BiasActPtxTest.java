package org.iboot4j.kernels.ptx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * bias_act.ptx carries its own copies of exp, sigmoid and Phi (a PTX module cannot call into
 * another). They must stay the elementwise family's routines ({@link ElementwisePtx#EXP},
 * {@link ElementwisePtx#SIGMOID}, {@link ElementwisePtx#PHI}) instruction for instruction, so
 * that the fused kernels give the same bits as binary_add_f32 + unary_gelu_f32 /
 * unary_quick_gelu_f32: same opcodes with the same rounding modes, same constants, in the same
 * order (register names and the calls between routines aside).
 */
class BiasActPtxTest {
    private static final Pattern INSTRUCTION = Pattern.compile("^\\s*(@!?%\\w+\\s+)?([a-z][a-z0-9.]*)\\s");
    private static final Pattern CALLEE = Pattern.compile("call\\s*\\([^)]*\\),\\s*(\\w+)");
    private static final Pattern CONSTANT = Pattern.compile("0[fd][0-9A-F]{8,16}|\\b\\d+\\b");

    /**
     * Opcode and literal operands of every instruction, in order; a {@code call} of a routine of
     * {@code module} is replaced by that routine's instructions (ElementwisePtx inlines them).
     */
    static List<String> instructions(String text, String module) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String code = line.replaceAll("//.*", "");
            Matcher m = INSTRUCTION.matcher(code);
            if (!m.find()) continue;
            String op = m.group(2);
            if (op.equals("ret") || op.startsWith(".")) continue;
            if (op.equals("call")) {
                Matcher callee = CALLEE.matcher(code);
                assertTrue(callee.find(), code);
                out.addAll(instructions(function(module, callee.group(1)), module));
                continue;
            }
            StringBuilder s = new StringBuilder(op);
            Matcher c = CONSTANT.matcher(code.substring(m.end()).replaceAll("%\\w+", "%"));
            while (c.find()) s.append(' ').append(c.group());
            out.add(s.toString());
        }
        return out;
    }

    private static String function(String ptx, String name) {
        int start = ptx.indexOf(".func (.reg .f32 %y) " + name + " ");
        assertTrue(start >= 0, name + " is not in bias_act.ptx");
        return ptx.substring(start, ptx.indexOf("\n}\n", start));
    }

    @Test
    void theMathRoutinesAreTheElementwiseFamilys() {
        String ptx = PtxModule.BIAS_ACT.source();
        assertEquals(instructions(ElementwisePtx.EXP, ""), instructions(function(ptx, "exp_f32"), ptx), "exp_f32");
        assertEquals(instructions(ElementwisePtx.SIGMOID, ""), instructions(function(ptx, "sigmoid_f32"), ptx), "sigmoid_f32");
        assertEquals(instructions(ElementwisePtx.PHI, ""), instructions(function(ptx, "phi_f32"), ptx), "phi_f32");
        assertEquals(21, instructions(ElementwisePtx.EXP, "").size(), "the comparison sees every instruction of exp");
    }
}
