package org.iboot4j.engine;

/**
 * One recorded op application in the autograd graph: the op's name, its inputs and the function
 * that maps the gradient of its output to the gradients of its inputs. A tensor produced by a
 * differentiable op points to its node; leaves (parameters, data) have none.
 */
final class Node {
    /** Maps dL/d(output) to dL/d(input i) for each input (null where none is needed). */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput, boolean[] needed);
    }

    final String op;
    private Tensor[] inputs;
    private Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    Tensor[] inputs() {
        if (inputs == null) {
            throw new IllegalStateException(op + ": the graph was freed by an earlier backward();"
                    + " pass retainGraph=true to backward() to go through it twice");
        }
        return inputs;
    }

    Tensor[] gradients(Tensor gradOutput) {
        Tensor[] in = inputs();
        boolean[] needed = new boolean[in.length];
        for (int i = 0; i < in.length; i++) needed[i] = in[i] != null && in[i].requiresGrad();
        return backward.apply(gradOutput, needed);
    }

    /** Drops the inputs and the tensors the backward function saved, so the GC can take them. */
    void free() {
        inputs = null;
        backward = null;
    }
}
