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

/** Whole networks (ViT-B/16, Slow-R50) forward in eval mode without autograd. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@State(Scope.Benchmark)
public class ModelBenchmark {

    /** A model case id of shapes.txt. */
    @Param({
            "vit-b16-dino.n1@1x224x224",
            "vit-b16-dino.n8@1x224x224",
            "vit-b16-clip.n1@1x224x224",
            "slow-r50.n1@8x224x224",
            "slow-r50.n2@8x224x224"
    })
    public String model;

    private Workload workload;

    @Setup
    public void setUp(BenchmarkParams params) {
        workload = BenchmarkState.workload(params, "model", model, Op.MODEL_FORWARD);
    }

    @Benchmark
    public Object forward() {
        return workload.runInScope();
    }
}
