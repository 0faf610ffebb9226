"""Golden fixture for conv3d / conv2d and their gradients, checked by
engine/src/test/java/org/iboot4j/engine/ConvGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_conv_golden.py

Writes test-data/golden/conv3d.safetensors.  Each case NAME is a convolution
(conv3d, or conv2d for the cases marked 2d) with its geometry; the Java test
declares the same case under the same name with the same geometry and input
view.  Per case the file holds

    NAME.x      the input leaf (F32); for the *_noncontig cases it is stored in
                another layout and the convolution sees a permuted, narrowed view
                of it, taken inside the case (see VIEWS)
    NAME.w      the weight (Cout, Cin/groups, kT, kH, kW) or (Cout, Cin/groups, kH, kW)
    NAME.b      the bias (Cout); absent for cases without bias
    NAME.out    the output of torch.nn.functional.conv3d / conv2d
    NAME.gout   a random upstream gradient of out's shape
    NAME.gx, NAME.gw, NAME.gb
                d(sum(out * gout)) / d(x, w, b): the leaves' .grad after
                out.backward(gout)

The shapes are the Slow-R50 layer geometries (kernel, stride and padding
exact) at small spatial size and few channels, plus odd ones: dilation,
groups, depthwise, asymmetric kernels, no bias, non-contiguous input, batch 3,
and 2-d convolutions.  Each case draws its tensors from
torch.manual_seed(crc32(NAME)), so adding or removing a case does not change
the others.  The reference is torch 1.13 in float32 on the CPU.
"""

import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "conv3d.safetensors")

# Input views: the leaf's stored shape from the logical (N, C, [T,] H, W), and the view back.
# "noncontig": stored as (N, [T,] C, H, W + 3) -> permuted to channels-second, narrowed on W
# at offset 1 (so the view has a non-zero offset, a stride-2.. layout and a row pitch of W + 3).
VIEWS = ("plain", "noncontig")

CASES = []  # dicts


def case(name, x, cout, kernel, stride, padding, dilation=None, groups=1, bias=False, view="plain"):
    """x = input shape (N, C, T, H, W) or (N, C, H, W) for conv2d; kernel/stride/padding/dilation
    per spatial axis (3 for conv3d, 2 for conv2d)."""
    assert "." not in name and all(name != c["name"] for c in CASES), name
    assert view in VIEWS
    spatial = len(x) - 2
    dilation = dilation or (1,) * spatial
    assert len(kernel) == len(stride) == len(padding) == len(dilation) == spatial in (2, 3)
    CASES.append(dict(name=name, x=tuple(x), cout=cout, kernel=tuple(kernel), stride=tuple(stride),
                      padding=tuple(padding), dilation=tuple(dilation), groups=groups, bias=bias,
                      view=view))


# ---- Slow-R50 layer geometries (pytorchvideo create_resnet, "slow" model) ------------------
# stem: conv 1x7x7, stride (1, 2, 2), padding (0, 3, 3), 3 -> 64, no bias
case("slow_stem", (2, 3, 2, 15, 15), 64, (1, 7, 7), (1, 2, 2), (0, 3, 3))
# res4/res5 bottleneck conv_a: 3x1x1, padding (1, 0, 0), stride 1
case("slow_temporal_3x1x1", (2, 16, 4, 6, 6), 8, (3, 1, 1), (1, 1, 1), (1, 0, 0))
# conv_b of the first block of res3..res5: 1x3x3 stride (1, 2, 2) padding (0, 1, 1)
case("slow_spatial_3x3_s2", (2, 8, 2, 9, 9), 8, (1, 3, 3), (1, 2, 2), (0, 1, 1))
# conv_b elsewhere: 1x3x3 stride 1 padding (0, 1, 1)
case("slow_spatial_3x3_s1", (2, 8, 2, 8, 7), 12, (1, 3, 3), (1, 1, 1), (0, 1, 1))
# shortcut projection of the first block of res3..res5: 1x1x1 stride (1, 2, 2)
case("slow_proj_1x1_s2", (2, 16, 2, 8, 8), 24, (1, 1, 1), (1, 2, 2), (0, 0, 0))
# conv_a/conv_c and res2's projection: 1x1x1 stride 1
case("slow_proj_1x1_s1", (2, 16, 3, 5, 5), 12, (1, 1, 1), (1, 1, 1), (0, 0, 0))

