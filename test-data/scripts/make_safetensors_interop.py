"""Safetensors interop between PyTorch and org.iboot4j.nn.io (SafetensorsReader / SafetensorsWriter).

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_safetensors_interop.py
        writes test-data/golden/safetensors_interop.safetensors (read by
        nn/.../SafetensorsInteropTest);

    /usr/bin/python3 test-data/scripts/make_safetensors_interop.py check [FILE]
        checks a file written by the Java SafetensorsWriter (default:
        nn/target/safetensors-interop/from_java.safetensors, which
        SafetensorsInteropTest writes on every run) against torch's own
        conversions of the golden tensors; exits non-zero on any mismatch.

The golden file holds one source tensor per awkward case (every dtype the
reader converts, special values, a scalar, empty tensors, odd shapes, a name
that needs JSON escapes) and, for each source NAME,

    NAME.expected        F32   torch's NAME.float()
    NAME.expected_long   I64   torch's NAME.long()   (integer and bool sources only)

plus metadata with non-ASCII text.  The Java test requires the reader's
float32 / int64 values to equal these bit for bit (where torch gives NaN,
NaN of any payload).

In check mode the Java file must hold, for each golden source NAME (X is
the source as float32, i.e. NAME.expected):

    NAME/f32, NAME/f16, NAME/bf16, NAME/f64   X.float(), .half(), .bfloat16(), .double()
                                              (float sources, and /f32 for all)
    NAME/i64, NAME/i32                        NAME.long(), NAME.int() (integer sources;
                                              /i32 not for I64 sources)
    NAME/bool, NAME/u8                        NAME itself, NAME.to(uint8) (bool sources)

with the golden metadata plus {"writer": "iboot4j SafetensorsWriter"}; its
header must be byte-identical to what fixture_io.save writes for the same
tensors, and its data must tile the data section in sorted-name order.

Only torch is needed (no `safetensors` package): files are written by
fixture_io.py and read by the small reader below.  Output is deterministic.
"""

import json
import math
import os
import struct
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "test-data", "golden", "safetensors_interop.safetensors")
JAVA_OUT = os.path.join(ROOT, "nn", "target", "safetensors-interop", "from_java.safetensors")
SEED = 20240917

# safetensors dtype name -> torch dtype (the inverse of fixture_io.DTYPES)
TORCH_DTYPES = {name: dt for dt, (name, _) in fixture_io.DTYPES.items()}
SIZES = {name: size for _, (name, size) in fixture_io.DTYPES.items()}

WEIRD_NAME = 'weird "name" \\ \u00fcn\u00ef \u2603 \U0001d11e/\t.x'


# --------------------------------------------------------------------- sources

def sources():
    g = torch.Generator().manual_seed(SEED)
    nan, inf = float("nan"), float("inf")
    t = {}

    specials = [0.0, -0.0, 1.0, -1.5, inf, -inf, nan, 1e-45, -1e-45, 1.17549435e-38,
                3.4028235e38, -3.4028235e38, 65504.0, 65520.0, 6.1035156e-05, 5.9604645e-08,
                1.0 / 3.0, -2.5e-3]
    t["f32"] = torch.cat([torch.tensor(specials, dtype=torch.float32),
                          torch.randn(12, generator=g)]).reshape(5, 6)

    half_specials = [0.0, -0.0, 1.0, -2.0, 65504.0, -65504.0, inf, -inf, nan,
                     2.0 ** -24, -(2.0 ** -24), 2.0 ** -14, 1023 * 2.0 ** -24, 0.333251953125]
    t["f16"] = torch.cat([torch.tensor(half_specials, dtype=torch.float16),
                          torch.randn(10, generator=g).half()]).reshape(2, 3, 4)

    bf16_specials = [0.0, -0.0, 1.0, -3.0, inf, -inf, nan, 3.3895314e38, 9.2e-41, 2.0 ** -133]
    t["bf16"] = torch.cat([torch.tensor(bf16_specials, dtype=torch.bfloat16),
                           torch.randn(5, generator=g).bfloat16()]).reshape(3, 1, 5)

    t["f64"] = torch.tensor([1.0 / 3.0, 1e300, -1e300, 1e-50, -1e-50, 1.401298464324817e-45,
                             1.0 + 2.0 ** -24,           # tie: rounds to even (1.0)
                             1.0 + 3 * 2.0 ** -24,       # tie: rounds to even (1 + 2^-22)
                             0.1, nan, -0.0, 2.0 ** -150 * 3, 3.4028235677973366e38],
                            dtype=torch.float64)

    t["i64"] = torch.tensor([0, -1, 2 ** 24 + 1, 2 ** 53 + 1, 2 ** 63 - 1, -(2 ** 63), 123456789],
                            dtype=torch.int64)
    t["i32"] = torch.tensor([0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 24 + 1, 123, -456, 7],
                            dtype=torch.int32).reshape(2, 2, 2)
    t["i16"] = torch.tensor([-32768, 32767, 5], dtype=torch.int16)
    t["i8"] = torch.tensor([-128, 127, 0, -1], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 1, 127, 128, 200, 255, 3, 4], dtype=torch.uint8).reshape(2, 4)
    t["bool"] = torch.tensor([True, False, False, True, True, False]).reshape(2, 3)

    t["scalar"] = torch.tensor(3.25, dtype=torch.float32)
    t["scalar_i64"] = torch.tensor(-7, dtype=torch.int64)
    t["scalar_bf16"] = torch.tensor(-0.5, dtype=torch.bfloat16)
    t["empty"] = torch.zeros(0, dtype=torch.float32)
    t["empty_3d_f16"] = torch.zeros(2, 0, 3, dtype=torch.float16)
    t["empty_i64"] = torch.zeros(0, dtype=torch.int64)
    t["odd"] = torch.randn(1, 1, 7, 1, generator=g)
    t["odd_f64"] = torch.randn(3, 1, 1, 2, 1, generator=g, dtype=torch.float64)
    t["odd_bool"] = torch.tensor([[[True]]])
    t["block.0.attn.qkv.weight"] = torch.randn(6, 4, generator=g)   # a typical checkpoint key
    t[WEIRD_NAME] = torch.tensor([1.5, -2.25], dtype=torch.float32)
    return t


