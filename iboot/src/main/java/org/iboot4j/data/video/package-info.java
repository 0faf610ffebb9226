/**
 * Video decoding and clip sampling: {@link org.iboot4j.data.video.VideoReader} decodes clips
 * of {@link org.iboot4j.data.Frames} with FFmpeg (JavaCPP's {@code org.bytedeco:ffmpeg}),
 * {@link org.iboot4j.data.video.ClipSampler} says where clips start, and
 * {@link org.iboot4j.data.video.VideoDecodeException} reports a file that cannot be decoded.
 */
package org.iboot4j.data.video;
