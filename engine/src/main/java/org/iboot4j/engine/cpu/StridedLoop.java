package org.iboot4j.engine.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Visits every element of one shape across several strided operands (output and inputs), in
 * runs along the innermost dimension, so kernels keep a tight inner loop whatever the layout.
 *
 * <p>First the layout is coalesced: size-1 dimensions are dropped and neighbouring dimensions
 * merged wherever every operand steps through them as through one (stride[d] == stride[d+1] *
 * size[d+1]). Contiguous tensors thus become one long run, a transposed one keeps two dims.
 * The flat element range is then cut into chunks for {@link Parallel}; each chunk walks its
 * elements with an odometer over the coalesced dims, one run per innermost row.
 */
final class StridedLoop {
    /** Elements per chunk below which splitting across threads costs more than it saves. */
    static final int GRAIN = 1 << 15;

    /** n elements; operand k starts at offsets[k] and steps by steps[k]. Do not keep the arrays. */
    @FunctionalInterface
    interface Run {
        void apply(int n, int[] offsets, int[] steps);
    }

    private final int[] shape;      // coalesced, at least one dim
    private final int[][] strides;  // [operand][dim]
    private final int[] base;       // starting offset of each operand
    private final int total;

    /** Operand k has strides[k] over {@code shape} and starts at offsets[k]. */
    StridedLoop(int[] shape, int[] offsets, int[]... strides) {
        List<Integer> sizes = new ArrayList<>();
        List<int[]> steps = new ArrayList<>();
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            count *= shape[d];
            if (shape[d] == 1) continue;
            int[] s = new int[strides.length];
            for (int k = 0; k < strides.length; k++) s[k] = strides[k][d];
            int last = sizes.size() - 1;
            if (last >= 0 && mergeable(steps.get(last), s, shape[d])) {
                sizes.set(last, sizes.get(last) * shape[d]);
                steps.set(last, s);
            } else {
                sizes.add(shape[d]);
                steps.add(s);
            }
        }
        if (sizes.isEmpty()) {
            sizes.add(1);
            steps.add(new int[strides.length]);
        }
        this.total = (int) count;
        this.shape = sizes.stream().mapToInt(Integer::intValue).toArray();
        this.strides = new int[strides.length][this.shape.length];
        for (int d = 0; d < this.shape.length; d++) {
            for (int k = 0; k < strides.length; k++) this.strides[k][d] = steps.get(d)[k];
        }
        this.base = offsets.clone();
    }

    /** Outer dim with steps {@code outer} followed by one of {@code size} with {@code inner}. */
    private static boolean mergeable(int[] outer, int[] inner, int size) {
        for (int k = 0; k < outer.length; k++) if (outer[k] != inner[k] * size) return false;
        return true;
    }

    int total() {
        return total;
    }

    /** Runs over every element, split over threads in chunks of at least {@code grain}. */
    void forEach(int grain, Run run) {
        if (total == 0) return;
        Parallel.forRange(total, grain, (from, to) -> runRange(from, to, run));
    }

    /** Runs over elements [from, to) of the flat order on the calling thread. */
    void runRange(int from, int to, Run run) {
        int rank = shape.length, ops = base.length, inner = rank - 1;
        int[] index = new int[rank];
        int[] offsets = new int[ops];
        int[] steps = new int[ops];
        for (int k = 0; k < ops; k++) steps[k] = strides[k][inner];
        for (int d = inner, rest = from; d >= 0; d--) {
            index[d] = rest % shape[d];
            rest /= shape[d];
        }
        for (int pos = from; pos < to; ) {
            for (int k = 0; k < ops; k++) {
                int off = base[k];
                for (int d = 0; d < rank; d++) off += index[d] * strides[k][d];
                offsets[k] = off;
            }
            int n = Math.min(shape[inner] - index[inner], to - pos);
            run.apply(n, offsets, steps);
            pos += n;
            index[inner] += n;
            for (int d = inner; d > 0 && index[d] == shape[d]; d--) {
                index[d] = 0;
                index[d - 1]++;
            }
        }
    }
}
