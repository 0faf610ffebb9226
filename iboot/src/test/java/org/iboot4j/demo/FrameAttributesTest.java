package org.iboot4j.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.data.video.VideoReader;
import org.junit.jupiter.api.Test;

/**
 * The demo teacher's targets: object masks measured from the pixels of the bundled synthetic
 * videos, the attributes (moments) and their embedding.
 */
class FrameAttributesTest {
    static Path video(String name) {
        return Path.of(System.getProperty("iboot.testData", "../test-data"), "synthetic", "videos", name.substring(0, name.lastIndexOf('_')), name);
    }

    /** The attributes of every frame of a video. */
    static FrameAttributes[] track(String name) throws Exception {
        try (VideoReader r = VideoReader.open(video(name))) {
            Frames f = r.readClip(0, 90, 1, 0);
            float[] m = ObjectMasks.masks(f);
            FrameAttributes[] out = new FrameAttributes[f.frames()];
            for (int t = 0; t < out.length; t++) out[t] = FrameAttributes.of(m, t * 64 * 64, 64, 64);
            return out;
        }
    }

    static double range(FrameAttributes[] a, java.util.function.ToDoubleFunction<FrameAttributes> f) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (FrameAttributes x : a) {
            lo = Math.min(lo, f.applyAsDouble(x));
            hi = Math.max(hi, f.applyAsDouble(x));
        }
        return hi - lo;
    }

    @Test
    void theMotionShowsInTheMeasuredAttributes() throws Exception {
        // left_right_0001: the generator moves the object by +-amplitude in x (about 10 px); y stays
        FrameAttributes[] lr = track("left_right_0001.webm");
        for (FrameAttributes a : lr) assertTrue(a.present());
        assertTrue(range(lr, FrameAttributes::x) > 15, "x range " + range(lr, FrameAttributes::x));
        assertTrue(range(lr, FrameAttributes::y) < 2, "y range " + range(lr, FrameAttributes::y));
        assertTrue(range(lr, FrameAttributes::size) < 1.5, "size range " + range(lr, FrameAttributes::size));
        // checked against the generator's own masks (numpy, same threshold): frame 0 centroid (46.37, 37.70)
        assertEquals(46.4, lr[0].x(), 1.0);
        assertEquals(37.7, lr[0].y(), 1.0);

        FrameAttributes[] gs = track("grow_shrink_0000.mp4");
        double maxSize = 0, minSize = 1e9;
        for (FrameAttributes a : gs) {
            maxSize = Math.max(maxSize, a.size());
            minSize = Math.min(minSize, a.size());
        }
        assertTrue(maxSize / minSize > 2, "grow_shrink sizes " + minSize + " .. " + maxSize);
        assertTrue(range(gs, FrameAttributes::x) < 2);

        FrameAttributes[] rot = track("rotate_0002.avi");
        assertTrue(range(rot, FrameAttributes::theta) > 2.5, "rotate: theta covers most of [-pi/2, pi/2]");
        assertTrue(range(rot, FrameAttributes::size) < 2);
    }

    @Test
    void momentsOfADrawnBar() {
        // a 20 x 6 horizontal bar with its centre at (30, 20), then the same bar upright
        float[] m = new float[64 * 64];
        for (int r = 17; r < 23; r++) for (int c = 20; c < 40; c++) m[r * 64 + c] = 1;
        FrameAttributes a = FrameAttributes.of(m, 0, 64, 64);
        assertEquals(120, a.area(), 1e-9);
        assertEquals(30, a.x(), 1e-9);
        assertEquals(20, a.y(), 1e-9);
        assertEquals(Math.sqrt(120), a.size(), 1e-9);
        assertEquals(0, a.theta(), 1e-9);
        // variances 399/12 and 35/12: anisotropy (399 - 35) / (399 + 35)
        assertEquals(364.0 / 434, a.anisotropy(), 1e-9);
        float[] up = new float[64 * 64];
        for (int r = 20; r < 40; r++) for (int c = 17; c < 23; c++) up[r * 64 + c] = 1;
        assertEquals(Math.PI / 2, Math.abs(FrameAttributes.of(up, 0, 64, 64).theta()), 1e-9);

        float[] e = a.embedding(64);
        assertEquals(FrameAttributes.DIM, e.length);
        // x = 30: bumps at 24 and 32 (width 6): exp(-0.5) and exp(-1/18)
        assertEquals(Math.exp(-0.5), e[3], 1e-6);
        assertEquals(Math.exp(-0.5 * 4.0 / 36), e[4], 1e-6);
        // y = 20: bump at 16 and 24 equal
        assertEquals(e[FrameAttributes.POSITION_BINS + 2], e[FrameAttributes.POSITION_BINS + 3], 1e-6);
        // theta = 0: the first orientation bump is the anisotropy itself
        assertEquals(a.anisotropy(), e[2 * FrameAttributes.POSITION_BINS + FrameAttributes.SIZE_BINS], 1e-6);
        assertFalse(FrameAttributes.of(new float[64 * 64], 0, 64, 64).present());
        assertArrayEquals(new float[FrameAttributes.DIM], FrameAttributes.of(new float[64 * 64], 0, 64, 64).embedding(64));
    }

    @Test
    void theTargetFollowsTheAugmentationsGeometry() {
        float[] m = new float[64 * 64];
        for (int r = 10; r < 20; r++) for (int c = 40; c < 50; c++) m[r * 64 + c] = 1;   // centre (45, 15)
        // short side 64 -> 80 (x 1.25), crop 64 at (top 4, left 8), flipped
        ClipAugmentation aug = new ClipAugmentation(64, 64, 80, 80, 80, 4, 8, 64, 64, true, 1, 1, 1, 0, new int[0], false, 0, 1,
                new float[] {0, 0, 0}, new float[] {1, 1, 1});
        FrameAttributes a = FrameAttributes.of(TeacherTrainer.transformMask(m, 0, 64, 64, aug), 0, 64, 64);
        assertEquals(64 - (45 * 1.25 - 8), a.x(), 0.3);
        assertEquals(15 * 1.25 - 4, a.y(), 0.3);
        assertEquals(10 * 1.25, a.size(), 0.5);
        // the teacher-only variations move the mask like the pixels: transposed, (45, 15) -> (15, 45)
        TeacherTrainer.Variation v = new TeacherTrainer.Variation(3, true, false);
        FrameAttributes t = FrameAttributes.of(v.apply(m, 0, 64), 0, 64, 64);
        assertEquals(15, t.x(), 1e-9);
        assertEquals(45, t.y(), 1e-9);
        byte[] rgb = new byte[64 * 64 * 3];
        rgb[(15 * 64 + 45) * 3] = 10;   // red at row 15, column 45
        Frames moved = v.apply(new Frames(1, 64, 64, rgb));
        // permutation 3 = (1, 2, 0): output channel 2 takes input channel 0
        assertEquals(10, moved.at(0, 45, 15, 2));
    }
}
