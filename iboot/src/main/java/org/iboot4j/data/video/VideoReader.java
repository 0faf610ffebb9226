package org.iboot4j.data.video;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avcodec.AVPacketSideData;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.iboot4j.data.Frames;

/**
 * Decodes clips from one video file with FFmpeg (through the JavaCPP preset {@code
 * org.bytedeco:ffmpeg}).
 *
 * <pre>{@code
 * try (VideoReader video = VideoReader.open(Path.of("a.mp4"))) {
 *     double[] starts = ClipSampler.trainingStarts(rng, video.duration(), 8, 8, 2);
 *     Frames clip = video.readClip(starts[0], 8, 8, 256);   // 8 frames, stride 8, short side 256
 * }
 * }</pre>
 *
 * <h2>Time</h2>
 * Times are seconds on the video stream's presentation timeline, with 0 at the stream's
 * {@code start_time} (so the first frame of a file is at, or very near, 0). A clip of T frames
 * with stride tau starting at t0 samples the times {@code t0 + i * tau / 30} (i = 0..T-1): the
 * clip time base is 30 fps whatever the file's rate. Each sample takes the decoded frame whose
 * presentation timestamp is the last one at or before that time (the first frame if the time is
 * before it; a stored timestamp up to half a time-base tick, at most 1 ms, late still counts, as
 * Matroska rounds to milliseconds). Frames are chosen by their timestamps, never by counting, so
 * variable-frame-rate files sample correctly. Past the last frame, the last frame repeats, so a
 * video shorter than the clip still yields T frames. To read a clip the reader seeks to the
 * keyframe at or before t0 and decodes forward; if a demuxer's seek lands after t0 it decodes
 * from the start instead.
 *
 * <h2>Pictures</h2>
 * Frames are converted to RGB24 with libswscale (bilinear, using the frame's colour matrix and
 * range as the ffmpeg CLI's scale filter does) at a requested short side, keeping the aspect
 * ratio (sample aspect ratio ignored), with both sides rounded to even numbers; short side 0
 * keeps the native size. The display-matrix rotation of the stream is applied (like the ffmpeg
 * CLI's auto-rotation) so frames come out upright: a 180 degree matrix rotates the picture, a
 * +-90 degree one turns it a quarter and swaps width and height. Mirroring matrices are not
 * handled (rotation is read with {@code av_display_rotation_get} only).
 *
 * <h2>Errors</h2>
 * A file that cannot be opened, has no video stream or decoder, or yields no frame where a clip
 * is asked for raises {@link VideoDecodeException} naming the file and the reason; no other
 * exception and no native crash comes out of bad input (tested with missing, empty, random,
 * text, audio-only, truncated and overwritten files; FFmpeg's demuxers and decoders are
 * themselves fuzzed upstream).
 * <b>Decoding continues past errors within a clip</b>: a damaged packet is counted
 * ({@link #decodeErrors()}) and skipped, FFmpeg's error concealment repairs what it can, and the
 * sample times that fell on a lost frame take the previous good frame. A truncated file whose
 * index is at the front opens; clips inside the surviving part decode, a clip that straddles
 * the cut repeats the last surviving frame, and a clip wholly after it raises the exception.
 *
 * <h2>Resources</h2>
 * A reader owns native FFmpeg contexts, packets, frames and buffers. {@link #close()} frees all
 * of them; use try-with-resources. A {@link Cleaner} frees them too if a reader is dropped
 * without closing, but that is a backstop, not the contract. A reader is not thread-safe: give
 * each loader thread its own. By default the decoder runs one thread per reader (a data loader
 * decodes many files in parallel); {@link Options#decoderThreads()} changes that.
 *
 * <p>FFmpeg's log is set to {@code fatal} at first use so damaged files do not flood stderr;
 * {@code -Diboot.ffmpeg.log=error} (or quiet, panic, warning, info, verbose, debug) changes it.
 */
public final class VideoReader implements AutoCloseable {
    /** The clip time base: sample i of a clip with stride tau is at t0 + i * tau / CLIP_FPS. */
    public static final double CLIP_FPS = 30.0;

