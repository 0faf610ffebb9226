package org.iboot4j.kernels.ptx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The by-value structs the kernels read: layouts and the host-side dimension merging. */
class PtxStructsTest {

    private static int[] ints(byte[] b, int from, int count) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = bb.getInt(from + 4 * i);
        return r;
    }

    @Test
    void contiguousOperandsCollapseToRankOne() {
        byte[] g = PtxStructs.elementwise(new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {12, 4, 1});
        assertEquals(PtxStructs.ELEMENTWISE_GEOMETRY_BYTES, g.length);
        assertArrayEquals(new int[] {24, 1, 24}, ints(g, 0, 3));   // n, rank, shape[0]
        assertEquals(1, ints(g, 40, 1)[0]);                          // out stride
        assertEquals(1, ints(g, 72, 1)[0]);                          // input stride
    }

    @Test
    void broadcastAndTransposedOperandsKeepTheirDims() {
        // out (2, 3) contiguous; a broadcast along dim 0 (stride 0); b transposed (strides 1, 2)
        byte[] g = PtxStructs.elementwise(new int[] {2, 3}, new int[] {3, 1}, new int[] {0, 1}, new int[] {1, 2});
        assertArrayEquals(new int[] {6, 2, 2, 3}, ints(g, 0, 4));
        assertArrayEquals(new int[] {3, 1}, ints(g, 40, 2));
        assertArrayEquals(new int[] {0, 1}, ints(g, 72, 2));
        assertArrayEquals(new int[] {1, 2}, ints(g, 104, 2));
    }

    @Test
    void sizeOneDimsAreDroppedAndScalarsHaveRankOne() {
        byte[] g = PtxStructs.elementwise(new int[] {1, 5, 1}, new int[] {5, 1, 1}, new int[] {0, 2, 7});
        assertArrayEquals(new int[] {5, 1, 5}, ints(g, 0, 3));
        assertEquals(2, ints(g, 72, 1)[0]);
        byte[] s = PtxStructs.elementwise(new int[0], new int[0], new int[0]);
        assertArrayEquals(new int[] {1, 1, 1}, ints(s, 0, 3));
        assertArrayEquals(new int[] {0}, ints(s, 40, 1));
    }

    @Test
    void tooManyDimsAreRefused() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] strided = {6561, 2187, 729, 243, 81, 27, 9, 3, 1};   // gaps everywhere: nothing merges
        assertThrows(IllegalArgumentException.class, () -> PtxStructs.elementwise(shape, strided));
    }

    @Test
    void reduceGeometrySplitsKeptAndReducedDims() {
        // x (4, 5, 6) contiguous, reduce dims 0 and 2
        byte[] g = PtxStructs.reduce(new int[] {4, 5, 6}, new int[] {30, 6, 1}, new int[] {0, 2});
        assertEquals(PtxStructs.REDUCE_GEOMETRY_BYTES, g.length);
        assertArrayEquals(new int[] {5, 24, 1, 2}, ints(g, 0, 4));
        assertEquals(5, ints(g, 16, 1)[0]);
        assertEquals(6, ints(g, 48, 1)[0]);
        assertArrayEquals(new int[] {4, 6}, ints(g, 80, 2));
        assertArrayEquals(new int[] {30, 1}, ints(g, 112, 2));
    }

    @Test
    void contiguousRunsOfReducedDimsMerge() {
        // x (4, 5, 6) contiguous, reduce the last two dims: one reduced run of 30, one kept dim
        byte[] g = PtxStructs.reduce(new int[] {4, 5, 6}, new int[] {30, 6, 1}, new int[] {1, 2});
        assertArrayEquals(new int[] {4, 30, 1, 1}, ints(g, 0, 4));
        assertEquals(30, ints(g, 48, 1)[0]);
        assertArrayEquals(new int[] {30, 1}, new int[] {ints(g, 80, 1)[0], ints(g, 112, 1)[0]});
    }

    @Test
    void gatherAndPoolLayouts() {
        byte[] g = PtxStructs.gather(new int[] {3, 4}, 1, 9, new int[] {9, 1});
        assertArrayEquals(new int[] {12, 2, 1, 9, 3, 4}, ints(g, 0, 6));
        assertArrayEquals(new int[] {9, 1}, ints(g, 48, 2));
        byte[] p = PtxStructs.pool(new int[] {2, 3, 8, 7, 7}, new int[] {2, 3, 1, 1, 1}, new int[] {1176, 392, 49, 7, 1});
        assertArrayEquals(new int[] {2, 3, 8, 7, 7, 1, 1, 1, 1176, 392, 49, 7, 1}, ints(p, 0, 13));
    }

    @Test
    void augmentParamsLayout() {
        ByteBuffer b = ByteBuffer.allocate(2 * PtxStructs.AUGMENT_PARAMS_BYTES);
        PtxStructs.augment(b, PtxStructs.AUGMENT_PARAMS_BYTES, 1L << 33, 240, 320, 256, 341, 10, 20, true, false,
                1.1f, 0.9f, 1.2f, -0.05f, new int[] {3, 1}, 1.5f, 23, new float[] {0.1f, 0.2f, 0.3f},
                new float[] {0.4f, 0.5f, 0.6f});
        b.order(ByteOrder.LITTLE_ENDIAN);
        int at = PtxStructs.AUGMENT_PARAMS_BYTES;
        assertEquals(1L << 33, b.getLong(at));
        assertArrayEquals(new int[] {240, 320, 256, 341, 10, 20, 1, 0}, ints(b.array(), at + 8, 8));
        assertEquals(-0.05f, b.getFloat(at + 52));
        assertArrayEquals(new int[] {3, 1, -1, -1}, ints(b.array(), at + 56, 4));
        assertEquals(1.5f, b.getFloat(at + 72));
        assertEquals(23, b.getInt(at + 76));
        assertEquals(0.6f, b.getFloat(at + 100));
        assertEquals(0L, b.getLong(0), "the first slot is untouched");
    }
}
