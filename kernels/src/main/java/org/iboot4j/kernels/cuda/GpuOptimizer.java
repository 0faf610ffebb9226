package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.SgdStep;
import org.iboot4j.kernels.ptx.KernelCatalogue;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * The fused SGD / LARS step ({@code sgd_step.ptx}). Plain SGD is one pass
 * ({@code sgd_step} with coeff = 0). LARS first runs {@code sgd_step_norms}, whose blocks sum
 * ||w||^2 and ||g||^2 into a workspace and whose last block writes the step's (decay, scale);
 * {@code sgd_step} then reads them from the device, so the trust ratio never travels to the
 * host. The workspace is allocated once, zeroed, and left zeroed by every launch; all launches
 * are on one stream, so parameters can share it.
 */
final class GpuOptimizer {
    private final Gpu gpu;
    private DeviceBuffer workspace;

    GpuOptimizer(Gpu gpu) {
        this.gpu = gpu;
    }

    private synchronized long workspace() {
        if (workspace == null) {
            long bytes = PtxStructs.sgdWorkspaceBytes(KernelCatalogue.SGD_NORMS_MAX_GRID);
            workspace = gpu.context.allocator().allocate(bytes, false);
            gpu.context.memset8(workspace.address(), (byte) 0, bytes);
        }
        return workspace.address();
    }

    /** Blocks of sgd_step_norms for {@code n} elements: one per 2048, at most the kernel's limit. */
    static int normBlocks(long n) {
        return (int) Math.max(1, Math.min((n + 2047) / 2048, KernelCatalogue.SGD_NORMS_MAX_GRID));
    }

    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, SgdStep s) {
        int n = param.numel();
        if (n == 0) return;
        if (!param.isContiguous() || !momentumBuffer.isContiguous()) {
            throw new IllegalArgumentException("sgd step: the parameter and its momentum buffer must be contiguous");
        }
        Tensor g = gpu.contiguousF32(grad);
        long coeff = 0;
        if (s.trustCoefficient() > 0) {
            long ws = workspace();
            gpu.launch(Kernels.args("sgd_step_norms").ptr(ws).ptr(gpu.ptr(param)).ptr(gpu.ptr(g)).s32(n)
                    .f32(s.weightDecay()).f32(s.trustCoefficient()).f32(s.eps()),
                    LaunchShape.of(normBlocks(n), 1, 256, 1));
            coeff = ws + PtxStructs.SGD_COEFF_OFFSET;
        }
        gpu.launch(Kernels.args("sgd_step").ptr(gpu.ptr(param)).ptr(gpu.ptr(g)).ptr(gpu.ptr(momentumBuffer)).ptr(coeff)
                .s32(n).f32(s.lr()).f32(s.momentum()).f32(s.weightDecay()).s32(s.nesterov() ? 1 : 0),
                Gpu.elementwiseShape(n));
    }
}
