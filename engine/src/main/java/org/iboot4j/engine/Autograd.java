package org.iboot4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation over the graph of {@link Node}s.
 *
 * <p>{@link #record} is called by every differentiable op after its forward pass. When grad mode
 * is on and some input requires a gradient, the output gets a node holding the op's backward
 * function; otherwise nothing is kept, so inference builds no graph at all.
 *
 * <p>{@link #backward} orders the graph topologically (depth-first from the root), then walks it
 * from the root to the leaves: each node turns the summed gradient of its output into gradients
 * of its inputs. A gradient computed in a broadcast shape is summed back to its input's shape
 * here, once, so ops need not each do it. Leaves accumulate into {@link Tensor#grad()}. The walk
 * runs with grad mode off (no graph of the backward pass), and frees every node it visited
 * unless asked to retain the graph.
 */
final class Autograd {
    private Autograd() {}

    static Tensor record(String op, Tensor out, Node.Backward backward, Tensor... inputs) {
        if (!GradMode.isEnabled()) return out;
        for (Tensor in : inputs) {
            if (in != null && in.requiresGrad()) {
                out.attach(new Node(op, inputs, backward));
                return out;
            }
        }
        return out;
    }

    static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor " + Shapes.str(root.shape())
                    + " does not require grad and has no graph (was it computed under no-grad,"
                    + " or from tensors without requiresGrad?)");
        }
        if (gradRoot == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: the gradient can be implied only for"
                        + " a scalar output, but the output has shape " + Shapes.str(root.shape())
                        + "; pass a gradient of that shape");
            }
            gradRoot = Tensor.onesLike(root);
        } else if (!java.util.Arrays.equals(gradRoot.shape(), root.shape())) {
            throw new IllegalArgumentException("backward: the gradient has shape "
                    + Shapes.str(gradRoot.shape()) + " but the output has shape "
                    + Shapes.str(root.shape()));
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, gradRoot);
        try (var ignored = GradMode.disable()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) continue;
                Node node = t.node();
                if (node == null) {
                    t.accumulateGrad(g);
                    continue;
                }
                Tensor[] inputs = node.inputs();
                Tensor[] inGrads = node.gradients(g);
                for (int k = 0; k < inputs.length; k++) {
                    Tensor in = inputs[k];
                    if (in == null || !in.requiresGrad() || inGrads[k] == null) continue;
                    Tensor gk = sumToShape(node.op, inGrads[k], in.shape());
                    grads.merge(in, gk, Tensor::add);
                }
            }
        }
        if (!retainGraph) {
            for (Tensor t : order) if (t.node() != null) t.node().free();
        }
    }

    /** Tensors reachable from root through nodes, each after all of its inputs. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Tensor> stack = new ArrayDeque<>();
        Deque<Integer> nextInput = new ArrayDeque<>();
        stack.push(root);
        nextInput.push(0);
        seen.add(root);
        while (!stack.isEmpty()) {
            Tensor t = stack.peek();
            int k = nextInput.pop();
            Tensor[] inputs = t.node() == null ? new Tensor[0] : t.node().inputs();
            while (k < inputs.length && (inputs[k] == null || !inputs[k].requiresGrad()
                    || seen.contains(inputs[k]))) {
                k++;
            }
            if (k == inputs.length) {
                stack.pop();
                order.add(t);
            } else {
                nextInput.push(k + 1);
                seen.add(inputs[k]);
                stack.push(inputs[k]);
                nextInput.push(0);
            }
        }
        return order;
    }

    /**
     * Sums a gradient computed in a broadcast shape back to the shape of the input it belongs to:
     * over the extra leading dimensions and over every dimension where the input has size 1.
     */
    static Tensor sumToShape(String op, Tensor grad, int[] shape) {
        int[] gs = grad.shape();
        if (java.util.Arrays.equals(gs, shape)) return grad;
        int lead = gs.length - shape.length;
        if (lead < 0) throw badGradient(op, gs, shape);
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < gs.length; d++) {
            if (d < lead) dims.add(d);
            else if (shape[d - lead] == 1 && gs[d] != 1) dims.add(d);
            else if (shape[d - lead] != gs[d]) throw badGradient(op, gs, shape);
        }
        int[] reduce = dims.stream().mapToInt(Integer::intValue).toArray();
        return grad.sum(reduce, true).reshape(shape);
    }

    private static IllegalStateException badGradient(String op, int[] grad, int[] input) {
        return new IllegalStateException(op + ": backward produced a gradient of shape "
                + Shapes.str(grad) + " for an input of shape " + Shapes.str(input));
    }
}
