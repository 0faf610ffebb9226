"""Golden fixture for batch-norm and 3-d pooling, checked by
engine/src/test/java/org/iboot4j/engine/NormPoolGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_norm_pool_golden.py

Writes test-data/golden/norm_pool.safetensors.  Every case NAME below has leaves
(float32, all requiring grad), optional state tensors (batch-norm's running
statistics, which are not leaves) and a function of both; the Java test declares
the same case under the same name with the same function written against the
engine API.  Per case the file holds

    NAME.in0, NAME.in1, ...     the leaves
    NAME.state.KEY              a state tensor before the call (running_mean, running_var)
    NAME.after.KEY              the same tensor after the call (updated in place in training)
    NAME.out                    fn(leaves, state)
    NAME.extra.KEY              further results of the call (max-pool's indices, I64)
    NAME.gout                   a random upstream gradient of out's shape
    NAME.grad0, ...             d(sum(out * gout)) / d(leaf k)

Views that make an input non-contiguous are taken inside fn, so gradients are
those of the contiguous leaf.  Each case draws its leaves, state and gout from
torch.manual_seed(crc32(NAME)), so adding or removing a case leaves the others
unchanged.  The reference is torch 1.13 in float32.
"""

import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "norm_pool.safetensors")

CASES = []  # (name, make leaves, make state, fn)


def case(name, make, fn, state=None):
    """fn(leaves, state) returns out, or (out, {key: extra result})."""
    assert "." not in name and all(name != c[0] for c in CASES), name
    CASES.append((name, make, state, fn))


def rn(*shape):
    return torch.randn(shape)


def pos(*shape):
    """Uniform in [0.5, 2): variances, weights away from zero."""
    return torch.rand(shape) * 1.5 + 0.5


def stats(channels):
    """Running statistics that are not the defaults, so that the update is visible."""
    return lambda: {"running_mean": torch.randn(channels) * 0.5, "running_var": pos(channels)}


# ---- batch-norm, training: batch statistics, running statistics updated in place ------------

def bn_train(momentum, affine=True, view=None, weight_view=None):
    def fn(leaves, st):
        x = leaves[0] if view is None else view(leaves[0])
        w = b = None
        if affine:
            w = leaves[1] if weight_view is None else weight_view(leaves[1])
            b = leaves[2]
        return F.batch_norm(x, st.get("running_mean"), st.get("running_var"), w, b,
                            training=True, momentum=momentum, eps=1e-5)
    return fn


def bn_eval(affine=True, view=None):
    def fn(leaves, st):
        x = leaves[0] if view is None else view(leaves[0])
        w, b = (leaves[1], leaves[2]) if affine else (None, None)
        return F.batch_norm(x, st["running_mean"], st["running_var"], w, b,
                            training=False, momentum=0.1, eps=1e-5)
    return fn


case("bn_train_5d", lambda: [rn(3, 4, 2, 5, 6), pos(4), rn(4)], bn_train(0.1), stats(4))
case("bn_train_5d_momentum", lambda: [rn(2, 3, 3, 4, 5) * 2 + 1, pos(3), rn(3)], bn_train(0.35), stats(3))
case("bn_train_3d", lambda: [rn(5, 4, 7), pos(4), rn(4)], bn_train(0.1), stats(4))
case("bn_train_2d", lambda: [rn(6, 5), pos(5), rn(5)], bn_train(0.1), stats(5))
case("bn_train_2d_momentum", lambda: [rn(4, 3), pos(3), rn(3)], bn_train(0.6), stats(3))
case("bn_train_no_affine_5d", lambda: [rn(2, 3, 2, 3, 4)], bn_train(0.1, affine=False), stats(3))
case("bn_train_no_affine_3d", lambda: [rn(4, 2, 9)], bn_train(0.25, affine=False), stats(2))
case("bn_train_no_running", lambda: [rn(7, 3, 5), pos(3), rn(3)], bn_train(0.1))
# a large mean against a small spread: a one-pass variance in float32 would lose it
case("bn_train_large_mean", lambda: [rn(4, 3, 2, 3, 3) * 0.05 + 20, pos(3), rn(3)], bn_train(0.1), stats(3))
# non-contiguous input: (C, N, T, H, W) leaf seen as (N, C, T, H, W), and a permuted (N, T, C, W, H)
case("bn_train_noncontig", lambda: [rn(3, 2, 3, 4, 5), pos(3), rn(3)],
     bn_train(0.1, view=lambda x: x.transpose(0, 1)), stats(3))
case("bn_train_permuted", lambda: [rn(2, 3, 4, 5, 3), pos(4), rn(4)],
     bn_train(0.2, view=lambda x: x.permute(0, 2, 1, 4, 3)), stats(4))
case("bn_train_strided_weight", lambda: [rn(3, 4, 6), pos(8), rn(4)],
     bn_train(0.1, weight_view=lambda w: w[::2]), stats(4))

