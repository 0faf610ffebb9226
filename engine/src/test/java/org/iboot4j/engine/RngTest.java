package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RngTest {
    /** Known-answer vectors of Philox4x32-10 from Random123's kat_vectors file. */
    @Test
    void philoxMatchesTheReferenceKnownAnswers() {
        int[] out = new int[4];
        Rng.philox(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Rng.philox(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Rng.philox(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void sameSeedSameStreamAndRestoreResumesExactly() {
        Rng a = new Rng(42), b = new Rng(42);
        for (int i = 0; i < 7; i++) assertEquals(a.nextInt(), b.nextInt());
        long[] state = a.state();
        float[] expected = new float[9];
        a.fillUniform(expected, 0, 1);
        float[] resumed = new float[9];
        Rng.restore(state).fillUniform(resumed, 0, 1);
        assertArrayEquals(expected, resumed);
        assertTrue(new Rng(43).nextInt() != new Rng(42).nextInt());
    }

    @Test
    void uniformAndNormalHaveTheRightMoments() {
        Rng rng = new Rng(7);
        float[] u = new float[200_000], n = new float[200_000];
        rng.fillUniform(u, -1, 3);
        rng.fillNormal(n, 2, 0.5f);
        double[] mu = moments(u), mn = moments(n);
        assertEquals(1.0, mu[0], 0.02);                 // mean of U(-1, 3)
        assertEquals(16.0 / 12, mu[1], 0.02);           // variance (b - a)^2 / 12
        assertEquals(2.0, mn[0], 0.01);
        assertEquals(0.25, mn[1], 0.01);
        for (float v : u) assertTrue(v >= -1 && v < 3);
        int[] counts = new int[5];
        for (int i = 0; i < 50_000; i++) counts[rng.nextInt(5)]++;
        for (int c : counts) assertEquals(10_000, c, 500);
    }

    private static double[] moments(float[] v) {
        double sum = 0, sq = 0;
        for (float x : v) sum += x;
        double mean = sum / v.length;
        for (float x : v) sq += (x - mean) * (x - mean);
        return new double[] {mean, sq / v.length};
    }
}
