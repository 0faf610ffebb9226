"""A small labelled synthetic action dataset whose classes are MOTIONS, not appearances.

Run from the repository root (numpy from Debian, ffmpeg CLI from Debian: ``apt-get install
python3-numpy ffmpeg``; never pip):

    /usr/bin/python3 test-data/scripts/make_synthetic_dataset.py                 # committed set
    /usr/bin/python3 test-data/scripts/make_synthetic_dataset.py --full OUT_DIR  # ~300 clips

Classes (the label is the motion): ``left_right`` (the object oscillates horizontally),
``up_down`` (vertically), ``rotate`` (spins in place), ``grow_shrink`` (its size pulses). Within
every class the object varies — shape (bar, triangle, L), colour (six), base size, position,
phase, speed, direction of rotation, background gradient — and every class uses every object,
drawn from the same ranges, so a single frame does not reveal the class: position, size and
orientation of a frame of one class are all possible in every other.

Each clip is SIZE x SIZE pixels (64), SECONDS long (3 s, 90 frames) at 30 fps, encoded with the
ffmpeg CLI in one of four codecs (every class cycles through all four): H.264 in MP4, VP9 in WebM, MJPEG in
AVI, VP8 in WebM. Written under the output folder:

  videos/<class>/<class>_<index>.<ext>   the clips (a folder of class folders)
  labels.csv                              path,label (paths relative to the folder, class names)
  classes.json                            {"classes": [...]}: sorted class names (ClassIndex)
  broken/...                              deliberately broken files: truncated MP4 (no moov atom)
                                          and WebM (cut mid-stream), random bytes, empty, text
  broken.csv                              path,label for the broken files (for loader tests)
  frames_sha256.txt                       per clip, the SHA-256 of its raw RGB frames, so the
                                          generator's determinism can be checked without codecs

The raw frames are a pure function of the clip index (numpy RandomState seeded per clip), so
they are the same everywhere; the encoded bytes may differ between ffmpeg builds (encoders are
run single-threaded with bitexact flags to keep them stable for one build).
"""

import argparse
import csv
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np

CLASSES = ["grow_shrink", "left_right", "rotate", "up_down"]  # sorted: label = index
SHAPES = ["bar", "triangle", "ell"]
COLOURS = [(230, 40, 40), (40, 200, 60), (50, 90, 240), (240, 220, 40), (220, 60, 220), (40, 210, 220)]
CODECS = [
    ("mp4", ["-c:v", "libx264", "-preset", "medium", "-crf", "26", "-pix_fmt", "yuv420p", "-g", "30", "-bf", "2"]),
    ("webm", ["-c:v", "libvpx-vp9", "-crf", "40", "-b:v", "0", "-deadline", "good", "-cpu-used", "4",
              "-row-mt", "0", "-pix_fmt", "yuv420p", "-g", "30"]),
    ("avi", ["-c:v", "mjpeg", "-q:v", "12", "-pix_fmt", "yuvj420p"]),
    ("webm", ["-c:v", "libvpx", "-crf", "20", "-b:v", "300k", "-deadline", "good", "-cpu-used", "4",
              "-pix_fmt", "yuv420p", "-g", "30"]),
]


def shape_polygon(shape):
    """Vertices of a unit-size shape centred at the origin (not rotationally symmetric below 180 degrees)."""
    if shape == "bar":
        return np.array([[-1.0, -0.45], [1.0, -0.45], [1.0, 0.45], [-1.0, 0.45]])
    if shape == "triangle":
        return np.array([[-0.9, -0.8], [1.0, 0.0], [-0.9, 0.8]])
    return np.array([[-0.8, -0.9], [-0.2, -0.9], [-0.2, 0.3], [0.9, 0.3], [0.9, 0.9], [-0.8, 0.9]])  # "L"


