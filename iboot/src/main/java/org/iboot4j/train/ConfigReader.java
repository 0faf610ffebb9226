package org.iboot4j.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of a parsed YAML document (maps, lists, scalars) into typed values. Every
 * accessor marks its key as known and records the value it resolved (the default when the key
 * is absent) in a canonical mirror; {@link Section#finish} then rejects every key nobody asked
 * for. So a misspelt key is an error naming the key and the file, never a silently ignored
 * setting, and the canonical mirror is the complete configuration the run used.
 */
final class ConfigReader {
    private ConfigReader() {}

    /** A configuration that cannot be used; the message names the file and the key. */
    static IllegalArgumentException error(String file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }

    /** One mapping of the document, at a dotted path ("" for the root). */
    static final class Section {
        private final String file, path;
        private final Map<String, Object> raw;
        private final Map<String, Object> out = new LinkedHashMap<>();
        private final Set<String> known = new HashSet<>();

        Section(String file, String path, Object node) {
            this.file = file;
            this.path = path;
            if (node == null) {
                raw = Map.of();
            } else if (node instanceof Map<?, ?> m) {
                Map<String, Object> copy = new LinkedHashMap<>();
                for (var e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k)) {
                        throw error(file, "key " + e.getKey() + " in " + where() + " is not a string");
                    }
                    copy.put(k, e.getValue());
                }
                raw = copy;
            } else {
                throw error(file, where() + " must be a mapping of KEY: value, got " + describe(node));
            }
        }

        private String where() {
            return path.isEmpty() ? "the top level" : "'" + path + "'";
        }

        String key(String k) {
            return path.isEmpty() ? k : path + "." + k;
        }

        String file() {
            return file;
        }

        /** The canonical mirror: every key read, with its resolved value. */
        Map<String, Object> canonical() {
            return out;
        }

        boolean has(String k) {
            return raw.get(k) != null;
        }

        /** The raw value of a key, without marking it as read. */
        Object peek(String k) {
            return raw.get(k);
        }

        private Object get(String k, boolean required) {
            known.add(k);
            Object v = raw.get(k);
            if (v == null && required) throw error(file, "missing required key '" + key(k) + "'");
            return v;
        }

        IllegalArgumentException invalid(String k, String message) {
            return error(file, "'" + key(k) + "' " + message);
        }

        String string(String k, String def) {
            Object v = get(k, def == null);
            String s = v == null ? def : scalarString(k, v);
            out.put(k, s);
            return s;
        }

        private String scalarString(String k, Object v) {
            if (v instanceof Map || v instanceof List) throw invalid(k, "must be a single value, got " + describe(v));
            return v.toString();
        }

        /** One of {@code choices} (lower case, compared case-insensitively). */
        String choice(String k, String def, String... choices) {
            String s = string(k, def).toLowerCase(Locale.ROOT);
            for (String c : choices) {
                if (c.equals(s)) {
                    out.put(k, s);
                    return s;
                }
            }
            throw invalid(k, "must be one of " + List.of(choices) + ", got '" + s + "'");
        }

        long integer(String k, Long def) {
            Object v = get(k, def == null);
            long value = v == null ? def : toLong(k, v);
            out.put(k, value);
            return value;
        }

        int integer(String k, int def) {
            long v = integer(k, (Long) (long) def);
            if (v != (int) v) throw invalid(k, "is out of range: " + v);
            return (int) v;
        }

        int requiredInt(String k) {
            long v = integer(k, (Long) null);
            if (v != (int) v) throw invalid(k, "is out of range: " + v);
            return (int) v;
        }

        private long toLong(String k, Object v) {
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
            if (v instanceof java.math.BigInteger b) {
                if (b.bitLength() < 64) return b.longValue();
                throw invalid(k, "is out of range: " + b);
            }
            if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) return d.longValue();
            throw invalid(k, "must be an integer, got " + describe(v));
        }

        double number(String k, Double def) {
            Object v = get(k, def == null);
            double value = v == null ? def : toDouble(k, v);
            out.put(k, value);
            return value;
        }

        double number(String k, double def) {
            return number(k, (Double) def);
        }

        double requiredNumber(String k) {
            return number(k, (Double) null);
        }

        private double toDouble(String k, Object v) {
            if (v instanceof Number n && !(v instanceof java.math.BigDecimal)) {
                double d = n.doubleValue();
                if (Double.isFinite(d)) return d;
            }
            throw invalid(k, "must be a finite number, got " + describe(v));
        }

        boolean bool(String k, boolean def) {
            Object v = get(k, false);
            boolean value;
            if (v == null) value = def;
            else if (v instanceof Boolean b) value = b;
            else throw invalid(k, "must be true or false, got " + describe(v));
            out.put(k, value);
            return value;
        }

        /** A list of exactly {@code length} numbers ({@code length} < 0: any non-empty length). */
        double[] numbers(String k, double[] def, int length) {
            Object v = get(k, def == null);
            double[] value;
            if (v == null) {
                value = def.clone();
            } else if (v instanceof List<?> list) {
                value = new double[list.size()];
                for (int i = 0; i < value.length; i++) {
                    Object e = list.get(i);
                    if (!(e instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                        throw invalid(k, "must be a list of numbers, element " + i + " is " + describe(e));
                    }
                    value[i] = n.doubleValue();
                }
            } else {
                throw invalid(k, "must be a list of numbers [a, b, ...], got " + describe(v));
            }
            if ((length >= 0 && value.length != length) || value.length == 0) {
                throw invalid(k, "must hold " + (length >= 0 ? length : "at least one") + " numbers, got " + value.length);
            }
            List<Object> mirror = new ArrayList<>();
            for (double d : value) mirror.add(d);
            out.put(k, mirror);
            return value;
        }

        int[] integers(String k, int[] def, int length) {
            double[] d = numbers(k, def == null ? null : java.util.Arrays.stream(def).asDoubleStream().toArray(), length);
            int[] value = new int[d.length];
            List<Object> mirror = new ArrayList<>();
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Math.rint(d[i]) || Math.abs(d[i]) > Integer.MAX_VALUE) {
                    throw invalid(k, "must be a list of integers, element " + i + " is " + d[i]);
                }
                value[i] = (int) d[i];
                mirror.add((long) value[i]);
            }
            out.put(k, mirror);
            return value;
        }

        /** A sub-mapping (absent: empty, every key then takes its default). */
        Section section(String k) {
            Section s = new Section(file, key(k), get(k, false));
            out.put(k, s.out);
            return s;
        }

        /** A list of mappings (absent: empty). */
        List<Section> sections(String k) {
            Object v = get(k, false);
            List<Section> list = new ArrayList<>();
            List<Object> mirror = new ArrayList<>();
            if (v != null) {
                if (!(v instanceof List<?> items)) throw invalid(k, "must be a list of mappings (- KEY: value), got " + describe(v));
                for (int i = 0; i < items.size(); i++) {
                    Section s = new Section(file, key(k) + "." + i, items.get(i));
                    if (items.get(i) == null) throw invalid(k, "element " + i + " is empty");
                    list.add(s);
                    mirror.add(s.out);
                }
            }
            out.put(k, mirror);
            return list;
        }

        /** Rejects every key that no accessor asked for. Call after reading the whole section. */
        void finish() {
            List<String> unknown = raw.keySet().stream().filter(k -> !known.contains(k)).toList();
            if (!unknown.isEmpty()) {
                String keys = String.join(", ", unknown.stream().map(k -> "'" + key(k) + "'").toList());
                throw error(file, "unknown key" + (unknown.size() > 1 ? "s " : " ") + keys
                        + " (the keys of " + (path.isEmpty() ? "the top level" : path) + " are " + new TreeSet<>(known) + ")");
            }
        }
    }

    static String describe(Object v) {
        if (v == null) return "nothing";
        if (v instanceof String s) return "'" + s + "'";
        if (v instanceof Map) return "a mapping";
        if (v instanceof List) return "a list";
        return v.toString();
    }
}
