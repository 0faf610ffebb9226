#!/usr/bin/env bash
# Test videos and reference frames for org.iboot4j.data.video (VideoReaderTest and friends).
#
# Run from the repository root, with the real-world clips in ../shared/videos:
#
#     apt-get install ffmpeg            # Debian 12: ffmpeg/ffprobe 5.1 (only to make fixtures)
#     bash test-data/scripts/make_video_fixtures.sh
#
# What it writes under test-data/videos/ (all committed; CI never runs ffmpeg):
#   - byte-for-byte copies of seven clips from ../shared/videos (sha256 checked against
#     ATTRIBUTION.md);
#   - small_h264.mp4: 3 s of bikes.mp4 (BSD-3-Clause) at 160x68, H.264 with B-frames, GOP 10,
#     moov at the front (so a truncated copy still opens);
#   - rot90.mp4: small_h264.mp4 stream-copied with a +90 degree display rotation;
#   - mjpeg.avi: 2 s of bikes.mp4 at 160x68, Motion JPEG in AVI (full-range yuvj420p);
#   - frames/NAME.txt: ffprobe's decoded frames of the first video stream, one line per frame:
#     best_effort_timestamp_time minus the stream's start_time (VideoReader's time origin),
#     or "nan" where the decoder gives the frame no timestamp (the last frame of test.avi);
#   - frames/NAME_fK.png: frame K (decoded order, `select=eq(n,K)`) as the ffmpeg CLI shows it:
#     auto-rotated, then scaled with swscale's bilinear filter to short side 48 (sizes rounded to
#     even numbers exactly as VideoReader does), RGB24.
# The outputs are deterministic for one ffmpeg build (ffmpeg 5.1.9 Debian 12 made the committed
# ones); the Java tests compare with tolerances, so another FFmpeg version is fine.
set -euo pipefail

SRC=${SRC:-../shared/videos}
OUT=test-data/videos
mkdir -p "$OUT/frames"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# --- copies of the real-world clips -------------------------------------------------------
for f in fire2.mp4 friday.mp4 no_duration.webm flower.webm test.avi corrupted.mp4 flipping_a_pancake.mkv; do
  rm -f "$OUT/$f"; cp "$SRC/$f" "$OUT/$f"
  chmod 644 "$OUT/$f"
  want=$(grep -E "^\| $f " "$OUT/ATTRIBUTION.md" | grep -oE '[0-9a-f]{64}')
  have=$(sha256sum "$OUT/$f" | cut -d' ' -f1)
  [ "$want" = "$have" ] || { echo "sha256 mismatch for $f" >&2; exit 1; }
done

# --- derived clips from bikes.mp4 (BSD-3-Clause) -------------------------------------------
ff -i "$SRC/bikes.mp4" -t 3 -an -vf scale=160:68 -c:v libx264 -preset medium -crf 28 \
   -g 10 -bf 2 -pix_fmt yuv420p -movflags +faststart -map_metadata -1 -fflags +bitexact \
   "$OUT/small_h264.mp4"
ff -i "$OUT/small_h264.mp4" -c copy -metadata:s:v:0 rotate=90 -movflags +faststart \
   -fflags +bitexact "$OUT/rot90.mp4"
ff -i "$SRC/bikes.mp4" -t 2 -an -vf scale=160:68 -c:v mjpeg -q:v 6 -pix_fmt yuvj420p \
   -map_metadata -1 -fflags +bitexact "$OUT/mjpeg.avi"

# --- decoded frame times (ffprobe) ----------------------------------------------------------
for f in fire2.mp4 friday.mp4 no_duration.webm flower.webm test.avi corrupted.mp4 \
         flipping_a_pancake.mkv small_h264.mp4 rot90.mp4 mjpeg.avi; do
  name=${f%.*}
  start=$(ffprobe -v error -select_streams v:0 -show_entries stream=start_time -of csv=p=0 "$OUT/$f")
  [ "$start" = "N/A" ] && start=0
  ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time -of csv=p=0 \
      "$OUT/$f" | awk -v s="$start" 'NF { if ($1 == "N/A") print "nan"; else printf "%.6f\n", $1 - s }' > "$OUT/frames/$name.txt"
done

# --- reference frames (short side 48, auto-rotated, bilinear) ------------------------------
# Output size: short side 48, the long side scaled and rounded to an even number (as VideoReader),
# width and height swapped for a +-90 degree rotation (the CLI auto-rotates before scaling).
size() {
  ffprobe -v error -select_streams v:0 -show_entries stream=width,height:stream_side_data=rotation \
      -of json "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["streams"][0]
w, h = s["width"], s["height"]
rot = [d.get("rotation", 0) for d in s.get("side_data_list", [])]
even = lambda x: max(2, 2 * round(x / 2))
W, H = (48, even(h * 48 / w)) if w <= h else (even(w * 48 / h), 48)
if rot and abs(rot[0]) % 180 == 90:
    W, H = H, W
print(W, H)'
}
ref() {  # file frame-index...
  local f=$1; shift
  local name=${f%.*} W H
  read -r W H < <(size "$OUT/$f")
  for k in "$@"; do
    ff -i "$OUT/$f" -an -vf "select=eq(n\\,$k),scale=$W:$H:flags=bilinear" -fps_mode passthrough \
       -frames:v 1 -pix_fmt rgb24 "$OUT/frames/${name}_f$k.png"
  done
}
ref fire2.mp4 0 13 24
ref friday.mp4 0 100
ref no_duration.webm 0 40
ref flower.webm 0 75
ref test.avi 0 80
ref corrupted.mp4 0 30
ref flipping_a_pancake.mkv 0 200
ref small_h264.mp4 0 37
ref rot90.mp4 0 37
ref mjpeg.avi 0 27

ls -l "$OUT" "$OUT/frames"
du -sh "$OUT"
