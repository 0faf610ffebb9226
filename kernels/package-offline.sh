#!/usr/bin/env bash
# Packs what the GPU self-test needs into one tarball for a GPU host without network or Maven:
# a jlink'd JDK 25 runtime, the engine and kernels jars, JCuda (driver API) with its linux-x86_64
# JNI library, run-selftest.sh (org.iboot4j.kernels.SelfTest) and run-bench.sh
# (org.iboot4j.kernels.GpuBench, writes its Markdown tables to a file); both source cuda-env.sh,
# which finds cuBLAS/cuDNN on that host (e.g. inside a PyTorch virtualenv).
#
#   kernels/package-offline.sh            -> kernels/target/iboot4j-gpu-selftest.tar.gz
#   OFFLINE=1 kernels/package-offline.sh  (mvn -o: dependencies already in ~/.m2)
#
# On the GPU host:
#   tar xzf iboot4j-gpu-selftest.tar.gz && iboot4j-gpu-selftest/run-selftest.sh [--large] [--filter REGEX]
#   iboot4j-gpu-selftest/run-bench.sh results.md          (then commit results.md to bench/results/)
#
# The bundle is linux-x86_64 only (the JNI library and the runtime are).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/bin/jdk25.sh"
cd "$root"

name=iboot4j-gpu-selftest
out="$root/kernels/target/$name"
tarball="$root/kernels/target/$name.tar.gz"
mvn_flags=(-q -B -ntp)
[ "${OFFLINE:-0}" = 1 ] && mvn_flags+=(-o)

echo "building the engine and kernels jars..." >&2
mvn "${mvn_flags[@]}" -DskipTests -pl kernels -am package dependency:copy-dependencies -DincludeScope=runtime >&2

rm -rf "$out" "$tarball"
mkdir -p "$out/lib"
cp "$root"/kernels/target/iboot4j-kernels-*.jar "$out/lib/"
cp "$root"/kernels/target/dependency/*.jar "$out/lib/"

# JCuda's natives jar also carries the NVRTC, nvPTXCompiler and runtime-API JNI libraries (~25 MB
# unpacked); only the driver API's is loaded, so keep just that one.
natives=$(ls "$out"/lib/jcuda-natives-*.jar)
slim=$(mktemp -d)
(cd "$slim" && "$JAVA_HOME/bin/jar" xf "$natives" && rm -f lib/*JNvPTXCompiler* lib/*JNvrtc* lib/*JCudaRuntime* \
    && "$JAVA_HOME/bin/jar" cf "$natives" -C "$slim" .)
rm -rf "$slim"

echo "linking a Java runtime..." >&2
# The modules the jars use (jdeps), plus the incubating Vector API (the engine's CPU kernels) and
# java.logging (System.Logger's backend).
modules=$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
    --add-modules jdk.incubator.vector "$out"/lib/*.jar 2>/dev/null | tail -1)
modules="${modules:+$modules,}jdk.incubator.vector,java.logging"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress zip-6 --output "$out/runtime"

cat > "$out/cuda-env.sh" <<'ENV'
# Sourced by run-selftest.sh and run-bench.sh: puts cuBLAS and cuDNN on LD_LIBRARY_PATH and
# defines run_java MAIN-CLASS ARGS... (the bundled runtime, the bundled jars).
#
# cuBLAS and cuDNN are loaded by soname (libcublas.so.13|12, libcudnn.so.9|8). If the dynamic
# loader cannot find them already, this looks for them on the disk (a PyTorch virtualenv keeps
# them in site-packages/nvidia/*/lib) and puts their folders on LD_LIBRARY_PATH. Set
# IBOOT_CUDA_LIBS=dir1:dir2 to skip the search.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

loadable() { # is a soname in the loader cache or on LD_LIBRARY_PATH?
    ldconfig -p 2>/dev/null | grep -q "$1" && return 0
    local d
    IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
    for d in "${dirs[@]}"; do [ -n "$d" ] && ls "$d"/$1* >/dev/null 2>&1 && return 0; done
    return 1
}

if [ -n "${IBOOT_CUDA_LIBS:-}" ]; then
    export LD_LIBRARY_PATH="$IBOOT_CUDA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
