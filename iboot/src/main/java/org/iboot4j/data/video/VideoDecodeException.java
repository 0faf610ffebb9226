package org.iboot4j.data.video;

import java.nio.file.Path;

/**
 * A video could not be opened or decoded: missing, empty, truncated, not a video, no decodable
 * video stream, or no frame could be decoded where a clip was asked for. The message always
 * names the file and the reason (with FFmpeg's own error text where there is one), e.g.
 * {@code Cannot decode video /data/a.mp4: cannot open: Invalid data found when processing input}.
 *
 * <p>Checked on purpose: a data loader is expected to catch it, count the file as bad and move
 * on (a bad file never ends a training run).
 */
public final class VideoDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String reason;

    public VideoDecodeException(Path file, String reason) {
        this(file, reason, null);
    }

    public VideoDecodeException(Path file, String reason, Throwable cause) {
        super("Cannot decode video " + file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    /** The file that could not be decoded. */
    public Path file() {
        return file;
    }

    /** Why, without the file name. */
    public String reason() {
        return reason;
    }
}
