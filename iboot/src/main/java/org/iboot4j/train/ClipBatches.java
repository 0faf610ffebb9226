package org.iboot4j.train;

import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;

/**
 * Where pre-training gets its clips: an endless sequence of micro-batches, each a list of
 * {@link PretrainConfig#clipsPerVideo()} tensors (N, 3, T, H, W) — clip j of each of N videos,
 * in the order of {@link PretrainConfig#clipNames()} (iboot: v_ref, v1, v2; rho_byol: v1, v2).
 *
 * <p>Implementations: {@link FixedBatch} (the same batch every time, from a safetensors file)
 * and {@link LoaderBatches} (the video loader of {@code org.iboot4j.data.loader}). Resumable:
 * {@link #state()} is a JSON-compatible map (numbers, strings, lists, maps) that
 * {@link #restore} takes back, after which the sequence continues exactly where it was.
 */
public interface ClipBatches extends AutoCloseable {

    /** Videos per micro-batch N. */
    int batchSize();

    /** Clips per video, the size of every list {@link #next} returns. */
    int clipsPerVideo();

    /**
     * Optimiser steps per epoch this source supports (micro-batches per epoch / accumulation
     * steps), or 0 when it has no natural epoch (fixed batch).
     */
    int stepsPerEpoch();

    /** The next micro-batch; the source rolls over epochs by itself. */
    List<Tensor> next();

    /** The normalisation the clips carry ({@link Normalization#UNIT} for [0, 1] values). */
    Preprocessing normalization();

    /** Videos skipped so far because they could not be decoded (counted, never fatal). */
    long skippedVideos();

    /** The position in the sequence (RNG state, epoch, batch), to resume from. */
    Map<String, Object> state();

    /** Continues from a {@link #state()}. */
    void restore(Map<String, Object> state);

    @Override
    default void close() {}
}
