package org.iboot4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.function.UnaryOperator;
import org.iboot4j.engine.backend.Releasable;

/**
 * Deterministic release of tensor memory, on any backend: the storage of every tensor created on
 * this thread while the scope is open (every op's output, every gradient, every {@code Tensor.of})
 * belongs to it, and {@link #close()} releases them all, except those {@link #keep kept}, which
 * move to the enclosing scope (or, with none, to the garbage collector's care). Backends add their
 * own scratch memory with {@link #track}, so that a primitive run inside a scope of its own hands
 * its temporaries back as soon as it is done.
 *
 * <pre>
 * try (TensorScope scope = TensorScope.open()) {
 *     Tensor loss = model.forward(x);      // activations land in the scope
 *     loss.backward();                     // gradients too
 *     optimizer.step();                    // parameters are updated in place
 *     return loss.item();                  // everything made in the scope is released here
 * }
 * </pre>
 *
 * Released memory is reused by the next allocation of its size: on the CPU the float arrays go
 * to a pool (a fresh Java array is zeroed by the JVM and arrives cache-cold, which costs more
 * than many kernels), on a GPU the buffers go back to the caching allocator. A tensor used after
 * its scope closed fails with an error; it never reads another tensor's numbers. Tensors made
 * outside any scope, and views of them, are untouched (the collector frees them). An array passed
 * to {@code Tensor.of} is copied, so no scope ever recycles the caller's own array.
 *
 * <p>Scopes nest and are per thread; they must close innermost first (try-with-resources does).
 * Tensors made on other threads are not tracked by this thread's scopes.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    /** In order of creation; a list, not a set: hashing every new tensor costs more than the rare keep's scan. */
    private final ArrayList<Releasable> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private TensorScope() {}

    /** Opens a scope on the calling thread, nested in the current one if any. */
    public static TensorScope open() {
        TensorScope s = new TensorScope();
        STACK.get().push(s);
        return s;
    }

    /**
     * Hands {@code memory} to the calling thread's innermost open scope, if any. Tensor creation
     * does this for every new storage; backends call it for scratch memory that is no tensor's.
     */
    public static void track(Releasable memory) {
        TensorScope s = STACK.get().peek();
        if (s != null) s.owned.add(memory);
    }

    /**
     * Keeps {@code tensor}'s memory (and its gradient's) alive past this scope: it moves to the
     * enclosing scope, if any. Views share their base's storage, so keeping a view keeps the base.
     */
    public Tensor keep(Tensor tensor) {
        keep(tensor.storage());
        Tensor g = tensor.grad();
        if (g != null && g != tensor) keep(g);
        return tensor;
    }

    /** Keeps {@code memory} alive past this scope: it moves to the enclosing scope, if any. */
    public <R extends Releasable> R keep(R memory) {
        checkOpen("keep");
        for (int i = owned.size() - 1; i >= 0; i--) { // newest first: what is kept is mostly recent
            if (owned.get(i) == memory) {
                owned.remove(i);
                TensorScope parent = parent();
                if (parent != null) parent.owned.add(memory);
                break;
            }
        }
        return memory;
    }

    /**
     * {@code step.apply(x)}; with gradients off ({@link GradMode}), inside a scope of its own that
     * keeps only the result, so the step's temporaries (dead once it returns) are released at once
     * and the next step reuses their memory while it is still in cache — as PyTorch frees a tensor
     * when its last reference goes. With gradients on, the temporaries are saved for the backward
     * pass and the step runs as is. Networks run their blocks through this.
     */
    public static Tensor releasingTemporaries(Tensor x, UnaryOperator<Tensor> step) {
        if (GradMode.isEnabled()) return step.apply(x);
        try (TensorScope scope = open()) {
            return scope.keep(step.apply(x));
        }
    }

    /** How many storages and buffers this scope will release. */
    public int size() {
        return owned.size();
    }

    private TensorScope parent() {
        boolean seen = false;
        for (TensorScope s : STACK.get()) { // innermost first
            if (seen) return s;
            if (s == this) seen = true;
        }
        return null;
    }

    private void checkOpen(String what) {
        if (closed) throw new IllegalStateException("TensorScope." + what + " after close");
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("TensorScope." + what + " from " + Thread.currentThread().getName()
                    + "; the scope belongs to " + thread.getName());
        }
    }

    /** Releases everything still owned, newest first. */
    @Override
    public void close() {
        if (closed) return;
        checkOpen("close");
        ArrayDeque<TensorScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("TensorScope closed out of order: close the inner scope first");
        }
        stack.pop();
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).release();
        owned.clear();
    }
}
