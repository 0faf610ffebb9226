package org.iboot4j.engine.backend;

/**
 * The error function, which Java's Math lacks (GELU needs it).
 *
 * <p>erfc(z) for z >= 0 is computed as t * exp(-z^2 + P(t)) with t = 1 / (1 + z/2) and P a
 * degree-9 Chebyshev fit (Press et al., Numerical Recipes, 2nd ed., section 6.2): fractional
 * error below 1.2e-7 everywhere, i.e. about one float32 ulp, from one exp and ten
 * multiply-adds. erf(z) = 1 - erfc(z), odd in z. Near zero 1 - erfc loses relative accuracy, so
 * |z| < 0.5 uses the Maclaurin series instead (terms fall by z^2/n, eight are plenty).
 */
final class Erf {
    private Erf() {}

    static double erf(double z) {
        double a = Math.abs(z);
        double r = a < 0.5 ? series(a) : 1.0 - erfc(a);
        return z < 0 ? -r : r;
    }

    /** 2/sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1)). */
    private static double series(double z) {
        double z2 = z * z, term = z, sum = z;
        for (int n = 1; n <= 8; n++) {
            term *= -z2 / n;
            sum += term / (2 * n + 1);
        }
        return 1.1283791670955126 * sum;
    }

    private static double erfc(double z) {
        double t = 1.0 / (1.0 + 0.5 * z);
        double p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.exp(-z * z + p);
    }
}
