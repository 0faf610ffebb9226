/**
 * Labelled video lists: a folder of class folders, {@code path,label} and Kinetics CSVs, UCF101
 * and HMDB51 split files ({@link org.iboot4j.data.dataset.VideoDataset}), and the class-name to
 * label mapping saved with each run ({@link org.iboot4j.data.dataset.ClassIndex}). Where clips
 * start in a video is {@link org.iboot4j.data.video.ClipSampler}; the test-time spatial crops
 * are {@link org.iboot4j.data.augment.ClipAugmentation#testView}.
 */
package org.iboot4j.data.dataset;
