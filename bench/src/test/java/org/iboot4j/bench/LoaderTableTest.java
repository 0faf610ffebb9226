package org.iboot4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing loader_torch.py's output and the loader comparison's table; decodes no video. */
class LoaderTableTest {

    @Test
    void parsesTheResultLineAndMetaLinesAmongLibraryChatter() {
        Map<String, String> meta = new LinkedHashMap<>();
        LoaderTable.Measured r = LoaderTable.parseTorch(List.of(
                "#meta\ttorch\t1.13.0, torchvision 0.14.1",
                "I20261129 video.cpp:229] Decoder inited with: 1",
                "#meta\ttorchvision video backend\tvideo_reader",
                "result\t2\t96\t12.5000\t24.25"), meta);
        assertEquals(new LoaderTable.Measured(2, 96, 12.5, 24.25), r);
        assertEquals(Map.of("torch", "1.13.0, torchvision 0.14.1", "torchvision video backend", "video_reader"), meta);
        assertThrows(IllegalArgumentException.class, () -> LoaderTable.parseTorch(List.of("#meta\ta\tb"), meta));
        assertThrows(IllegalArgumentException.class, () -> LoaderTable.parseTorch(List.of("result\t2\t96\t12.5"), meta));
    }

    @Test
    void perCoreDividesByTheCoresAWorkerCountCanUse() {
        // 2 workers on 2 cores: 48 clips/s over 2; 4 workers on 2 cores: still 2 cores
        assertEquals(24.0, new LoaderTable.Row("iboot4j", 2, 2, 96, 2.0, 4.0, 0).clipsPerSecondPerCore(), 1e-12);
        assertEquals(24.0, new LoaderTable.Row("iboot4j", 4, 2, 96, 2.0, 4.0, 0).clipsPerSecondPerCore(), 1e-12);
        assertEquals(12.0, new LoaderTable.Row("iboot4j", 1, 2, 96, 8.0, 4.0, 0).clipsPerSecondPerCore(), 1e-12);
        assertEquals(24.0, new LoaderTable.Row("iboot4j", 1, 2, 96, 8.0, 4.0, 0).clipsPerCpuSecond(), 1e-12);
    }

    @Test
    void tableRatesIbootAgainstTorchvisionAtTheSameWorkerCount() {
        List<LoaderTable.Row> rows = List.of(
                new LoaderTable.Row(LoaderTable.IBOOT, 1, 2, 96, 8.0, 8.0, 0.02),    // 12 clips/s
                new LoaderTable.Row(LoaderTable.TORCH, 1, 2, 96, 24.0, 32.0, 0.0),   // 4 clips/s
                new LoaderTable.Row(LoaderTable.IBOOT, 2, 2, 96, 4.0, 8.5, 0.5));    // no torchvision row at 2
        assertEquals(3.0, LoaderTable.ratio(rows.get(0), rows), 1e-12);
        assertTrue(Double.isNaN(LoaderTable.ratio(rows.get(1), rows)));
        assertTrue(Double.isNaN(LoaderTable.ratio(rows.get(2), rows)));

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("date", "2026-11-29");
        String md = LoaderTable.markdown(meta, rows);
        assertEquals("""
                # iboot4j vs torchvision: video loading (decode + augment)

                - **date**: 2026-11-29

                | implementation | workers | clips | seconds | clips/s | clips/s per core | ratio | CPU s | clips per CPU s | others' CPU |
                |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
                | iboot4j | 1 | 96 | 8.00 | 12.00 | 12.00 | 3.00 | 8.0 | 12.00 | 2% |
                | torchvision | 1 | 96 | 24.00 | 4.00 | 4.00 |  | 32.0 | 3.00 | 0% |
                | iboot4j | 2 | 96 | 4.00 | 24.00 | 12.00 |  | 8.5 | 11.29 | 50% |
                """, md);
    }

    @Test
    void workerListsAreDeduplicatedAndPositive() {
        assertEquals(List.of(1, 2), LoaderCompareMain.parseWorkers("1, 2,2"));
        assertThrows(IllegalArgumentException.class, () -> LoaderCompareMain.parseWorkers("0"));
    }
}
