package org.iboot4j.bench;

/**
 * What is timed on a shape of the table. The labels are the first column of the comparison
 * table and must match {@code OPS} in {@code bench/compare_torch.py}, which times PyTorch's
 * counterpart of each.
 */
public enum Op {
    /** {@code Tensor.matmul} (torch.mm), the output allocated by the op. */
    MATMUL("gemm", "matmul", 0.7),
    /** The raw {@code Sgemm.sgemm} into a preallocated C (torch.mm with out=). */
    SGEMM("gemm", "sgemm", 0.7),
    /** {@code Functional.conv3d} without bias (F.conv3d). */
    CONV3D_FORWARD("conv3d", "conv3d fwd", 0.6),
    /** The backend's {@code conv3dBackwardData} (autograd.grad with respect to the input only). */
    CONV3D_BACKWARD_DATA("conv3d", "conv3d bwd-data", 0.6),
    /** The backend's {@code conv3dBackwardFilter} (autograd.grad with respect to the weight only). */
    CONV3D_BACKWARD_FILTER("conv3d", "conv3d bwd-filter", 0.6),
    /** Training-mode {@code Functional.batchNorm} with weight and bias, then backward to all three. */
    BATCH_NORM_TRAIN("batchnorm", "batch_norm train fwd+bwd", Double.NaN),
    /** {@code Functional.maxPool3d} forward. */
    MAX_POOL_FORWARD("maxpool", "max_pool3d fwd", Double.NaN),
    /** {@code Functional.maxPool3d} forward, then backward to the input. */
    MAX_POOL_FORWARD_BACKWARD("maxpool", "max_pool3d fwd+bwd", Double.NaN),
    /** A whole network's forward in eval mode without autograd (model(x) under torch.no_grad()). */
    MODEL_FORWARD("model", "model forward", Double.NaN);

    /** The shape-table kind this op runs on. */
    public final String kind;
    /** The label in tables and in compare_torch.py's output. */
    public final String label;
    /** The speed we aim for relative to PyTorch (torch time / our time), NaN when none is set. */
    public final double target;

    Op(String kind, String label, double target) {
        this.kind = kind;
        this.label = label;
        this.target = target;
    }

    public boolean hasTarget() {
        return !Double.isNaN(target);
    }

    public static Op byLabel(String label) {
        for (Op op : values()) {
            if (op.label.equals(label)) return op;
        }
        throw new IllegalArgumentException("unknown op '" + label + "'");
    }
}
