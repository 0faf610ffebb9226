"""Golden fixture for the optimisers and the learning-rate schedule, checked by
nn/src/test/java/org/iboot4j/nn/optim/OptimGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_optim_golden.py

Writes test-data/golden/optim.safetensors. Three parameters (a 2-d weight, a
1-d bias, a 4-d conv weight; plus an all-zero weight for LARS's zero-norm
branch) take STEPS steps under each optimiser with gradients drawn from a seeded
generator. The optimisers are torch.optim.SGD and, for LARS, PySlowFast's
LARS wrapper around SGD (NVIDIA apex LARC with clip=False, 1-d parameters
ignored), re-implemented below from its published behaviour. Per optimiser
OPT the file holds

    OPT.NAME.init      the parameter before the first step
    OPT.NAME.grad.K    the gradient given at step K
    OPT.NAME.step.K    the parameter after step K

and sched.epochs / sched.lr: PySlowFast's warm-up + cosine learning rate at
fractional epochs.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import save  # noqa: E402

STEPS = 3
SHAPES = {"weight": (4, 3), "bias": (3,), "conv": (2, 3, 1, 2), "zero": (2, 2)}


class Lars:
    """SGD wrapped the way PySlowFast's LARS does (apex LARC, clip=False)."""

    def __init__(self, sgd, trust_coefficient, eps=1e-8):
        self.sgd, self.trust, self.eps = sgd, trust_coefficient, eps

    @torch.no_grad()
    def step(self):
        decays = []
        for group in self.sgd.param_groups:
            wd = group["weight_decay"]
            decays.append(wd)
            group["weight_decay"] = 0
            for p in group["params"]:
                if p.grad is None or p.ndim == 1:
                    continue
                w_norm, g_norm = torch.norm(p.data), torch.norm(p.grad.data)
                if w_norm != 0 and g_norm != 0:
                    ratio = self.trust * w_norm / (g_norm + w_norm * wd + self.eps)
                    p.grad.data += wd * p.data
                    p.grad.data *= ratio
        self.sgd.step()
        for group, wd in zip(self.sgd.param_groups, decays):
            group["weight_decay"] = wd


def run(name, make, out):
    gen = torch.Generator().manual_seed(7)
    params = {}
    for pname, shape in SHAPES.items():
        p = torch.zeros(shape) if pname == "zero" else torch.randn(shape, generator=gen)
        params[pname] = p.requires_grad_(True)
        out[f"{name}.{pname}.init"] = p.detach().clone()
    opt = make(list(params.values()))
    for k in range(STEPS):
        for pname, p in params.items():
            g = torch.randn(p.shape, generator=gen)
            p.grad = g.clone()
            out[f"{name}.{pname}.grad.{k}"] = g
        opt.step()
        for pname, p in params.items():
            out[f"{name}.{pname}.step.{k}"] = p.detach().clone()


def cosine_lr(epoch, base, end, warm_start, warm, max_epoch):
    def cos(e):
        return end + (base - end) * (math.cos(math.pi * e / max_epoch) + 1.0) * 0.5
    if epoch < warm:
        return warm_start + epoch * (cos(warm) - warm_start) / warm
    return cos(epoch)


def main():
    out = {}
    run("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-4), out)
    run("nesterov", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True), out)
    run("lars", lambda ps: Lars(torch.optim.SGD(ps, lr=2.4, momentum=0.9, weight_decay=1e-6), 0.001), out)
    run("lars_decay", lambda ps: Lars(torch.optim.SGD(ps, lr=0.3, momentum=0.9, weight_decay=0.05), 0.02), out)
    epochs = [0.0, 0.5, 3.25, 7.99, 8.0, 8.5, 30.0, 77.7, 99.99, 100.0]
    out["sched.epochs"] = torch.tensor(epochs, dtype=torch.float64)
    out["sched.lr"] = torch.tensor([cosine_lr(e, 2.4 * 104 / 256, 0.0, 0.0, 8.0, 100.0) for e in epochs],
                                   dtype=torch.float64)
    save("test-data/golden/optim.safetensors", out, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