# ---- batch-norm, evaluation: running statistics, composed of pointwise ops ------------------

case("bn_eval_5d", lambda: [rn(2, 4, 3, 4, 5), pos(4), rn(4)], bn_eval(), stats(4))
case("bn_eval_3d", lambda: [rn(3, 5, 6), pos(5), rn(5)], bn_eval(), stats(5))
case("bn_eval_2d", lambda: [rn(8, 3), pos(3), rn(3)], bn_eval(), stats(3))
case("bn_eval_no_affine_5d", lambda: [rn(2, 3, 2, 4, 3)], bn_eval(affine=False), stats(3))
case("bn_eval_noncontig", lambda: [rn(3, 2, 2, 3, 4), pos(3), rn(3)],
     bn_eval(view=lambda x: x.transpose(0, 1)), stats(3))


# ---- max-pool (with indices) -----------------------------------------------------------------

def max_pool(kernel, stride, padding, ceil_mode=False, view=None):
    def fn(leaves, st):
        x = leaves[0] if view is None else view(leaves[0])
        out, indices = F.max_pool3d(x, kernel, stride, padding, ceil_mode=ceil_mode, return_indices=True)
        return out, {"indices": indices}
    return fn


def ints(lo, hi, *shape):
    """Small integers as float32: many ties inside each window."""
    return torch.randint(lo, hi, shape).float()


def wide_specials():
    """(1, 2, 3, 5, 37) normal values with NaNs, infinities and signed zeros away from the first
    row of the windows: two NaNs down one column, NaN next to a larger number, -inf, +inf, and a
    -0/+0 tie in the vector part and in the tail of the rows."""
    x = torch.randn(1, 2, 3, 5, 37)
    x[0, 0, 1, 2, 9] = float("nan")
    x[0, 0, 1, 3, 9] = float("nan")
    x[0, 0, 2, 4, 12] = float("nan")
    x[0, 0, 2, 4, 13] = 50.0
    x[0, 1, 1, 3, 5] = float("-inf")
    x[0, 1, 2, 2, 20] = float("inf")
    x[0, 1, 2, 3, 35] = float("nan")
    x[0, 1, 0, :, 24:28] = -1.0
    x[0, 1, 0, 1, 25] = -0.0
    x[0, 1, 0, 2, 24] = 0.0
    x[0, 1, 0, 2, 25] = -0.0
    return x


def with_specials(*shape):
    """Normal values with two NaNs side by side (in one window: torch's CPU kernel takes the
    last), a -inf and an +inf planted in the first plane."""
    x = torch.randn(shape)
    flat = x.view(-1)
    flat[7] = float("nan")
    flat[8] = float("nan")
    flat[20] = float("-inf")
    flat[33] = float("inf")
    return x


# the Slow-R50 stem: kernel 1x3x3, stride 1x2x2, padding 0x1x1 (even and odd H, W)
case("maxpool_stem", lambda: [rn(2, 4, 3, 14, 15)], max_pool((1, 3, 3), (1, 2, 2), (0, 1, 1)))
case("maxpool_stem_odd", lambda: [rn(1, 3, 2, 9, 7)], max_pool((1, 3, 3), (1, 2, 2), (0, 1, 1)))
case("maxpool_ceil", lambda: [rn(2, 2, 5, 9, 10)], max_pool((2, 3, 3), (1, 2, 2), (0, 0, 0), ceil_mode=True))
case("maxpool_ceil_padded", lambda: [rn(1, 3, 4, 7, 8)], max_pool((2, 3, 3), (2, 2, 2), (1, 1, 1), ceil_mode=True))
case("maxpool_pad_all", lambda: [rn(2, 2, 5, 7, 6)], max_pool((3, 3, 3), (2, 2, 2), (1, 1, 1)))
case("maxpool_overlap", lambda: [rn(1, 2, 4, 5, 6)], max_pool((2, 3, 3), (1, 1, 1), (1, 1, 0)))
case("maxpool_ties", lambda: [ints(-2, 3, 2, 3, 3, 6, 7)], max_pool((2, 3, 3), (1, 2, 2), (0, 1, 1)))
case("maxpool_specials", lambda: [with_specials(1, 2, 3, 5, 6)], max_pool((2, 2, 3), (1, 2, 2), (1, 1, 1)))
# rows wider than a vector (16 floats with AVX-512): the vectorised column pass and its tail
case("maxpool_wide_ties", lambda: [ints(-2, 3, 1, 3, 3, 7, 37)], max_pool((1, 3, 3), (1, 2, 2), (0, 1, 1)))
case("maxpool_wide_specials", lambda: [wide_specials()], max_pool((2, 2, 3), (1, 2, 2), (1, 1, 1)))
case("maxpool_wide_overlap", lambda: [ints(-1, 2, 1, 2, 4, 5, 40)], max_pool((2, 3, 3), (1, 1, 1), (1, 1, 0)))
case("maxpool_noncontig", lambda: [rn(2, 3, 4, 9, 8)],
     max_pool((1, 3, 3), (1, 2, 2), (0, 1, 1), view=lambda x: x.permute(1, 0, 2, 4, 3)))


