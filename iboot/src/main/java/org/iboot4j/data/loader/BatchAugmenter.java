package org.iboot4j.data.loader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.iboot4j.data.Frames;
import org.iboot4j.data.augment.ClipAugmentation;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.Tensor;
import org.iboot4j.engine.backend.AugmentClip;
import org.iboot4j.engine.backend.Backend;

/**
 * The last step of making a batch: the decoded uint8 clips of N samples and their drawn
 * augmentations become one float32 (N, 3, T, S, S) tensor per view, each made by ONE call of the
 * backend's fused augmentation ({@link Functional#augmentClips}, i.e. {@code Backend.augmentClips}).
 *
 * <p>Per view v: clip v of every sample is copied, sample after sample, into one off-heap
 * buffer (3 bytes per source pixel; sources may differ in size), each
 * {@link ClipAugmentation} becomes the engine's {@link AugmentClip}, and the backend writes the
 * tensor. On the CPU backend that is the same computation as {@code ClipAugmenter} on each clip
 * (bit for bit, spread over the CPU backend's threads); on a GPU only the bytes are uploaded
 * and the floats are made on the device. The buffer is freed when the call returns (the
 * backends have read it by then).
 */
public final class BatchAugmenter {
    private BatchAugmenter() {}

    /** Every view of {@code samples} as (N, 3, frames, size, size) tensors on {@code backend}, in view order. */
    public static List<Tensor> views(Backend backend, ClipLoader.Sample[] samples, int frames, int size) {
        if (samples.length == 0) throw new IllegalArgumentException("a batch needs at least one sample");
        int views = samples[0].clips().length;
        List<Tensor> out = new ArrayList<>(views);
        for (int v = 0; v < views; v++) out.add(view(backend, samples, v, frames, size));
        return out;
    }

    /** View {@code v} of every sample, augmented in one backend call. */
    static Tensor view(Backend backend, ClipLoader.Sample[] samples, int v, int frames, int size) {
        List<AugmentClip> clips = new ArrayList<>(samples.length);
        long bytes = 0;
        for (ClipLoader.Sample s : samples) {
            if (s.clips().length <= v) {
                throw new IllegalArgumentException("sample " + s.sampleIndex() + " has " + s.clips().length + " views, not " + (v + 1));
            }
            Frames f = s.clips()[v];
            ClipAugmentation a = s.augmentations()[v];
            if (f.frames() != frames || a.cropHeight() != size || a.cropWidth() != size) {
                throw new IllegalArgumentException("sample " + s.sampleIndex() + ", view " + v + ": " + f.frames() + " frames cropped to "
                        + a.cropHeight() + "x" + a.cropWidth() + ", the batch is " + frames + " frames of " + size + "x" + size);
            }
            a.checkFits(f);
            clips.add(a.toAugmentClip());
            bytes += f.rgb().length;
        }
        try (Arena arena = Arena.ofShared()) {   // shared: the CPU backend reads it from its worker threads
            MemorySegment buffer = arena.allocate(bytes);
            long at = 0;
            for (ClipLoader.Sample s : samples) {
                byte[] rgb = s.clips()[v].rgb();
                MemorySegment.copy(MemorySegment.ofArray(rgb), 0, buffer, at, rgb.length);
                at += rgb.length;
            }
            return Functional.augmentClips(backend, buffer, clips, frames, size, size);
        }
    }
}
