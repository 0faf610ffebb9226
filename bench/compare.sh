#!/usr/bin/env bash
# Side-by-side: times PyTorch and iboot4j on the same shapes with the same thread count in one
# run, and writes one Markdown table (op, case, shape, torch ms, iboot4j ms, ratio, target, met)
# to bench/results/<date>-<cpu-model>.md (and prints it).
#
#   bench/compare.sh [--threads T] [--filter REGEX] [--reps N] [--warmup N] [--budget S]
#                    [--quiet-wait S] [--retries N] [--out FILE]
#
#   --threads T     threads for both (torch.set_num_threads(T), -Diboot.threads=T); default: nproc
#   --filter REGEX  only the cases whose "op-label case-id" matches, e.g. 'matmul|sgemm' (GEMM only),
#                   'conv3d fwd', 'res3', '@8x28x28', 'model' (whole networks: ViT-B/16, Slow-R50)
#   --reps N, --warmup N, --budget S   the timing protocol (defaults 21, 2, 3 s; see Timing.java)
#   --out FILE      where the Markdown goes (default bench/results/<date>-<cpu-model-slug>.md)
#   --quiet-wait S  before each case, wait up to S seconds (default 20; 0: off) for other processes
#                   to leave the machine idle, and measure the CPU they use while the case runs
#   --retries N     a case during which they used over 10% of the machine is timed again up to N
#                   times (default 1), then marked (busy) in the table
#
# ratio = torch ms / iboot4j ms: iboot4j's speed relative to PyTorch (>= 1: iboot4j is faster).
# Targets: GEMM 0.7x, conv3d 0.6x. Installs what it needs when missing (Debian: python3-torch,
# libopenblas0-pthread) and points the system's libblas.so.3, which Debian's torch links, at
# OpenBLAS. The full suite takes roughly 35-45 minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

threads="$(nproc)" filter="" out="" quiet_wait=20 retries=1 timing=()
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --filter) filter="$2"; shift 2 ;;
        --reps|--warmup|--budget|--min-reps|--warmup-seconds) timing+=("$1" "$2"); shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --quiet-wait) quiet_wait="$2"; shift 2 ;;
        --retries) retries="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# ---- what PyTorch needs: Debian's torch, and OpenBLAS behind libblas.so.3 ---------------------
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for pkg in python3-torch libopenblas0-pthread; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "compare: installing ${missing[*]}..." >&2
    as_root apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}" >&2
fi
selections="$(update-alternatives --get-selections || true)"
blas_alt="$(awk '$1 ~ /^libblas\.so\.3/ {print $1}' <<<"$selections" | sed -n 1p)"
if [ -n "$blas_alt" ]; then
    openblas="$(update-alternatives --list "$blas_alt" | sed -n '/openblas/{p;q}' || true)"
    current="$(update-alternatives --query "$blas_alt" | sed -n 's/^Value: //p')"
    if [ -n "$openblas" ] && [ "$current" != "$openblas" ]; then
        echo "compare: selecting OpenBLAS for $blas_alt ($openblas)" >&2
        as_root update-alternatives --set "$blas_alt" "$openblas" >&2
    fi
    [ -n "$openblas" ] || echo "compare: warning: no OpenBLAS alternative for $blas_alt" >&2
fi

# ---- build, then time ------------------------------------------------------------------------
source "$root/bench/build.sh"
shapes="$root/bench/src/main/resources/org/iboot4j/bench/shapes.txt"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
slug="$(printf '%s' "${cpu:-unknown-cpu}" | tr 'A-Z' 'a-z' | sed -e 's/([^)]*)//g' -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')"
date="$(date +%Y-%m-%d)"
[ -n "$out" ] || out="$root/bench/results/$date-$slug.md"
mkdir -p "$(dirname "$out")"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

filter_args=()
[ -z "$filter" ] || filter_args=(--filter "$filter")
# A fixed heap, touched once at start-up: every case then allocates from memory the process
# already owns. Left to grow (and to shrink again at the System.gc() before each case), G1 hands
# out fresh pages, and their first-touch page faults cost more than a memory-bound op itself
# (batch-norm fwd+bwd measured 2.2x slower so) — PyTorch's malloc meanwhile reuses freed blocks.
# 4 GB holds the largest case several times over; half the memory on a smaller machine.
heap="$(awk '/MemTotal/ {g = int($2 / 1048576 * 0.5); print (g < 2 ? 2 : (g > 4 ? 4 : g)) "g"}' /proc/meminfo)"
# CompareMain runs compare_torch.py --serve as its child and times each case in PyTorch, then in
# the engine, back to back (never at the same time), so both see the same machine load.
"$JAVA_HOME/bin/java" "${BENCH_JVM_FLAGS[@]}" -Diboot.threads="$threads" -Xms"$heap" -Xmx"$heap" -XX:+AlwaysPreTouch ${IBOOT_JAVA_OPTS:-} \
    -cp "$BENCH_CP" org.iboot4j.bench.CompareMain --shapes "$shapes" \
    --torch-script "$root/bench/compare_torch.py" --python /usr/bin/python3 --out "$out" --quiet-wait "$quiet_wait" --retries "$retries" \
    --meta "date=$date" \
    --meta "CPU=${cpu:-unknown} ($(nproc) logical CPUs; $(lscpu | sed -n 's/^L2 cache: *//p' | head -1) L2)" \
    --meta "threads=$threads for both (torch.set_num_threads, OMP/OPENBLAS_NUM_THREADS; -Diboot.threads)" \
    --meta "JVM heap=$heap, fixed (-Xms = -Xmx) and pre-touched (-XX:+AlwaysPreTouch)" \
    --meta "load average at start=$load_before (1, 5, 15 min; above $threads means other work shared the cores)" \
    "${filter_args[@]}" "${timing[@]}"
echo "compare: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
