package org.iboot4j.engine;

/**
 * The engine's random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011), a counter-based generator. Block i of four 32-bit words is a pure
 * function of (seed, i): ten rounds of two 32x32->64 multiplies and key additions. So a stream
 * is reproducible from its seed alone, any position can be reached without generating the ones
 * before it, and a GPU kernel computes exactly the same numbers block by block.
 *
 * <p>Uniform floats take the top 24 bits of one word: u = (w >>> 8) * 2^-24, in [0, 1).
 * Normals use Box-Muller on two uniforms (with 1 - u so the log never sees 0), giving two
 * normals per pair. {@link #state()} and {@link #restore} save and restore the exact position
 * for resumable training.
 */
public final class Rng {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private final long seed;
    private long counter;        // index of the next 4-word block
    private final int[] block = new int[4];
    private int used = 4;        // words of `block` already handed out

    public Rng(long seed) {
        this(seed, 0);
    }

    private Rng(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    /** {seed, next block, words of the current block used}: restore with {@link #restore}. */
    public long[] state() {
        return new long[] {seed, counter, used};
    }

    /** The generator exactly where {@link #state()} was taken. */
    public static Rng restore(long[] state) {
        Rng rng = new Rng(state[0], state[1]);
        if (state[2] < 4) {
            philox(state[0], state[1] - 1, rng.block);
            rng.used = (int) state[2];
        }
        return rng;
    }

    /** The next 32 random bits. */
    public int nextInt() {
        if (used == 4) {
            philox(seed, counter++, block);
            used = 0;
        }
        return block[used++];
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextInt() >>> 8) * 0x1p-24f;
    }

    /** Uniform integer in [0, bound) (bound > 0), by rejection so it is unbiased. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long range = 1L << 32, limit = range - range % bound;
        long r;
        do {
            r = nextInt() & 0xFFFFFFFFL;
        } while (r >= limit);
        return (int) (r % bound);
    }

    public void fillUniform(float[] out, float low, float high) {
        for (int i = 0; i < out.length; i++) out[i] = low + (high - low) * nextFloat();
    }

    public void fillNormal(float[] out, float mean, float std) {
        for (int i = 0; i < out.length; i += 2) {
            double u1 = 1.0 - nextFloat(), u2 = nextFloat();
            double r = Math.sqrt(-2.0 * Math.log(u1)), theta = 2.0 * Math.PI * u2;
            out[i] = (float) (mean + std * r * Math.cos(theta));
            if (i + 1 < out.length) out[i + 1] = (float) (mean + std * r * Math.sin(theta));
        }
    }

    /** Block {@code index} of the stream {@code seed}: counter (index lo, index hi, 0, 0). */
    static void philox(long seed, long index, int[] out) {
        philox((int) index, (int) (index >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /** Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1). */
    static void philox(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
