package org.iboot4j.data;

/**
 * A clip of decoded video: {@code frames} RGB images of {@code height x width}, stored as
 * unsigned bytes in (T, H, W, 3) row-major order (frame, row, column, channel), the layout both
 * the decoder writes and the fused augmentation ({@code Backend.augmentClips}, CPU or GPU) reads.
 */
public record Frames(int frames, int height, int width, byte[] rgb) {
    public Frames {
        long expected = (long) frames * height * width * 3;
        if (frames < 1 || height < 1 || width < 1 || rgb.length != expected) {
            throw new IllegalArgumentException("Frames: " + frames + " x " + height + " x " + width
                    + " x 3 needs " + expected + " bytes, got " + rgb.length);
        }
    }

    /** The value (0..255) of channel c at frame t, row y, column x. */
    public int at(int t, int y, int x, int c) {
        return rgb[((t * height + y) * width + x) * 3 + c] & 0xFF;
    }
}
