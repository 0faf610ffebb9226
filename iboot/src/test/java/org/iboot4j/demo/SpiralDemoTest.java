package org.iboot4j.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpiralDemoTest {
    @Test
    void lossFallsAndTheSpiralIsLearned() {
        List<String> lines = new ArrayList<>();
        SpiralDemo.Result r = new SpiralDemo(64, 0.5f, 0).train(600, 100, lines::add);
        assertTrue(r.firstLoss() > 1.0f, "a fresh 3-class model starts near ln 3: " + r);
        assertTrue(r.lastLoss() < 0.35f * r.firstLoss(), "loss must fall well below its start: " + r);
        assertTrue(r.accuracy() > 0.9f, "a 2-layer MLP separates the spiral: " + r);
        assertTrue(lines.size() >= 6, "progress is reported: " + lines);
    }
}
