#!/usr/bin/env bash
# Side-by-side video loading: clips/s of decode + augment (iBoot's training clips: 8 frames every
# 8th, short side in [256,320], random 224 crop, flip, colour jitter, grayscale, blur) through
# iboot4j's ClipLoader and through a PyTorch DataLoader with torchvision's video reading and
# transforms (bench/loader_torch.py), on the same files, with 1 worker and with nproc workers,
# one run after the other. Writes one Markdown table (implementation, workers, clips, seconds,
# clips/s, clips/s per core, ratio = iboot4j / torchvision clips/s) to
# bench/results/<date>-<cpu-model>-loader.md and prints it. About 5-6 minutes on 2 busy cores.
#
#   bench/loader-compare.sh [--clips N] [--workers LIST] [--dataset CSV] [--quiet-wait S] [--out FILE]
#
#   --clips N       clips timed per run, after the warm-up (default 240)
#   --workers LIST  worker counts, comma-separated (default 1,nproc)
#   --dataset CSV   a path,label CSV (default test-data/synthetic/labels.csv, remade when missing)
#   --quiet-wait S  before each run, wait up to S seconds (default 20; 0: off) for an idle machine
#   --out FILE      where the Markdown goes
#
# Installs what it needs when missing (Debian: python3-torch, python3-torchvision; to remake the
# dataset also python3-numpy and ffmpeg).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

clips=240 workers="1,$(nproc)" dataset="test-data/synthetic/labels.csv" quiet_wait=20 out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --clips) clips="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --dataset) dataset="$2"; shift 2 ;;
        --quiet-wait) quiet_wait="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
        *) echo "loader-compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "loader-compare: installing ${missing[*]}..." >&2
    as_root apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}" >&2
}
ensure_packages python3-torch python3-torchvision

# ---- the dataset: the bundled synthetic clips, remade by their generator if they are gone -------
if [ ! -f "$dataset" ]; then
    if [ "$dataset" != "test-data/synthetic/labels.csv" ]; then
        echo "loader-compare: no dataset at $dataset" >&2
        exit 1
    fi
    ensure_packages python3-numpy ffmpeg
    echo "loader-compare: making the synthetic dataset (test-data/synthetic)..." >&2
    /usr/bin/python3 "$root/test-data/scripts/make_synthetic_dataset.py" >&2
fi

# ---- build, then measure --------------------------------------------------------------------
source "$root/bench/build.sh"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
slug="$(printf '%s' "${cpu:-unknown-cpu}" | tr 'A-Z' 'a-z' | sed -e 's/([^)]*)//g' -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')"
date="$(date +%Y-%m-%d)"
[ -n "$out" ] || out="$root/bench/results/$date-$slug-loader.md"
heap="$(awk '/MemTotal/ {g = int($2 / 1048576 * 0.5); print (g < 2 ? 2 : (g > 8 ? 8 : g)) "g"}' /proc/meminfo)"

"$JAVA_HOME/bin/java" "${BENCH_JVM_FLAGS[@]}" -Xmx"$heap" ${IBOOT_JAVA_OPTS:-} \
    -cp "$BENCH_CP" org.iboot4j.bench.LoaderCompareMain \
    --dataset "$dataset" --torch-script "$root/bench/loader_torch.py" --python /usr/bin/python3 \
    --clips "$clips" --workers "$workers" --quiet-wait "$quiet_wait" --out "$out" \
    --meta "date=$date" \
    --meta "CPU=${cpu:-unknown}" \
    --meta "nproc=$(nproc)" \
    --meta "load average at start=$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; above nproc means other work shared the cores)"