def inside(poly, xs, ys):
    """Even-odd point-in-polygon test for arrays of points."""
    result = np.zeros(xs.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x0, y0 = poly[i]
        x1, y1 = poly[(i + 1) % n]
        crosses = (y0 > ys) != (y1 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        result ^= crosses & (xs < xcross)
    return result


def clip_frames(index, label, size, frames, fps):
    """The (frames, size, size, 3) uint8 RGB frames of clip `index` with motion class `label`."""
    rng = np.random.RandomState((100003 * (index + 1) + 7 * label) % 2**32)
    shape = SHAPES[rng.randint(len(SHAPES))]
    colour = np.array(COLOURS[rng.randint(len(COLOURS))], dtype=np.float64)
    base = size * rng.uniform(0.12, 0.2)           # half-size of the object in pixels
    cx, cy = size * rng.uniform(0.3, 0.7, size=2)   # rest position
    angle0 = rng.uniform(0, 2 * math.pi)
    phase = rng.uniform(0, 2 * math.pi)
    period = rng.uniform(0.9, 1.6)                  # seconds per oscillation / half turn
    spin = rng.choice([-1.0, 1.0])
    amplitude = size * rng.uniform(0.15, 0.25)
    bg0, bg1 = rng.uniform(20, 235, size=3), rng.uniform(20, 235, size=3)

    ss = 2  # supersampling for smooth edges
    g = (np.arange(size * ss) + 0.5) / ss
    xs, ys = np.meshgrid(g, g)
    ramp = (np.arange(size) / (size - 1))[:, None, None]
    background = bg0[None, None, :] * (1 - ramp) + bg1[None, None, :] * ramp
    background = np.broadcast_to(background, (size, size, 3))
    poly = shape_polygon(shape)
    out = np.empty((frames, size, size, 3), dtype=np.uint8)
    for f in range(frames):
        t = f / fps
        w = 2 * math.pi * t / period + phase
        x, y, scale, angle = cx, cy, base, angle0
        motion = CLASSES[label]
        if motion == "left_right":
            x = cx + amplitude * math.sin(w)
        elif motion == "up_down":
            y = cy + amplitude * math.sin(w)
        elif motion == "rotate":
            angle = angle0 + spin * math.pi * t / period
        else:  # grow_shrink
            scale = base * (1.0 + 0.45 * math.sin(w))
        c, s = math.cos(angle), math.sin(angle)
        pts = poly @ np.array([[c, s], [-s, c]]) * scale + np.array([x, y])
        mask = inside(pts, xs, ys).reshape(size, ss, size, ss).mean(axis=(1, 3))[:, :, None]
        out[f] = np.clip(np.rint(background * (1 - mask) + colour * mask), 0, 255).astype(np.uint8)
    return out


def encode(frames, fps, path, codec_args):
    n, h, w, _ = frames.shape
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
           "-i", "-", "-an", *codec_args, "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
           "-map_metadata", "-1", path]
    subprocess.run(cmd, input=frames.tobytes(), check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", metavar="OUT_DIR", help="write the full set (--per-class 75 by default) to OUT_DIR")
    ap.add_argument("--out", default=None, help="output folder (default: test-data/synthetic)")
    ap.add_argument("--per-class", type=int, default=None, help="clips per class (default 15, or 75 with --full)")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--fps", type=int, default=30)
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg not found: apt-get install ffmpeg")
    here = os.path.dirname(os.path.abspath(__file__))
    out = args.full or args.out or os.path.join(here, "..", "synthetic")
    per_class = args.per_class or (75 if args.full else 15)
    frames_per_clip = int(round(args.seconds * args.fps))

    if os.path.isdir(os.path.join(out, "videos")):
        shutil.rmtree(os.path.join(out, "videos"))
    if os.path.isdir(os.path.join(out, "broken")):
        shutil.rmtree(os.path.join(out, "broken"))
    os.makedirs(out, exist_ok=True)

    rows, hashes = [], []
    index = 0
    for k in range(per_class):
        for label, name in enumerate(CLASSES):
            frames = clip_frames(index, label, args.size, frames_per_clip, args.fps)
            ext, codec_args = CODECS[(k + label) % len(CODECS)]  # every class in every codec
            rel = f"videos/{name}/{name}_{index:04d}.{ext}"
            os.makedirs(os.path.join(out, os.path.dirname(rel)), exist_ok=True)
            encode(frames, args.fps, os.path.join(out, rel), codec_args)
            rows.append((rel, name))
            hashes.append(f"{hashlib.sha256(frames.tobytes()).hexdigest()}  {rel}")
            index += 1

    with open(os.path.join(out, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "label"])
        w.writerows(rows)
    with open(os.path.join(out, "classes.json"), "w") as f:
        f.write("{\"classes\": [" + ",".join("\n  " + json.dumps(c) for c in CLASSES) + "\n]}\n")
    with open(os.path.join(out, "frames_sha256.txt"), "w") as f:
        f.write("\n".join(hashes) + "\n")

    # deliberately broken files
    broken = os.path.join(out, "broken")
    os.makedirs(broken)
    rng = np.random.RandomState(99)
    frames = clip_frames(10_000, 1, args.size, frames_per_clip, args.fps)
    tmp = os.path.join(broken, "full.mp4")
    encode(frames, args.fps, tmp, CODECS[0][1])
    data = open(tmp, "rb").read()
    os.remove(tmp)
    open(os.path.join(broken, "truncated.mp4"), "wb").write(data[: len(data) // 2])  # moov atom is at the end
    tmp = os.path.join(broken, "full.webm")
    encode(frames, args.fps, tmp, CODECS[1][1])
    data = open(tmp, "rb").read()
    os.remove(tmp)
    open(os.path.join(broken, "truncated.webm"), "wb").write(data[: len(data) // 2])  # header + some frames
    open(os.path.join(broken, "random.mp4"), "wb").write(rng.bytes(3000))
    open(os.path.join(broken, "empty.avi"), "wb").close()
    open(os.path.join(broken, "not_a_video.webm"), "w").write("this is not a video\n")
    with open(os.path.join(out, "broken.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "label"])
        for name, label in [("truncated.mp4", "left_right"), ("truncated.webm", "left_right"),
                            ("random.mp4", "rotate"), ("empty.avi", "up_down"), ("not_a_video.webm", "grow_shrink")]:
            w.writerow([f"broken/{name}", label])

    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out) for fn in fns)
    print(f"wrote {len(rows)} clips ({per_class} per class, {len(CLASSES)} classes) + 5 broken files to {out}: {total} bytes")


if __name__ == "__main__":
    main()
