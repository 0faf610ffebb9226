package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.iboot4j.data.dataset.VideoDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DATA strings of {@code iboot eval}: folders, lists, UCF101 and HMDB51 splits. */
class DatasetSpecTest {

    @Test
    void ucf101AndHmdb51Splits(@TempDir Path dir) throws Exception {
        Path ucf = Files.createDirectories(dir.resolve("ucfTrainTestlist"));
        Files.writeString(ucf.resolve("classInd.txt"), "1 ApplyEyeMakeup\n2 Archery\n");
        Files.writeString(ucf.resolve("trainlist01.txt"), "ApplyEyeMakeup/v_a1.avi 1\nArchery/v_b1.avi 2\nArchery/v_b2.avi 2\n");
        Files.writeString(ucf.resolve("testlist01.txt"), "ApplyEyeMakeup/v_a9.avi\nArchery/v_b9.avi\n");
        String spec = "ucf101:" + dir.resolve("UCF-101") + ":" + ucf;
        VideoDataset train = DatasetSpec.read(spec, true, null, null), test = DatasetSpec.read(spec + ":1", false, train.classes(), null);
        assertEquals(3, train.size());
        assertEquals(2, test.size());
        assertEquals(List.of("ApplyEyeMakeup", "Archery"), train.classes().names());
        assertEquals(dir.resolve("UCF-101/Archery/v_b9.avi"), test.get(1).path());
        assertEquals(1, test.get(1).label());

        Path hmdb = Files.createDirectories(dir.resolve("testTrainMulti_7030_splits"));
        Files.writeString(hmdb.resolve("brush_hair_test_split1.txt"), "a.avi 1\nb.avi 2\nc.avi 0\n");
        Files.writeString(hmdb.resolve("cartwheel_test_split1.txt"), "d.avi 1\ne.avi 1\nf.avi 2\n");
        String h = "hmdb51:" + dir.resolve("hmdb") + ":" + hmdb + ":1";
        VideoDataset htrain = DatasetSpec.read(h, true, null, null), htest = DatasetSpec.read(h, false, htrain.classes(), null);
        assertEquals(3, htrain.size());
        assertEquals(2, htest.size());
        assertEquals(dir.resolve("hmdb/cartwheel/f.avi"), htest.get(1).path());
        assertThrows(IllegalArgumentException.class, () -> DatasetSpec.read("ucf101:only-one-part", true, null, null));
        assertThrows(IllegalArgumentException.class, () -> DatasetSpec.read(spec + ":4", true, null, null));
    }

    @Test
    void foldersAndListsShareTheTrainClasses(@TempDir Path dir) throws Exception {
        for (String c : List.of("jump", "run", "walk")) Files.createDirectories(dir.resolve("train/" + c));
        Files.createFile(dir.resolve("train/jump/1.mp4"));
        Files.createFile(dir.resolve("train/run/2.mp4"));
        Files.createFile(dir.resolve("train/walk/3.webm"));
        Files.createDirectories(dir.resolve("test/walk"));
        Files.createFile(dir.resolve("test/walk/4.mp4"));
        VideoDataset train = DatasetSpec.read(dir.resolve("train").toString(), true, null, null);
        VideoDataset test = DatasetSpec.read(dir.resolve("test").toString(), false, train.classes(), null);
        assertEquals(3, test.classes().size(), "the test set keeps the train set's classes");
        assertEquals(2, test.get(0).label());
        Files.writeString(dir.resolve("list.csv"), "path,label\nclips/x.mp4,run\n");
        VideoDataset list = DatasetSpec.read(dir.resolve("list.csv").toString(), false, train.classes(), null);
        assertEquals(dir.resolve("clips/x.mp4"), list.get(0).path(), "paths start at the list's folder");
        assertEquals(1, list.get(0).label());
        VideoDataset rooted = DatasetSpec.read(dir.resolve("list.csv").toString(), false, train.classes(), dir.resolve("root"));
        assertEquals(dir.resolve("root/clips/x.mp4"), rooted.get(0).path());
        Files.writeString(dir.resolve("bad.csv"), "path,label\nclips/y.mp4,swim\n");
        assertThrows(java.io.IOException.class, () -> DatasetSpec.read(dir.resolve("bad.csv").toString(), false, train.classes(), null));
        assertThrows(IllegalArgumentException.class, () -> DatasetSpec.read(dir.resolve("none").toString(), true, null, null));
    }
}
