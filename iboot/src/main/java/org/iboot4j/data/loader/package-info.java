/**
 * Background decoding into batches of augmented tensors:
 * {@link org.iboot4j.data.loader.ClipLoader} (thread pool, bounded prefetch, per-sample seeds,
 * bad files skipped and counted, clean shutdown), the step that augments a batch on the current
 * backend in one {@code Backend.augmentClips} call per view
 * {@link org.iboot4j.data.loader.BatchAugmenter}, its settings
 * {@link org.iboot4j.data.loader.LoaderConfig}, the batches
 * {@link org.iboot4j.data.loader.ClipBatch}, the decoder interface
 * {@link org.iboot4j.data.loader.ClipSource} with the FFmpeg adapter
 * {@link org.iboot4j.data.loader.VideoClipSource}, and a clips-per-second measurement
 * {@link org.iboot4j.data.loader.LoaderBenchmark}.
 */
package org.iboot4j.data.loader;
