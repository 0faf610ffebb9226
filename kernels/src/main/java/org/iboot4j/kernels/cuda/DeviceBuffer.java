package org.iboot4j.kernels.cuda;

import java.lang.ref.Cleaner;
import org.iboot4j.engine.backend.Releasable;

/**
 * A block of device memory from a {@link CachingAllocator}. {@link #close()} gives it back to
 * the allocator's cache (idempotent); if it becomes unreachable without being closed, a
 * {@link Cleaner} does the same. The address must not be used after release, and
 * {@link #address()} refuses to give it out then.
 */
public final class DeviceBuffer implements AutoCloseable, Releasable {
    private final State state;
    private final Cleaner.Cleanable cleanable;

    DeviceBuffer(CachingAllocator owner, long address, long capacity, long bytes) {
        this.state = new State(owner, address, capacity, bytes);
        this.cleanable = CachingAllocator.CLEANER.register(this, state);
    }

    /** The device address of the first byte. */
    public long address() {
        if (state.released) {
            throw new IllegalStateException("device buffer of " + state.bytes + " bytes at 0x"
                    + Long.toHexString(state.address) + " was already released (closed, or its scope ended)");
        }
        return state.address;
    }

    /** The bytes asked for. */
    public long bytes() {
        return state.bytes;
    }

    /** The bytes reserved (the allocator's bucket size). */
    public long capacity() {
        return state.capacity;
    }

    public boolean isReleased() {
        return state.released;
    }

    @Override
    public void close() {
        state.explicit = true;
        cleanable.clean(); // runs State.run at most once, whoever comes first
    }

    /** The same as {@link #close()} (a closing {@link org.iboot4j.engine.TensorScope} calls this). */
    @Override
    public void release() {
        close();
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + state.bytes + " bytes at 0x" + Long.toHexString(state.address)
                + (state.released ? ", released]" : "]");
    }

    /** What the cleaner needs: no reference back to the DeviceBuffer itself. */
    private static final class State implements Runnable {
        final CachingAllocator owner;
        final long address, capacity, bytes;
        volatile boolean released;
        volatile boolean explicit;

        State(CachingAllocator owner, long address, long capacity, long bytes) {
            this.owner = owner;
            this.address = address;
            this.capacity = capacity;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            released = true;
            owner.release(address, capacity, bytes, !explicit);
        }
    }
}