    /** The frame rate assumed when a stream declares none (only used for untimed frames). */
    private static final double DEFAULT_FPS = 30.0;
    /** AVERROR(EAGAIN): EAGAIN is 35 on macOS and 11 on Linux and Windows. */
    private static final int AVERROR_EAGAIN;
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        AVERROR_EAGAIN = Loader.getPlatform().startsWith("macosx") ? -35 : -11;
        avutil.av_log_set_level(logLevel(System.getProperty("iboot.ffmpeg.log", "fatal")));
    }

    /** Where {@link #duration()} came from. */
    public enum DurationSource {
        /** the container header ({@code AVFormatContext.duration}) */
        CONTAINER,
        /** the video stream header ({@code AVStream.duration}) */
        STREAM,
        /**
         * neither header has one (e.g. WebM from a browser's MediaRecorder): the end (pts plus
         * duration) of the last video packet, found by reading every packet when the file is
         * opened, so opening such a file reads it whole
         */
        LAST_PACKET
    }

    /**
     * How a reader decodes.
     *
     * @param autoRotate apply the display-matrix rotation so frames come out upright
     * @param decoderThreads decoder threads (1: single-threaded, 0: FFmpeg picks)
     */
    public record Options(boolean autoRotate, int decoderThreads) {
        public Options {
            if (decoderThreads < 0) {
                throw new IllegalArgumentException("decoderThreads must be >= 0, got " + decoderThreads);
            }
        }

        /** Auto-rotation on, one decoder thread. */
        public static Options defaults() {
            return new Options(true, 1);
        }
    }

    /**
     * A decoded clip with its timing.
     *
     * @param frames the pictures, (T, H, W, 3) RGB
     * @param sampleTimes the time each frame was asked for (seconds)
     * @param frameTimes the presentation time of the decoded frame each sample took (seconds)
     */
    public record Clip(Frames frames, double[] sampleTimes, double[] frameTimes) {}

    private final Path path;
    private final Options options;
    private final Natives nat = new Natives();
    private final Cleaner.Cleanable cleanable;

    private int streamIndex = -1;
    private int tbNum, tbDen;
    private long startPts;
    private int codedWidth, codedHeight;
    private int rotation;               // clockwise degrees applied: 0, 90, 180 or 270
    private double duration;
    private DurationSource durationSource;
    private double fps;
    private long headerFrames;
    private String codecName, formatName;
    private long decodeErrors;

    // decoding state between seeks
    private boolean draining;
    private boolean atEnd;

    private VideoReader(Path path, Options options) {
        this.path = path;
        this.options = options;
        this.cleanable = CLEANER.register(this, nat);
    }

    /** Opens a video with the default {@link Options}. */
    public static VideoReader open(Path path) throws VideoDecodeException {
        return open(path, Options.defaults());
    }

    /**
     * Opens a video: probes the container, picks the first video stream (audio or cover art
     * may come first), opens its decoder and reads duration, frame rate, size and rotation.
     *
     * @throws VideoDecodeException the file is missing, empty, not a video, or has no
     *     decodable video stream
     */
    public static VideoReader open(Path path, Options options) throws VideoDecodeException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        checkFile(path);
        VideoReader reader = new VideoReader(path, options);
        try {
            reader.openInput();
            reader.openDecoder();
            reader.readProperties();
            return reader;
        } catch (VideoDecodeException | RuntimeException | Error e) {
            reader.close();
            throw e;
        }
    }

    /**
     * Readers whose native resources are not freed yet (open, or dropped without
     * {@link #close()} and not yet cleaned): a leak check for loaders and tests.
     */
    public static long openReaders() {
        return Natives.LIVE.get();
    }

    /** The FFmpeg version the decoder runs on, e.g. "8.1.2". */
    public static String ffmpegVersion() {
        return avutil.av_version_info().getString();
    }

    // ---------------------------------------------------------------------------------------
    // Properties

    public Path path() {
        return path;
    }

    /** Duration in seconds (see {@link #durationSource()} for where it came from). */
    public double duration() {
        return duration;
    }

    public DurationSource durationSource() {
        return durationSource;
    }

    /** Average frame rate of the video stream ({@code avg_frame_rate}, else FFmpeg's guess). */
    public double fps() {
        return fps;
    }

    /** Displayed width: after the rotation (if auto-rotation is on). */
    public int width() {
        return quarterTurns() % 2 == 1 ? codedHeight : codedWidth;
    }

    /** Displayed height: after the rotation (if auto-rotation is on). */
    public int height() {
        return quarterTurns() % 2 == 1 ? codedWidth : codedHeight;
    }

    /** Width of the pictures as stored in the stream, before any rotation. */
    public int codedWidth() {
        return codedWidth;
    }

    /** Height of the pictures as stored in the stream, before any rotation. */
    public int codedHeight() {
        return codedHeight;
    }

    /**
     * The clockwise rotation, in degrees (0, 90, 180 or 270), that makes the stored pictures
     * upright, from the stream's display matrix. ffprobe prints the matrix's own
     * (counter-clockwise) angle, so ffprobe's -180 is 180 here and ffprobe's 90 is 270.
     * Reported whether or not {@link Options#autoRotate()} applies it.
     */
    public int rotation() {
        return rotation;
    }

    /** Frame count from the container header, or -1 when it has none. */
    public long headerFrameCount() {
        return headerFrames > 0 ? headerFrames : -1;
    }

    /** Index of the decoded stream in the container. */
    public int streamIndex() {
        return streamIndex;
    }

    /** Short codec name, e.g. "h264", "vp9", "mpeg4", "mjpeg". */
    public String codecName() {
        return codecName;
    }

    /** Short container (demuxer) name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm". */
    public String formatName() {
        return formatName;
    }

    /** Packets and frames the decoder reported as damaged so far (decoding went on past them). */
    public long decodeErrors() {
        return decodeErrors;
    }

    /**
     * The size {@link #readClip} produces at a short side: {width, height}, displayed
     * orientation, both even; short side 0 is the native displayed size.
     */
    public int[] outputSize(int shortSide) {
        int[] s = scaledSize(shortSide);
        return quarterTurns() % 2 == 1 ? new int[] {s[1], s[0]} : s;
    }

    // ---------------------------------------------------------------------------------------
    // Decoding

    /**
     * Decodes {@code frames} frames with stride {@code stride} (in 1/30 s) from {@code start}
     * seconds, at short side {@code shortSide} (0: native size).
     */
    public Frames readClip(double start, int frames, int stride, int shortSide) throws VideoDecodeException {
        return decodeClip(start, frames, stride, shortSide).frames();
    }

    /** As {@link #readClip}, also returning the sample times and the times of the frames taken. */
    public Clip decodeClip(double start, int frames, int stride, int shortSide) throws VideoDecodeException {
        return decodeAt(ClipSampler.sampleTimes(start, frames, stride), shortSide);
    }

    /**
     * Decodes one frame per sample time (seconds, non-decreasing): each takes the last frame
     * whose presentation time is at or before it.
     */
    public Clip decodeAt(double[] sampleTimes, int shortSide) throws VideoDecodeException {
        ensureOpen();
        int n = sampleTimes.length;
        if (n < 1) throw new IllegalArgumentException("no sample times");
        if (shortSide < 0) throw new IllegalArgumentException("shortSide must be >= 0, got " + shortSide);
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(sampleTimes[i]) || (i > 0 && sampleTimes[i] < sampleTimes[i - 1])) {
                throw new IllegalArgumentException("sample times must be finite and non-decreasing: "
                        + Arrays.toString(sampleTimes));
            }
        }
        double[] times = sampleTimes.clone();
        int[] scaled = scaledSize(shortSide);
        int[] out = outputSize(shortSide);
        int frameBytes = out[0] * out[1] * 3;
        byte[] rgb = new byte[Math.multiplyExact(frameBytes, n)];
        double[] frameTimes = new double[n];

        double eps = timestampTolerance();
        long target = startPts + (long) Math.floor(times[0] * tbDen / tbNum);
        boolean fromStart = target <= startPts;
        seekTo(fromStart ? startPts : target);

        int filled = 0;
        boolean haveHeld = false;    // nat.held holds the latest frame decoded so far
        double heldTime = 0;
        int heldSlot = -1;           // a slot already holding nat.held's picture (to copy from)
        double lastTime = Double.NaN;
        try {
            while (filled < n && nextFrame()) {
                double t = frameTime(nat.frame, lastTime);
                if (!haveHeld && !fromStart && t > times[0] + eps) {
                    // The seek landed after the first sample (a demuxer with a poor index):
                    // decode from the start instead.
                    fromStart = true;
                    seekTo(startPts);
                    continue;
                }
                int frameSlot = -1;
                while (filled < n && times[filled] + eps < t) {
                    if (haveHeld) {
                        heldSlot = emit(nat.held, heldSlot, filled, heldTime, rgb, frameTimes, frameBytes, scaled);
                    } else { // samples before the first frame take the first frame
                        frameSlot = emit(nat.frame, frameSlot, filled, t, rgb, frameTimes, frameBytes, scaled);
                    }
                    filled++;
                }
                AVFrame swap = nat.held;
                nat.held = nat.frame;
                nat.frame = swap;
                haveHeld = true;
                heldTime = t;
                heldSlot = frameSlot;
                lastTime = t;
            }
            if (filled < n) {
                if (!haveHeld) {
                    throw fail(String.format(Locale.ROOT,
                            "no video frame could be decoded for a clip at %.3f s (duration %.3f s, %d decode errors)"
                                    + "; the file may be truncated or damaged", times[0], duration, decodeErrors));
                }
                while (filled < n) { // past the end: the last frame repeats
                    heldSlot = emit(nat.held, heldSlot, filled, heldTime, rgb, frameTimes, frameBytes, scaled);
                    filled++;
                }
            }
        } finally {
            avutil.av_frame_unref(nat.frame);
            avutil.av_frame_unref(nat.held);
        }
        return new Clip(new Frames(n, out[1], out[0], rgb), times, frameTimes);
    }

    /**
     * Decodes the whole video stream and returns every frame's presentation time (seconds), in
     * output order: the equivalent of {@code ffprobe -count_frames}, for checks and tools. Reads
     * the whole file.
     */
    public double[] scanFrameTimes() throws VideoDecodeException {
        ensureOpen();
        seekTo(startPts);
        double[] times = new double[64];
        int count = 0;
        double last = Double.NaN;
        try {
            while (nextFrame()) {
                last = frameTime(nat.frame, last);
                if (count == times.length) times = Arrays.copyOf(times, count * 2);
                times[count++] = last;
            }
        } finally {
            avutil.av_frame_unref(nat.frame);
        }
        return Arrays.copyOf(times, count);
    }

    /** Frees every native resource. Safe to call more than once. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "VideoReader[%s: %s in %s, %dx%d, rotation %d, %.3f fps, %.3f s (%s)]",
                path, codecName, formatName, codedWidth, codedHeight, rotation, fps, duration, durationSource);
    }

    // ---------------------------------------------------------------------------------------
    // Opening

    private static void checkFile(Path path) throws VideoDecodeException {
        if (!Files.exists(path)) throw new VideoDecodeException(path, "file not found");
        if (Files.isDirectory(path)) throw new VideoDecodeException(path, "is a directory, not a file");
        if (!Files.isRegularFile(path)) throw new VideoDecodeException(path, "not a regular file");
        if (!Files.isReadable(path)) throw new VideoDecodeException(path, "file is not readable");
        try {
            if (Files.size(path) == 0) throw new VideoDecodeException(path, "file is empty (0 bytes)");
        } catch (IOException e) {
            throw new VideoDecodeException(path, "cannot read file size: " + e.getMessage(), e);
        }
    }

    private void openInput() throws VideoDecodeException {
        AVFormatContext fmt = new AVFormatContext(null);
        // "file:" so that a colon in a file name is never read as a protocol (e.g. "http:")
        try (BytePointer url = new BytePointer("file:" + path.toAbsolutePath(), StandardCharsets.UTF_8)) {
            int r = avformat.avformat_open_input(fmt, url, null, null);
            if (r < 0) throw fail("cannot open: " + errorText(r) + " (not a video file, or damaged)");
        }
        nat.fmt = fmt;
        int r = avformat.avformat_find_stream_info(fmt, (PointerPointer<?>) null);
        if (r < 0) throw fail("cannot read stream information: " + errorText(r));
        formatName = fmt.iformat() == null ? "?" : fmt.iformat().name().getString();
        if (streamIndex < 0) {
            streamIndex = firstVideoStream(fmt);
        } else if (streamIndex >= fmt.nb_streams()
                || fmt.streams(streamIndex).codecpar().codec_type() != avutil.AVMEDIA_TYPE_VIDEO) {
            throw fail("the video stream changed when the file was reopened");
        }
        for (int i = 0; i < fmt.nb_streams(); i++) { // the demuxer skips the other streams
            if (i != streamIndex) fmt.streams(i).discard(avcodec.AVDISCARD_ALL);
        }
        draining = false;
        atEnd = false;
    }

    private int firstVideoStream(AVFormatContext fmt) throws VideoDecodeException {
        StringBuilder kinds = new StringBuilder();
        for (int i = 0; i < fmt.nb_streams(); i++) {
            AVStream s = fmt.streams(i);
            int type = s.codecpar().codec_type();
            if (type == avutil.AVMEDIA_TYPE_VIDEO && (s.disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) == 0) {
                return i;
            }
            if (!kinds.isEmpty()) kinds.append(", ");
            BytePointer name = avutil.av_get_media_type_string(type);
            kinds.append(name == null ? "unknown" : name.getString());
            if (type == avutil.AVMEDIA_TYPE_VIDEO) kinds.append(" (cover picture)");
        }
        throw fail("no video stream (" + fmt.nb_streams() + " streams"
                + (kinds.isEmpty() ? "" : ": " + kinds) + ")");
    }

    private void openDecoder() throws VideoDecodeException {
        AVStream st = nat.fmt.streams(streamIndex);
        AVCodecParameters par = st.codecpar();
        codecName = avcodec.avcodec_get_name(par.codec_id()).getString();
        AVCodec dec = avcodec.avcodec_find_decoder(par.codec_id());
        if (dec == null || dec.isNull()) throw fail("no decoder for codec " + codecName);
        AVCodecContext ctx = avcodec.avcodec_alloc_context3(dec);
        if (ctx == null || ctx.isNull()) throw fail("cannot allocate a decoder context");
        nat.codec = ctx;
        int r = avcodec.avcodec_parameters_to_context(ctx, par);
        if (r < 0) throw fail("bad codec parameters: " + errorText(r));
        ctx.pkt_timebase().num(st.time_base().num()).den(st.time_base().den());
        ctx.thread_count(options.decoderThreads());
        r = avcodec.avcodec_open2(ctx, dec, (AVDictionary) null);
        if (r < 0) throw fail("cannot open the " + codecName + " decoder: " + errorText(r));
        nat.packet = avcodec.av_packet_alloc();
        nat.frame = avutil.av_frame_alloc();
        nat.held = avutil.av_frame_alloc();
        if (nat.packet == null || nat.frame == null || nat.held == null) throw new OutOfMemoryError("FFmpeg frames");
    }

    private void readProperties() throws VideoDecodeException {
        AVFormatContext fmt = nat.fmt;
        AVStream st = fmt.streams(streamIndex);
        AVCodecParameters par = st.codecpar();
        codedWidth = par.width();
        codedHeight = par.height();
        if (codedWidth <= 0 || codedHeight <= 0) {
            throw fail("the " + codecName + " stream has no picture size (" + codedWidth + "x" + codedHeight + ")");
        }
        tbNum = st.time_base().num();
        tbDen = st.time_base().den();
        if (tbNum <= 0 || tbDen <= 0) throw fail("bad stream time base " + tbNum + "/" + tbDen);
        startPts = st.start_time() == avutil.AV_NOPTS_VALUE ? 0 : st.start_time();
        headerFrames = st.nb_frames();
        rotation = readRotation(par);

        AVRational avg = st.avg_frame_rate();
        if (avg.num() > 0 && avg.den() > 0) {
            fps = avg.num() / (double) avg.den();
        } else {
            AVRational guess = avformat.av_guess_frame_rate(fmt, st, null);
            fps = guess.num() > 0 && guess.den() > 0 ? guess.num() / (double) guess.den() : DEFAULT_FPS;
        }

        boolean fromBitrate = fmt.duration_estimation_method() == avformat.AVFMT_DURATION_FROM_BITRATE;
        if (fmt.duration() != avutil.AV_NOPTS_VALUE && fmt.duration() > 0 && !fromBitrate) {
            duration = fmt.duration() / (double) avutil.AV_TIME_BASE;
            durationSource = DurationSource.CONTAINER;
        } else if (st.duration() != avutil.AV_NOPTS_VALUE && st.duration() > 0) {
            duration = seconds(st.duration());
            durationSource = DurationSource.STREAM;
        } else {
            duration = lastPacketEnd();
            durationSource = DurationSource.LAST_PACKET;
        }
    }

    /** Clockwise degrees (0, 90, 180, 270) from the display matrix; 0 when none or not a quarter turn. */
    private static int readRotation(AVCodecParameters par) {
        AVPacketSideData sd = avcodec.av_packet_side_data_get(par.coded_side_data(), par.nb_coded_side_data(),
                avcodec.AV_PKT_DATA_DISPLAYMATRIX);
        if (sd == null || sd.isNull() || sd.data() == null || sd.size() < 9 * 4) return 0;
        double ccw = avutil.av_display_rotation_get(new IntPointer(sd.data()));
        if (!Double.isFinite(ccw)) return 0;
        double cw = -ccw;
        double quarters = Math.rint(cw / 90);
        if (Math.abs(cw - 90 * quarters) > 2) return 0; // odd angles are not applied (as the ffmpeg CLI)
        return Math.floorMod((int) quarters, 4) * 90;
    }

    /** Reads every video packet and returns where the last one ends (seconds); rewinds after. */
    private double lastPacketEnd() throws VideoDecodeException {
        long end = Long.MIN_VALUE;
        AVPacket pkt = nat.packet;
        while (avformat.av_read_frame(nat.fmt, pkt) >= 0) {
            if (pkt.stream_index() == streamIndex) {
                long ts = pkt.pts() != avutil.AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                if (ts != avutil.AV_NOPTS_VALUE) end = Math.max(end, ts + Math.max(0, pkt.duration()));
            }
            avcodec.av_packet_unref(pkt);
        }
        if (end == Long.MIN_VALUE) throw fail("the video stream has no timed packets");
        seekTo(startPts);
        return Math.max(0, seconds(end));
    }

    // ---------------------------------------------------------------------------------------
    // Decoding internals

    private void ensureOpen() {
        if (nat.closed) throw new IllegalStateException("VideoReader is closed: " + path);
    }

    /** Seeks to the keyframe at or before {@code pts} and resets the decoder. */
    private void seekTo(long pts) throws VideoDecodeException {
        int r = avformat.av_seek_frame(nat.fmt, streamIndex, pts, avformat.AVSEEK_FLAG_BACKWARD);
        if (r < 0) r = avformat.avformat_seek_file(nat.fmt, streamIndex, Long.MIN_VALUE, pts, pts, 0);
        if (r < 0) {
            // A demuxer that cannot seek: open the file again and read from the start.
            avformat.avformat_close_input(nat.fmt);
            nat.fmt = null;
            openInput();
        }
        avcodec.avcodec_flush_buffers(nat.codec);
        draining = false;
        atEnd = false;
    }

    /**
     * Decodes the next frame into {@code nat.frame}. Returns false at the end of the stream.
     * Damaged packets and frames are counted and skipped; a read error ends the stream (what
     * was decoded before it is kept).
     */
    private boolean nextFrame() {
        AVCodecContext ctx = nat.codec;
        AVPacket pkt = nat.packet;
        int failures = 0;
        while (!atEnd) {
            int r = avcodec.avcodec_receive_frame(ctx, nat.frame);
            if (r >= 0) {
                if (nat.frame.decode_error_flags() != 0) decodeErrors++;
                return true;
            }
            if (r == avutil.AVERROR_EOF) {
                atEnd = true;
                break;
            }
            if (r != AVERROR_EAGAIN) {
                decodeErrors++;
                if (draining && ++failures > 1000) atEnd = true; // never spin on a broken decoder
                if (draining) continue;
            }
            if (draining) { // EAGAIN while draining: nothing more will come
                atEnd = true;
                break;
            }
            r = avformat.av_read_frame(nat.fmt, pkt);
            if (r < 0) {
                if (r != avutil.AVERROR_EOF) decodeErrors++; // a read error (e.g. a truncated file) ends the stream
                avcodec.avcodec_send_packet(ctx, null);    // drain the frames still inside the decoder
                draining = true;
                continue;
            }
            if (pkt.stream_index() == streamIndex && avcodec.avcodec_send_packet(ctx, pkt) < 0) decodeErrors++;
            avcodec.av_packet_unref(pkt);
        }
        return false;
    }

    /**
     * How far (seconds) a frame's timestamp may lie after a sample time and still count as at
     * or before it: half a tick of the stream's time base, at least 1 us (float rounding) and
     * at most 1 ms. Containers store rounded times (Matroska/WebM in whole milliseconds, so a
     * 30 fps frame due at 2.26667 s is stored as 2.267 s); without this the sample at 2.26667 s
     * would take the frame before.
     */
    double timestampTolerance() {
        return Math.min(Math.max(0.5 * tbNum / tbDen, 1e-6), 1e-3);
    }

    private double frameTime(AVFrame f, double previous) {
        long ts = f.best_effort_timestamp();
        if (ts == avutil.AV_NOPTS_VALUE) ts = f.pts();
        if (ts == avutil.AV_NOPTS_VALUE) return Double.isNaN(previous) ? 0 : previous + 1 / fps;
        return seconds(ts - startPts);
    }

    private double seconds(long ticks) {
        return ticks * (double) tbNum / tbDen;
    }

    /**
     * Puts frame {@code f} into {@code slot}: a copy of {@code convertedSlot} if that slot
     * already holds it, else a conversion. Returns the slot that now holds {@code f}.
     */
    private int emit(AVFrame f, int convertedSlot, int slot, double time, byte[] rgb, double[] frameTimes,
                     int frameBytes, int[] scaled) throws VideoDecodeException {
        frameTimes[slot] = time;
        if (convertedSlot >= 0) {
            System.arraycopy(rgb, convertedSlot * frameBytes, rgb, slot * frameBytes, frameBytes);
            return convertedSlot;
        }
        convert(f, scaled[0], scaled[1], rgb, slot * frameBytes);
        return slot;
    }

    private int quarterTurns() {
        return options.autoRotate() ? rotation / 90 : 0;
    }

    /** {width, height} after scaling, before rotation. */
    private int[] scaledSize(int shortSide) {
        if (shortSide < 0) throw new IllegalArgumentException("shortSide must be >= 0, got " + shortSide);
        if (shortSide == 0) return new int[] {codedWidth, codedHeight};
        if (codedWidth <= codedHeight) {
            return new int[] {even(shortSide), even((double) codedHeight * shortSide / codedWidth)};
        }
        return new int[] {even((double) codedWidth * shortSide / codedHeight), even(shortSide)};
    }

    private static int even(double x) {
        return (int) Math.max(2, 2 * Math.round(x / 2));
    }

    /** Scales and converts one frame to RGB24 at w x h, rotates it, writes it at rgb[offset]. */
    private void convert(AVFrame f, int w, int h, byte[] rgb, int offset) throws VideoDecodeException {
        int srcW = f.width(), srcH = f.height(), srcFmt = f.format();
        SwsContext before = nat.sws;
        nat.sws = swscale.sws_getCachedContext(before, srcW, srcH, srcFmt, w, h, avutil.AV_PIX_FMT_RGB24,
                swscale.SWS_BILINEAR, null, null, (DoublePointer) null);
        if (nat.sws == null || nat.sws.isNull()) {
            nat.sws = null;
            BytePointer name = avutil.av_get_pix_fmt_name(srcFmt);
            throw fail("cannot convert pixel format " + (name == null ? srcFmt : name.getString())
                    + " (" + srcW + "x" + srcH + ") to RGB");
        }
        int colorspace = f.colorspace(), range = f.color_range();
        if (before == null || nat.sws.address() != before.address() || colorspace != nat.swsColorspace
                || range != nat.swsRange) {
            // The YUV->RGB matrix and range of this frame, as the ffmpeg CLI's scale filter uses.
            // sws_getCoefficients takes AVColorSpace values (unknown ones give BT.601).
            swscale.sws_setColorspaceDetails(nat.sws, swscale.sws_getCoefficients(colorspace),
                    range == avutil.AVCOL_RANGE_JPEG ? 1 : 0,
                    swscale.sws_getCoefficients(swscale.SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
            nat.swsColorspace = colorspace;
            nat.swsRange = range;
        }
        int stride = (w * 3 + 63) & ~63;
        ByteBuffer view = nat.rgbBuffer((long) stride * h + 64);
        nat.dstPlanes.put(0, nat.rgb);
        nat.dstStrides.put(0, stride);
        int rows = swscale.sws_scale(nat.sws, f.data(), f.linesize(), 0, srcH, nat.dstPlanes, nat.dstStrides);
        if (rows <= 0) throw fail("pixel conversion failed (" + srcW + "x" + srcH + " -> " + w + "x" + h + ")");
        int q = quarterTurns();
        int rowBytes = w * 3;
        if (q == 0) {
            for (int y = 0; y < h; y++) view.get(y * stride, rgb, offset + y * rowBytes, rowBytes);
            return;
        }
        byte[] tmp = nat.scratch(rowBytes * h);
        for (int y = 0; y < h; y++) view.get(y * stride, tmp, y * rowBytes, rowBytes);
        rotate(tmp, w, h, q, rgb, offset);
    }

    /**
     * Rotates an RGB picture (w x h) clockwise by q quarter turns into dst at offset; for odd q
     * the result is h wide and w high.
     */
    static void rotate(byte[] src, int w, int h, int q, byte[] dst, int offset) {
        switch (q & 3) {
            case 0 -> System.arraycopy(src, 0, dst, offset, w * h * 3);
            case 2 -> {
                int last = w * h - 1;
                for (int p = 0; p <= last; p++) {
                    int s = p * 3, d = offset + (last - p) * 3;
                    dst[d] = src[s];
                    dst[d + 1] = src[s + 1];
                    dst[d + 2] = src[s + 2];
                }
            }
            case 1 -> { // (x, y) -> (h-1-y, x) in a picture h wide
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int s = (y * w + x) * 3, d = offset + (x * h + (h - 1 - y)) * 3;
                        dst[d] = src[s];
                        dst[d + 1] = src[s + 1];
                        dst[d + 2] = src[s + 2];
                    }
                }
            }
            default -> { // q == 3: (x, y) -> (y, w-1-x) in a picture h wide
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int s = (y * w + x) * 3, d = offset + ((w - 1 - x) * h + y) * 3;
                        dst[d] = src[s];
                        dst[d + 1] = src[s + 1];
                        dst[d + 2] = src[s + 2];
                    }
                }
            }
        }
    }

    private VideoDecodeException fail(String reason) {
        return new VideoDecodeException(path, reason);
    }

    private static String errorText(int code) {
        byte[] buf = new byte[256];
        if (avutil.av_strerror(code, buf, buf.length) < 0) return "FFmpeg error " + code;
        int len = 0;
        while (len < buf.length && buf[len] != 0) len++;
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    private static int logLevel(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "quiet" -> avutil.AV_LOG_QUIET;
            case "panic" -> avutil.AV_LOG_PANIC;
            case "error" -> avutil.AV_LOG_ERROR;
            case "warning" -> avutil.AV_LOG_WARNING;
            case "info" -> avutil.AV_LOG_INFO;
            case "verbose" -> avutil.AV_LOG_VERBOSE;
            case "debug" -> avutil.AV_LOG_DEBUG;
            case "trace" -> avutil.AV_LOG_TRACE;
            default -> avutil.AV_LOG_FATAL;
        };
    }

    /**
     * Every native resource of one reader, freed by {@link #run()} (from {@link #close()} or,
     * as a backstop, the Cleaner). It must not refer to the reader, or the Cleaner never runs.
     *
     * <p>All of it is FFmpeg memory ({@code av_malloc} and the FFmpeg allocators), none of it
     * JavaCPP-allocated: JavaCPP refuses allocations when the process's resident memory passes
     * its {@code maxPhysicalBytes} (about 4x the Java heap by default), and a training process
     * can legitimately be that large (a CUDA context maps a lot).
     */
    private static final class Natives implements Runnable {
        static final AtomicLong LIVE = new AtomicLong();

        AVFormatContext fmt;
        AVCodecContext codec;
        AVPacket packet;
        AVFrame frame, held;
        SwsContext sws;
        int swsColorspace = -1, swsRange = -1;
        BytePointer rgb;
        ByteBuffer rgbView;
        final PointerPointer<BytePointer> dstPlanes;
        final IntPointer dstStrides;
        byte[] scratch;
        volatile boolean closed;

        Natives() {
            dstPlanes = new PointerPointer<BytePointer>(avutil.av_mallocz(4L * Loader.sizeof(Pointer.class)))
                    .capacity(4);
            dstStrides = new IntPointer(avutil.av_mallocz(4L * Integer.BYTES)).capacity(4);
            if (dstPlanes.isNull() || dstStrides.isNull()) {
                avutil.av_free(dstPlanes);
                avutil.av_free(dstStrides);
                throw new OutOfMemoryError("av_mallocz");
            }
            LIVE.incrementAndGet();
        }

        ByteBuffer rgbBuffer(long bytes) {
            if (rgb == null || rgb.capacity() < bytes) {
                if (rgb != null) avutil.av_free(rgb);
                rgb = null;
                rgbView = null;
                Pointer p = avutil.av_malloc(bytes);
                if (p == null || p.isNull()) throw new OutOfMemoryError("av_malloc(" + bytes + ")");
                rgb = new BytePointer(p).capacity(bytes);
                rgbView = rgb.asByteBuffer();
            }
            return rgbView;
        }

        byte[] scratch(int bytes) {
            if (scratch == null || scratch.length < bytes) scratch = new byte[bytes];
            return scratch;
        }

        @Override
        public void run() {
            if (closed) return;
            closed = true;
            if (sws != null) {
                swscale.sws_freeContext(sws);
                sws = null;
            }
            if (frame != null) {
                avutil.av_frame_free(frame);
                frame = null;
            }
            if (held != null) {
                avutil.av_frame_free(held);
                held = null;
            }
            if (packet != null) {
                avcodec.av_packet_free(packet);
                packet = null;
            }
            if (codec != null) {
                avcodec.avcodec_free_context(codec);
                codec = null;
            }
            if (fmt != null && !fmt.isNull()) avformat.avformat_close_input(fmt);
            fmt = null;
            if (rgb != null) {
                avutil.av_free(rgb);
                rgb = null;
                rgbView = null;
            }
            avutil.av_free(dstPlanes);
            avutil.av_free(dstStrides);
            LIVE.decrementAndGet();
        }
    }
}
