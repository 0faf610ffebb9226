package org.iboot4j.nn.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.SgdStep;

/**
 * SGD with momentum (torch.optim.SGD, dampening 0, optional Nesterov and weight decay), and
 * with {@link #lars} the LARS variant of PySlowFast (apex LARC with clip=False): every
 * parameter of rank >= 2 gets the layer-wise trust ratio, 1-d parameters (biases, batch-norm)
 * are neither adapted nor decayed. The arithmetic is one fused backend primitive per parameter
 * ({@link org.iboot4j.engine.backend.Backend#sgdStep}); see {@link SgdStep} for the formulas.
 *
 * <p>Parameters are named (as in a module's state dict) so the momentum buffers can be saved
 * and restored by name for resumable training.
 */
public final class Sgd {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> momentum = new LinkedHashMap<>();
    private SgdStep step;
    private final boolean lars;

    private Sgd(Map<String, Tensor> params, SgdStep step, boolean lars) {
        this.params = new LinkedHashMap<>(params);
        this.step = step;
        this.lars = lars;
        this.params.forEach((name, p) -> momentum.put(name, Tensor.empty(p.backend(), p.dtype(), p.shape())));
    }

    /** torch.optim.SGD(params, lr, momentum, weight_decay, nesterov). */
    public static Sgd sgd(Map<String, Tensor> params, float lr, float momentum, float weightDecay, boolean nesterov) {
        return new Sgd(params, new SgdStep(lr, momentum, weightDecay, nesterov, 0, 0), false);
    }

    /** PySlowFast's LARS(SGD(params, lr, momentum, weight_decay), trust_coefficient, clip=False, eps=1e-8). */
    public static Sgd lars(Map<String, Tensor> params, float lr, float momentum, float weightDecay,
            float trustCoefficient) {
        if (!(trustCoefficient > 0)) {
            throw new IllegalArgumentException("LARS: the trust coefficient must be > 0, got " + trustCoefficient);
        }
        return new Sgd(params, new SgdStep(lr, momentum, weightDecay, false, trustCoefficient, 1e-8f), true);
    }

    public float lr() {
        return step.lr();
    }

    /** Sets the learning rate for the following steps (schedules call this every iteration). */
    public void setLr(float lr) {
        step = step.withLr(lr);
    }

    /** Updates every parameter that has a gradient, in place. */
    public void step() {
        try (var ignored = GradMode.disable()) {
            params.forEach((name, p) -> {
                Tensor g = p.grad();
                if (g == null) return;
                SgdStep rule = lars && p.dim() <= 1 ? step.excluded() : step;
                p.backend().sgdStep(p, g, momentum.get(name), rule);
            });
        }
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        params.values().forEach(Tensor::zeroGrad);
    }

    /** The momentum buffers by parameter name (the tensors themselves: save them to resume). */
    public Map<String, Tensor> state() {
        return java.util.Collections.unmodifiableMap(momentum);
    }

    /** Restores momentum buffers saved from {@link #state()}; names and shapes must match. */
    public void loadState(Map<String, Tensor> saved) {
        for (var e : momentum.entrySet()) {
            Tensor s = saved.get(e.getKey());
            if (s == null || !java.util.Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("optimizer state: momentum buffer '" + e.getKey() + "' is "
                        + (s == null ? "missing" : "of shape " + java.util.Arrays.toString(s.shape()))
                        + ", expected " + java.util.Arrays.toString(e.getValue().shape()));
            }
        }
        try (var ignored = GradMode.disable()) {
            momentum.forEach((name, buf) -> buf.copyFrom(saved.get(name)));
        }
    }
}
