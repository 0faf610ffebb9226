package org.iboot4j.data.dataset;

import java.nio.file.Path;
import java.util.Objects;

/** One video of a dataset: its file and its label index (see the dataset's {@link ClassIndex}). */
public record VideoSample(Path path, int label) {
    public VideoSample {
        Objects.requireNonNull(path, "path");
        if (label < 0) throw new IllegalArgumentException("negative label " + label + " for " + path);
    }
}
