"""The torchvision side of the loader comparison (bench/loader-compare.sh runs it through
org.iboot4j.bench.LoaderCompareMain): clips per second of decode + augment, measured the way
iboot4j's LoaderBenchmark measures its ClipLoader.

    /usr/bin/python3 bench/loader_torch.py --dataset test-data/synthetic/labels.csv --clips 96 --workers 2

The same work per sample as iBoot's training loader: one video, 3 clips of T frames every tau-th
on the 30 fps clip time base, each clip decoded at its native size and given its own draw of the
paper's augmentation (the project's AugmentConfig.iboot()): short side uniform in [256, 320],
random 224 crop, flip p 0.5, ColorJitter(0.2, 0.2, 0.2, 0.05) p 0.8, grayscale p 0.2, Gaussian
blur (23 taps, sigma in [0.1, 2]) p 0.5, CLIP normalisation; one draw per clip, shared by its
frames (the transforms run on the (T, 3, H, W) clip tensor). Batches of 8 samples from a
DataLoader with W worker processes (one intra-op thread each, DataLoader's default), shuffled,
last batch dropped; the first W batches are a warm-up and not timed.

Decoding: torchvision.io.read_video of the clip's time span with the video_reader backend (the
C++ FFmpeg reader) when torchvision has it, else its PyAV backend. Durations are probed once, up
front and untimed (the reader's own probe gives none for WebM); iboot4j reads them from the file
header per sample, so this favours torchvision slightly.

Prints "#meta<TAB>key<TAB>value" lines, then one line
"result<TAB>workers<TAB>clips<TAB>seconds<TAB>cpu-seconds" (LoaderCompareMain parses them); the CPU
time is that of this process and its worker processes over the timed part.
"""

import argparse
import csv
import os
import random
import time

import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F

CLIP_FPS = 30.0
VIEWS = 3
BATCH = 8
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def pick_backend():
    """video_reader when this torchvision build has it (it is the faster reader), else pyav."""
    try:
        torchvision.set_video_backend("video_reader")
        return "video_reader"
    except (RuntimeError, ValueError):
        torchvision.set_video_backend("pyav")
        return "pyav"


class ShortSide:
    """Resizes a (T, 3, H, W) clip so its short side is uniform in [lo, hi] (bilinear, like iboot4j)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __call__(self, clip):
        return F.resize(clip, random.randint(self.lo, self.hi), interpolation=T.InterpolationMode.BILINEAR)


def augmentation():
    """AugmentConfig.iboot() in torchvision transforms, on a float (T, 3, H, W) clip in [0, 1]."""
    return T.Compose([
        ShortSide(256, 320),
        T.RandomCrop(224),
        T.RandomHorizontalFlip(0.5),
        T.RandomApply([T.ColorJitter(0.2, 0.2, 0.2, 0.05)], p=0.8),
        T.RandomGrayscale(0.2),
        T.RandomApply([T.GaussianBlur(23, sigma=(0.1, 2.0))], p=0.5),
        T.Normalize(CLIP_MEAN, CLIP_STD),
    ])


def linked_ffmpeg():
    """The libavcodec this process loaded (the reader links the system's FFmpeg), from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "libavcodec" in line}
        return ", ".join(sorted(os.path.basename(lib) for lib in libs)) or "unknown"
    except OSError:
        return "unknown"


def cpu_seconds():
    """CPU time of this process and its live children (the DataLoader's worker processes), from /proc."""
    me = os.getpid()
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # after the command name: state, ppid, ... utime and stime are the 12th and 13th
        if int(entry) == me or int(fields[1]) == me:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def duration(path):
    """Seconds from the first frame to the end of the last (from the frame timestamps)."""
    pts, fps = torchvision.io.read_video_timestamps(path, pts_unit="sec")
    return float(pts[-1]) + 1.0 / fps if pts else 0.0


class Clips(torch.utils.data.Dataset):
    """Sample i: VIEWS augmented clips of video i as a (VIEWS, 3, T, 224, 224) float tensor."""

    def __init__(self, files, frames, stride):
        self.files, self.frames, self.stride = files, frames, stride
        self.durations = [duration(f) for f in files]
        self.augment = augmentation()

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        span = self.frames * self.stride / CLIP_FPS
        room = max(self.durations[i] - span, 0.0)
        views = []
        for _ in range(VIEWS):
            start = random.uniform(0.0, room)
            video, _, info = torchvision.io.read_video(self.files[i], start, start + span, pts_unit="sec")
            fps = info.get("video_fps", CLIP_FPS)
            last = video.shape[0] - 1
            # frame k is at start + k * stride / 30 s; a short video repeats its last frame
            picks = [min(round(k * self.stride / CLIP_FPS * fps), last) for k in range(self.frames)]
            clip = video[picks].permute(0, 3, 1, 2).float().div_(255)
            views.append(self.augment(clip).permute(1, 0, 2, 3))
        return torch.stack(views)


def read_files(dataset):
    """The video paths of a path,label CSV, relative to its folder (as iboot4j reads it)."""
    root = os.path.dirname(os.path.abspath(dataset))
    with open(dataset, newline="") as f:
        return [os.path.join(root, row["path"]) for row in csv.DictReader(f)]


def seed_worker(worker_id):
    random.seed(torch.initial_seed() % 2 ** 32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True, help="a path,label CSV")
    p.add_argument("--clips", type=int, default=96, help="clips (views) made in the timed part")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--stride", type=int, default=8)
    a = p.parse_args()
    torch.manual_seed(0)
    random.seed(0)
    backend = pick_backend()
    print(f"#meta\ttorch\t{torch.__version__}, torchvision {torchvision.__version__}", flush=True)
    print(f"#meta\ttorchvision video backend\t{backend} (torchvision.io.read_video)", flush=True)
    data = Clips(read_files(a.dataset), a.frames, a.stride)
    print(f"#meta\ttorchvision FFmpeg\t{linked_ffmpeg()}", flush=True)
    batch = min(BATCH, len(data))
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, drop_last=True,
                                         num_workers=a.workers, worker_init_fn=seed_worker,
                                         persistent_workers=True)
    # Each worker process makes whole batches, so the first W batches are made side by side and
    # arrive almost together: they are the warm-up (worker start-up included), and the clock starts
    # once the loader runs in its steady state (LoaderBenchmark's threads share every batch, so one
    # warm-up batch does for it).
    warmup = max(1, a.workers)
    made, seen, t0, cpu0 = 0, 0, None, 0.0
    while made < a.clips:
        for b in loader:
            seen += 1
            if seen <= warmup:
                if seen == warmup:
                    t0, cpu0 = time.perf_counter(), cpu_seconds()
                continue
            made += b.shape[0] * b.shape[1]
            if made >= a.clips:
                break
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(f"result\t{a.workers}\t{made}\t{seconds:.4f}\t{cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
