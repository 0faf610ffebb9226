package org.iboot4j.data.loader;

import java.io.IOException;
import java.nio.file.Path;
import org.iboot4j.data.Frames;
import org.iboot4j.data.video.VideoDecodeException;
import org.iboot4j.data.video.VideoReader;

/**
 * The FFmpeg {@link VideoReader} as a {@link ClipSource}: each {@link #open} opens its own
 * reader (readers are not thread-safe, so every loader worker gets its own), and a
 * {@link VideoDecodeException} becomes an {@link IOException} with the same message (the file
 * and the reason) and the original as its cause.
 */
public final class VideoClipSource implements ClipSource {
    private final VideoReader.Options options;

    /** Readers with the default options (auto-rotation, one decoder thread each). */
    public VideoClipSource() {
        this(VideoReader.Options.defaults());
    }

    public VideoClipSource(VideoReader.Options options) {
        this.options = options;
    }

    @Override
    public Frames read(Path file, double startSeconds, int frames, int stride, int shortSide) throws IOException {
        try (Video v = open(file)) {
            return v.read(startSeconds, frames, stride, shortSide);
        }
    }

    @Override
    public double duration(Path file) throws IOException {
        try (Video v = open(file)) {
            return v.duration();
        }
    }

    @Override
    public Video open(Path file) throws IOException {
        VideoReader reader;
        try {
            reader = VideoReader.open(file, options);
        } catch (VideoDecodeException e) {
            throw new IOException(e.getMessage(), e);
        }
        return new Video() {
            @Override
            public double duration() {
                return reader.duration();
            }

            @Override
            public Frames read(double startSeconds, int frames, int stride, int shortSide) throws IOException {
                try {
                    return reader.readClip(startSeconds, frames, stride, shortSide);
                } catch (VideoDecodeException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public void close() {
                reader.close();
            }
        };
    }
}
