package org.iboot4j.engine;

/**
 * Element types a tensor can hold. Arithmetic is float32; int64 tensors carry indices and class
 * labels (as PyTorch's {@code torch.long}), bool tensors carry masks. Checkpoint formats (f16,
 * bf16) are converted to float32 on load by {@link FloatFormats}.
 */
public enum DType {
    F32("float32"),
    I64("int64"),
    BOOL("bool");

    private final String torchName;

    DType(String torchName) {
        this.torchName = torchName;
    }

    @Override
    public String toString() {
        return torchName;
    }
}
