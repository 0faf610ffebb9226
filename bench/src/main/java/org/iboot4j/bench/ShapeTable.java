package org.iboot4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark shapes: {@code shapes.txt} (a resource next to this class; its header explains
 * the format), one case a line: {@code kind name key=value ...}. Blank lines and {@code #}
 * comments are skipped. {@code bench/compare_torch.py} parses the same file the same way.
 */
public final class ShapeTable {

    /** The keys each kind must have, in the order the shape column shows them. */
    static final Map<String, List<String>> KEYS = Map.of(
            "gemm", List.of("m", "k", "n"),
            "conv3d", List.of("n", "cin", "cout", "in", "k", "s", "p"),
            "batchnorm", List.of("n", "c", "in"),
            "maxpool", List.of("n", "c", "in", "k", "s", "p"),
            "model", List.of("arch", "n", "in", "width", "depth"));

    /** Keys whose values are names rather than numbers, with the names each may take. */
    static final Map<String, Set<String>> NAMES = Map.of("arch", ModelForward.ARCHS);

    /** Keys whose values are (T, H, W) triples written TxHxW (gemm's k is a number). */
    private static final Set<String> TRIPLES = Set.of("in", "k", "s", "p");

    static boolean isTriple(String kind, String key) {
        return !kind.equals("gemm") && TRIPLES.contains(key);
    }

    /** One line of the table. */
    public record Case(String kind, String name, Map<String, String> params) {

        /** The name, followed by "@" and the input size when the case has one. */
        public String id() {
            return params.containsKey("in") ? name + "@" + params.get("in") : name;
        }

        /** The value of {@code key} as written in the table. */
        public String value(String key) {
            String v = params.get(key);
            if (v == null) throw new IllegalArgumentException(id() + ": no parameter " + key);
            return v;
        }

        public int get(String key) {
            return Integer.parseInt(value(key));
        }

        public int[] triple(String key) {
            return parseTriple(value(key));
        }

        @Override
        public String toString() {
            return kind + " " + id();
        }
    }

    private final List<Case> cases;

    private ShapeTable(List<Case> cases) {
        this.cases = List.copyOf(cases);
    }

    /** The table shipped with this module. */
    public static ShapeTable load() {
        try (InputStream in = ShapeTable.class.getResourceAsStream("shapes.txt")) {
            if (in == null) throw new IllegalStateException("shapes.txt is missing from the class path");
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), "shapes.txt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ShapeTable load(Path file) {
        try (Reader r = Files.newBufferedReader(file)) {
            return parse(r, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ShapeTable parse(Reader reader, String source) throws IOException {
        List<Case> cases = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        BufferedReader in = new BufferedReader(reader);
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash);
            line = line.strip();
            if (line.isEmpty()) continue;
            String where = source + ":" + lineNo + ": ";
            String[] words = line.split("\\s+");
            if (words.length < 2) throw new IllegalArgumentException(where + "expected: kind name key=value ...");
            List<String> keys = KEYS.get(words[0]);
            if (keys == null) {
                throw new IllegalArgumentException(where + "unknown kind '" + words[0] + "', expected one of "
                        + KEYS.keySet());
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 2; i < words.length; i++) {
                int eq = words[i].indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException(where + "expected key=value, got '" + words[i] + "'");
                String key = words[i].substring(0, eq), value = words[i].substring(eq + 1);
                if (!keys.contains(key)) {
                    throw new IllegalArgumentException(where + "unknown key '" + key + "' for " + words[0]
                            + ", expected " + keys);
                }
                Set<String> names = NAMES.get(key);
                if (names != null) {
                    if (!names.contains(value)) {
                        throw new IllegalArgumentException(where + "unknown " + key + " '" + value
                                + "', expected one of " + names);
                    }
                } else {
                    try {
                        if (isTriple(words[0], key)) parseTriple(value);
                        else if (Integer.parseInt(value) < 1) throw new NumberFormatException();
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(where + "bad value for " + key + ": '" + value + "'");
                    }
                }
                params.put(key, value);
            }
            for (String key : keys) {
                if (!params.containsKey(key)) throw new IllegalArgumentException(where + "missing " + key);
            }
            Case c = new Case(words[0], words[1], Collections.unmodifiableMap(params));
            if (!seen.add(c.kind() + " " + c.id())) throw new IllegalArgumentException(where + "duplicate case " + c);
            cases.add(c);
        }
        return new ShapeTable(cases);
    }

    static int[] parseTriple(String v) {
        String[] parts = v.split("x");
        if (parts.length != 3) throw new IllegalArgumentException("expected TxHxW, got '" + v + "'");
        int[] t = new int[3];
        for (int i = 0; i < 3; i++) {
            t[i] = Integer.parseInt(parts[i]);
            if (t[i] < 0) throw new IllegalArgumentException("negative value in '" + v + "'");
        }
        return t;
    }

    public List<Case> cases() {
        return cases;
    }

    public List<Case> cases(String kind) {
        return cases.stream().filter(c -> c.kind().equals(kind)).toList();
    }

    /** The case of {@code kind} with this id (e.g. "res3.conv_b@8x56x56"). */
    public Case get(String kind, String id) {
        for (Case c : cases) {
            if (c.kind().equals(kind) && c.id().equals(id)) return c;
        }
        throw new IllegalArgumentException("no " + kind + " case '" + id + "' in the shape table");
    }
}