def metadata():
    return {
        "format": "pt",
        "generator": "test-data/scripts/make_safetensors_interop.py",
        "torch": torch.__version__,
        "note": 'h\u00e9llo \u2603 \U0001d11e "quoted" \\ newline\n tab\t',
        "": "empty key",
    }


def is_integer(dtype):
    return dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def generate():
    src = sources()
    out = dict(src)
    for name, x in src.items():
        out[name + ".expected"] = x.float()
        if is_integer(x.dtype) or x.dtype == torch.bool:
            out[name + ".expected_long"] = x.long()
    fixture_io.save(OUT, out, metadata())
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(out)} tensors, {os.path.getsize(OUT)} bytes")


# --------------------------------------------------------------------- a tiny reader

def read(path):
    """(header_bytes, {name: tensor}, metadata) of a safetensors file; strict enough for tests."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    head = raw[8:8 + n]
    header = json.loads(head.decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        dt = TORCH_DTYPES[e["dtype"]]
        chunk = bytearray(data[b:end])
        if dt == torch.bfloat16:
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16) if chunk else torch.zeros(0, dtype=dt)
        else:
            t = torch.frombuffer(chunk, dtype=dt) if chunk else torch.zeros(0, dtype=dt)
        tensors[name] = t.reshape(e["shape"]).clone()
    return raw[:8 + n], header, tensors, meta, len(data)


# --------------------------------------------------------------------- check mode

def expected_from_java(golden):
    """What the Java writer must have written, from the golden source tensors."""
    exp = {}
    for name, x in golden.items():
        if name.endswith(".expected") or name.endswith(".expected_long"):
            continue
        xf = golden[name + ".expected"]
        exp[name + "/f32"] = xf
        if x.dtype.is_floating_point:
            exp[name + "/f16"] = xf.half()
            exp[name + "/bf16"] = xf.bfloat16()
            exp[name + "/f64"] = xf.double()
        elif x.dtype == torch.bool:
            exp[name + "/bool"] = x.clone()
            exp[name + "/u8"] = x.to(torch.uint8)
        else:
            exp[name + "/i64"] = x.long()
            if x.dtype != torch.int64:
                exp[name + "/i32"] = x.int()
    return exp


def same(a, b):
    """Bit-equal, except that NaN only has to meet NaN (payloads differ between torch's own paths)."""
    if a.dtype != b.dtype or list(a.shape) != list(b.shape):
        return False
    if a.dtype.is_floating_point:
        an, bn = torch.isnan(a.float()), torch.isnan(b.float())
        if not torch.equal(an, bn):
            return False
        bits = {torch.float64: torch.int64, torch.float32: torch.int32,
                torch.float16: torch.int16, torch.bfloat16: torch.int16}[a.dtype]
        return torch.equal(a.view(bits)[~an], b.view(bits)[~bn])
    return torch.equal(a, b)


def check(path):
    _, _, golden, gmeta, _ = read(OUT)
    head, header, got, meta, data_len = read(path)
    exp = expected_from_java(golden)
    problems = []

    if sorted(got) != sorted(exp):
        problems.append(f"names differ: missing {sorted(set(exp) - set(got))}, extra {sorted(set(got) - set(exp))}")
    for name in sorted(set(exp) & set(got)):
        if not same(got[name], exp[name]):
            problems.append(f"{name!r}: got {got[name]!r}, torch says {exp[name]!r}")

    want_meta = dict(gmeta, writer="iboot4j SafetensorsWriter")
    if meta != want_meta:
        problems.append(f"metadata {meta!r} != {want_meta!r}")

    # layout: 8-byte aligned data, space padding, sorted keys, sorted back-to-back data
    if len(head) % 8:
        problems.append(f"data starts at byte {len(head)}, not a multiple of 8")
    text = head[8:].decode("utf-8")
    if text.rstrip(" ") != text.strip():
        problems.append("the header has whitespace other than trailing spaces around the JSON")
    keys = list(json.loads(text).keys())
    if keys != sorted(keys):
        problems.append("header keys are not sorted")
    offset = 0
    for name in sorted(header):
        b, e = header[name]["data_offsets"]
        if b != offset:
            problems.append(f"{name!r} starts at {b}, expected {offset}")
        offset = e
    if offset != data_len:
        problems.append(f"tensors cover {offset} of {data_len} data bytes")

    # the header must be exactly what fixture_io writes for the same tensors and metadata
    with tempfile.TemporaryDirectory() as tmp:
        ref = os.path.join(tmp, "ref.safetensors")
        fixture_io.save(ref, exp, want_meta)
        ref_head = read(ref)[0]
    if head != ref_head:
        problems.append("header bytes differ from fixture_io.save's:\n  java:   "
                        + repr(head[:300]) + "\n  python: " + repr(ref_head[:300]))

    if problems:
        print(f"{path}: {len(problems)} problem(s)")
        for p in problems:
            print("  - " + p)
        sys.exit(1)
    print(f"{path}: OK ({len(got)} tensors match torch; header identical to fixture_io's)")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        check(sys.argv[2] if len(sys.argv) > 2 else JAVA_OUT)
    elif len(sys.argv) == 1:
        generate()
    else:
        sys.exit(__doc__)
