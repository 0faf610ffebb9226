package org.iboot4j.nn.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a valid safetensors file. The message names the file and the problem, e.g.
 * {@code model.safetensors: not a valid safetensors file: tensor "w": data_offsets [0, 96] run
 * past the end of the 64-byte data section}.
 */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;

    public SafetensorsFormatException(Path file, String problem) {
        super((file == null ? "<bytes>" : file.toString()) + ": not a valid safetensors file: " + problem);
        this.file = file;
        this.problem = problem;
    }

    /** The offending file (null when the bytes did not come from a file). */
    public Path file() {
        return file;
    }

    /** What is wrong, without the file name. */
    public String problem() {
        return problem;
    }
}
