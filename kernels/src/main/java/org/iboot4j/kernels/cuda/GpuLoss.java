package org.iboot4j.kernels.cuda;

import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * The fused iBoot / BYOL cosine loss ({@code cosine_loss.ptx}): one block per row computes
 * <q, k>, |q|, |k>, the row's loss and its gradient with respect to k in one pass; the last
 * block to finish sums the per-row losses in row order (so the mean is deterministic). The
 * workspace (a ticket counter and one double per row) is allocated once, grown when a batch has
 * more rows, and left zeroed by every launch.
 */
final class GpuLoss {
    private final Gpu gpu;
    private DeviceBuffer workspace;

    GpuLoss(Gpu gpu) {
        this.gpu = gpu;
    }

    private synchronized long workspace(int rows) {
        long bytes = PtxStructs.cosineWorkspaceBytes(rows);
        if (workspace == null || workspace.bytes() < bytes) {
            if (workspace != null) workspace.close();
            workspace = gpu.context.allocator().allocate(bytes, false);
            gpu.context.memset8(workspace.address(), (byte) 0, bytes);
        }
        return workspace.address();
    }

    void cosineLoss(Tensor q, Tensor k, Tensor loss, Tensor gradK) {
        int width = q.dim() == 0 ? 1 : q.shape()[q.dim() - 1];
        int rows = q.numel() / Math.max(1, width);
        if (rows == 0) {
            gpu.elementwise.fill(loss, Double.NaN); // the mean of nothing, as torch.mean of an empty tensor
            return;
        }
        Tensor qc = gpu.contiguousF32(q), kc = gpu.contiguousF32(k);
        Tensor l = loss.dtype() == DType.F32 ? loss : gpu.temp(DType.F32);
        Tensor gk = gradK.isContiguous() && gradK.dtype() == DType.F32 ? gradK : gpu.temp(DType.F32, gradK.shape());
        gpu.launch(Kernels.args("cosine_loss").ptr(gpu.ptr(l)).ptr(gpu.ptr(gk)).ptr(gpu.ptr(qc)).ptr(gpu.ptr(kc))
                .ptr(workspace(rows)).s32(rows).s32(width), LaunchShape.of(Math.min(rows, 65535), 1, 256, 1));
        if (l != loss) gpu.elementwise.copy(l, loss);
        if (gk != gradK) gpu.elementwise.copy(gk, gradK);
    }
}
