package org.iboot4j.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;

/**
 * AdamW (Loshchilov and Hutter; torch.optim.AdamW's arithmetic) for the demo teacher, which is
 * an image model trained from scratch in a few minutes (the {@code nn} optimisers are the SGD and
 * LARS of the paper's recipes). Written with tensor ops, so it runs on any backend; small models
 * only (it allocates a few temporaries per parameter and step).
 *
 * <pre>
 *   p <- p - lr * wd * p                         (decoupled weight decay; not for 1-d params)
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
final class AdamW {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final float beta1, beta2, eps, weightDecay;
    private float lr;
    private int t;

    AdamW(Map<String, Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        params.forEach((k, p) -> {
            m.put(k, Tensor.zeros(p.shape()));
            v.put(k, Tensor.zeros(p.shape()));
        });
    }

    void setLr(float lr) {
        this.lr = lr;
    }

    void zeroGrad() {
        params.values().forEach(Tensor::zeroGrad);
    }

    void step() {
        t++;
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        try (var ignored = GradMode.disable()) {
            params.forEach((k, p) -> {
                Tensor g = p.grad();
                if (g == null) return;
                Tensor mk = m.get(k).mul(beta1).add(g.mul(1 - beta1));
                Tensor vk = v.get(k).mul(beta2).add(g.mul(g).mul(1 - beta2));
                m.get(k).copyFrom(mk);
                v.get(k).copyFrom(vk);
                Tensor update = mk.div(c1).div(vk.div(c2).sqrt().add(eps)).mul(lr);
                Tensor next = p.dim() > 1 && weightDecay > 0 ? p.mul(1 - lr * weightDecay).sub(update) : p.sub(update);
                p.copyFrom(next);
            });
        }
    }
}
