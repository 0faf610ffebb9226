package org.iboot4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max-pooling split into two passes ({@link CpuPooling}'s forward): for one output row (ot, oh),
 * first the maximum of every input column w over the window's (t, h) rows, then for each output
 * the best of its kW columns. A kT x kH x kW window then costs kT kH / (sT sH) vector steps per
 * input column (shared by every output whose window holds the column) and kW scalar steps per
 * output, instead of kT kH kW scalar steps per output: the stem's 1x3x3 pool reads each row as
 * vectors, the plain loop compared nine scalars per output.
 *
 * <p>PyTorch's result is the element its scan in (t, h, w) order keeps with "v > max ||
 * isnan(v)": the NaN with the highest flat index if the window has one, else the maximum with the
 * lowest flat index (the first one; -0 and +0 tie). That choice does not depend on the order the
 * elements are met in, as long as ties are broken by the flat index, so it can be made column by
 * column: rows arrive in increasing index, where the scan's own rule keeps the right element of a
 * column, and the columns are then compared by value and flat index ({@link #best}).
 */
final class MaxPoolColumns {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = SPECIES.withLanes(int.class);

    /** Per input column w: the best value over the rows added so far, and its row (t H + h). */
    final float[] value;
    private final int[] row;
    private final int width;

    MaxPoolColumns(int width) {
        this.width = width;
        this.value = new float[width];
        this.row = new int[width];
    }

    /**
     * Takes input row {@code tag} (= t H + h), whose column w is {@code x[at + w * step]}, into the
     * column maxima of columns {@code [w0, w1)}; the first row of a window only sets them.
     */
    void addRow(float[] x, int at, int step, int tag, int w0, int w1, boolean first) {
        int w = w0;
        if (step == 1) {
            IntVector tags = IntVector.broadcast(INTS, tag);
            for (int bound = w0 + SPECIES.loopBound(w1 - w0); w < bound; w += SPECIES.length()) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, at + w);
                if (first) {
                    v.intoArray(value, w);
                    tags.intoArray(row, w);
                } else {
                    FloatVector best = FloatVector.fromArray(SPECIES, value, w);
                    VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
                    best.blend(v, take).intoArray(value, w);
                    IntVector.fromArray(INTS, row, w).blend(tags, take.cast(INTS)).intoArray(row, w);
                }
            }
        }
        for (; w < w1; w++) {
            float v = x[at + w * step];
            if (first || v > value[w] || Float.isNaN(v)) {
                value[w] = v;
                row[w] = tag;
            }
        }
    }

    /** The column of {@code [w0, w1)} (not empty) holding the element PyTorch's scan keeps. */
    int best(int w0, int w1) {
        int best = w0;
        for (int w = w0 + 1; w < w1; w++) {
            float v = value[w], b = value[best];
            boolean take;
            if (Float.isNaN(v) | Float.isNaN(b)) {
                take = Float.isNaN(v) && (!Float.isNaN(b) || flat(w) > flat(best));
            } else { // without && and ||, so that the unpredictable comparison is not a branch
                take = v > b | (v == b & flat(w) < flat(best));
            }
            best = take ? w : best;
        }
        return best;
    }

    /** The flat index (t H + h) W + w in the plane of column w's best element. */
    int flat(int w) {
        return row[w] * width + w;
    }
}
