package org.iboot4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * conv3d per Slow-R50 layer shape at batch 2, each at 8x56x56 and 8x28x28 inputs:
 * {@code Functional.conv3d} forward, and the backend's backward-data and backward-filter
 * primitives timed separately (each allocating its zero-filled output, as autograd does).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class Conv3dBenchmark {

    /** A conv3d case id of shapes.txt: layer@input-size. */
    @Param({
            "stem@8x56x56",
            "stem@8x28x28",
            "res2.conv_a.0@8x56x56",
            "res2.conv_a.0@8x28x28",
            "res2.conv_a@8x56x56",
            "res2.conv_a@8x28x28",
            "res2.conv_b@8x56x56",
            "res2.conv_b@8x28x28",
            "res2.conv_c@8x56x56",
            "res2.conv_c@8x28x28",
            "res3.conv_a@8x56x56",
            "res3.conv_a@8x28x28",
            "res3.conv_b@8x56x56",
            "res3.conv_b@8x28x28",
            "res3.conv_c@8x56x56",
            "res3.conv_c@8x28x28",
            "res3.branch1@8x56x56",
            "res3.branch1@8x28x28",
            "res4.conv_a@8x56x56",
            "res4.conv_a@8x28x28",
            "res4.conv_b@8x56x56",
            "res4.conv_b@8x28x28",
            "res4.conv_c@8x56x56",
            "res4.conv_c@8x28x28",
            "res5.conv_a@8x56x56",
            "res5.conv_a@8x28x28",
            "res5.conv_b@8x56x56",
            "res5.conv_b@8x28x28",
            "res5.conv_c@8x56x56",
            "res5.conv_c@8x28x28"
    })
    public String conv;

    private Workload workload;

    @Setup
    public void setUp(BenchmarkParams params) {
        workload = BenchmarkState.workload(params, "conv3d", conv,
                Op.CONV3D_FORWARD, Op.CONV3D_BACKWARD_DATA, Op.CONV3D_BACKWARD_FILTER);
    }

    @Benchmark
    public Object forward() {
        return workload.runInScope();
    }

    @Benchmark
    public Object backwardData() {
        return workload.runInScope();
    }

    @Benchmark
    public Object backwardFilter() {
        return workload.runInScope();
    }
}