elif ! { { loadable libcublas.so.13 || loadable libcublas.so.12; } && { loadable libcudnn.so.9 || loadable libcudnn.so.8; }; }; then
    echo "cuda-env: looking for cuBLAS and cuDNN on the disk (set IBOOT_CUDA_LIBS to skip)..." >&2
    found=$(find / \( -path /proc -o -path /sys -o -path /dev -o -path /run \) -prune -o \
        \( -name 'libcudnn.so.[89]*' -o -name 'libcublas.so.1[23]*' \) -print 2>/dev/null || true)
    cudnn=$(echo "$found" | grep -m1 'libcudnn\.so\.9' || echo "$found" | grep -m1 'libcudnn\.so\.8' || true)
    cublas=$(echo "$found" | grep -m1 'libcublas\.so\.13' || echo "$found" | grep -m1 'libcublas\.so\.12' || true)
    dirs=""
    for lib in $cudnn $cublas; do
        d=$(dirname "$lib")
        case "$d" in
            */nvidia/*/lib) # a pip "nvidia-*" layout: take every sibling lib folder (cublasLt, nvrtc, ...)
                for sib in "$(dirname "$(dirname "$d")")"/*/lib; do
                    case ":$dirs:" in *":$sib:"*) ;; *) dirs="${dirs:+$dirs:}$sib" ;; esac
                done ;;
            *) case ":$dirs:" in *":$d:"*) ;; *) dirs="${dirs:+$dirs:}$d" ;; esac ;;
        esac
    done
    if [ -n "$dirs" ]; then
        echo "cuda-env: LD_LIBRARY_PATH += $dirs" >&2
        export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    else
        echo "cuda-env: no libcublas.so.13|12 / libcudnn.so.9|8 found" >&2
    fi
fi

run_java() {
    exec "$here/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
        -XX:+IgnoreUnrecognizedVMOptions -cp "$here/lib/*" "$@"
}
ENV

cat > "$out/run-selftest.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the iboot4j GPU self-test (every GPU primitive against its CPU twin: op, shape, max error,
# time) with the bundled Java runtime; needs no network. Arguments go to the self-test:
#   --large          add model-sized shapes (Slow-R50 convolutions, ViT GEMMs)
#   --filter REGEX   only the cases whose "op shape" matches
#   --require-gpu    exit 2 (not 0) when no GPU is usable
# cuBLAS / cuDNN: see cuda-env.sh (IBOOT_CUDA_LIBS=dir1:dir2 skips the search).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cuda-env.sh"
run_java org.iboot4j.kernels.SelfTest "$@"
RUN

cat > "$out/run-bench.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the iboot4j GPU benchmarks (the hand-written kernels' bandwidth against a device-to-device
# copy; cuBLAS GEMM and cuDNN conv3d at the ViT-B/16 and Slow-R50 shapes against the device's
# peak) and writes the Markdown report to FILE (default: ./gpu-bench-<date>.md), ready to be
# committed to bench/results/. About a minute on an H100-class GPU.
#   run-bench.sh [FILE.md] [--only bandwidth|libraries] [--quick] [--require-gpu]
# cuBLAS / cuDNN: see cuda-env.sh (IBOOT_CUDA_LIBS=dir1:dir2 skips the search).
set -euo pipefail
file="gpu-bench-$(date +%F).md"
case "${1:-}" in ""|--*) ;; *) file="$1"; shift ;; esac
source "$(dirname "${BASH_SOURCE[0]}")/cuda-env.sh"
run_java org.iboot4j.kernels.GpuBench --out "$file" "$@"
RUN
chmod +x "$out/run-selftest.sh" "$out/run-bench.sh"

cat > "$out/README.txt" <<'TXT'
iboot4j GPU self-test, offline bundle (linux-x86_64).

  ./run-selftest.sh [--large] [--filter REGEX] [--require-gpu]
  ./run-bench.sh [FILE.md] [--only bandwidth|libraries]      (writes the benchmark tables to FILE.md)

Prints the device (name, compute capability, memory, driver / cuBLAS / cuDNN versions) and a
table: op, shape, max relative error against the CPU backend, tolerance, GPU time per call,
PASS/FAIL. Exit status 0 when everything passed, 1 when a case failed. Without a usable GPU it
prints one line "unavailable: <what is missing>" and exits 0.

run-bench.sh prints and writes (default ./gpu-bench-<date>.md) Markdown tables: each hand-written
kernel's GB/s as a fraction of a device-to-device copy, and cuBLAS GEMM / cuDNN conv3d TFLOP/s
(FP32, TF32, bf16) as a fraction of the device's data-sheet peak.

Needs: an NVIDIA driver (libcuda.so.1), cuBLAS 12 or 13 and cuDNN 8 or 9 (run-selftest.sh finds
them, e.g. in a PyTorch virtualenv). Contents: runtime/ (a jlink'd JDK 25), lib/ (iboot4j engine
and kernels, JCuda 12.6.0 with its driver-API JNI library), the two scripts and cuda-env.sh.
Settings: JAVA_TOOL_OPTIONS="-Diboot.cuda.device=1 -Diboot.cuda.convAlgo=find -Diboot.cuda.syncLaunches=true"
TXT

tar -C "$(dirname "$out")" -czf "$tarball" "$name"
size=$(du -m "$tarball" | cut -f1)
echo "$tarball: ${size} MiB ($(du -sm "$out" | cut -f1) MiB unpacked)"
if [ "$size" -ge 64 ]; then
    echo "package-offline: the bundle is $size MiB, over the 64 MiB budget" >&2
    exit 1
fi
