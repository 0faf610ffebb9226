package org.iboot4j.data.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.iboot4j.nn.io.Json;

/**
 * The mapping between class names and label indices 0..n-1. Built from the class names sorted
 * (Java's {@link String#compareTo}, i.e. by UTF-16 code unit — the same as Python's
 * {@code sorted()} for names in the BMP), or in a given order where a dataset defines its own
 * (UCF101's {@code classInd.txt}). Saved with each run as JSON, so a model's logits can be
 * read back with the right names:
 *
 * <pre>{"classes": ["abseiling", "air drumming", ...]}</pre>
 *
 * (index = position in the list).
 */
public final class ClassIndex {
    private final List<String> names;
    private final Map<String, Integer> index;

    private ClassIndex(List<String> names) {
        this.names = List.copyOf(names);
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < this.names.size(); i++) {
            if (m.put(this.names.get(i), i) != null) throw new IllegalArgumentException("duplicate class name '" + this.names.get(i) + "'");
        }
        this.index = Collections.unmodifiableMap(m);
    }

    /** The distinct names, sorted. */
    public static ClassIndex sorted(Collection<String> names) {
        return new ClassIndex(new ArrayList<>(new TreeSet<>(names)));
    }

    /** The names in the given order (no duplicates). */
    public static ClassIndex ordered(List<String> names) {
        return new ClassIndex(names);
    }

    public int size() {
        return names.size();
    }

    /** The name of label {@code label}. */
    public String name(int label) {
        return names.get(label);
    }

    /** The label of {@code name}; an unknown name throws {@link IllegalArgumentException}. */
    public int indexOf(String name) {
        Integer i = index.get(name);
        if (i == null) throw new IllegalArgumentException("unknown class '" + name + "' (" + size() + " classes known)");
        return i;
    }

    public boolean contains(String name) {
        return index.containsKey(name);
    }

    /** The names in label order (unmodifiable). */
    public List<String> names() {
        return names;
    }

    // ---- JSON -------------------------------------------------------------------------------

    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"classes\": [");
        for (int i = 0; i < names.size(); i++) {
            sb.append(i == 0 ? "\n  " : ",\n  ").append(Json.quote(names.get(i)));
        }
        return sb.append(names.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }

    /** Parses what {@link #toJson} writes: an object whose only key "classes" is an array of strings. */
    public static ClassIndex fromJson(String json) {
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException("class index JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map) || !map.keySet().equals(java.util.Set.of("classes"))
                || !(map.get("classes") instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new IllegalArgumentException("class index JSON: expected {\"classes\": [\"name\", ...]}");
        }
        return ordered(list.stream().map(String.class::cast).toList());
    }

    /** Writes the JSON file atomically (a temporary file, then a rename). */
    public void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, toJson(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static ClassIndex load(Path file) throws IOException {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException("bad class index " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassIndex c && names.equals(c.names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return "ClassIndex" + names;
    }
}
