"""Golden fixture for the clip augmentation, checked by
iboot/src/test/java/org/iboot4j/data/augment/AugmentGoldenTest.java.

Run from the repository root (PyTorch 1.13 and torchvision from Debian, never pip:
``apt-get install python3-torch python3-torchvision``):

    /usr/bin/python3 test-data/scripts/make_augment_golden.py

Every transform of the iBoot pipeline is applied with FIXED parameters through torchvision's
functional tensor ops (``torchvision.transforms.functional``): resize (bilinear,
antialias=False), crop, hflip, adjust_brightness / contrast / saturation / hue,
rgb_to_grayscale (3 output channels), gaussian_blur and normalize. The Java side uses
torchvision's FLOAT path: uint8 pixels are converted to float32 with ``x / 255`` first and every
op then works on float32 values in [0, 1] (torchvision's uint8 path rounds after each op, which
the augmentation never does).

The file holds, per case NAME:

  NAME.out     torchvision's result (F32)

and the metadata key NAME gives the input's name, the op and its parameters as space-separated
key=value pairs (``input=a op=resize h=13 w=17``), which the Java test parses, so the parameters
live in one place. The inputs are stored once each as ``input.<name>``: ``a`` (F32 (3, 12, 17),
``input.u8`` / 255: a uint8 image (a uint8 image with random pixels and hand-placed special ones: grays, pure
primaries, ties between the largest channels, 0 and 255) divided by 255), ``f`` (random
float32 values in [0, 1], not on the 1/255 grid, like the output of a resize), ``sq`` (F32
(3, 24, 24), for the 23-tap blur), and the U8 clips ``clip`` (3, 3, 18, 25) and ``clip_p``
(3, 3, 18, 14). The ``pipeline.*``
cases run the whole clip augmentation on a (T, 3, H, W) uint8 clip and give a (3, T, h, w)
output, in the order of the Java ClipAugmenter: resize short side -> crop -> flip -> colour
jitter ops in the given order -> grayscale -> Gaussian blur -> normalize. Deterministic output.
"""

import os
import sys

import torch
import torchvision
import torchvision.transforms.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "augment.safetensors")

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

tensors = {}
meta = {"generator": "make_augment_golden.py", "torch": torch.__version__, "torchvision": torchvision.__version__}


