package org.iboot4j.kernels.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.iboot4j.engine.Tensor;

/**
 * Deterministic release of device memory: every {@link DeviceBuffer} allocated on this thread
 * while the scope is open belongs to it, and {@link #close()} releases them all, except those
 * {@link #keep kept}, which move to the enclosing scope (or, with none, to the garbage
 * collector's care).
 *
 * <pre>
 * try (MemoryScope scope = MemoryScope.open()) {
 *     Tensor loss = model.forward(x);      // intermediates land in the scope
 *     loss.backward();
 *     scope.keep(loss);                     // survives; everything else is freed here
 * }
 * </pre>
 *
 * Scopes nest and are per thread; they must close innermost first (try-with-resources does).
 * Buffers allocated on other threads are not tracked by this thread's scopes.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final LinkedHashSet<DeviceBuffer> owned = new LinkedHashSet<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private MemoryScope() {}

    /** Opens a scope on the calling thread, nested in the current one if any. */
    public static MemoryScope open() {
        MemoryScope s = new MemoryScope();
        STACK.get().push(s);
        return s;
    }

    /** The calling thread's innermost open scope, or null. */
    public static MemoryScope current() {
        return STACK.get().peek();
    }

    static void track(DeviceBuffer buffer) {
        MemoryScope s = STACK.get().peek();
        if (s != null) s.owned.add(buffer);
    }

    /** Keeps {@code buffer} alive past this scope: it moves to the enclosing scope, if any. */
    public DeviceBuffer keep(DeviceBuffer buffer) {
        checkOpen("keep");
        if (owned.remove(buffer)) {
            MemoryScope parent = parent();
            if (parent != null) parent.owned.add(buffer);
        }
        return buffer;
    }

    /** Keeps the device storage behind {@code tensors} (CPU tensors are ignored). */
    public Tensor keep(Tensor tensor) {
        if (tensor.storage() instanceof CudaStorage s && s.buffer() != null) keep(s.buffer());
        Tensor g = tensor.grad();
        if (g != null && g != tensor) keep(g);
        return tensor;
    }

    /** The number of live buffers this scope will release. */
    public int size() {
        return owned.size();
    }

    private MemoryScope parent() {
        boolean seen = false;
        for (MemoryScope s : STACK.get()) { // innermost first
            if (seen) return s;
            if (s == this) seen = true;
        }
        return null;
    }

    private void checkOpen(String what) {
        if (closed) throw new IllegalStateException("MemoryScope." + what + " after close");
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("MemoryScope." + what + " from " + Thread.currentThread().getName()
                    + "; the scope belongs to " + thread.getName());
        }
    }

    /** Releases every buffer still owned, newest first. */
    @Override
    public void close() {
        if (closed) return;
        checkOpen("close");
        ArrayDeque<MemoryScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("MemoryScope closed out of order: close the inner scope first");
        }
        stack.pop();
        closed = true;
        List<DeviceBuffer> all = new ArrayList<>(owned);
        owned.clear();
        for (int i = all.size() - 1; i >= 0; i--) all.get(i).close();
    }
}
