package org.iboot4j.nn.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small, strict JSON parser and string writer that safetensors headers need (RFC 8259, no
 * extensions), written for input that may be hostile.
 *
 * <p>{@link #parse} maps JSON to plain Java values: object to {@code LinkedHashMap<String, Object>}
 * (key order kept; a repeated key is an error), array to {@code ArrayList<Object>}, string to
 * {@code String}, {@code true}/{@code false} to {@code Boolean}, {@code null} to {@code null}, and
 * a number written without fraction or exponent to {@code Long} when it fits, else to
 * {@link BigInteger}; any other number to {@code Double}. Everything else throws
 * {@link JsonException} with the character offset: trailing characters, nesting deeper than
 * {@value #MAX_DEPTH} levels (so a hostile header cannot overflow the stack), integers longer than
 * {@value #MAX_INTEGER_DIGITS} digits, unescaped control characters, and {@code \}{@code u}
 * escapes that leave a surrogate unpaired (such a string has no UTF-8 form).
 *
 * <p>{@link #quote} writes a string as a JSON string literal exactly like Python's
 * {@code json.dumps(s, ensure_ascii=True)}, so headers written here match those written by
 * {@code test-data/scripts/fixture_io.py} byte for byte.
 *
 * <p>Public (parse, quote and {@link JsonException}) so that other modules reuse this one strict
 * parser instead of growing their own: the trainer reads and writes its JSON trainer state with
 * it ({@code org.iboot4j.train}).
 */
public final class Json {

    /** Deepest nesting of arrays and objects that {@link #parse} accepts. */
    static final int MAX_DEPTH = 64;

    /** Longest integer literal (in digits) that {@link #parse} accepts. */
    static final int MAX_INTEGER_DIGITS = 400;

    /** A malformed JSON text; the message says what and at which character offset. */
    public static final class JsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }
    }

    private final String s;
    private int pos;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value; only whitespace may follow it. */
    public static Object parse(String json) {
        Json p = new Json(json);
        Object value = p.value();
        p.skipWhitespace();
        if (p.pos != json.length()) throw p.error("unexpected characters after the JSON value");
        return value;
    }

    // ------------------------------------------------------------------ parsing

    private Object value() {
        skipWhitespace();
        if (pos >= s.length()) throw error("unexpected end of input");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || isDigit(c)) yield number();
                throw error("unexpected character " + describe(c));
            }
        };
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> map = new LinkedHashMap<>();
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') throw error("expected a string key");
            int keyAt = pos;
            String key = string();
            if (map.containsKey(key)) {
                pos = keyAt;
                throw error("duplicate key " + quote(key));
            }
            skipWhitespace();
            expect(':');
            map.put(key, value());
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else {
                expect('}');
                depth--;
                return map;
            }
        }
    }

    private List<Object> array() {
        enter();
        List<Object> list = new ArrayList<>();
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            list.add(value());
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else {
                expect(']');
                depth--;
                return list;
            }
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("arrays and objects nested more than " + MAX_DEPTH + " deep");
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character " + describe(c) + " in a string");
            }
            if (c != '\\') {
                sb.append(c); // never a lone surrogate: the header was decoded from strict UTF-8
                continue;
            }
            if (pos >= s.length()) throw error("unterminated escape");
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (!s.startsWith("\\u", pos)) throw error("unpaired surrogate \\u" + hexOf(u));
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) {
                            throw error("unpaired surrogate \\u" + hexOf(u) + " followed by \\u" + hexOf(low));
                        }
                        sb.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        throw error("unpaired surrogate \\u" + hexOf(u));
                    } else {
                        sb.append(u);
                    }
                }
                default -> {
                    pos--;
                    throw error("bad escape \\" + e);
                }
            }
        }
    }

    private char hex4() {
        if (pos + 4 > s.length()) throw error("short \\u escape");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0 || s.charAt(pos + i) > 'f') throw error("bad \\u escape");
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') pos++;
        int intStart = pos;
        while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
        if (pos == intStart) throw error("bad number");
        if (s.charAt(intStart) == '0' && pos - intStart > 1) {
            pos = intStart;
            throw error("leading zero in a number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            int fracStart = pos;
            while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
            if (pos == fracStart) throw error("bad fraction");
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            int expStart = pos;
            while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
            if (pos == expStart) throw error("bad exponent");
        }
        String text = s.substring(start, pos);
        if (!integral) return Double.parseDouble(text); // linear time however long the text
        if (pos - intStart > MAX_INTEGER_DIGITS) {
            pos = start;
            throw error("integer with more than " + MAX_INTEGER_DIGITS + " digits");
        }
        if (pos - intStart <= 18) return Long.parseLong(text);
        BigInteger big = new BigInteger(text);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, pos)) throw error("unexpected character " + describe(s.charAt(pos)));
        pos += word.length();
        return value;
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void expect(char c) {
        if (pos >= s.length()) throw error("expected '" + c + "' but the input ended");
        if (s.charAt(pos) != c) throw error("expected '" + c + "' but found " + describe(s.charAt(pos)));
        pos++;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : "U+" + hexOf(c).toUpperCase(java.util.Locale.ROOT);
    }

    private static String hexOf(char c) {
        return String.format("%04x", (int) c);
    }

    private JsonException error(String what) {
        return new JsonException(what + " at character " + pos);
    }

    // ------------------------------------------------------------------ writing

    /**
     * {@code value} as a JSON string literal, ASCII only: {@code "} and {@code \} escaped,
     * {@code \b \f \n \r \t} as short escapes, every other character outside {@code ' '..'~'} as
     * {@code \}{@code u} and four lowercase hex digits (characters beyond the BMP as their
     * surrogate pair) — the output of Python's {@code json.dumps} with {@code ensure_ascii=True}.
     *
     * @throws IllegalArgumentException if {@code value} holds an unpaired surrogate
     */
    public static String quote(String value) {
        return quote(value, true);
    }

    /**
     * {@code value} quoted as by {@link #quote}, for error messages: an unpaired surrogate is
     * written as its escape instead of being an error, and a string longer than
     * {@value #DISPLAY_LENGTH} characters is cut short (a hostile header may hold huge strings).
     */
    static String display(String value) {
        if (value.length() <= DISPLAY_LENGTH) return quote(value, false);
        return quote(value.substring(0, DISPLAY_LENGTH), false) + "... (" + value.length() + " characters)";
    }

    /** How many characters of a string {@link #display} and {@link #displayValue} show. */
    static final int DISPLAY_LENGTH = 100;

    /**
     * A parsed JSON value written back compactly for an error message ({@code [8, 4]},
     * {@code "F32"}, {@code {...}}), cut short after about {@value #DISPLAY_LENGTH} characters.
     */
    static String displayValue(Object value) {
        StringBuilder sb = new StringBuilder();
        appendDisplay(sb, value);
        return sb.length() <= DISPLAY_LENGTH + 3 ? sb.toString() : sb.substring(0, DISPLAY_LENGTH) + "...";
    }

    private static void appendDisplay(StringBuilder sb, Object value) {
        if (sb.length() > DISPLAY_LENGTH) return;
        if (value instanceof String str) {
            sb.append(display(str));
        } else if (value instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size() && sb.length() <= DISPLAY_LENGTH; i++) {
                if (i > 0) sb.append(", ");
                appendDisplay(sb, list.get(i));
            }
            sb.append(']');
        } else if (value instanceof Map<?, ?> map) {
            sb.append(map.isEmpty() ? "{}" : "{...}");
        } else {
            sb.append(value); // Long, BigInteger, Double, Boolean or null
        }
    }

    /** "a string", "a number", "an array", ... for error messages. */
    static String typeName(Object value) {
        if (value == null) return "null";
        if (value instanceof String) return "a string";
        if (value instanceof Number) return "a number";
        if (value instanceof Boolean) return "a boolean";
        if (value instanceof List) return "an array";
        return "an object";
    }

    private static String quote(String value, boolean strict) {
        StringBuilder sb = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1));
                if (!paired && !strict) {
                    sb.append("\\u").append(hexOf(c));
                    continue;
                }
                if (!paired) {
                    throw new IllegalArgumentException("string has an unpaired surrogate U+"
                            + hexOf(c).toUpperCase(java.util.Locale.ROOT) + " at index " + i
                            + ", so it has no UTF-8 form");
                }
                sb.append("\\u").append(hexOf(c)).append("\\u").append(hexOf(value.charAt(++i)));
                continue;
            }
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c >= ' ' && c <= '~') sb.append(c);
                    else sb.append("\\u").append(hexOf(c));
                }
            }
        }
        return sb.append('"').toString();
    }
}
