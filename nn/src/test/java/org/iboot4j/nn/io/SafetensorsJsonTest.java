package org.iboot4j.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The small JSON parser and string writer under the safetensors header code. */
class SafetensorsJsonTest {

    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -0, 9223372036854775807, 9223372036854775808, -9223372036854775809, 1.5, 2e3,"
                + " true, false, null, \"s\\u00e9\\n\\/\", {}, []]} \n");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(0L, a.get(1));
        assertEquals(Long.MAX_VALUE, a.get(2));
        assertEquals(new BigInteger("9223372036854775808"), a.get(3));
        assertEquals(new BigInteger("-9223372036854775809"), a.get(4));
        assertEquals(1.5, a.get(5));
        assertEquals(2000.0, a.get(6));
        assertEquals(true, a.get(7));
        assertEquals(false, a.get(8));
        assertNull(a.get(9));
        assertEquals("s\u00e9\n/", a.get(10));
        assertEquals(Map.of(), a.get(11));
        assertEquals(List.of(), a.get(12));
    }

    @Test
    void keepsKeyOrderAndJoinsSurrogatePairs() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"z\":1,\"a\":2,\"\\ud834\\udd1e\":3}");
        assertEquals(List.of("z", "a", "\uD834\uDD1E"), List.copyOf(m.keySet()));
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : List.of("", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "[1 2]", "01", "-", "1.", "1e", "+1",
                "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"unterminated", "tru", "nul", "{'a':1}", "{a:1}", "[] []",
                "\"\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "{\"a\":1,\"a\":2}", "NaN", "Infinity", "\"\t\"")) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains(" at character "), e.getMessage());
        }
    }

    @Test
    void limitsNestingAndIntegerLength() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertThrows(Json.JsonException.class, () -> Json.parse(deep));
        char[] digits = new char[Json.MAX_INTEGER_DIGITS + 1];
        Arrays.fill(digits, '7');
        assertThrows(Json.JsonException.class, () -> Json.parse(new String(digits)));
        assertEquals(BigInteger.class, Json.parse(new String(digits, 0, Json.MAX_INTEGER_DIGITS)).getClass());
    }

    @Test
    void quotesLikePythonJsonDumps() {
        // expected strings are json.dumps(s, ensure_ascii=True) from Python 3
        assertEquals("\"plain\"", Json.quote("plain"));
        assertEquals("\"q\\\"b\\\\s/\"", Json.quote("q\"b\\s/"));
        assertEquals("\"\\u0000\\u0001\\u001f\\u007f\"", Json.quote("\u0000\u0001\u001f\u007f"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", Json.quote("\b\f\n\r\t"));
        assertEquals("\"\\u00e9\\u2603\\ud834\\udd1e\\u2028\\uffff\"", Json.quote("\u00e9\u2603\uD834\uDD1E\u2028\uffff"));
        assertEquals("\"\"", Json.quote(""));
    }

    @Test
    void quoteRoundTripsThroughParse() {
        String s = "\u0000 \" \\ / \u00e9 \uD834\uDD1E \u007f \n";
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void quoteRefusesUnpairedSurrogatesButDisplayShowsThem() {
        assertThrows(IllegalArgumentException.class, () -> Json.quote("a\uD800"));
        assertThrows(IllegalArgumentException.class, () -> Json.quote("\uDC00b"));
        assertEquals("\"a\\ud800\"", Json.display("a\uD800"));
        String longText = "x".repeat(500);
        assertEquals("\"" + "x".repeat(Json.DISPLAY_LENGTH) + "\"... (500 characters)", Json.display(longText));
    }
}
