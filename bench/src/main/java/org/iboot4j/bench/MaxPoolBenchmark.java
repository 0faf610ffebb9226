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

/** Max-pool 1x3x3 / stride (1,2,2) / padding (0,1,1): forward, and forward then backward. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class MaxPoolBenchmark {

    /** A maxpool case id of shapes.txt. */
    @Param({
            "stem.pool@8x112x112",
            "stem.pool@8x56x56"
    })
    public String pool;

    private Workload workload;

    @Setup
    public void setUp(BenchmarkParams params) {
        workload = BenchmarkState.workload(params, "maxpool", pool, Op.MAX_POOL_FORWARD, Op.MAX_POOL_FORWARD_BACKWARD);
    }

    @Benchmark
    public Object forward() {
        return workload.runInScope();
    }

    @Benchmark
    public Object forwardBackward() {
        return workload.runInScope();
    }
}
