/**
 * The CUDA backend (a later issue): the JCuda driver API for contexts, streams, memory and PTX
 * modules, cuBLAS and cuDNN bound through the FFM API, and the hand-written PTX kernels. It
 * registers itself with the engine's {@code ServiceLoader}; without this jar, or without a GPU,
 * everything runs on the CPU backend.
 */
package org.iboot4j.kernels;
