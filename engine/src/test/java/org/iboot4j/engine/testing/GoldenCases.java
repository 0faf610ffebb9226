package org.iboot4j.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Turns a golden fixture of named cases (tensor names "CASE.what") and the Java declarations of
 * the same cases into one dynamic test per case, plus a "caseListsMatch" test that fails when
 * the fixture and the Java side disagree on which cases exist, so nothing is skipped silently.
 */
public final class GoldenCases {
    private GoldenCases() {}

    /**
     * @param script the generator to name in the mismatch message
     * @param cases the Java cases by name
     * @param check runs one case against the fixture
     */
    public static <C> Stream<DynamicTest> tests(SafetensorsFixture fixture, String script, Map<String, C> cases,
            BiConsumer<String, C> check) {
        Set<String> inFixture = new TreeSet<>();
        for (String t : fixture.names()) inFixture.add(t.contains(".") ? t.substring(0, t.indexOf('.')) : t);
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("caseListsMatch", () -> {
            Set<String> onlyFixture = new TreeSet<>(inFixture);
            onlyFixture.removeAll(cases.keySet());
            Set<String> onlyJava = new TreeSet<>(cases.keySet());
            onlyJava.removeAll(inFixture);
            assertTrue(onlyFixture.isEmpty() && onlyJava.isEmpty(), "cases only in " + fixture.file().getFileName()
                    + ": " + onlyFixture + "; cases only in the Java test: " + onlyJava
                    + " (regenerate with test-data/scripts/" + script + ")");
            assertEquals(String.valueOf(inFixture.size()), fixture.metadata().get("cases"),
                    "metadata 'cases' vs the cases found in the file");
        }));
        cases.forEach((name, c) -> tests.add(DynamicTest.dynamicTest(name, () -> {
            assertTrue(inFixture.contains(name), name + " is not in " + fixture.file().getFileName());
            check.accept(name, c);
        })));
        return tests.stream();
    }
}