# ---- average pool ------------------------------------------------------------------------------

def avg_pool(kernel, stride, padding, ceil_mode=False, count_include_pad=True, view=None):
    def fn(leaves, st):
        x = leaves[0] if view is None else view(leaves[0])
        return F.avg_pool3d(x, kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    return fn


case("avgpool_include_pad", lambda: [rn(2, 3, 5, 7, 6)], avg_pool((3, 3, 3), (2, 2, 2), (1, 1, 1)))
case("avgpool_exclude_pad", lambda: [rn(2, 3, 5, 7, 6)],
     avg_pool((3, 3, 3), (2, 2, 2), (1, 1, 1), count_include_pad=False))
# ceil_mode: the last windows run past the right padding, which counts neither way
case("avgpool_ceil_include_pad", lambda: [rn(1, 2, 5, 8, 9)],
     avg_pool((2, 3, 3), (2, 2, 2), (0, 1, 1), ceil_mode=True))
case("avgpool_ceil_exclude_pad", lambda: [rn(1, 2, 5, 8, 9)],
     avg_pool((2, 3, 3), (2, 2, 2), (0, 1, 1), ceil_mode=True, count_include_pad=False))
case("avgpool_ceil_no_pad", lambda: [rn(2, 2, 5, 9, 10)], avg_pool((2, 3, 3), (1, 2, 2), (0, 0, 0), ceil_mode=True))
case("avgpool_overlap", lambda: [rn(1, 2, 4, 6, 5)], avg_pool((2, 3, 2), (1, 1, 1), (1, 1, 1)))
# the Slow-R50 head: a kernel covering the whole (T, H, W) volume
case("avgpool_head", lambda: [rn(2, 4, 4, 7, 7)], avg_pool((4, 7, 7), (1, 1, 1), (0, 0, 0)))
case("avgpool_noncontig", lambda: [rn(3, 2, 6, 7, 5)],
     avg_pool((2, 3, 3), (2, 2, 2), (1, 1, 1), count_include_pad=False, view=lambda x: x.permute(1, 0, 2, 4, 3)))


# ---- adaptive average pool ----------------------------------------------------------------------

def adaptive(size, view=None):
    def fn(leaves, st):
        x = leaves[0] if view is None else view(leaves[0])
        return F.adaptive_avg_pool3d(x, size)
    return fn


case("adaptive_global", lambda: [rn(2, 3, 4, 5, 6)], adaptive((1, 1, 1)))
case("adaptive_uneven", lambda: [rn(1, 2, 5, 7, 9)], adaptive((2, 3, 4)))
case("adaptive_identity", lambda: [rn(1, 2, 2, 3, 4)], adaptive((2, 3, 4)))
case("adaptive_upsample", lambda: [rn(1, 2, 3, 4, 5)], adaptive((4, 6, 7)))
case("adaptive_noncontig", lambda: [rn(2, 3, 6, 5, 7)], adaptive((3, 2, 4), view=lambda x: x.transpose(0, 1)))


def run_case(name, make, make_state, fn):
    torch.manual_seed(zlib.crc32(name.encode()))
    leaves = make()
    state = make_state() if make_state else {}
    tensors = {}
    for k, t in enumerate(leaves):
        assert t.is_contiguous() and t.dtype == torch.float32, name
        tensors[f"{name}.in{k}"] = t.clone()
        leaves[k] = t.clone().requires_grad_(True)
    for key, t in state.items():
        tensors[f"{name}.state.{key}"] = t.clone()
    result = fn(leaves, state)
    out, extras = result if isinstance(result, tuple) else (result, {})
    tensors[f"{name}.out"] = out.detach().clone()
    for key, t in extras.items():
        tensors[f"{name}.extra.{key}"] = t.detach().clone()
    for key, t in state.items():
        tensors[f"{name}.after.{key}"] = t.clone()
    gout = torch.randn(out.shape)
    out.backward(gout)
    tensors[f"{name}.gout"] = gout
    for k, t in enumerate(leaves):
        assert t.grad is not None, (name, k)
        tensors[f"{name}.grad{k}"] = t.grad
    for key, t in tensors.items():
        if t.dtype == torch.float32 and not name.endswith("specials"):
            assert torch.isfinite(t).all(), key
    return tensors


def main():
    tensors = {}
    for name, make, make_state, fn in CASES:
        tensors.update(run_case(name, make, make_state, fn))
    fixture_io.save(OUT, tensors, metadata={
        "generator": "test-data/scripts/make_norm_pool_golden.py",
        "torch": torch.__version__,
        "cases": str(len(CASES)),
    })
    print(f"wrote {os.path.normpath(OUT)}: {len(CASES)} cases, {len(tensors)} tensors, "
          f"{os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
