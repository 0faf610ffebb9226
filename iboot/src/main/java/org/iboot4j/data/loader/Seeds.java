package org.iboot4j.data.loader;

/**
 * Seeds derived from a run seed, so every random choice of the loader is a pure function of
 * (run seed, epoch, sample, ...) and never of thread timing: SplitMix64's finaliser
 * (Steele et al., 2014) chained over the parts.
 */
public final class Seeds {
    private Seeds() {}

    /** A well-mixed 64-bit seed from the parts, in order (different order, different seed). */
    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) h = splitmix(h ^ splitmix(p + 0x632BE59BD9B4E019L));
        return h;
    }

    /** SplitMix64's output function. */
    public static long splitmix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
