package org.iboot4j.nn.layers;

import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.nn.Module;

/** Modules applied one after another, named "0", "1", ... as torch.nn.Sequential. */
public final class Sequential extends Module {
    private final Module[] steps;

    public Sequential(Module... steps) {
        this.steps = steps.clone();
        for (int i = 0; i < steps.length; i++) registerModule(Integer.toString(i), steps[i]);
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : steps) x = TensorScope.releasingTemporaries(x, m::forward);
        return x;
    }
}
