package org.iboot4j.nn.optim;

/**
 * PySlowFast's learning-rate policy "cosine" with linear warm-up, as a function of the
 * fractional epoch e (epoch + iteration / iterations per epoch):
 * <pre>
 *   cosine(e) = end + (base - end) * (1 + cos(pi * e / maxEpoch)) / 2
 *   lr(e)     = e < warmup ? warmupStart + e * (cosine(warmup) - warmupStart) / warmup : cosine(e)
 * </pre>
 * The cosine runs over the whole schedule (not restarted after warm-up), as PySlowFast does.
 */
public record WarmupCosineSchedule(double baseLr, double endLr, double warmupStartLr, double warmupEpochs, double maxEpoch) {
    public WarmupCosineSchedule {
        if (!(maxEpoch > 0) || warmupEpochs < 0 || warmupEpochs > maxEpoch) {
            throw new IllegalArgumentException("schedule: need 0 <= warmup (" + warmupEpochs
                    + ") <= max epoch (" + maxEpoch + ") and max epoch > 0");
        }
    }

    public double lr(double epoch) {
        if (epoch < warmupEpochs) {
            return warmupStartLr + epoch * (cosine(warmupEpochs) - warmupStartLr) / warmupEpochs;
        }
        return cosine(epoch);
    }

    private double cosine(double epoch) {
        return endLr + (baseLr - endLr) * (1 + Math.cos(Math.PI * epoch / maxEpoch)) / 2;
    }
}
