package org.iboot4j.data.loader;

import java.io.IOException;
import java.nio.file.Path;
import org.iboot4j.data.Frames;

/**
 * Where the loader gets decoded clips from: the FFmpeg decoder through {@link VideoClipSource},
 * or anything else that yields (T, H, W, 3) RGB {@link Frames} (tests use generated frames).
 *
 * <p>Times are seconds; frames of a clip are {@code stride} steps of the 30 fps clip time base
 * apart ({@link org.iboot4j.data.video.VideoReader#CLIP_FPS}). Implementations must be
 * thread-safe: loader workers call them concurrently.
 */
public interface ClipSource {

    /**
     * Decodes {@code frames} frames, {@code stride} / 30 s apart, from {@code startSeconds}.
     * {@code shortSide} > 0 asks for frames scaled to that short side, 0 for the native size.
     * Any failure (missing, empty, truncated or undecodable file) throws; the loader counts it
     * and replaces the sample.
     */
    Frames read(Path file, double startSeconds, int frames, int stride, int shortSide) throws IOException;

    /** The video's duration in seconds. */
    double duration(Path file) throws IOException;

    /**
     * The file opened once for its duration and several clips (a sample reads rho clips of one
     * video). The default delegates to {@link #read} and {@link #duration}; a decoder overrides
     * it to keep the file open. The returned handle is used by one thread only.
     */
    default Video open(Path file) throws IOException {
        return new Video() {
            @Override
            public double duration() throws IOException {
                return ClipSource.this.duration(file);
            }

            @Override
            public Frames read(double startSeconds, int frames, int stride, int shortSide) throws IOException {
                return ClipSource.this.read(file, startSeconds, frames, stride, shortSide);
            }

            @Override
            public void close() {}
        };
    }

    /** One opened video (see {@link #open}). */
    interface Video extends AutoCloseable {
        double duration() throws IOException;

        Frames read(double startSeconds, int frames, int stride, int shortSide) throws IOException;

        @Override
        void close() throws IOException;
    }
}
