package org.iboot4j.kernels.ptx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The PTX modules of the GPU backend: one family of kernels per module. All but one are
 * hand-written {@code .ptx} resources under {@code kernels/src/main/resources/ptx/}; the
 * elementwise family (dozens of near-identical kernels) is emitted by the small template
 * {@link ElementwisePtx} when the backend starts.
 *
 * <p>Every module declares {@code .version 8.0} (CUDA 12.0) and {@code .target sm_80}: the driver
 * JIT compiles the PTX for the GPU actually present (sm_80, sm_90, ...), so one text serves
 * Ampere and Hopper. The test suite assembles each module with {@code ptxas} for sm_80 and sm_90.
 */
public enum PtxModule {
    /** Unary/binary/comparison/where/copy/fill over strided, broadcast operands (generated). */
    ELEMENTWISE(null),
    /** A linear layer's bias and its activation, fused: forward, backward, bias column sums. */
    BIAS_ACT("ptx/bias_act.ptx"),
    /** Sum / max / min over a strided reduced range per output. */
    REDUCE("ptx/reduce.ptx"),
    /** Row softmax and log-softmax, forward and backward. */
    SOFTMAX("ptx/softmax.ptx"),
    /** Row layer-norm forward, backward, and the weight/bias column reduction. */
    LAYER_NORM("ptx/layer_norm.ptx"),
    /** index_select, index_add, gather, scatter_add. */
    INDEXING("ptx/indexing.ptx"),
    /** Adaptive average pooling over (N, C, T, H, W), forward and backward. */
    POOLING("ptx/adaptive_avg_pool.ptx"),
    /** The fused SGD / LARS parameter update. */
    SGD_STEP("ptx/sgd_step.ptx"),
    /** The fused iBoot / BYOL cosine loss and its gradient. */
    COSINE_LOSS("ptx/cosine_loss.ptx"),
    /** The fused clip augmentation and the separable Gaussian blur. */
    AUGMENT("ptx/augment.ptx");

    private final String resource;

    PtxModule(String resource) {
        this.resource = resource;
    }

    /** The classpath resource holding this module's PTX, or null for a generated module. */
    public String resource() {
        return resource;
    }

    /** Whether the text comes from a Java template rather than a hand-written file. */
    public boolean generated() {
        return resource == null;
    }

    /** The PTX text, ready for {@code cuModuleLoadData} (append a NUL byte for the driver). */
    public String source() {
        if (resource == null) return ElementwisePtx.source();
        try (InputStream in = PtxModule.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("PTX resource " + resource + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read PTX resource " + resource, e);
        }
    }
}
