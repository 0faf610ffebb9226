package org.iboot4j.data.video;

import static org.iboot4j.data.video.VideoFixtures.video;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.iboot4j.data.Frames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad files give a {@link VideoDecodeException} that names the file and the reason; nothing
 * else escapes and nothing crashes the JVM.
 */
class VideoBadInputTest {
    @TempDir
    Path tmp;

    private static VideoDecodeException openFails(Path file) {
        VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> {
            try (VideoReader r = VideoReader.open(file)) {
                r.readClip(0, 4, 1, 32);
            }
        });
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().endsWith(e.reason()), e.getMessage());
        assertTrue(!e.reason().isBlank());
        return e;
    }

    @Test
    void missingFile() {
        assertEquals("file not found", openFails(tmp.resolve("nope.mp4")).reason());
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.createFile(tmp.resolve("empty.mp4"));
        assertTrue(openFails(f).reason().contains("empty"));
    }

    @Test
    void directory() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("clips.mp4"));
        assertTrue(openFails(d).reason().contains("directory"));
    }

    @Test
    void randomBytes() throws IOException {
        byte[] bytes = new byte[200_000];
        new Random(42).nextBytes(bytes);
        Path f = Files.write(tmp.resolve("random.mp4"), bytes);
        assertTrue(openFails(f).reason().startsWith("cannot open"));
    }

    @Test
    void textFileRenamedMp4() throws IOException {
        Path f = Files.writeString(tmp.resolve("notes.mp4"),
                "These are my notes, not a video.\nLine two of the notes.\n".repeat(40));
        assertTrue(openFails(f).reason().startsWith("cannot open"));
    }

    @Test
    void audioOnlyFileHasNoVideoStream() throws IOException {
        Path f = Files.write(tmp.resolve("tone.wav"), wav(8000, 4000));
        String reason = openFails(f).reason();
        assertTrue(reason.startsWith("no video stream") && reason.contains("audio"), reason);
    }

    /** A truncated MP4 whose index (moov) was at the end: nothing can be opened. */
    @Test
    void truncatedMp4WithIndexAtTheEnd() throws IOException {
        byte[] all = Files.readAllBytes(video("corrupted.mp4")); // moov after mdat
        Path f = Files.write(tmp.resolve("cut.mp4"), Arrays.copyOf(all, all.length / 2));
        assertTrue(openFails(f).reason().startsWith("cannot open"));
    }

    /**
     * A truncated MP4 whose index is at the front opens: clips in the surviving part decode, a
     * clip wholly after the cut fails with a clear message.
     */
    @Test
    void truncatedMp4WithIndexAtTheFront() throws Exception {
        byte[] all = Files.readAllBytes(video("friday.mp4")); // moov first
        Path f = Files.write(tmp.resolve("friday_cut.mp4"), Arrays.copyOf(all, all.length * 3 / 10));
        try (VideoReader r = VideoReader.open(f)) {
            Frames ok = r.readClip(0, 8, 4, 32);
            assertEquals(8, ok.frames());
            VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> r.readClip(5.0, 8, 4, 32));
            assertEquals(f, e.file());
            assertTrue(e.reason().contains("truncated"), e.reason());
            assertEquals(8, r.readClip(0.5, 8, 4, 32).frames(), "still usable after the failure");
        }
    }

    @Test
    void truncatedWebmStillDecodesItsBeginning() throws Exception {
        byte[] all = Files.readAllBytes(video("flower.webm"));
        Path f = Files.write(tmp.resolve("flower_cut.webm"), Arrays.copyOf(all, all.length / 3));
        try (VideoReader r = VideoReader.open(f)) {
            VideoReader.Clip clip = r.decodeClip(0.2, 8, 4, 32);
            assertEquals(0.2, clip.frameTimes()[0], 0.04);
        }
    }

    /**
     * Every test video cut at several lengths, and with runs of bytes overwritten, either decodes
     * or raises VideoDecodeException; nothing else escapes, nothing crashes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fire2.mp4", "friday.mp4", "no_duration.webm", "flower.webm", "test.avi",
                            "corrupted.mp4", "flipping_a_pancake.mkv", "small_h264.mp4", "mjpeg.avi"})
    void damagedCopiesNeverCrash(String name) throws IOException {
        byte[] all = Files.readAllBytes(video(name));
        Random rnd = new Random(name.hashCode());
        int decoded = 0, refused = 0;
        for (int c = 0; c < 8; c++) {
            byte[] bytes;
            if (c < 4) {
                bytes = Arrays.copyOf(all, (int) (all.length * new double[] {0.002, 0.05, 0.5, 0.97}[c]));
            } else {
                bytes = all.clone();
                for (int k = 0; k < 6; k++) { // overwrite six runs of 64 bytes anywhere (headers too)
                    int at = rnd.nextInt(bytes.length - 64);
                    for (int i = 0; i < 64; i++) bytes[at + i] = (byte) rnd.nextInt();
                }
            }
            Path f = Files.write(tmp.resolve(c + "_" + name), bytes);
            try (VideoReader r = VideoReader.open(f)) {
                double d = Double.isFinite(r.duration()) ? r.duration() : 1;
                for (double start : new double[] {0, d * 0.4, d * 0.9}) {
                    try {
                        Frames clip = r.readClip(start, 4, 4, 32);
                        assertEquals(4, clip.frames());
                        decoded++;
                    } catch (VideoDecodeException e) {
                        assertEquals(f, e.file());
                        refused++;
                    }
                }
            } catch (VideoDecodeException e) {
                assertEquals(f, e.file());
                refused++;
            } catch (RuntimeException e) {
                fail("damaged " + name + " (case " + c + ") threw " + e, e);
            }
        }
        assertTrue(decoded + refused > 0);
    }

    /** A mono 16-bit PCM WAV file with a 440 Hz tone. */
    private static byte[] wav(int sampleRate, int samples) {
        ByteBuffer data = ByteBuffer.allocate(samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < samples; i++) {
            data.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / sampleRate)));
        }
        ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
                .put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(sampleRate).putInt(sampleRate * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(h.array());
        out.writeBytes(data.array());
        return out.toByteArray();
    }
}
