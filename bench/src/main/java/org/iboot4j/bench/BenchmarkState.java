package org.iboot4j.bench;

import org.openjdk.jmh.infra.BenchmarkParams;

/** Shared by the JMH benchmarks: finds the workload of the running benchmark method. */
final class BenchmarkState {
    private BenchmarkState() {}

    /**
     * The workload for case {@code id} of {@code kind}; the op is chosen by the name of the
     * benchmark method being run ({@code params.getBenchmark()} ends in ".methodName").
     */
    static Workload workload(BenchmarkParams params, String kind, String id, Op... byMethod) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        for (Op op : byMethod) {
            if (methodName(op).equals(method)) return Workload.of(op, ShapeTable.load().get(kind, id));
        }
        throw new IllegalStateException("no op for benchmark method " + method);
    }

    /** The benchmark method that times {@code op}. */
    static String methodName(Op op) {
        return switch (op) {
            case MATMUL -> "matmul";
            case SGEMM -> "sgemm";
            case CONV3D_FORWARD -> "forward";
            case CONV3D_BACKWARD_DATA -> "backwardData";
            case CONV3D_BACKWARD_FILTER -> "backwardFilter";
            case BATCH_NORM_TRAIN -> "trainForwardBackward";
            case MAX_POOL_FORWARD -> "forward";
            case MAX_POOL_FORWARD_BACKWARD -> "forwardBackward";
            case MODEL_FORWARD -> "forward";
        };
    }
}
