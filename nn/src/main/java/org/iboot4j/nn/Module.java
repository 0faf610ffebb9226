package org.iboot4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;

/**
 * A neural-network building block, as torch.nn.Module: it owns named parameters (tensors that
 * require a gradient), named buffers (state without gradient, such as batch-norm's running
 * statistics) and named child modules, and maps an input tensor to an output in
 * {@link #forward}.
 *
 * <p>Names compose with dots ("blocks.1.conv.weight"), in registration order, so a state dict
 * lines up one-to-one with the PyTorch checkpoint of the same architecture. Parameters and
 * buffers keep their identity for the module's lifetime: loading a state dict or an optimiser
 * step overwrites their values in place ({@link Tensor#copyFrom}).
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The module's computation. */
    public abstract Tensor forward(Tensor input);

    // ---- registration (called from subclass constructors) ---------------------------------

    /** Registers a parameter: the tensor is made to require a gradient. Returns it. */
    protected final Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        parameters.put(name, value.requiresGrad(true));
        return value;
    }

    /** Registers a buffer (state saved with the module, never trained). Returns it. */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /** Registers a child module under {@code name}. Returns it. */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module entry names must be non-empty and dot-free, got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " already has an entry named '" + name + "'");
        }
    }

    // ---- traversal ---------------------------------------------------------------------------

    /** Direct children, in registration order. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of this module and its descendants, by dotted name. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> m.parameters.forEach((n, t) -> out.put(prefix + n, t)));
        return out;
    }

    /** Every buffer of this module and its descendants, by dotted name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> m.buffers.forEach((n, t) -> out.put(prefix + n, t)));
        return out;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Calls {@code action(prefix, module)} on this module and every descendant, depth first. */
    private void visit(String prefix, BiConsumer<String, Module> action) {
        action.accept(prefix, this);
        children.forEach((n, c) -> c.visit(prefix + n + ".", action));
    }

    /** The number of scalar parameters (trainable or frozen). */
    public long parameterCount() {
        return namedParameters().values().stream().mapToLong(Tensor::numel).sum();
    }

    // ---- modes and freezing --------------------------------------------------------------------

    /** Training mode (batch statistics, dropout on) for this module and its descendants. */
    public Module train(boolean on) {
        visit("", (p, m) -> m.training = on);
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Freezes ({@code false}) or unfreezes every parameter: frozen ones get no gradient. */
    public Module requiresGrad(boolean on) {
        namedParameters().values().forEach(t -> t.requiresGrad(on));
        return this;
    }

    /** Clears the accumulated gradient of every parameter. */
    public void zeroGrad() {
        namedParameters().values().forEach(Tensor::zeroGrad);
    }

    // ---- state dicts -----------------------------------------------------------------------

    /** Parameters then buffers of every module, by dotted name (the tensors themselves). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> {
            m.parameters.forEach((n, t) -> out.put(prefix + n, t));
            m.buffers.forEach((n, t) -> out.put(prefix + n, t));
        });
        return out;
    }

    /** Loads every entry strictly: see {@link #loadStateDict(Map, boolean)}. */
    public void loadStateDict(Map<String, Tensor> state) {
        loadStateDict(state, true);
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers in place.
     * Strict: every key must match and every shape agree; otherwise one exception lists all
     * missing keys, unexpected keys and shape mismatches, and nothing is changed. Non-strict:
     * missing and unexpected keys are ignored, shape mismatches are still errors.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misShaped = new ArrayList<>();
        own.forEach((name, t) -> {
            Tensor v = state.get(name);
            if (v == null) missing.add(name);
            else if (!Arrays.equals(v.shape(), t.shape())) {
                misShaped.add(name + ": checkpoint " + Arrays.toString(v.shape()) + ", model " + Arrays.toString(t.shape()));
            }
        });
        state.keySet().stream().filter(k -> !own.containsKey(k)).forEach(unexpected::add);
        if (!misShaped.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            StringBuilder msg = new StringBuilder("loadStateDict into " + getClass().getSimpleName() + " failed:");
            if (!missing.isEmpty()) msg.append("\n  missing keys (").append(missing.size()).append("): ").append(missing);
            if (!unexpected.isEmpty()) msg.append("\n  unexpected keys (").append(unexpected.size()).append("): ").append(unexpected);
            if (!misShaped.isEmpty()) msg.append("\n  shape mismatches (").append(misShaped.size()).append("): ").append(misShaped);
            throw new IllegalArgumentException(msg.toString());
        }
        try (var ignored = GradMode.disable()) {
            own.forEach((name, t) -> {
                Tensor v = state.get(name);
                if (v != null) t.copyFrom(v);
            });
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + parameterCount() + " parameters)";
    }
}
