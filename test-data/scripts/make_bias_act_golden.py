"""Golden fixture for the fused bias + activation op, checked by
engine/src/test/java/org/iboot4j/engine/BiasActivationTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_bias_act_golden.py

out = act(x + bias), bias (D) broadcast along the last dimension of x (..., D), for act in
identity, ReLU, GELU (exact, approximate='none') and QuickGELU (x * sigmoid(1.702 x)), then
out.backward(gout). Per case NAME and activation ACT: NAME.x, NAME.bias, NAME.gout (shared by
the four activations) and NAME.ACT.out, NAME.ACT.grad_x, NAME.ACT.grad_bias. torch computes in
float64 from the float32 inputs (so the reference is not itself a float32 rounding of a
cancellation, as torch's float32 GELU is in the negative tail) and the results are stored as
float32.
"""

import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import save  # noqa: E402

CASES = {
    "rows": (6, 10),
    "batched": (2, 3, 16),
    "vector": (7,),
    "wide": (3, 7, 64),
}

ACTS = {
    "identity": lambda v: v,
    "relu": F.relu,
    "gelu": lambda v: F.gelu(v, approximate="none"),
    "quick_gelu": lambda v: v * torch.sigmoid(1.702 * v),
}


def main():
    out = {}
    for name, shape in CASES.items():
        torch.manual_seed(zlib.crc32(name.encode()))
        x = torch.randn(shape) * 2.5  # reaches GELU's tails
        bias = torch.randn(shape[-1])
        gout = torch.randn(shape)
        out.update({f"{name}.x": x, f"{name}.bias": bias, f"{name}.gout": gout})
        for act_name, act in ACTS.items():
            x64 = x.double().requires_grad_(True)
            b64 = bias.double().requires_grad_(True)
            y = act(x64 + b64)
            y.backward(gout.double())
            key = f"{name}.{act_name}"
            out.update({f"{key}.out": y.detach().float(), f"{key}.grad_x": x64.grad.float(),
                        f"{key}.grad_bias": b64.grad.float()})
    save("test-data/golden/bias_act.safetensors", out, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
