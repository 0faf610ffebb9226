package org.iboot4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.kernels.ptx.PtxStructs;
import org.junit.jupiter.api.Test;

/** GpuAugment's host side without a GPU: the parameter records it uploads. */
class GpuAugmentTest {
    @Test
    void parameterRecordsCarryEachClipAndItsFrameOffset() {
        float[] mean = {0.1f, 0.2f, 0.3f}, std = {0.4f, 0.5f, 0.6f};
        AugmentClip a = new AugmentClip(240, 320, 256, 341, 10, 20, true, 1.1f, 0.9f, 1.2f, -0.1f, new int[] {3, 1}, false,
                0f, 23, mean, std);
        AugmentClip b = new AugmentClip(100, 100, 224, 224, 0, 0, false, 1f, 1f, 1f, 0f, new int[0], true, 1.5f, 23, mean, std);
        long[] offsets = AugmentClip.frameOffsets(List.of(a, b), 8, 224, 224, 8L * 240 * 320 * 3 + 8L * 100 * 100 * 3);
        assertEquals(8L * 240 * 320 * 3, offsets[1]);
        ByteBuffer p = ByteBuffer.wrap(GpuAugment.packParams(List.of(a, b), offsets)).order(ByteOrder.LITTLE_ENDIAN);
        int r = PtxStructs.AUGMENT_PARAMS_BYTES;
        assertEquals(2 * r, p.capacity());
        assertEquals(0L, p.getLong(0));
        assertEquals(240, p.getInt(8));
        assertEquals(341, p.getInt(20));
        assertEquals(20, p.getInt(28));
        assertEquals(1, p.getInt(32));
        assertEquals(-0.1f, p.getFloat(52));
        assertEquals(3, p.getInt(56));
        assertEquals(1, p.getInt(60));
        assertEquals(-1, p.getInt(64));
        assertEquals(0.6f, p.getFloat(100));
        assertEquals(offsets[1], p.getLong(r));
        assertEquals(1, p.getInt(r + 36));
        assertEquals(-1, p.getInt(r + 56));
        assertEquals(1.5f, p.getFloat(r + 72));
        assertEquals(23, p.getInt(r + 76));
    }
}
