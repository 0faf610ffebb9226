package org.iboot4j.kernels.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A C function prototype, copied verbatim from the vendor header, turned into the FFM
 * {@link FunctionDescriptor} that binds it. Writing the binding as the prototype itself keeps
 * the two from drifting apart: what the comment says is what the downcall does.
 *
 * <p>Types map as on LP64 Linux: every pointer or array, and every opaque handle typedef (a
 * pointer to a struct: {@code cublasHandle_t}, {@code cudaStream_t}, the cuDNN descriptors), is
 * an {@link ValueLayout#ADDRESS}; every enum typedef and {@code int} is a 32-bit int;
 * {@code size_t} and {@code long long} are 64-bit; {@code float}/{@code double} as named. An
 * unknown type is an error, not a guess.
 */
public record CPrototype(String name, MemoryLayout returns, List<MemoryLayout> parameters, String text) {

    /** Typedefs that are pointers to opaque structs. */
    static final Set<String> HANDLES = Set.of("cublasHandle_t", "cudaStream_t", "cudnnHandle_t",
            "cudnnTensorDescriptor_t", "cudnnFilterDescriptor_t", "cudnnConvolutionDescriptor_t",
            "cudnnPoolingDescriptor_t");

    /** Enum typedefs (C enums are 32-bit ints with these compilers). */
    static final Set<String> ENUMS = Set.of("cublasStatus_t", "cublasOperation_t", "cublasMath_t", "cudaDataType",
            "cudaDataType_t", "cublasComputeType_t", "cublasGemmAlgo_t", "libraryPropertyType", "cudnnStatus_t",
            "cudnnDataType_t", "cudnnTensorFormat_t", "cudnnConvolutionMode_t", "cudnnMathType_t",
            "cudnnConvolutionFwdAlgo_t", "cudnnConvolutionBwdDataAlgo_t", "cudnnConvolutionBwdFilterAlgo_t",
            "cudnnBatchNormMode_t", "cudnnPoolingMode_t", "cudnnNanPropagation_t");

    /** Parses {@code "cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);"}. */
    public static CPrototype parse(String text) {
        String t = text.replaceAll("/\\*.*?\\*/", " ").replaceAll("\\s+", " ").strip();
        if (t.endsWith(";")) t = t.substring(0, t.length() - 1).strip();
        int open = t.indexOf('('), close = t.lastIndexOf(')');
        if (open < 0 || close < open) throw new IllegalArgumentException("not a C prototype: " + text);
        String head = t.substring(0, open).strip();
        int split = Math.max(head.lastIndexOf(' '), head.lastIndexOf('*'));
        if (split < 0) throw new IllegalArgumentException("no return type in: " + text);
        String name = head.substring(split + 1).strip();
        String returnType = head.substring(0, split + 1).strip();
        MemoryLayout ret = returnType.equals("void") ? null : layout(returnType, text);
        List<MemoryLayout> params = new ArrayList<>();
        String inside = t.substring(open + 1, close).strip();
        if (!inside.isEmpty() && !inside.equals("void")) {
            for (String p : inside.split(",")) params.add(layout(stripName(p.strip()), text));
        }
        return new CPrototype(name, ret, List.copyOf(params), text.strip());
    }

    /** The descriptor for {@code Linker.downcallHandle}. */
    public FunctionDescriptor descriptor() {
        MemoryLayout[] ps = parameters.toArray(new MemoryLayout[0]);
        return returns == null ? FunctionDescriptor.ofVoid(ps) : FunctionDescriptor.of(returns, ps);
    }

    /** "const int dimA[]" -> "const int []"; "float* C" -> "float *"; "size_t" -> "size_t". */
    static String stripName(String param) {
        List<String> words = new ArrayList<>(List.of(param.replace("[]", " [] ").replace("*", " * ").strip().split("\\s+")));
        int nameAt = words.get(words.size() - 1).equals("[]") ? words.size() - 2 : words.size() - 1;
        if (nameAt >= 1) {
            String candidate = words.get(nameAt);
            if (candidate.matches("[A-Za-z_][A-Za-z0-9_]*") && !isTypeWord(candidate)) {
                List<String> rest = new ArrayList<>(words);
                rest.remove(nameAt);
                if (rest.stream().anyMatch(x -> !x.equals("const"))) words = rest; // a type must remain
            }
        }
        return String.join(" ", words);
    }

    private static boolean isTypeWord(String w) {
        return switch (w) {
            case "int", "long", "float", "double", "char", "void", "size_t", "unsigned", "const" -> true;
            default -> HANDLES.contains(w) || ENUMS.contains(w);
        };
    }

    static MemoryLayout layout(String type, String context) {
        String t = type.replace("const", " ").replaceAll("\\s+", " ").strip();
        if (t.contains("*") || t.contains("[]")) return ValueLayout.ADDRESS;
        if (HANDLES.contains(t)) return ValueLayout.ADDRESS;
        if (ENUMS.contains(t)) return ValueLayout.JAVA_INT;
        return switch (t) {
            case "int", "unsigned", "unsigned int" -> ValueLayout.JAVA_INT;
            case "long long", "long long int", "size_t", "unsigned long long" -> ValueLayout.JAVA_LONG;
            case "float" -> ValueLayout.JAVA_FLOAT;
            case "double" -> ValueLayout.JAVA_DOUBLE;
            default -> throw new IllegalArgumentException("unknown C type '" + type + "' in: " + context);
        };
    }
}
