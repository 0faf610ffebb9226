package org.iboot4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.junit.jupiter.api.Test;

class BackendsTest {
    @Test
    void theCpuBackendIsFoundThroughServiceLoaderAndIsTheDefaultHere() {
        Backend cpu = Backends.byName("cpu");
        assertNull(cpu.unavailableReason());
        assertTrue(Backends.all().contains(cpu));
        assertEquals("cpu", Backends.current().name());
        assertEquals(cpu, Tensor.zeros(2).backend());
    }

    @Test
    void anUnknownBackendNameIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.byName("tpu"));
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("cpu"), e.getMessage());
    }
}
