package org.iboot4j.data.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset layouts and the class index, on small trees made in the test, and the bundled synthetic set. */
class DatasetTest {
    @TempDir
    Path dir;

    private Path touch(String rel) throws IOException {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
        return p;
    }

    private Path write(String rel, String text) throws IOException {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    static Path testData() {
        String d = System.getProperty("iboot.testData");
        return Path.of(d == null || d.isBlank() ? "../test-data" : d);
    }

    // ---- class index ------------------------------------------------------------------------

    @Test
    void classIndexSortsAndRoundTripsThroughJson() throws IOException {
        ClassIndex c = ClassIndex.sorted(List.of("zebra", "Apple", "apple", "b\"q\\uote", "caf\u00e9 \u00fcber", "apple"));
        assertEquals(List.of("Apple", "apple", "b\"q\\uote", "caf\u00e9 \u00fcber", "zebra"), c.names());
        assertEquals(4, c.indexOf("zebra"));
        assertEquals("apple", c.name(1));
        assertThrows(IllegalArgumentException.class, () -> c.indexOf("mango"));
        assertEquals(c, ClassIndex.fromJson(c.toJson()));
        Path file = dir.resolve("run/classes.json");
        c.save(file);
        assertEquals(c, ClassIndex.load(file));
        assertEquals(ClassIndex.ordered(List.of()), ClassIndex.fromJson(" { \"classes\" : [ ] } "));
        assertEquals(List.of("b", "a"), ClassIndex.fromJson("{\"classes\":[\"b\",\"\\u0061\"]}").names());
        assertThrows(IllegalArgumentException.class, () -> ClassIndex.fromJson("{\"classes\": [\"a\", \"a\"]}"));
        assertThrows(IllegalArgumentException.class, () -> ClassIndex.fromJson("{\"names\": []}"));
        assertThrows(IOException.class, () -> ClassIndex.load(write("bad.json", "{\"classes\": [1]}")));
    }

    // ---- folders ----------------------------------------------------------------------------

    @Test
    void classFolders() throws IOException {
        touch("root/walk/b.mp4");
        touch("root/walk/a.avi");
        touch("root/walk/notes.txt");
        touch("root/run/x/deep.webm");
        touch("root/jump/c.MKV");
        Files.createDirectories(dir.resolve("root/empty"));
        touch("root/.hidden/z.mp4");
        VideoDataset ds = VideoDataset.fromClassFolders(dir.resolve("root"));
        assertEquals(List.of("empty", "jump", "run", "walk"), ds.classes().names());
        assertEquals(4, ds.size());
        assertEquals(new VideoSample(dir.resolve("root/jump/c.MKV"), 1), ds.get(0));
        assertEquals(new VideoSample(dir.resolve("root/run/x/deep.webm"), 2), ds.get(1));
        assertEquals(new VideoSample(dir.resolve("root/walk/a.avi"), 3), ds.get(2));
        assertEquals(new VideoSample(dir.resolve("root/walk/b.mp4"), 3), ds.get(3));
        assertArrayEquals(new int[] {0, 1, 1, 2}, ds.classCounts());
        // with a saved index, labels follow it
        ClassIndex saved = ClassIndex.ordered(List.of("walk", "run", "jump", "empty"));
        assertEquals(0, VideoDataset.fromClassFolders(dir.resolve("root"), saved).get(3).label());
        assertThrows(IllegalArgumentException.class,
                () -> VideoDataset.fromClassFolders(dir.resolve("root"), ClassIndex.ordered(List.of("walk"))));
    }

    // ---- CSV --------------------------------------------------------------------------------

    @Test
    void pathLabelCsvWithNamesOrIndices() throws IOException {
        Path csv = write("a.csv", "path,label\nv/1.mp4,walk\r\n\"v/with, comma.mp4\",run\n/abs/3.mp4,walk\n");
        VideoDataset ds = VideoDataset.fromCsv(csv, dir.resolve("data"));
        assertEquals(List.of("run", "walk"), ds.classes().names());
        assertEquals(new VideoSample(dir.resolve("data/v/1.mp4"), 1), ds.get(0));
        assertEquals(new VideoSample(dir.resolve("data/v/with, comma.mp4"), 0), ds.get(1));
        assertEquals(Path.of("/abs/3.mp4"), ds.get(2).path());

        // integer labels are indices; PySlowFast's space-separated list, no header
        Path slowfast = write("train.csv", "a/x y.mp4 3\nb.mp4 0\n");
        VideoDataset ints = VideoDataset.fromCsv(slowfast, dir);
        assertEquals(4, ints.classes().size());
        assertEquals(new VideoSample(dir.resolve("a/x y.mp4"), 3), ints.get(0));
        assertEquals(0, ints.get(1).label());

        // a given index: names map through it
        ClassIndex idx = ClassIndex.ordered(List.of("walk", "run"));
        assertEquals(0, VideoDataset.fromCsv(csv, dir, idx).get(0).label());
        assertThrows(IOException.class, () -> VideoDataset.fromCsv(write("bad.csv", "path,label\nv.mp4,swim\n"), dir, idx));
        assertThrows(IOException.class, () -> VideoDataset.fromCsv(write("bad2.csv", "path,label\nonly-a-path\n"), dir));
    }

    @Test
    void kineticsCsvWithAFileNamePattern() throws IOException {
        Path csv = write("k400/train.csv", """
                label,youtube_id,time_start,time_end,split,is_cc
                "air drumming",--GkrdYZ9Tc,0,10,train,0
                abseiling,-3B32lodo2M,59,69,train,0
                "air drumming",Zx9-YuSpEjk,121.0,131,train,1
                """);
        VideoDataset ds = VideoDataset.fromCsv(csv, dir.resolve("videos"));
        assertEquals(List.of("abseiling", "air drumming"), ds.classes().names());
        assertEquals(dir.resolve("videos/air drumming/--GkrdYZ9Tc_000000_000010.mp4"), ds.get(0).path());
        assertEquals(1, ds.get(0).label());
        assertEquals(dir.resolve("videos/abseiling/-3B32lodo2M_000059_000069.mp4"), ds.get(1).path());
        assertEquals(dir.resolve("videos/air drumming/Zx9-YuSpEjk_000121_000131.mp4"), ds.get(2).path());

        VideoDataset flat = VideoDataset.fromKineticsCsv(csv, dir, "{split}/{label_}/{youtube_id}.webm", null);
        assertEquals(dir.resolve("train/air_drumming/--GkrdYZ9Tc.webm"), flat.get(0).path());
        // rows whose file is missing can be dropped
        touch("train/abseiling/-3B32lodo2M.webm");
        assertEquals(1, flat.existing().size());
        assertThrows(IOException.class, () -> VideoDataset.fromKineticsCsv(csv, dir, "{nope}.mp4", null));
    }

    // ---- UCF101 / HMDB51 --------------------------------------------------------------------

    @Test
    void ucf101Splits() throws IOException {
        write("ucfTrainTestlist/classInd.txt", "1 ApplyEyeMakeup\r\n2 Archery\r\n3 HandstandPushups\r\n");
        write("ucfTrainTestlist/trainlist01.txt", """
                ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1
                HandstandPushups/v_HandStandPushups_g08_c01.avi 3
                Archery/v_Archery_g09_c02.avi 2
                """);
        write("ucfTrainTestlist/testlist01.txt", "Archery/v_Archery_g01_c01.avi\r\nHandStandPushups/v_HandStandPushups_g01_c01.avi\r\n");
        VideoDataset train = VideoDataset.ucf101(dir.resolve("UCF-101"), dir.resolve("ucfTrainTestlist"), 1, true);
        assertEquals(List.of("ApplyEyeMakeup", "Archery", "HandstandPushups"), train.classes().names());
        assertEquals(3, train.size());
        assertEquals(new VideoSample(dir.resolve("UCF-101/HandstandPushups/v_HandStandPushups_g08_c01.avi"), 2), train.get(1));
        VideoDataset test = VideoDataset.ucf101(dir.resolve("UCF-101"), dir.resolve("ucfTrainTestlist"), 1, false);
        assertEquals(1, test.get(0).label());
        assertEquals(2, test.get(1).label());   // folder spelled differently, matched ignoring case
        // a label that contradicts the folder is an error
        write("ucfTrainTestlist/trainlist02.txt", "Archery/v_Archery_g09_c02.avi 1\n");
        assertThrows(IOException.class, () -> VideoDataset.ucf101(dir, dir.resolve("ucfTrainTestlist"), 2, true));
    }

    @Test
    void hmdb51Splits() throws IOException {
        write("splits/wave_test_split1.txt", "w1.avi 1 \nw2.avi 2 \nw3.avi 0 \n");
        write("splits/brush_hair_test_split1.txt", "b1.avi 2\nb2.avi 1\n");
        write("splits/brush_hair_test_split2.txt", "b1.avi 1\nb2.avi 1\n");
        VideoDataset train = VideoDataset.hmdb51(dir.resolve("hmdb"), dir.resolve("splits"), 1, true);
        assertEquals(List.of("brush_hair", "wave"), train.classes().names());
        assertEquals(List.of(new VideoSample(dir.resolve("hmdb/brush_hair/b2.avi"), 0),
                new VideoSample(dir.resolve("hmdb/wave/w1.avi"), 1)), train.samples());
        VideoDataset test = VideoDataset.hmdb51(dir.resolve("hmdb"), dir.resolve("splits"), 1, false);
        assertEquals(List.of(dir.resolve("hmdb/brush_hair/b1.avi"), dir.resolve("hmdb/wave/w2.avi")),
                test.samples().stream().map(VideoSample::path).toList());
        assertEquals(2, VideoDataset.hmdb51(dir, dir.resolve("splits"), 2, true).size());
        assertThrows(IOException.class, () -> VideoDataset.hmdb51(dir, dir.resolve("splits"), 3, true));
    }

    // ---- the bundled synthetic dataset ------------------------------------------------------

    @Test
    void bundledSyntheticDatasetIsComplete() throws IOException {
        Path root = testData().resolve("synthetic");
        ClassIndex classes = ClassIndex.load(root.resolve("classes.json"));
        assertEquals(List.of("grow_shrink", "left_right", "rotate", "up_down"), classes.names());
        VideoDataset csv = VideoDataset.fromCsv(root.resolve("labels.csv"), root, classes);
        VideoDataset folders = VideoDataset.fromClassFolders(root.resolve("videos"));
        assertEquals(classes, folders.classes());
        assertEquals(60, csv.size());
        assertEquals(csv.samples().stream().map(VideoSample::path).sorted().toList(),
                folders.samples().stream().map(VideoSample::path).toList());
        assertArrayEquals(new int[] {15, 15, 15, 15}, csv.classCounts());
        for (VideoSample s : csv.samples()) {
            assertTrue(Files.size(s.path()) > 0, s.path().toString());
            assertEquals(classes.name(s.label()), s.path().getParent().getFileName().toString());
        }
        for (String ext : List.of("mp4", "webm", "avi")) {
            for (int label = 0; label < 4; label++) {
                int l = label;
                assertTrue(csv.samples().stream().anyMatch(s -> s.label() == l && s.path().toString().endsWith(ext)),
                        "class " + l + " has a ." + ext + " clip");
            }
        }
        VideoDataset broken = VideoDataset.fromCsv(root.resolve("broken.csv"), root, classes);
        assertEquals(5, broken.size());
    }
}
