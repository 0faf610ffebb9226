"""Golden fixture for the iBoot regression loss, checked by
engine/src/test/java/org/iboot4j/engine/CosineLossGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_loss_golden.py

loss = mean over rows of 2 - 2 <normalize(q), normalize(k)> (F.normalize, eps 1e-12),
the target q detached. Per case NAME: NAME.q, NAME.k, NAME.loss (0-d) and NAME.grad_k.
"""

import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import save  # noqa: E402

CASES = {
    "rows": (4, 16),
    "batched": (2, 3, 8),
    "wide": (8, 512),
    "one_row": (1, 5),
}


def main():
    out = {}
    for name, shape in CASES.items():
        torch.manual_seed(zlib.crc32(name.encode()))
        q = torch.randn(shape)
        k = torch.randn(shape).requires_grad_(True)
        if name == "rows":
            q[1] = 0.0  # a zero target row: normalize leaves it zero, the loss there is 2
        loss = (2 - 2 * (F.normalize(q, dim=-1) * F.normalize(k, dim=-1)).sum(-1)).mean()
        loss.backward()
        out.update({f"{name}.q": q, f"{name}.k": k.detach(), f"{name}.loss": loss.detach(),
                    f"{name}.grad_k": k.grad})
    save("test-data/golden/losses.safetensors", out, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
