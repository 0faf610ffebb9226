package org.iboot4j.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iboot4j.nn.io.Json;

/**
 * Writes evaluation results as pretty-printed JSON: maps (insertion order), lists and arrays
 * of numbers, strings, numbers (finite doubles with up to 6 significant decimals; NaN and
 * infinities as null), booleans and null. Files are written atomically (a temporary file, then
 * a rename), so a reader never sees half a result.
 */
public final class EvalJson {
    private EvalJson() {}

    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, "");
        return sb.append('\n').toString();
    }

    public static void writeFile(Path file, Object value) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, write(value), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void write(StringBuilder sb, Object v, String indent) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> sb.append(Json.quote(s));
            case Boolean b -> sb.append(b);
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Number n -> number(sb, n.doubleValue());
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append("{\n");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(indent).append("  ").append(Json.quote(String.valueOf(e.getKey()))).append(": ");
                    write(sb, e.getValue(), indent + "  ");
                    sb.append(++i < m.size() ? ",\n" : "\n");
                }
                sb.append(indent).append('}');
            }
            case List<?> l -> list(sb, l, indent);
            case int[] a -> list(sb, java.util.Arrays.stream(a).boxed().toList(), indent);
            case long[] a -> list(sb, java.util.Arrays.stream(a).boxed().toList(), indent);
            case double[] a -> list(sb, java.util.Arrays.stream(a).boxed().toList(), indent);
            case float[] a -> {
                Double[] d = new Double[a.length];
                for (int i = 0; i < a.length; i++) d[i] = (double) a[i];
                list(sb, List.of(d), indent);
            }
            case int[][] a -> list(sb, List.of(a), indent);
            default -> sb.append(Json.quote(v.toString()));
        }
    }

    private static void list(StringBuilder sb, List<?> l, String indent) {
        boolean flat = l.stream().allMatch(x -> x == null || x instanceof Number || x instanceof Boolean);
        if (l.isEmpty() || flat) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(", ");
                write(sb, l.get(i), indent);
            }
            sb.append(']');
            return;
        }
        sb.append("[\n");
        for (int i = 0; i < l.size(); i++) {
            sb.append(indent).append("  ");
            write(sb, l.get(i), indent + "  ");
            sb.append(i + 1 < l.size() ? ",\n" : "\n");
        }
        sb.append(indent).append(']');
    }

    private static void number(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            sb.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            sb.append((long) d).append(".0");
        } else {
            String s = String.format(Locale.ROOT, "%.6g", d);
            if (s.contains("e")) {
                sb.append(s);
            } else {
                sb.append(s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", ".0") : s);
            }
        }
    }
}
