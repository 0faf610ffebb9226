package org.iboot4j.engine.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds the backends on the class path with {@link ServiceLoader} and picks the default: the
 * available one with the highest priority, or the one named by {@code -Diboot.backend=NAME}.
 * The CPU backend is always available, so a JVM without a GPU plug-in simply runs on the CPU.
 */
public final class Backends {
    private static volatile List<Backend> all;
    private static volatile Backend current;

    private Backends() {}

    /** Every backend found, available or not, highest priority first. */
    public static List<Backend> all() {
        List<Backend> found = all;
        if (found == null) {
            List<Backend> list = new ArrayList<>();
            ServiceLoader.load(Backend.class).forEach(list::add);
            list.sort(Comparator.comparingInt(Backend::priority).reversed());
            all = found = List.copyOf(list);
        }
        return found;
    }

    /** The backend new tensors are created on. */
    public static Backend current() {
        Backend b = current;
        if (b == null) current = b = choose(System.getProperty("iboot.backend"));
        return b;
    }

    /** Makes {@code backend} the default for tensors created from now on. */
    public static void setCurrent(Backend backend) {
        if (backend.unavailableReason() != null) {
            throw new IllegalStateException("backend " + backend.name() + " is not available: "
                    + backend.unavailableReason());
        }
        current = backend;
    }

    /** The backend called {@code name}; a clear error listing the others when there is none. */
    public static Backend byName(String name) {
        for (Backend b : all()) if (b.name().equals(name)) return b;
        throw new IllegalArgumentException("no backend named '" + name + "'; found "
                + all().stream().map(Backend::name).toList());
    }

    private static Backend choose(String requested) {
        if (requested != null && !requested.isBlank()) {
            Backend b = byName(requested);
            if (b.unavailableReason() != null) {
                throw new IllegalStateException("-Diboot.backend=" + requested
                        + " is not available: " + b.unavailableReason());
            }
            return b;
        }
        for (Backend b : all()) if (b.unavailableReason() == null) return b;
        throw new IllegalStateException("no available backend; is iboot4j-engine on the class path"
                + " with its META-INF/services entry?");
    }
}
