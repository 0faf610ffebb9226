package org.iboot4j.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.iboot4j.data.dataset.ClassIndex;
import org.iboot4j.data.dataset.VideoDataset;

/**
 * The labelled video sets of {@code iboot eval}, named by one string:
 * <ul>
 *   <li>{@code DIR} — a folder of class folders ({@code DIR/<class>/<video>});
 *   <li>{@code FILE} (any other file) — a {@code path,label} list or a Kinetics annotation CSV
 *       (see {@link VideoDataset#fromCsv}); its paths are relative to {@code root} (default: the
 *       list's folder);
 *   <li>{@code ucf101:VIDEOS:SPLITS[:N]} — UCF101 split N (1 by default) with the official
 *       {@code classInd.txt} / {@code trainlist0N.txt} / {@code testlist0N.txt} in SPLITS and the
 *       videos under VIDEOS/&lt;Class&gt;/;
 *   <li>{@code hmdb51:VIDEOS:SPLITS[:N]} — HMDB51 split N with the {@code <class>_test_splitN.txt}
 *       files in SPLITS and the videos under VIDEOS/&lt;class&gt;/.
 * </ul>
 * For the two benchmark forms the train or test list of the split is taken as the option asks
 * ({@code --train} or {@code --test}). A test set is read with the train set's classes, so
 * label indices agree; a class name the train set does not know is an error.
 */
public final class DatasetSpec {
    private DatasetSpec() {}

    /**
     * Reads {@code spec}; {@code train} picks the benchmark's train or test list, {@code classes}
     * (may be null) fixes the class index, {@code root} (may be null) is where list paths start.
     */
    public static VideoDataset read(String spec, boolean train, ClassIndex classes, Path root) throws IOException {
        String lower = spec.toLowerCase(java.util.Locale.ROOT);
        VideoDataset ds;
        if (lower.startsWith("ucf101:") || lower.startsWith("hmdb51:")) {
            String[] parts = spec.split(":");
            if (parts.length < 3 || parts.length > 4) {
                throw new IllegalArgumentException("'" + spec + "': expected " + parts[0] + ":VIDEOS:SPLITS[:N]");
            }
            int split = parts.length == 4 ? Integer.parseInt(parts[3]) : 1;
            if (split < 1 || split > 3) throw new IllegalArgumentException("'" + spec + "': the split must be 1, 2 or 3");
            Path videos = Path.of(parts[1]), splits = Path.of(parts[2]);
            ds = lower.startsWith("ucf101:") ? VideoDataset.ucf101(videos, splits, split, train)
                    : VideoDataset.hmdb51(videos, splits, split, train);
            if (classes != null && !classes.equals(ds.classes())) {
                throw new IllegalArgumentException("'" + spec + "' has other classes than the train set");
            }
        } else {
            Path p = Path.of(spec);
            if (Files.isDirectory(p)) {
                ds = VideoDataset.fromClassFolders(p, classes);
            } else if (Files.isRegularFile(p)) {
                Path base = root != null ? root : p.toAbsolutePath().getParent();
                ds = VideoDataset.fromCsv(p, base, classes);
            } else {
                throw new IllegalArgumentException("no such folder or list file: " + spec);
            }
        }
        if (ds.size() == 0) throw new IllegalArgumentException("'" + spec + "' holds no videos");
        return ds;
    }
}
