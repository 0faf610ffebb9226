#!/usr/bin/env bash
# Runs the JMH benchmarks: bench/jmh.sh [JMH options] [benchmark regex...]
#
#   bench/jmh.sh                              the whole suite (long: ~100 benchmarks)
#   bench/jmh.sh Gemm                         GEMM only
#   bench/jmh.sh 'Conv3d.*forward' -p conv=res3.conv_b@8x56x56
#   bench/jmh.sh -l                           list the benchmarks;  -h for JMH's options
#
# Builds first when sources changed. Defaults are short for a small machine (1 fork, 1 warm-up
# and 3 measured iterations of 2 s each; override with -f, -wi, -i, -w, -r). Engine threads:
# IBOOT_THREADS (default: all processors); extra JVM flags for the host and forked JVMs:
# IBOOT_JAVA_OPTS. Cases: -p gemm=ID, -p conv=ID, -p bn=ID, -p pool=ID, -p model=ID with the ids of
# bench/src/main/resources/org/iboot4j/bench/shapes.txt (e.g. vit-qkv, res4.conv_b@8x28x28).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build.sh"
threads="${IBOOT_THREADS:-$(nproc)}"
# JMH's forks inherit the host JVM's flags (-Diboot.threads included).
exec "$JAVA_HOME/bin/java" "${BENCH_JVM_FLAGS[@]}" -Diboot.threads="$threads" ${IBOOT_JAVA_OPTS:-} \
    -cp "$BENCH_CP" org.openjdk.jmh.Main "$@"
