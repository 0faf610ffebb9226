package org.iboot4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.data.dataset.VideoSample;
import org.junit.jupiter.api.Test;

/** Semi-supervised subsets: a seeded fraction of every class, at least one video each. */
class SubsetsTest {

    /** Class c has counts[c] videos, interleaved. */
    static VideoDataset dataset(int... counts) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) names.add("class" + c);
        List<VideoSample> samples = new ArrayList<>();
        int max = java.util.Arrays.stream(counts).max().orElse(0);
        for (int i = 0; i < max; i++) {
            for (int c = 0; c < counts.length; c++) {
                if (i < counts[c]) samples.add(new VideoSample(Path.of("v", c + "_" + i + ".mp4"), c));
            }
        }
        return new VideoDataset(samples, ClassIndex.ordered(names));
    }

    @Test
    void takesTheFractionOfEachClassAndAtLeastOne() {
        VideoDataset ds = dataset(250, 100, 30, 1);
        VideoDataset one = Subsets.perClass(ds, 0.01, 0);
        assertArrayEquals(new int[] {3, 1, 1, 1}, one.classCounts());   // round(2.5) = 3, round(1) = 1, round(0.3) -> 1, 1
        VideoDataset ten = Subsets.perClass(ds, 0.1, 0);
        assertArrayEquals(new int[] {25, 10, 3, 1}, ten.classCounts());
        assertEquals(ds.classes(), ten.classes());
        assertEquals(ds.size(), Subsets.perClass(ds, 1.0, 0).size());
    }

    @Test
    void isSeededAndKeepsTheDatasetOrder() {
        VideoDataset ds = dataset(50, 50);
        VideoDataset a = Subsets.perClass(ds, 0.1, 42), b = Subsets.perClass(ds, 0.1, 42), c = Subsets.perClass(ds, 0.1, 43);
        assertEquals(a.samples(), b.samples());
        assertNotEquals(a.samples(), c.samples());
        List<Integer> positions = a.samples().stream().map(s -> ds.samples().indexOf(s)).toList();
        assertEquals(positions.stream().sorted().toList(), positions);
        // the choice of a class does not depend on the other classes
        VideoDataset onlyFirst = Subsets.perClass(dataset(50), 0.1, 42);
        assertEquals(a.samples().stream().filter(s -> s.label() == 0).toList(), onlyFirst.samples());
    }

    @Test
    void rejectsBadFractions() {
        assertThrows(IllegalArgumentException.class, () -> Subsets.perClass(dataset(5), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Subsets.perClass(dataset(5), 1.5, 0));
    }
}