# ---- odd shapes -----------------------------------------------------------------------------
case("dilation_2_1_3", (1, 4, 5, 6, 9), 6, (3, 2, 2), (1, 1, 1), (2, 1, 3), dilation=(2, 1, 3), bias=True)
case("dilation_strided", (2, 3, 6, 7, 8), 4, (2, 3, 2), (2, 1, 2), (1, 2, 1), dilation=(2, 2, 3))
case("groups2", (2, 6, 3, 5, 6), 4, (3, 3, 3), (1, 2, 1), (1, 1, 1), groups=2, bias=True)
case("groups3_pointwise", (2, 6, 2, 4, 5), 9, (1, 1, 1), (1, 1, 1), (0, 0, 0), groups=3)
case("depthwise", (2, 5, 3, 6, 5), 5, (3, 3, 3), (1, 1, 1), (1, 1, 1), groups=5, bias=True)
case("depthwise_mult2_strided", (1, 4, 4, 7, 7), 8, (3, 3, 3), (2, 2, 2), (1, 1, 1), groups=4)
case("asymmetric_kernel", (2, 3, 5, 6, 7), 5, (2, 3, 1), (2, 1, 3), (1, 2, 0), bias=True)
case("kernel_covers_input", (1, 2, 2, 3, 3), 3, (2, 3, 3), (1, 1, 1), (0, 0, 0), bias=True)
case("padded_pointwise", (2, 3, 2, 3, 4), 4, (1, 1, 1), (1, 1, 2), (1, 1, 1))
case("batch3", (3, 4, 3, 5, 5), 6, (3, 3, 3), (1, 1, 1), (1, 1, 1), bias=True)
case("spatial_3x3_noncontig", (2, 5, 2, 6, 7), 4, (1, 3, 3), (1, 1, 1), (0, 1, 1), bias=True, view="noncontig")
case("proj_1x1_noncontig", (2, 6, 2, 4, 5), 4, (1, 1, 1), (1, 1, 1), (0, 0, 0), view="noncontig")
# time-only kernels (kT x 1 x 1) skip im2col on the CPU: a dilated grouped one with bias, one
# whose padding leaves no tap covering every output frame, and a single-frame input
case("temporal_dilated_grouped", (2, 6, 5, 3, 4), 4, (3, 1, 1), (1, 1, 1), (2, 0, 0), dilation=(2, 1, 1), groups=2, bias=True)
case("temporal_padded_uncovered", (2, 4, 4, 3, 3), 5, (3, 1, 1), (1, 1, 1), (2, 0, 0))
case("temporal_single_frame", (2, 4, 1, 3, 5), 6, (3, 1, 1), (1, 1, 1), (1, 0, 0))

# ---- conv2d (the T = 1 case, through the 4-d API) --------------------------------------------
case("conv2d_resnet_stem", (1, 3, 17, 17), 8, (7, 7), (2, 2), (3, 3))
case("conv2d_3x3_s2", (2, 3, 11, 10), 5, (3, 3), (2, 2), (1, 1), bias=True)
case("conv2d_1x1", (2, 8, 7, 7), 6, (1, 1), (1, 1), (0, 0), bias=True)
case("conv2d_groups_dilation", (2, 4, 9, 8), 6, (3, 2), (1, 2), (2, 1), dilation=(2, 1), groups=2)
case("conv2d_noncontig", (2, 3, 6, 5), 4, (3, 3), (1, 1), (1, 1), bias=True, view="noncontig")


def stored_shape(c):
    """The leaf's shape: the logical input shape, or its noncontig storage layout."""
    x = c["x"]
    if c["view"] == "plain":
        return x
    n, ch, *rest = x
    return (n, *rest[:-2], ch, rest[-2], rest[-1] + 3)


def view_of(c, leaf):
    """The convolution's input from the leaf (the Java case takes the same view)."""
    if c["view"] == "plain":
        return leaf
    if leaf.dim() == 5:  # (N, T, C, H, W+3) -> (N, C, T, H, W+3) -> narrow W
        return leaf.permute(0, 2, 1, 3, 4).narrow(4, 1, c["x"][4])
    return leaf.narrow(3, 1, c["x"][3])  # (N, C, H, W+3) -> narrow W (a row pitch of W + 3)


def run_case(c):
    name = c["name"]
    torch.manual_seed(zlib.crc32(name.encode()))
    n, cin = c["x"][:2]
    fan_in = cin // c["groups"] * math.prod(c["kernel"])
    x = torch.randn(stored_shape(c)).requires_grad_(True)
    w = (torch.randn((c["cout"], cin // c["groups"], *c["kernel"])) / math.sqrt(fan_in)).requires_grad_(True)
    b = torch.randn(c["cout"]).requires_grad_(True) if c["bias"] else None
    conv = F.conv3d if len(c["x"]) == 5 else F.conv2d
    xin = view_of(c, x)
    assert xin.is_contiguous() == (c["view"] == "plain"), name
    out = conv(xin, w, b, stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["groups"])
    gout = torch.randn(out.shape)
    out.backward(gout)
    tensors = {f"{name}.x": x.detach(), f"{name}.w": w.detach(), f"{name}.out": out.detach(),
               f"{name}.gout": gout, f"{name}.gx": x.grad, f"{name}.gw": w.grad}
    if b is not None:
        tensors[f"{name}.b"] = b.detach()
        tensors[f"{name}.gb"] = b.grad
    for key, t in tensors.items():
        assert torch.isfinite(t).all(), key
    return tensors


def main():
    tensors = {}
    for c in CASES:
        tensors.update(run_case(c))
    fixture_io.save(OUT, tensors, metadata={
        "generator": "test-data/scripts/make_conv_golden.py",
        "torch": torch.__version__,
        "cases": str(len(CASES)),
    })
    size = os.path.getsize(OUT)
    assert size < 1_500_000, f"{size} bytes: keep the fixture under 1.5 MB"
    print(f"wrote {os.path.normpath(OUT)}: {len(CASES)} cases, {len(tensors)} tensors, {size} bytes")


if __name__ == "__main__":
    main()
