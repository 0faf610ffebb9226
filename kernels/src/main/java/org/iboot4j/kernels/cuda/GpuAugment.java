package org.iboot4j.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import org.iboot4j.engine.DType;
import org.iboot4j.engine.Tensor;
import org.iboot4j.kernels.augment.AugmentClip;
import org.iboot4j.kernels.ptx.PtxStructs;

/**
 * The fused clip augmentation on the GPU ({@code augment.ptx}; CPU twin
 * {@link org.iboot4j.kernels.augment.CpuAugment}): uint8 frames on the host in, a normalised
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
 * <p>The output tensor is allocated outside any scope this opens; the uploads and scratch
 * buffers go back to the allocator's cache on return (stream order keeps that safe).
 */
public final class GpuAugment {
    private GpuAugment() {}

    /** As {@link #apply(CudaBackend, MemorySegment, List, int, int, int)} from a byte array. */
    public static Tensor apply(CudaBackend backend, byte[] frames, List<AugmentClip> clips, int frameCount, int outH, int outW) {
        return apply(backend, MemorySegment.ofArray(frames), clips, frameCount, outH, outW);
    }

    /**
     * Augments N = {@code clips.size()} clips of {@code frameCount} frames each, whose uint8
     * frames lie back to back in {@code frames} (heap or native memory), into a new float32
     * (N, 3, frameCount, outH, outW) tensor on {@code backend}'s device.
     */
    public static Tensor apply(CudaBackend backend, MemorySegment frames, List<AugmentClip> clips, int frameCount,
            int outH, int outW) {
        long[] offsets = AugmentClip.frameOffsets(clips, frameCount, outH, outW, frames.byteSize());
        byte[] params = packParams(clips, offsets);
        int n = clips.size();
        Gpu gpu = backend.gpu();
        Tensor out = gpu.temp(DType.F32, n, 3, frameCount, outH, outW);
        boolean contrast = clips.stream().anyMatch(AugmentClip::hasContrast);
        boolean blur = clips.stream().anyMatch(AugmentClip::blurs);
        try (MemoryScope _ = MemoryScope.open()) {
            long dFrames = upload(gpu, frames), dParams = upload(gpu, MemorySegment.ofArray(params));
            long lumaMean = contrast ? gpu.context.allocator().allocate(4L * n * frameCount).address() : 0;
            LaunchShape frameGrid = LaunchShape.of(frameCount, n, 256, 1);
            if (contrast) gpu.launch(clipArgs(gpu.ptr(out), lumaMean, dFrames, dParams, n, frameCount, outH, outW, 0), frameGrid);
            gpu.launch(clipArgs(gpu.ptr(out), lumaMean, dFrames, dParams, n, frameCount, outH, outW, 1), frameGrid);
            if (blur) {
                long tmp = gpu.context.allocator().allocate(4L * out.numel()).address();
                LaunchShape planeGrid = LaunchShape.of(3 * frameCount, n, 256, 1);
                gpu.launch(Kernels.args("blur_h").ptr(tmp).ptr(gpu.ptr(out)).ptr(dParams).s32(n).s32(frameCount)
                        .s32(outH).s32(outW), planeGrid);
                gpu.launch(Kernels.args("blur_v").ptr(gpu.ptr(out)).ptr(tmp).ptr(dParams).s32(n).s32(frameCount)
                        .s32(outH).s32(outW), planeGrid);
            }
        }
        return out;
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

    /** A scoped device copy of {@code bytes}; its address. */
    private static long upload(Gpu gpu, MemorySegment bytes) {
        long dst = gpu.context.allocator().allocate(bytes.byteSize()).address();
        gpu.context.upload(dst, bytes.byteSize(), (buf, offset, len) -> buf.put(bytes.asSlice(offset, len).asByteBuffer()));
        return dst;
    }
}
