package org.iboot4j.cli;

import jdk.incubator.vector.FloatVector;
import org.iboot4j.engine.backend.Backend;
import org.iboot4j.engine.backend.Backends;
import org.iboot4j.engine.cpu.Parallel;
import picocli.CommandLine.Command;

/** {@code iboot info}: what this machine offers the engine. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the Java runtime, the backends found (and why any is unavailable),"
                + " GPU devices with driver/cuBLAS/cuDNN versions, CPU threads and vector width.")
final class InfoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("java      " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu       " + Parallel.threads() + " threads, vectors of "
                + FloatVector.SPECIES_PREFERRED.length() + " floats");
        for (Backend b : Backends.all()) {
            String why = b.unavailableReason();
            System.out.println("backend   " + b.name() + (why == null ? " (available)" : " (unavailable: " + why + ")")
                    + (b == Backends.current() ? " [default]" : ""));
            // A GPU backend describes its device in toString(): name, compute capability, memory,
            // driver / cuBLAS / cuDNN versions (see CudaBackend).
            if (why == null && !b.name().equals("cpu")) System.out.println("device    " + b);
        }
    }
}
