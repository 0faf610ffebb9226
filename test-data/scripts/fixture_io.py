"""Writes golden test fixtures in the safetensors format, using nothing but torch.

Every fixture script under test-data/scripts imports this module::

    import fixture_io
    fixture_io.save("test-data/golden/foo.safetensors",
                    {"x": x, "y": y},
                    metadata={"generator": "make_foo.py"})

The files are read back on the Java side by
engine/src/test/java/org/iboot4j/engine/testing/SafetensorsFixture.java.

Format (https://github.com/huggingface/safetensors), written by hand so that no
extra Python package is needed:

* 8 bytes: the header length N as an unsigned 64-bit little-endian integer;
* N bytes: a UTF-8 JSON object, keys sorted, padded with trailing spaces so
  that 8 + N is a multiple of 8.  Each tensor has an entry
  ``{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`` with
  offsets relative to the start of the data section; the optional key
  ``__metadata__`` maps strings to strings;
* the data section: every tensor's elements in row-major (C) order,
  little-endian, one after the other in sorted-name order, with no gaps.

The output is deterministic: the same tensors give the same bytes.
"""

import json
import struct
import sys

import torch

# torch dtype -> (safetensors dtype name, element size in bytes)
DTYPES = {
    torch.float64: ("F64", 8),
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.int64: ("I64", 8),
    torch.int32: ("I32", 4),
    torch.int16: ("I16", 2),
    torch.int8: ("I8", 1),
    torch.uint8: ("U8", 1),
    torch.bool: ("BOOL", 1),
}


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The elements of ``t`` in row-major order as little-endian bytes."""
    if sys.byteorder != "little":
        raise RuntimeError("fixture_io assumes a little-endian host")
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # the raw bits; some torch versions cannot export bf16 directly
    # a uint8 tensor's tolist() is a list of ints 0..255, which bytes() takes directly
    return bytes(t.reshape(-1).view(torch.uint8).tolist())


def save(path, tensors: dict, metadata: dict | None = None) -> None:
    """Writes ``tensors`` (name -> torch.Tensor) to ``path`` as a safetensors file.

    ``metadata``, if given, must map str to str; it is stored under ``__metadata__``.
    Supported dtypes: float64, float32, float16, bfloat16, int64, int32, int16,
    int8, uint8 and bool.
    """
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        t = tensors[name]
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        dtype, size = DTYPES[t.dtype]
        data = tensor_bytes(t)
        assert len(data) == t.numel() * size, name
        header[name] = {
            "dtype": dtype,
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must map str to str, got {k!r}: {v!r}")
        header["__metadata__"] = dict(metadata)

    head = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)
