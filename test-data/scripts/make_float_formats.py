"""Golden fixture for org.iboot4j.engine.FloatFormats (float32 <-> float16 / bfloat16).

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_float_formats.py

Writes test-data/golden/float_formats.safetensors with

    x               F32 [N]      awkward float32 inputs (ties, boundaries, subnormals,
                                 specials) plus seeded random values
    half_bits       I16 [N]      x.half() as raw bits
    bf16_bits       I16 [N]      x.bfloat16() as raw bits
    half_back       F32 [N]      x.half().float()
    bf16_back       F32 [N]      x.bfloat16().float()
    all_bits        I16 [65536]  every 16-bit pattern 0..65535 (wrapped to int16)
    all_from_half   F32 [65536]  all_bits viewed as float16, converted to float32
    all_from_bf16   F32 [65536]  all_bits viewed as bfloat16, converted to float32

Only torch is needed (the file is written by fixture_io.py).  The output is
deterministic for a given torch build.
"""

import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "float_formats.safetensors")
SEED = 20240611


def f32_bits(v: float) -> int:
    """The float32 bit pattern (as an unsigned int) of the double v rounded to float32."""
    return struct.unpack("<I", struct.pack("<f", v))[0]


def bits_with_neighbours(b: int):
    """b and the float32 patterns one ulp below and above (same sign), when they exist."""
    out = [b]
    if b & 0x7FFFFFFF:
        out.append(b - 1)
    if (b & 0x7FFFFFFF) < 0x7F800000:
        out.append(b + 1)
    return out


def awkward_bits():
    """Hand-picked float32 patterns (positive; negatives are added by the caller)."""
    bits = []

    # --- specials: zero, infinity, NaNs (quiet, signalling, payloads that would truncate to inf)
    bits += [0x00000000, 0x7F800000, 0x7FC00000, 0x7F800001, 0x7FBFFFFF, 0x7FC00001,
             0x7FFFFFFF, 0x7F801000, 0x7F802000, 0x7F810000, 0x7FA00000]

    # --- float16: exact ties m + 1/2 between neighbouring normal halves, for even and odd m,
    #     including m = 1023 (carry into the next binade) in every binade.
    for e in range(1, 31):                        # half biased exponent
        for m in (0, 1, 2, 3, 511, 512, 1021, 1022, 1023):
            fb = ((e + 112) << 23) | (m << 13) | (1 << 12)
            bits += bits_with_neighbours(fb)
        bits.append((e + 112) << 23)              # the power of two itself
    # --- float16: subnormal ties (k + 1/2) * 2^-24 and the subnormals themselves
    for k in list(range(0, 16)) + [255, 256, 511, 512, 1020, 1021, 1022, 1023]:
        bits += bits_with_neighbours(f32_bits((k + 0.5) * 2.0 ** -24))
        if k:
            bits += bits_with_neighbours(f32_bits(k * 2.0 ** -24))
    # --- float16: max finite, the overflow boundary, beyond
    for v in (65504.0, 65504.0 + 8.0, 65520.0, 65535.0, 65536.0, 65536.0 * 2, 1e5, 1e10):
        bits += bits_with_neighbours(f32_bits(v))
    # --- float16: smallest normal and the subnormal/normal boundary
    bits += bits_with_neighbours(f32_bits(2.0 ** -14))
    bits += bits_with_neighbours(f32_bits(1023.5 * 2.0 ** -24))
    # --- float16: values that round to zero or to the smallest subnormal
    for v in (2.0 ** -25, 2.0 ** -26, 1.5 * 2.0 ** -25, 2.0 ** -30, 1e-10, 1e-20, 1e-40):
        bits += bits_with_neighbours(f32_bits(v))

    # --- bfloat16: exact ties (low 16 bits 0x8000) with even and odd upper halves, and neighbours
    for hi in (0x0000, 0x0001, 0x007E, 0x007F, 0x0080, 0x0081, 0x3F80, 0x3F81, 0x3FFF,
               0x4049, 0x477F, 0x7F00, 0x7F7E, 0x7F7F):
        bits += bits_with_neighbours((hi << 16) | 0x8000)
        bits += bits_with_neighbours(hi << 16)
    # --- bfloat16 / float32: max finite, smallest normal, subnormals
    bits += bits_with_neighbours(0x7F7FFFFF)      # Float.MAX_VALUE -> bf16 inf
    bits += bits_with_neighbours(0x7F7F0000)      # bf16 max finite
    bits += bits_with_neighbours(0x00800000)      # smallest normal
    bits += [0x00000001, 0x00000002, 0x00007FFF, 0x00008000, 0x00008001, 0x0000FFFF,
             0x00010000, 0x00017FFF, 0x00018000, 0x00018001, 0x007F0000, 0x007FFFFF]
    return bits


