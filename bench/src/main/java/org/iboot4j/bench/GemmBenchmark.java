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
 * GEMM: {@code Tensor.matmul} (output allocated per call) and the raw {@code Sgemm.sgemm} (into a
 * preallocated C) on 2048x2048x2048 and ViT-B/16's products (M x K x N; see shapes.txt).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class GemmBenchmark {

    /** A gemm case id of shapes.txt. */
    @Param({
            "square-2048",
            "vit-qkv",
            "vit-fc1",
            "vit-fc2"
    })
    public String gemm;

    private Workload workload;

    @Setup
    public void setUp(BenchmarkParams params) {
        workload = BenchmarkState.workload(params, "gemm", gemm, Op.MATMUL, Op.SGEMM);
    }

    @Benchmark
    public Object matmul() {
        return workload.runInScope();
    }

    @Benchmark
    public Object sgemm() {
        return workload.runInScope();
    }
}
