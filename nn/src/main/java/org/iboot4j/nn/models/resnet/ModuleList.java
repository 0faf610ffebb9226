package org.iboot4j.nn.models.resnet;

import java.util.List;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;

/**
 * torch.nn.ModuleList: children named "0", "1", ... that the owner calls itself (it has no
 * forward of its own).
 */
final class ModuleList<M extends Module> extends Module {
    private final List<M> items;

    ModuleList(List<M> items) {
        this.items = List.copyOf(items);
        for (int i = 0; i < items.size(); i++) registerModule(Integer.toString(i), items.get(i));
    }

    M get(int i) {
        return items.get(i);
    }

    int size() {
        return items.size();
    }

    List<M> items() {
        return items;
    }

    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("a ModuleList has no forward; its owner calls the items");
    }
}
