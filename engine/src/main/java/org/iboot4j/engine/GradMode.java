package org.iboot4j.engine;

/**
 * Whether ops record the autograd graph on this thread (on by default). Use as a scope:
 * <pre>{@code try (var ignored = GradMode.disable()) { ... no graph is recorded here ... }}</pre>
 * Scopes nest; closing one restores the mode that was in force when it opened.
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Turns recording off until the returned scope is closed. */
    public static Scope disable() {
        return set(false);
    }

    /** Turns recording on until the returned scope is closed (e.g. inside a no-grad region). */
    public static Scope enable() {
        return set(true);
    }

    private static Scope set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** A grad-mode scope; closing it cannot fail. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
