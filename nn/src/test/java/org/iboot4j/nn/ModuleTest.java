package org.iboot4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.layers.Activation;
import org.iboot4j.nn.layers.BatchNorm;
import org.iboot4j.nn.layers.Dropout;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.layers.Mlp;
import org.iboot4j.nn.layers.Sequential;
import org.junit.jupiter.api.Test;

class ModuleTest {
    private static Sequential model() {
        Rng rng = new Rng(3);
        return new Sequential(new Linear(4, 8, true, rng), Activation.relu(),
                BatchNorm.bn1d(8, 1e-5f, 0.1f), new Dropout(0.5f, rng), new Mlp(8, 16, Activation.gelu(), rng));
    }

    @Test
    void stateDictNamesFollowPyTorchOrderAndNesting() {
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var",
                "2.num_batches_tracked", "4.fc1.weight", "4.fc1.bias", "4.fc2.weight", "4.fc2.bias"),
                List.copyOf(model().stateDict().keySet()));
        assertEquals(4 * 8 + 8 + 8 + 8 + 8 * 16 + 16 + 16 * 8 + 8, model().parameterCount());
        assertEquals(List.of("2.running_mean", "2.running_var", "2.num_batches_tracked"),
                List.copyOf(model().namedBuffers().keySet()));
    }

    @Test
    void loadStateDictCopiesInPlaceAndRoundTrips() {
        Sequential a = model(), b = model();
        Tensor weightBefore = b.namedParameters().get("0.weight");
        Map<String, Tensor> state = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> state.put(k, v.dtype() == DType.F32 ? v.add(1) : v));
        state.put("2.num_batches_tracked", Tensor.ofLongs(new long[] {7}));
        b.loadStateDict(state);
        assertTrue(weightBefore == b.namedParameters().get("0.weight"), "parameters keep their identity");
        assertTrue(weightBefore.requiresGrad());
        assertArrayEquals(state.get("4.fc2.weight").toFloatArray(), b.stateDict().get("4.fc2.weight").toFloatArray());
        assertArrayEquals(new long[] {7}, b.stateDict().get("2.num_batches_tracked").toLongArray());
    }

    @Test
    void strictLoadingListsEveryProblemInOneErrorAndChangesNothing() {
        Sequential m = model();
        float[] before = m.stateDict().get("0.bias").toFloatArray();
        Map<String, Tensor> state = new LinkedHashMap<>(model().stateDict());
        state.remove("4.fc1.bias");
        state.remove("2.running_var");
        state.put("head.weight", Tensor.zeros(2, 2));
        state.put("0.weight", Tensor.zeros(8, 5));
        state.put("0.bias", Tensor.full(9f, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(state));
        String msg = e.getMessage();
        for (String expected : new String[] {"missing keys (2)", "4.fc1.bias", "2.running_var",
            "unexpected keys (1)", "head.weight", "shape mismatches (1)", "0.weight: checkpoint [8, 5], model [8, 4]"}) {
            assertTrue(msg.contains(expected), "'" + expected + "' in: " + msg);
        }
        assertArrayEquals(before, m.stateDict().get("0.bias").toFloatArray(), "a failed load changes nothing");
        state.put("0.weight", Tensor.zeros(8, 4));
        m.loadStateDict(state, false); // non-strict: missing/unexpected ignored
        assertArrayEquals(Tensor.full(9f, 8).toFloatArray(), m.stateDict().get("0.bias").toFloatArray());
    }

    @Test
    void freezingStopsGradientsAndModesPropagate() {
        Sequential m = model();
        m.eval();
        assertFalse(m.isTraining());
        m.children().values().forEach(c -> assertFalse(c.isTraining()));
        m.train(true);
        Tensor x = Tensor.randn(new Rng(1), 0, 1, 6, 4);
        m.children().get("0").requiresGrad(false);
        m.forward(x).sum().backward();
        assertNull(m.namedParameters().get("0.weight").grad());
        assertNotNull(m.namedParameters().get("4.fc2.weight").grad());
        m.zeroGrad();
        assertNull(m.namedParameters().get("4.fc2.weight").grad());
    }

    @Test
    void entryNamesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Module() {
            {
                registerParameter("a.b", Tensor.zeros(1));
            }

            @Override
            public Tensor forward(Tensor input) {
                return input;
            }
        });
    }
}
