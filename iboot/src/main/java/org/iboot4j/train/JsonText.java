package org.iboot4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.iboot4j.nn.io.Json;

/**
 * JSON text for the trainer's files: {@link #write} turns maps, lists, strings, numbers,
 * booleans and null into JSON (strings quoted by {@link Json#quote}); {@link #read} parses with
 * {@link Json#parse} (strict RFC 8259); {@link #writeAtomically} replaces a file atomically
 * (temporary file in the same folder, forced to disk, then renamed with ATOMIC_MOVE).
 *
 * <p>Numbers: integers are written as integers; doubles with {@link Double#toString}, which
 * {@link Json#parse} reads back to the same double. Non-finite doubles have no JSON form and
 * are written as null.
 */
final class JsonText {
    private JsonText() {}

    /** Compact JSON (one line). */
    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, -1, 0);
        return sb.toString();
    }

    /** JSON indented by two spaces per level. */
    static String pretty(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, 2, 0);
        return sb.append('\n').toString();
    }

    private static void append(StringBuilder sb, Object v, int indent, int level) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> sb.append(Json.quote(s));
            case Boolean b -> sb.append(b);
            case Double d -> sb.append(Double.isFinite(d) ? d.toString() : "null");
            case Float f -> sb.append(Float.isFinite(f) ? Double.toString(f) : "null");
            case Number n -> sb.append(n.toString());
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    newline(sb, indent, level + 1);
                    sb.append(Json.quote(e.getKey().toString())).append(indent >= 0 ? ": " : ":");
                    append(sb, e.getValue(), indent, level + 1);
                }
                if (!m.isEmpty()) newline(sb, indent, level);
                sb.append('}');
            }
            case List<?> l -> {
                boolean flat = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(flat && indent >= 0 ? ", " : ",");
                    if (!flat) newline(sb, indent, level + 1);
                    append(sb, l.get(i), indent, level + 1);
                }
                if (!flat && !l.isEmpty()) newline(sb, indent, level);
                sb.append(']');
            }
            case long[] a -> append(sb, java.util.Arrays.stream(a).boxed().toList(), indent, level);
            default -> throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
        }
    }

    private static void newline(StringBuilder sb, int indent, int level) {
        if (indent < 0) return;
        sb.append('\n').append(" ".repeat(indent * level));
    }

    /** Parses a JSON text. */
    static Object read(String json) {
        return Json.parse(json);
    }

    /** Parses a JSON file whose top level is an object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readObject(Path file) throws IOException {
        Object v;
        try {
            v = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!(v instanceof Map)) throw new IOException(file + ": expected a JSON object");
        return (Map<String, Object>) v;
    }

    /** Writes {@code text} to {@code file} atomically: readers see the old file or the new one. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                var buf = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
