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

/** Training-mode batch-norm (weight, bias, running statistics): forward, then backward to x, weight and bias. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class BatchNormBenchmark {

    /** A batchnorm case id of shapes.txt. */
    @Param({
            "stem.bn@8x112x112",
            "res2.bn_b@8x56x56",
            "res2.bn_c@8x56x56",
            "res3.bn_b@8x28x28",
            "res3.bn_c@8x28x28"
    })
    public String bn;

    private Workload workload;

    @Setup
    public void setUp(BenchmarkParams params) {
        workload = BenchmarkState.workload(params, "batchnorm", bn, Op.BATCH_NORM_TRAIN);
    }

    @Benchmark
    public Object trainForwardBackward() {
        return workload.runInScope();
    }
}
