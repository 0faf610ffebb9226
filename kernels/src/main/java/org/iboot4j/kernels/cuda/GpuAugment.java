package org.iboot4j.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.TensorScope;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * The fused clip augmentation on the GPU, {@link CudaBackend#augmentClips} ({@code augment.ptx};
 * CPU twin {@link org.iboot4j.engine.cpu.CpuAugment}): uint8 frames on the host in, a normalised
 * float32 (N, 3, T, outH, outW) tensor on the device out.
 *
 * <p>Steps: the frames (all clips back to back, clip n's (T, H, W, 3) at the running offset)
 * and the N 104-byte parameter records are uploaded; if some clip's jitter contains contrast,
 * {@code augment_clip} pass 0 writes each frame's mean luma; pass 1 writes the output; if some
 * clip is blurred, {@code blur_h} and {@code blur_v} blur (and then normalise) those clips in
 * place through a scratch clip. Grids: (T, N) blocks of 256 for augment_clip, (3 T, N) for the
 * blur. Cost: one host-to-device copy of the frames, one read of them (two with contrast), one
 * write of the output, two more reads and writes of the blurred clips.
 *
 * <p>The caller allocates the output tensor; the uploads and scratch buffers go back to the
 * allocator's cache when {@link #apply} returns (stream order keeps that safe: later work on the
 * stream that reuses them runs after these kernels). The host frames are copied (through the
 * pinned staging buffer) before {@link #upload} returns, so the caller may reuse them at once.
 */
public final class GpuAugment {
    private GpuAugment() {}

    /**
     * Augments N = {@code clips.size()} clips whose uint8 frames lie back to back in
     * {@code frames} (heap or native memory) into {@code out}, a float32 (N, 3, T, outH, outW)
     * tensor on {@code backend}'s device.
     */
    public static void apply(CudaBackend backend, MemorySegment frames, List<AugmentClip> clips, Tensor out) {
        try (Uploaded u = upload(backend, frames, clips, out.size(2), out.size(3), out.size(4))) {
            u.run(out);
        }
    }

    /**
     * The first half of {@link #apply}: the frames and the parameter records copied to the
     * device, ready to be augmented (any number of times: the benchmark times {@link Uploaded#run}
     * alone). Close it to give the device copies back (the caller's open {@link TensorScope}, if
     * any, also releases them when it closes).
     */
    public static Uploaded upload(CudaBackend backend, MemorySegment frames, List<AugmentClip> clips, int frameCount,
            int outH, int outW) {
        long[] offsets = AugmentClip.frameOffsets(clips, frameCount, outH, outW, frames.byteSize());
        Gpu gpu = backend.gpu();
        DeviceBuffer dFrames = upload(gpu, frames), dParams = upload(gpu, MemorySegment.ofArray(packParams(clips, offsets)));
        return new Uploaded(gpu, dFrames, dParams, clips.size(), frameCount, outH, outW,
                clips.stream().anyMatch(AugmentClip::hasContrast), clips.stream().anyMatch(AugmentClip::blurs));
    }

    /** A batch on the device; {@link #run} launches the kernels. */
    public record Uploaded(Gpu gpu, DeviceBuffer frames, DeviceBuffer params, int clips, int frameCount, int outH, int outW,
            boolean contrast, boolean blur) implements AutoCloseable {

        /**
         * Writes the batch to {@code out}, a contiguous float32 (N, 3, T, outH, outW) device tensor:
         * pass 0 if some clip has contrast, pass 1, the blur if some clip blurs.
         */
        public void run(Tensor out) {
            int n = clips;
            int[] shape = {n, 3, frameCount, outH, outW};
            if (!Arrays.equals(out.shape(), shape) || !out.isContiguous() || out.dtype() != DType.F32) {
                throw new IllegalArgumentException("augmentation output must be a contiguous float32 " + Arrays.toString(shape)
                        + " tensor, got " + out.dtype() + " " + Arrays.toString(out.shape()));
            }
            long o = gpu.ptr(out), f = frames.address(), p = params.address();
            try (TensorScope _ = TensorScope.open()) {
                long lumaMean = contrast ? gpu.context.allocator().allocate(4L * n * frameCount).address() : 0;
                LaunchShape frameGrid = LaunchShape.of(frameCount, n, 256, 1);
                if (contrast) gpu.launch(clipArgs(o, lumaMean, f, p, n, frameCount, outH, outW, 0), frameGrid);
                gpu.launch(clipArgs(o, lumaMean, f, p, n, frameCount, outH, outW, 1), frameGrid);
                if (blur) {
                    long tmp = gpu.context.allocator().allocate(4L * out.numel()).address();
                    LaunchShape planeGrid = LaunchShape.of(3 * frameCount, n, 256, 1);
                    gpu.launch(Kernels.args("blur_h").ptr(tmp).ptr(o).ptr(p).s32(n).s32(frameCount).s32(outH).s32(outW),
                            planeGrid);
                    gpu.launch(Kernels.args("blur_v").ptr(o).ptr(tmp).ptr(p).s32(n).s32(frameCount).s32(outH).s32(outW),
                            planeGrid);
                }
            }
        }

        @Override
        public void close() {
            frames.close();
            params.close();
        }
    }

    private static KernelArgs clipArgs(long out, long lumaMean, long frames, long params, int n, int frameCount,
            int outH, int outW, int pass) {
        return Kernels.args("augment_clip").ptr(out).ptr(lumaMean).ptr(frames).ptr(params).s32(n).s32(frameCount)
                .s32(outH).s32(outW).s32(pass);
    }

    /** The device array of {@code aug_params} records: clip n's fields and its frames' byte offset. */
    static byte[] packParams(List<AugmentClip> clips, long[] offsets) {
        ByteBuffer b = ByteBuffer.allocate(clips.size() * PtxStructs.AUGMENT_PARAMS_BYTES);
        for (int i = 0; i < clips.size(); i++) {
            AugmentClip c = clips.get(i);
            PtxStructs.augment(b, i * PtxStructs.AUGMENT_PARAMS_BYTES, offsets[i], c.sourceHeight(), c.sourceWidth(),
                    c.resizedHeight(), c.resizedWidth(), c.cropTop(), c.cropLeft(), c.flip(), c.grayscale(),
                    c.brightness(), c.contrast(), c.saturation(), c.hue(), c.jitterOrder(), c.blurSigma(), c.blurKernel(),
                    c.mean(), c.std());
        }
        return b.array();
    }

    /** A device copy of {@code bytes}, owned by the caller's {@link TensorScope} if one is open. */
    private static DeviceBuffer upload(Gpu gpu, MemorySegment bytes) {
        DeviceBuffer dst = gpu.context.allocator().allocate(bytes.byteSize());
        gpu.context.upload(dst.address(), bytes.byteSize(),
                (buf, offset, len) -> buf.put(bytes.asSlice(offset, len).asByteBuffer()));
        return dst;
    }
}