def random_bits(gen: torch.Generator):
    """Seeded random float32 patterns: uniform over all patterns, over the float16 range,
    and near bfloat16 rounding boundaries."""
    out = []
    # uniform over every 32-bit pattern (exponents spread over the whole float32 range)
    out += torch.randint(0, 1 << 32, (1500,), generator=gen, dtype=torch.int64).tolist()
    # exponents 2^-30 .. 2^17: normal, subnormal, underflowing and overflowing halves
    exps = torch.randint(127 - 30, 127 + 18, (2000,), generator=gen, dtype=torch.int64)
    mant = torch.randint(0, 1 << 23, (2000,), generator=gen, dtype=torch.int64)
    sign = torch.randint(0, 2, (2000,), generator=gen, dtype=torch.int64)
    out += ((sign << 31) | (exps << 23) | mant).tolist()
    # random upper halves with low halves at and next to the bfloat16 tie, and half ties
    hi = torch.randint(0, 1 << 16, (500,), generator=gen, dtype=torch.int64)
    lo = torch.tensor([0x7FFF, 0x8000, 0x8001, 0x0000])[torch.randint(0, 4, (500,), generator=gen)]
    out += ((hi << 16) | lo).tolist()
    top = torch.randint(0, 1 << 19, (500,), generator=gen, dtype=torch.int64)  # sign|exp|10 mantissa bits
    low = torch.tensor([0x0FFF, 0x1000, 0x1001])[torch.randint(0, 3, (500,), generator=gen)]
    out += ((top << 13) | low).tolist()
    return out


def to_float32(bits):
    """float32 tensor from unsigned 32-bit patterns."""
    signed = [b - (1 << 32) if b >= (1 << 31) else b for b in bits]
    return torch.tensor(signed, dtype=torch.int32).view(torch.float32)


def main():
    gen = torch.Generator().manual_seed(SEED)
    hand = awkward_bits()
    hand = hand + [b | 0x80000000 for b in hand]   # every hand-picked value with both signs
    bits = []
    seen = set()
    for b in hand + random_bits(gen):
        b &= 0xFFFFFFFF
        if b not in seen:
            seen.add(b)
            bits.append(b)
    x = to_float32(bits)
    assert [v & 0xFFFFFFFF for v in x.view(torch.int32).tolist()] == bits, "float32 patterns were altered"

    all_bits = torch.arange(65536, dtype=torch.int32).to(torch.int16)  # 0..32767, -32768..-1
    assert all_bits[65535].item() == -1

    tensors = {
        "x": x,
        "half_bits": x.half().view(torch.int16),
        "bf16_bits": x.bfloat16().view(torch.int16),
        "half_back": x.half().float(),
        "bf16_back": x.bfloat16().float(),
        "all_bits": all_bits,
        "all_from_half": all_bits.view(torch.float16).float(),
        "all_from_bf16": all_bits.view(torch.bfloat16).float(),
    }
    nan_half = x[torch.isnan(x)].half().view(torch.int16)
    nan_bf16 = x[torch.isnan(x)].bfloat16().view(torch.int16)
    metadata = {
        "generator": "test-data/scripts/make_float_formats.py",
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "count": str(x.numel()),
        "nan_half_bits": " ".join(sorted({f"{v & 0xFFFF:04x}" for v in nan_half.tolist()})),
        "nan_bf16_bits": " ".join(sorted({f"{v & 0xFFFF:04x}" for v in nan_bf16.tolist()})),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    fixture_io.save(OUT, tensors, metadata)
    print(f"wrote {os.path.normpath(OUT)}: {x.numel()} values, {os.path.getsize(OUT)} bytes")
    print(f"torch {torch.__version__}: NaN -> half {metadata['nan_half_bits']}, bf16 {metadata['nan_bf16_bits']}")


if __name__ == "__main__":
    main()
