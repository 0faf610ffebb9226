/**
 * The CUDA backend: the JCuda driver API for contexts, streams, memory and PTX modules, cuBLAS
 * and cuDNN bound through the FFM API, and the hand-written PTX kernels
 * ({@link org.iboot4j.kernels.ptx}). {@link org.iboot4j.kernels.cuda.CudaBackend} registers
 * itself with the engine's {@code ServiceLoader}; without this jar, or without a GPU, everything
 * runs on the CPU backend. {@link org.iboot4j.kernels.SelfTest} checks every GPU primitive
 * against its CPU twin on a GPU machine ({@link org.iboot4j.kernels.ParityCases}).
 */
package org.iboot4j.kernels;
