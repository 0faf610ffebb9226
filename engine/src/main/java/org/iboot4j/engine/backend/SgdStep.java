package org.iboot4j.engine.backend;

/**
 * The settings of one fused optimiser step ({@link Backend#sgdStep}): SGD with momentum as
 * torch.optim.SGD (dampening 0), optionally with the layer-wise LARS scaling of PySlowFast's
 * LARS wrapper (NVIDIA apex LARC, clip=False).
 *
 * <p>For a parameter w with gradient g and momentum buffer b (zero before the first step):
 * <pre>
 *   plain (trustCoefficient == 0):  d = g + weightDecay * w
 *   LARS  (trustCoefficient  > 0):  if ||w|| > 0 and ||g|| > 0:
 *                                       d = (g + weightDecay * w) * trust * ||w|| / (||g|| + weightDecay * ||w|| + eps)
 *                                   else d = g                       (no decay either, as LARC)
 *   b = momentum * b + d;   w = w - lr * (nesterov ? d + momentum * b : b)
 * </pre>
 * Parameters LARS excludes (1-d: biases, batch-norm) take the plain rule with weightDecay 0.
 */
public record SgdStep(float lr, float momentum, float weightDecay, boolean nesterov, float trustCoefficient, float eps) {
    public SgdStep {
        if (!(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0) || !(trustCoefficient >= 0) || !(eps >= 0)) {
            throw new IllegalArgumentException("sgd step: lr, momentum, weight decay, trust coefficient and eps"
                    + " must be >= 0, got " + this);
        }
    }

    /** The same step with another learning rate (schedules change it every iteration). */
    public SgdStep withLr(float newLr) {
        return new SgdStep(newLr, momentum, weightDecay, nesterov, trustCoefficient, eps);
    }

    /** The rule for a parameter LARS leaves alone: no adaptation, no weight decay. */
    public SgdStep excluded() {
        return new SgdStep(lr, momentum, 0, nesterov, 0, eps);
    }
}
