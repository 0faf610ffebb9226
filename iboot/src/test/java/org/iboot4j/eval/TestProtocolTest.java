package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The paper's test protocol (10 clips x 3 crops of 8x8 frames at 224) and its fast 1 x 1 form. */
class TestProtocolTest {
    @Test
    void thePapersProtocolIsTenClipsTimesThreeCrops() {
        TestProtocol p = TestProtocol.paper();
        assertEquals(10, p.clips());
        assertEquals(3, p.crops());
        assertEquals(30, p.viewsPerVideo());
        assertEquals(8, p.frames());
        assertEquals(8, p.stride());
        assertEquals(224, p.size());
        assertArrayEquals(new float[] {0.45f, 0.45f, 0.45f}, p.mean());
        assertArrayEquals(new float[] {0.225f, 0.225f, 0.225f}, p.std());
        assertEquals("10 clips x 3 crops of 8x8 frames at 224", p.describe());
    }

    @Test
    void theFastProtocolIsOneClipOneCropAndCropsAreOneOrThree() {
        TestProtocol fast = TestProtocol.paper().withViews(1, 1);
        assertEquals(1, fast.viewsPerVideo());
        assertEquals(224, fast.size(), "only the views change");
        assertThrows(IllegalArgumentException.class, () -> TestProtocol.paper().withViews(10, 2));
    }
}