def u8_image(gen, h, w):
    img = torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
    special = [
        (0, 0, 0), (255, 255, 255), (128, 128, 128), (255, 0, 0), (0, 255, 0), (0, 0, 255),
        (200, 200, 10), (10, 200, 200), (200, 10, 200), (90, 90, 90), (1, 0, 0), (254, 255, 255),
        (255, 255, 0), (0, 255, 255), (255, 0, 255), (37, 200, 37),
    ]
    for k, rgb in enumerate(special):
        img[:, k // w, k % w] = torch.tensor(rgb, dtype=torch.uint8)
    return img


gen = torch.Generator().manual_seed(1234)
IMG_U8 = u8_image(gen, 12, 17)
IMG_A = IMG_U8.float() / 255          # on the 1/255 grid
IMG_F = torch.rand((3, 12, 17), generator=gen)  # general float values in [0, 1)
IMG_SQ = torch.rand((3, 24, 24), generator=gen)  # for the 23-tap blur (reflect pad 11 < 24)
INPUTS = {"a": IMG_A, "f": IMG_F, "sq": IMG_SQ}


def fmt(v):
    return repr(v) if isinstance(v, float) else str(v)


def case(name, src, out, **params):
    """Records torchvision's output for the input called src (a key of INPUTS or CLIPS)."""
    tensors[name + ".out"] = out.contiguous().float()
    params = dict(input=src, **params)
    meta[name] = " ".join(f"{k}={fmt(v) if not isinstance(v, list) else ','.join(fmt(x) for x in v)}"
                          for k, v in params.items())


for src in ("a", "f"):
    img = INPUTS[src]
    # resize by the short side (torchvision's int(size * long / short) for the long side) ...
    for size in (7, 12, 23):
        out = F.resize(img, [size], interpolation=F.InterpolationMode.BILINEAR, antialias=False)
        case(f"resize_short{size}.{src}", src, out, op="resize_short", size=size)
    # ... and to explicit sizes, up and down independently per axis
    for (h, w) in ((5, 30), (25, 8), (12, 17), (1, 1)):
        out = F.resize(img, [h, w], interpolation=F.InterpolationMode.BILINEAR, antialias=False)
        case(f"resize_{h}x{w}.{src}", src, out, op="resize", h=h, w=w)
    case(f"crop.{src}", src, F.crop(img, 3, 5, 8, 11), op="crop", top=3, left=5, h=8, w=11)
    case(f"hflip.{src}", src, F.hflip(img), op="hflip")
    for f in (0.8, 1.17, 1.6, 0.0):
        case(f"brightness_{f}.{src}", src, F.adjust_brightness(img, f), op="brightness", factor=f)
    for f in (0.8, 1.2, 2.5, 0.0):
        case(f"contrast_{f}.{src}", src, F.adjust_contrast(img, f), op="contrast", factor=f)
    for f in (0.8, 1.2, 3.0, 0.0):
        case(f"saturation_{f}.{src}", src, F.adjust_saturation(img, f), op="saturation", factor=f)
    for f in (-0.05, 0.05, 0.013, 0.3, -0.5, 0.5, 0.0):
        case(f"hue_{f}.{src}", src, F.adjust_hue(img, f), op="hue", factor=f)
    case(f"grayscale.{src}", src, F.rgb_to_grayscale(img, num_output_channels=3), op="grayscale")
    for (k, s) in ((5, 0.7), (7, 2.0), (3, 0.1), (9, 1.3)):
        case(f"blur_k{k}_s{s}.{src}", src, F.gaussian_blur(img, [k, k], [s, s]), op="blur", kernel=k, sigma=s)
    case(f"normalize.{src}", src, F.normalize(img, CLIP_MEAN, CLIP_STD), op="normalize",
         mean=CLIP_MEAN, std=CLIP_STD)

# the BYOL/SimCLR kernel for 224 crops (23 taps) on a 24x24 image
for s in (0.1, 1.0, 2.0):
    case(f"blur_k23_s{s}.sq", "sq", F.gaussian_blur(IMG_SQ, [23, 23], [s, s]), op="blur", kernel=23, sigma=s)

# ---- whole pipeline on a (T, 3, H, W) uint8 clip --------------------------------------------

JITTER_FNS = {
    0: lambda x, p: F.adjust_brightness(x, p["brightness"]),
    1: lambda x, p: F.adjust_contrast(x, p["contrast"]),
    2: lambda x, p: F.adjust_saturation(x, p["saturation"]),
    3: lambda x, p: F.adjust_hue(x, p["hue"]),
}


def pipeline(clip_u8, p):
    x = clip_u8.float() / 255
    x = F.resize(x, [p["short"]], interpolation=F.InterpolationMode.BILINEAR, antialias=False)
    x = F.crop(x, p["top"], p["left"], p["crop_h"], p["crop_w"])
    if p["flip"]:
        x = F.hflip(x)
    for op in p["order"]:
        x = JITTER_FNS[op](x, p)
    if p["gray"]:
        x = F.rgb_to_grayscale(x, num_output_channels=3)
    if p["sigma"] > 0:
        x = F.gaussian_blur(x, [p["kernel"], p["kernel"]], [p["sigma"], p["sigma"]])
    x = F.normalize(x, p["mean"], p["std"])
    return x.permute(1, 0, 2, 3)  # (T, 3, h, w) -> (3, T, h, w)


CLIP = torch.stack([u8_image(gen, 18, 25) for _ in range(3)])  # (T=3, 3, 18, 25): landscape
CLIP_P = CLIP[:, :, :, :14].contiguous()                          # (3, 3, 18, 14): portrait
PIPELINES = [
    ("pipeline.full", "clip", dict(short=29, top=4, left=9, crop_h=16, crop_w=16, flip=1,
                                  order=[2, 0, 3, 1], brightness=1.13, contrast=0.87, saturation=1.19, hue=-0.037,
                                  gray=0, sigma=1.3, kernel=5, mean=CLIP_MEAN, std=CLIP_STD)),
    ("pipeline.gray", "clip", dict(short=21, top=0, left=11, crop_h=21, crop_w=17, flip=0,
                                  order=[3, 1, 0, 2], brightness=0.81, contrast=1.2, saturation=0.9, hue=0.05,
                                  gray=1, sigma=0.4, kernel=7, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])),
    ("pipeline.plain", "clip_p", dict(short=16, top=3, left=0, crop_h=12, crop_w=16, flip=1,
                                     order=[], brightness=1.0, contrast=1.0, saturation=1.0, hue=0.0,
                                     gray=0, sigma=0.0, kernel=5, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])),
    ("pipeline.partial", "clip_p", dict(short=19, top=10, left=2, crop_h=9, crop_w=15, flip=0,
                                       order=[1, 3], brightness=1.0, contrast=0.95, saturation=1.0, hue=0.021,
                                       gray=1, sigma=1.9, kernel=9, mean=CLIP_MEAN, std=CLIP_STD)),
]
CLIPS = {"clip": CLIP, "clip_p": CLIP_P}
for name, src, p in PIPELINES:
    case(name, src, pipeline(CLIPS[src], p), op="pipeline", **p)

for k, v in INPUTS.items():
    tensors["input." + k] = v.contiguous()
tensors["input.u8"] = IMG_U8.contiguous()   # IMG_A = input.u8 / 255, for reference
for k, v in CLIPS.items():
    tensors["input." + k] = v.contiguous()

fixture_io.save(OUT, tensors, meta)
print(f"wrote {OUT}: {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")
