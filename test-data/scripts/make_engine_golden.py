"""Golden fixture for the engine's ops and their gradients, checked by
engine/src/test/java/org/iboot4j/engine/EngineGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_engine_golden.py

Writes test-data/golden/engine_ops.safetensors.  Every case NAME below is a
list of leaf tensors and a function of them; the Java test declares the same
case under the same name with the same function written against the engine
API.  Per case the file holds

    NAME.in0, NAME.in1, ...   the leaves (F32; I64 for indices and labels,
                              BOOL for masks)
    NAME.out                  fn(leaves), in float32 (BOOL / I64 for
                              comparisons, logical ops and argmax)
    NAME.gout                 a random upstream gradient of out's shape;
                              absent when out is not a float (no backward)
    NAME.grad0, ...           d(sum(out * gout)) / d(leaf k), i.e. leaf k's
                              .grad after out.backward(gout); absent for
                              leaves that have no gradient

The reference is torch in float32, except for cases declared with
reference=torch.float64 (run in double on the same leaves, results rounded to
float32; see gelu_tail).  Every float leaf has requires_grad.  When a case needs a non-contiguous
input (transposed, permuted, narrowed, expanded, step-sliced), the view is
taken inside fn, so the gradient is checked on the contiguous leaf.  Each
case draws its leaves and gout from torch.manual_seed(crc32(NAME)), so adding
or removing one case does not change the others.  The output is
deterministic for a given torch build (written with torch 1.13).
"""

import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "engine_ops.safetensors")

CASES = []  # (name, make, fn, reference dtype)


def case(name, make, fn, reference=torch.float32):
    """Declares a case. ``reference=torch.float64`` runs fn on the (float32-valued) leaves in
    double and rounds the results to float32: for the few cases where torch's float32 kernel is
    itself less accurate than the tolerance (see gelu_tail)."""
    assert "." not in name and all(name != c[0] for c in CASES), name
    CASES.append((name, make, fn, reference))


# ---- leaf makers (called after the case's manual_seed) ------------------------------------

def rn(*shape):
    """Standard normal."""
    return torch.randn(shape)


def pos(*shape):
    """Uniform in [0.5, 2): safely positive (divisors, bases of pow, sqrt/log arguments)."""
    return torch.rand(shape) * 1.5 + 0.5


def ints(lo, hi, *shape):
    """Small integers as float32, so that ties (equal values) are frequent."""
    return torch.randint(lo, hi, shape).float()


def idx(hi, *shape):
    """int64 indices in [0, hi)."""
    return torch.randint(0, hi, shape)


def rb(*shape):
    """A random bool mask."""
    return torch.rand(shape) < 0.5


def lin(lo, hi, *shape):
    """Evenly spaced values lo..hi (inclusive) in a shuffled order, reshaped."""
    n = math.prod(shape)
    v = torch.linspace(lo, hi, n)
    return v[torch.randperm(n)].reshape(shape)


def logs(lo, hi, *shape):
    """10^lo .. 10^hi, log-spaced, shuffled."""
    n = math.prod(shape)
    v = torch.logspace(lo, hi, n)
    return v[torch.randperm(n)].reshape(shape)


def scaled_cat(parts, dim):
    """Joins the pieces of a split, piece i times (i + 1), so each piece's gradient differs."""
    return torch.cat([p * (i + 1) for i, p in enumerate(parts)], dim)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


# ---- binary arithmetic ---------------------------------------------------------------------

case("add_bcast", lambda: [rn(2, 1, 4), rn(3, 1)], lambda a, b: a + b)
case("add_0d_right", lambda: [rn(3, 4), rn()], lambda a, b: a + b)
case("add_0d_left", lambda: [rn(), rn(2, 3)], lambda a, b: a + b)
case("add_0d_0d", lambda: [rn(), rn()], lambda a, b: a + b)
case("add_float", lambda: [rn(5)], lambda a: a + 2.5)
case("add_size1_dims", lambda: [rn(1, 3, 1), rn(2, 1, 1)], lambda a, b: a + b)
case("add_transposed", lambda: [rn(5, 3), rn(3, 5)], lambda a, b: a.t() + b)
case("add_same_leaf", lambda: [rn(4)], lambda a: a + a)
case("sub_bcast", lambda: [rn(4, 1), rn(1, 7)], lambda a, b: a - b)
case("sub_float", lambda: [rn(3, 2)], lambda a: a - 0.75)
case("sub_0d_left", lambda: [rn(), rn(3, 5)], lambda a, b: a - b)
case("mul_bcast", lambda: [rn(2, 1, 4), rn(3, 1)], lambda a, b: a * b)
case("mul_permuted", lambda: [rn(2, 3, 4), rn(4, 2, 1)], lambda a, b: a.permute(2, 0, 1) * b)
case("mul_float", lambda: [rn(13)], lambda a: a * -1.5)
case("mul_0d", lambda: [rn(7), rn()], lambda a, b: a * b)
case("mul_self", lambda: [rn(3, 3)], lambda a: a * a)
case("div_bcast", lambda: [rn(3, 4), pos(4)], lambda a, b: a / b)
case("div_float", lambda: [rn(2, 5)], lambda a: a / 3.0)
case("div_0d_numerator", lambda: [rn(), pos(3, 2)], lambda a, b: a / b)
case("div_stepsliced", lambda: [rn(13, 3), pos(6, 1)], lambda a, b: a[1:12:2] / b)
case("pow_tensor", lambda: [pos(2, 3), rn(3)], lambda a, b: a.pow(b))
case("pow_tensor_0d_exp", lambda: [pos(4, 5), rn()], lambda a, b: a.pow(b))
case("pow_tensor_0d_base", lambda: [pos(), rn(2, 3)], lambda a, b: a.pow(b))
case("pow_tensor_transposed", lambda: [pos(3, 4), rn(4, 3)], lambda a, b: a.t().pow(b))
case("pow_scalar", lambda: [pos(7)], lambda a: a.pow(2.5))
case("pow_scalar_negative", lambda: [pos(5)], lambda a: a.pow(-0.5))
case("pow_scalar_int_negbase", lambda: [rn(3, 4)], lambda a: a.pow(3.0))
case("pow_scalar_zero", lambda: [rn(2, 3)], lambda a: a.pow(0.0))  # gradient 0
# PyTorch's conventions: d/da = 0 where b == 0; d/db = 0 where a == 0 and b >= 0
case("pow_zero_base", lambda: [torch.tensor([0.0, 0.0, 1.5, 0.0, 2.0]), torch.tensor([2.0, 3.0, 1.0, 0.0, 0.0])],
     lambda a, b: a.pow(b))
case("maximum_bcast", lambda: [rn(3, 1, 5), rn(4, 5)], lambda a, b: torch.maximum(a, b))
case("minimum_bcast", lambda: [rn(3, 1, 5), rn(4, 5)], lambda a, b: torch.minimum(a, b))
case("maximum_transposed", lambda: [rn(4, 6), rn(6, 4)], lambda a, b: torch.maximum(a.t(), b))
case("minimum_0d", lambda: [rn(2, 3), rn()], lambda a, b: torch.minimum(a, b))
# deliberate ties (small integers): PyTorch gives each side g/2 where a == b
case("maximum_ties", lambda: [ints(-2, 3, 4, 5), ints(-2, 3, 5)], lambda a, b: torch.maximum(a, b))
case("minimum_ties", lambda: [ints(-2, 3, 4, 5), ints(-2, 3, 4, 5)], lambda a, b: torch.minimum(a, b))

# ---- unary ---------------------------------------------------------------------------------

case("neg", lambda: [rn(3, 5)], lambda x: -x)
case("neg_0d", lambda: [rn()], lambda x: -x)
case("exp_range", lambda: [lin(-15, 15, 4, 8)], lambda x: x.exp())
case("exp_transposed", lambda: [rn(4, 3)], lambda x: x.t().exp())
case("log_range", lambda: [logs(-3, 3, 3, 11)], lambda x: x.log())
case("log_expanded", lambda: [pos(3, 1)], lambda x: x.expand(3, 4).log())
case("sqrt_range", lambda: [logs(-3, 3, 33)], lambda x: x.sqrt())
case("sqrt_stepsliced", lambda: [pos(4, 9)], lambda x: x[:, ::4].sqrt())
case("rsqrt_range", lambda: [logs(-3, 3, 2, 13)], lambda x: x.rsqrt())
case("rsqrt_narrowed", lambda: [pos(6, 5)], lambda x: x.narrow(0, 1, 4).rsqrt())
case("abs_range", lambda: [lin(-5, 5, 3, 7)], lambda x: x.abs())  # includes 0: gradient sign(0) = 0
case("abs_permuted", lambda: [rn(2, 3, 4)], lambda x: x.permute(1, 2, 0).abs())
case("relu_range", lambda: [lin(-12, 12, 5, 7)], lambda x: x.relu())  # includes 0: gradient 0
case("relu_expanded", lambda: [rn(1, 5)], lambda x: x.expand(3, 5).relu())
case("sigmoid_range", lambda: [lin(-40, 40, 3, 11)], lambda x: x.sigmoid())
case("sigmoid_transposed", lambda: [rn(5, 3)], lambda x: x.t().sigmoid())
case("tanh_range", lambda: [lin(-20, 20, 33)], lambda x: x.tanh())
case("tanh_stepsliced", lambda: [rn(13, 2)], lambda x: x[::3].tanh())
case("gelu_range", lambda: [lin(-12, 12, 7, 7)], lambda x: F.gelu(x))
case("gelu_permuted", lambda: [rn(2, 3, 4) * 3], lambda x: F.gelu(x.permute(2, 0, 1)))
case("gelu_0d", lambda: [rn()], lambda x: F.gelu(x))
# torch's float32 gelu computes 1 + erf(x / sqrt 2) in float32, which cancels in the negative
# tail (gelu(-3) = -0.00404987 instead of -0.00404969, 4e-5 off); the engine works in double,
# so this case takes its reference from torch in float64.
case("gelu_tail", lambda: [lin(-9, -3, 13)], lambda x: F.gelu(x), reference=torch.float64)
case("quick_gelu_range", lambda: [lin(-12, 12, 3, 13)], quick_gelu)
case("quick_gelu_narrowed", lambda: [rn(5, 6) * 3], lambda x: quick_gelu(x.narrow(1, 1, 4)))

# clamp: random values never sit exactly on a bound, except in clamp_ties, which checks
# PyTorch's convention that the gradient passes where min <= x <= max.
case("clamp_both", lambda: [rn(7, 13) * 2], lambda x: x.clamp(-1.0, 1.5))
case("clamp_min", lambda: [rn(4, 5)], lambda x: x.clamp(min=0.3))
case("clamp_max", lambda: [rn(4, 5)], lambda x: x.clamp(max=-0.2))
case("clamp_ties", lambda: [torch.tensor([-1.0, 1.5, 0.0, 2.0, -2.0, -1.0, 1.5, 0.25])],
     lambda x: x.clamp(-1.0, 1.5))
case("clamp_transposed", lambda: [rn(3, 5)], lambda x: x.t().clamp(-0.5, 0.5))
case("clamp_0d", lambda: [rn() + 3], lambda x: x.clamp(max=1.0))

# ---- comparisons and logical ops (no gradient) ----------------------------------------------

case("eq_bcast", lambda: [ints(0, 3, 3, 4), ints(0, 3, 4)], lambda a, b: a == b)
case("ne_bcast", lambda: [ints(0, 3, 3, 4), ints(0, 3, 4)], lambda a, b: a != b)
case("lt_bcast", lambda: [ints(0, 3, 3, 1), ints(0, 3, 5)], lambda a, b: a < b)
case("le_bcast", lambda: [ints(0, 3, 3, 1), ints(0, 3, 5)], lambda a, b: a <= b)
case("gt_0d", lambda: [ints(0, 3, 2, 5), ints(0, 3)], lambda a, b: a > b)
case("ge_transposed", lambda: [ints(0, 3, 4, 3), ints(0, 3, 3, 4)], lambda a, b: a.t() >= b)
case("gt_float", lambda: [rn(3, 4)], lambda x: x > 0.5)
case("lt_float_transposed", lambda: [rn(3, 4)], lambda x: x.t() < -0.25)
case("logical_and", lambda: [rb(2, 3), rb(3)], lambda p, q: torch.logical_and(p, q))
case("logical_or", lambda: [rb(3, 1), rb(1, 4)], lambda p, q: torch.logical_or(p, q))
case("logical_not", lambda: [rb(2, 5)], lambda p: torch.logical_not(p))

# ---- where / masked_fill ---------------------------------------------------------------------

case("where_bcast", lambda: [rb(2, 1, 4), rn(3, 4), rn(2, 3, 1)], lambda c, a, b: torch.where(c, a, b))
case("where_0d_branch", lambda: [rb(3, 4), rn(3, 4), rn()], lambda c, a, b: torch.where(c, a, b))
case("where_transposed", lambda: [rb(4, 3), rn(3, 4), rn(4, 3)], lambda c, a, b: torch.where(c, a.t(), b))
case("masked_fill", lambda: [rn(3, 4), rb(4)], lambda x, m: x.masked_fill(m, -5.0))
case("masked_fill_transposed", lambda: [rn(4, 3), rb(3, 1)], lambda x, m: x.t().masked_fill(m, 2.0))
case("masked_fill_0d_mask", lambda: [rn(2, 3), torch.tensor(True)], lambda x, m: x.masked_fill(m, 0.5))
case("masked_fill_bcast_mask", lambda: [rn(4), rb(3, 4)], lambda x, m: x.masked_fill(m, -2.0))
case("where_transposed_mask", lambda: [rb(4, 3), rn(3, 4), rn(1, 4)], lambda c, a, b: torch.where(c.t(), a, b))

# ---- reductions ------------------------------------------------------------------------------

case("sum_all", lambda: [rn(3, 5)], lambda x: x.sum())
case("sum_dim", lambda: [rn(2, 3, 4)], lambda x: x.sum(1))
case("sum_neg_dim", lambda: [rn(2, 3, 4)], lambda x: x.sum(-1))
case("sum_dims_keepdim", lambda: [rn(2, 3, 4)], lambda x: x.sum((0, 2), keepdim=True))
case("sum_dims_neg", lambda: [rn(2, 3, 4)], lambda x: x.sum((0, -1)))
case("sum_all_keepdim", lambda: [rn(2, 3, 4)], lambda x: x.sum((0, 1, 2), keepdim=True))
case("sum_size1_dim", lambda: [rn(3, 1, 4)], lambda x: x.sum(1))
case("sum_odd", lambda: [rn(33, 13)], lambda x: x.sum(0))
case("sum_permuted", lambda: [rn(2, 3, 4)], lambda x: x.permute(2, 0, 1).sum(1, keepdim=True))
case("sum_0d", lambda: [rn()], lambda x: x.sum())
case("sum_expanded", lambda: [rn(3, 1)], lambda x: x.expand(3, 5).sum(0))
case("mean_all", lambda: [rn(4, 5)], lambda x: x.mean())
case("mean_dim", lambda: [rn(2, 7, 3)], lambda x: x.mean(1))
case("mean_dims_keepdim", lambda: [rn(2, 3, 4)], lambda x: x.mean((0, 2), keepdim=True))
case("mean_neg_dim", lambda: [rn(3, 13)], lambda x: x.mean(-1))
case("mean_transposed", lambda: [rn(5, 3)], lambda x: x.t().mean(0))
case("mean_all_dims", lambda: [rn(2, 3, 4)], lambda x: x.mean((0, 1, 2)))
case("mean_all_keepdim", lambda: [rn(3, 4)], lambda x: x.mean((0, 1), keepdim=True))
case("mean_0d", lambda: [rn()], lambda x: x.mean())
case("max_all", lambda: [rn(3, 7)], lambda x: x.max())
case("max_dim", lambda: [rn(2, 5, 3)], lambda x: torch.amax(x, 1))
case("max_neg_dim_keepdim", lambda: [rn(4, 6)], lambda x: torch.amax(x, -1, keepdim=True))
case("max_dims", lambda: [rn(2, 3, 4)], lambda x: torch.amax(x, (0, 2)))
case("max_ties", lambda: [ints(0, 3, 4, 5)], lambda x: torch.amax(x, 1))  # ties share g equally
case("max_all_ties", lambda: [ints(0, 3, 3, 4)], lambda x: x.max())
case("max_stepsliced", lambda: [rn(9, 4)], lambda x: torch.amax(x[::2], 0))
case("max_all_keepdim", lambda: [rn(2, 3, 4)], lambda x: torch.amax(x, (0, 1, 2), keepdim=True))
case("max_0d", lambda: [rn()], lambda x: x.max())
case("min_all", lambda: [rn(3, 7)], lambda x: torch.amin(x, (0, 1)))
case("min_dim", lambda: [rn(2, 5, 3)], lambda x: torch.amin(x, 1))
case("min_dims_keepdim", lambda: [rn(2, 3, 4)], lambda x: torch.amin(x, (-1, 0), keepdim=True))
case("min_ties", lambda: [ints(0, 3, 5, 4)], lambda x: torch.amin(x, 0))
case("min_transposed", lambda: [rn(3, 5)], lambda x: torch.amin(x.t(), -1))
case("min_all_keepdim", lambda: [rn(3, 4)], lambda x: torch.amin(x, (0, 1), keepdim=True))
case("var_all", lambda: [rn(4, 5)], lambda x: x.var())
case("var_dim", lambda: [rn(3, 7)], lambda x: x.var(1))
case("var_dims_biased_keepdim", lambda: [rn(2, 3, 4)], lambda x: x.var((0, 2), unbiased=False, keepdim=True))
case("var_neg_dim_keepdim", lambda: [rn(2, 3, 5)], lambda x: x.var(-1, keepdim=True))
case("var_permuted", lambda: [rn(2, 3, 4)], lambda x: x.permute(2, 1, 0).var((1, 2)))
case("var_biased_1d", lambda: [rn(13)], lambda x: x.var(0, unbiased=False))
case("var_all_keepdim", lambda: [rn(3, 4)], lambda x: x.var((0, 1), keepdim=True))
case("argmax_dim", lambda: [rn(3, 5)], lambda x: x.argmax(1))
case("argmax_ties_keepdim", lambda: [ints(0, 3, 4, 6)], lambda x: x.argmax(-1, keepdim=True))
case("argmax_transposed", lambda: [rn(4, 3)], lambda x: x.t().argmax(0))

# ---- matmul --------------------------------------------------------------------------------

case("matmul_1d_1d", lambda: [rn(7), rn(7)], lambda a, b: a @ b)
case("matmul_1d_2d", lambda: [rn(5), rn(5, 3)], lambda a, b: a @ b)
case("matmul_2d_1d", lambda: [rn(4, 5), rn(5)], lambda a, b: a @ b)
case("matmul_2d_2d", lambda: [rn(3, 4), rn(4, 5)], lambda a, b: a @ b)
case("matmul_1d_3d", lambda: [rn(3), rn(2, 3, 4)], lambda a, b: a @ b)
case("matmul_3d_1d", lambda: [rn(2, 4, 3), rn(3)], lambda a, b: a @ b)
case("matmul_batched_bcast", lambda: [rn(2, 1, 5, 3), rn(4, 3, 6)], lambda a, b: a @ b)
case("matmul_transposed", lambda: [rn(4, 3), rn(5, 4)], lambda a, b: a.t() @ b.t())
case("matmul_permuted_batch", lambda: [rn(5, 2, 3), rn(3, 4)], lambda a, b: a.permute(1, 0, 2) @ b)
case("matmul_expanded", lambda: [rn(1, 3), rn(3, 2)], lambda a, b: a.expand(4, 3) @ b)
case("matmul_narrowed", lambda: [rn(5, 8), rn(4, 3)], lambda a, b: a.narrow(1, 2, 4) @ b)
case("matmul_stepsliced", lambda: [rn(9, 26), rn(13, 7)], lambda a, b: a[:, ::2] @ b)
case("matmul_large", lambda: [rn(67, 129), rn(129, 71)], lambda a, b: a @ b)
case("matmul_large_transposed", lambda: [rn(129, 67), rn(71, 129)], lambda a, b: a.t() @ b.t())
case("matmul_long_k", lambda: [rn(9, 300), rn(300, 11)], lambda a, b: a @ b)  # K over one 256 block
case("matmul_2d_3d", lambda: [rn(5, 3), rn(2, 3, 4)], lambda a, b: a @ b)
case("matmul_size1", lambda: [rn(1, 5), rn(5, 1)], lambda a, b: a @ b)
case("matmul_row_offset", lambda: [rn(6, 4), rn(4, 3)], lambda a, b: a.narrow(0, 2, 3) @ b)

# ---- softmax / log_softmax -------------------------------------------------------------------

case("softmax_last", lambda: [rn(3, 7)], lambda x: x.softmax(-1))
case("softmax_middle", lambda: [rn(2, 5, 3)], lambda x: x.softmax(1))
case("log_softmax_middle", lambda: [rn(2, 5, 3)], lambda x: x.log_softmax(1))
case("softmax_transposed", lambda: [rn(4, 6)], lambda x: x.t().softmax(0))
case("log_softmax_large", lambda: [rn(3, 13) * 20], lambda x: x.log_softmax(-1))
case("softmax_first", lambda: [rn(4, 2, 3)], lambda x: x.softmax(0))
case("softmax_0d", lambda: [rn()], lambda x: x.softmax(0))
case("softmax_neg_inf", lambda: [rn(3, 5), torch.tensor([[False, True, True, False, True],
                                                      [False, False, False, False, False],
                                                      [True, True, True, True, False]])],
     lambda x, m: x.masked_fill(m, float("-inf")).softmax(-1))
case("log_softmax_row_offset", lambda: [rn(5, 4)], lambda x: x.narrow(0, 1, 3).log_softmax(-1))

# ---- creation (combined with a leaf, so that there is a gradient to check) ------------------

case("arange", lambda: [rn(12)], lambda x: x * torch.arange(-1.0, 2.0, 0.25))
case("arange_n", lambda: [rn(2, 5)], lambda x: x + torch.arange(5.0))
case("full_ones_zeros", lambda: [rn(2, 3)],
     lambda x: x * torch.full((2, 3), 2.5) + torch.ones(2, 3) + torch.zeros(3))
case("scalar", lambda: [rn(4)], lambda x: x * torch.tensor(-0.5))

# ---- layer norm ------------------------------------------------------------------------------

case("layer_norm_1d_affine", lambda: [rn(2, 3, 7), rn(7), rn(7)],
     lambda x, w, b: F.layer_norm(x, (7,), w, b, 1e-5))
case("layer_norm_1d_plain", lambda: [rn(4, 13)], lambda x: F.layer_norm(x, (13,), None, None, 1e-5))
case("layer_norm_2d_affine", lambda: [rn(2, 3, 5), rn(3, 5), rn(3, 5)],
     lambda x, w, b: F.layer_norm(x, (3, 5), w, b, 1e-5))
case("layer_norm_2d_plain", lambda: [rn(2, 3, 5) * 4 + 3], lambda x: F.layer_norm(x, (3, 5), None, None, 1e-5))
case("layer_norm_weight_only", lambda: [rn(3, 6), rn(6)], lambda x, w: F.layer_norm(x, (6,), w, None, 1e-6))
case("layer_norm_transposed", lambda: [rn(7, 4), rn(7), rn(7)],
     lambda x, w, b: F.layer_norm(x.t(), (7,), w, b, 1e-5))
case("layer_norm_constant_row", lambda: [torch.cat([rn(2, 5), torch.full((1, 5), 0.5)]), rn(5), rn(5)],
     lambda x, w, b: F.layer_norm(x, (5,), w, b, 1e-5))
case("layer_norm_narrowed_weight", lambda: [rn(3, 4), rn(6), rn(4)],
     lambda x, w, b: F.layer_norm(x, (4,), w.narrow(0, 1, 4), b, 1e-5))

# ---- norms, normalize, cosine similarity -----------------------------------------------------

case("l2_norm", lambda: [rn(3, 5)], lambda x: torch.linalg.vector_norm(x, 2, 1, False))
case("l2_norm_keepdim", lambda: [rn(3, 5)], lambda x: torch.linalg.vector_norm(x, 2, 0, True))
case("normalize_dim1", lambda: [rn(3, 5)], lambda x: F.normalize(x, dim=1))
case("normalize_neg_dim", lambda: [rn(2, 3, 4)], lambda x: F.normalize(x, dim=-1))
case("normalize_transposed", lambda: [rn(5, 3)], lambda x: F.normalize(x.t(), dim=0, eps=1e-6))
case("cosine_similarity", lambda: [rn(4, 6), rn(4, 6)], lambda a, b: F.cosine_similarity(a, b))
case("cosine_similarity_bcast", lambda: [rn(2, 1, 5), rn(3, 5)],
     lambda a, b: F.cosine_similarity(a, b, dim=-1, eps=1e-8))
case("cosine_similarity_transposed", lambda: [rn(6, 4), rn(1, 6)],
     lambda a, b: F.cosine_similarity(a.t(), b, dim=1, eps=1e-8))
case("normalize_below_eps", lambda: [rn(2, 3) * 1e-4], lambda x: F.normalize(x, dim=1, eps=1e-3))
# zero vectors: the norm's gradient is taken as 0 there; below eps the clamped norm passes none
case("l2_norm_zero_row", lambda: [torch.cat([rn(1, 4), torch.zeros(1, 4), rn(1, 4)])],
     lambda x: torch.linalg.vector_norm(x, 2, 1, False))
case("normalize_zero_row", lambda: [torch.cat([torch.zeros(1, 3), rn(2, 3)])], lambda x: F.normalize(x, dim=1))
case("cosine_similarity_zero_vector", lambda: [torch.cat([torch.zeros(1, 3), rn(2, 3)]), rn(3, 3)],
     lambda a, b: F.cosine_similarity(a, b))
# No case for a non-zero vector whose norm is below eps: torch 1.13 clamps the squared norms
# in place under no_grad, so its gradient there is not the derivative of its own forward
# (torch 2.x clamps the norms instead, which gives yet another gradient). The engine's
# gradient is the true derivative of x1/max(|x1|, eps) . x2/max(|x2|, eps); at an exact zero
# vector all three agree, which cosine_similarity_zero_vector checks.

# ---- cross entropy ---------------------------------------------------------------------------

case("cross_entropy_mean", lambda: [rn(5, 7), idx(7, 5)], lambda x, t: F.cross_entropy(x, t))
case("cross_entropy_sum", lambda: [rn(5, 7), idx(7, 5)], lambda x, t: F.cross_entropy(x, t, reduction="sum"))
case("cross_entropy_none", lambda: [rn(5, 7), idx(7, 5)], lambda x, t: F.cross_entropy(x, t, reduction="none"))
case("cross_entropy_nd_mean", lambda: [rn(3, 4, 5), idx(4, 3, 5)], lambda x, t: F.cross_entropy(x, t))
case("cross_entropy_nd_sum", lambda: [rn(3, 4, 5), idx(4, 3, 5)],
     lambda x, t: F.cross_entropy(x, t, reduction="sum"))
case("cross_entropy_nd_none", lambda: [rn(3, 4, 5), idx(4, 3, 5)],
     lambda x, t: F.cross_entropy(x, t, reduction="none"))
case("cross_entropy_transposed", lambda: [rn(7, 5) * 3, idx(7, 5)], lambda x, t: F.cross_entropy(x.t(), t))
case("cross_entropy_large_logits", lambda: [rn(4, 6) * 30, idx(6, 4)], lambda x, t: F.cross_entropy(x, t))

# ---- concat / stack / split ------------------------------------------------------------------

case("concat_dim0", lambda: [rn(2, 3), rn(4, 3), rn(1, 3)], lambda a, b, c: torch.cat([a, b, c], 0))
case("concat_neg_dim", lambda: [rn(2, 3, 2), rn(2, 2, 3)], lambda a, b: torch.cat([a, b.transpose(1, 2)], -2))
case("concat_same_leaf", lambda: [rn(2, 3)], lambda a: torch.cat([a, a], 1))
case("concat_empty_part", lambda: [rn(2, 3), rn(0, 3), rn(1, 3)], lambda a, b, c: torch.cat([a, b, c], 0))
case("stack_0d", lambda: [rn(), rn(), rn()], lambda a, b, c: torch.stack([a, b, c]))
case("stack_dim0", lambda: [rn(3, 4), rn(3, 4)], lambda a, b: torch.stack([a, b], 0))
case("stack_last", lambda: [rn(2, 3), rn(2, 3), rn(2, 3)], lambda a, b, c: torch.stack([a, b, c], -1))
case("stack_middle_transposed", lambda: [rn(4, 3), rn(3, 4)], lambda a, b: torch.stack([a.t(), b], 1))
case("split_even", lambda: [rn(6, 4)], lambda x: scaled_cat(x.split(2, 0), 0))
case("split_uneven", lambda: [rn(7, 3)], lambda x: scaled_cat(x.split(3, 0), 0))
case("split_dim1", lambda: [rn(2, 7)], lambda x: scaled_cat(x.split(2, 1), 1))
case("split_whole", lambda: [rn(7, 3)], lambda x: scaled_cat(x.split(10, 0), 0))

# ---- index_select / gather (repeated indices accumulate gradients) ---------------------------

case("index_select_repeat", lambda: [rn(5, 3), torch.tensor([4, 0, 4, 2, 4])], lambda x, i: x.index_select(0, i))
case("index_select_dim1", lambda: [rn(2, 6, 3), torch.tensor([1, 1, 5])], lambda x, i: x.index_select(1, i))
case("index_select_neg_dim", lambda: [rn(3, 4), idx(4, 9)], lambda x, i: x.index_select(-1, i))
case("index_select_transposed", lambda: [rn(3, 5), idx(5, 7)], lambda x, i: x.t().index_select(0, i))
case("gather_dim1", lambda: [rn(3, 5), idx(5, 3, 4)], lambda x, i: x.gather(1, i))
case("gather_dim0", lambda: [rn(4, 3), idx(4, 6, 2)], lambda x, i: x.gather(0, i))
case("gather_3d_middle", lambda: [rn(2, 5, 3), idx(5, 2, 7, 3)], lambda x, i: x.gather(1, i))
case("gather_neg_dim", lambda: [rn(2, 3, 4), idx(4, 2, 2, 6)], lambda x, i: x.gather(-1, i))
case("gather_transposed", lambda: [rn(5, 3), idx(5, 3, 8)], lambda x, i: x.t().gather(1, i))
case("gather_transposed_index", lambda: [rn(3, 5), idx(5, 4, 3)], lambda x, i: x.gather(1, i.t()))
case("index_select_narrowed_index", lambda: [rn(5, 2), torch.tensor([9, 4, 4, 0, 3, 9])],
     lambda x, i: x.index_select(0, i.narrow(0, 1, 4)))

# ---- views (the gradient flows back through the view itself) ---------------------------------

case("reshape", lambda: [rn(2, 3, 4)], lambda x: x.reshape(4, 6))
case("reshape_infer", lambda: [rn(3, 4, 2)], lambda x: x.reshape(2, -1))
case("reshape_copy", lambda: [rn(3, 5)], lambda x: x.t().reshape(-1))
case("reshape_0d", lambda: [rn()], lambda x: x.reshape(1, 1))
case("view", lambda: [rn(2, 3, 4)], lambda x: x.view(6, 4))
case("view_of_transposed", lambda: [rn(4, 6)], lambda x: x.t().view(3, 2, 2, 2))
case("permute", lambda: [rn(2, 3, 4)], lambda x: x.permute(2, 0, 1))
case("transpose", lambda: [rn(3, 5)], lambda x: x.transpose(0, 1))
case("transpose_neg", lambda: [rn(2, 3, 4)], lambda x: x.transpose(-1, -3))
case("narrow", lambda: [rn(5, 7)], lambda x: x.narrow(1, 2, 3))
case("narrow_neg_start", lambda: [rn(5, 7)], lambda x: x.narrow(0, -3, 2))
case("slice_step", lambda: [rn(13, 4)], lambda x: x[1:12:3])
case("slice_negative", lambda: [rn(3, 13)], lambda x: x[:, -7:-1:2])
case("slice_past_end", lambda: [rn(11, 2)], lambda x: x[2:100:4])
case("select", lambda: [rn(3, 4, 5)], lambda x: x.select(1, 2))
case("select_neg", lambda: [rn(3, 4, 5)], lambda x: x.select(-1, -1))
case("expand", lambda: [rn(3, 1)], lambda x: x.expand(2, 3, 4))
case("expand_keep", lambda: [rn(1, 4)], lambda x: x.expand(5, -1))
case("squeeze_all", lambda: [rn(3, 1, 4, 1)], lambda x: x.squeeze())
case("squeeze_dim", lambda: [rn(3, 1, 4, 1)], lambda x: x.squeeze(1))
case("squeeze_neg_dim", lambda: [rn(3, 1, 4, 1)], lambda x: x.squeeze(-1))
case("unsqueeze", lambda: [rn(3, 4)], lambda x: x.unsqueeze(1))
case("unsqueeze_neg", lambda: [rn(3, 4)], lambda x: x.unsqueeze(-1))
case("unsqueeze_0d", lambda: [rn()], lambda x: x.unsqueeze(0))
case("flatten", lambda: [rn(2, 3, 4, 5)], lambda x: x.flatten(1, 2))
case("flatten_transposed", lambda: [rn(3, 4, 2)], lambda x: x.transpose(0, 2).flatten(0, -1))
case("contiguous", lambda: [rn(3, 5)], lambda x: x.t().contiguous())
case("view_chain", lambda: [rn(4, 3, 5)],
     lambda x: x.permute(2, 0, 1).narrow(0, 1, 3)[:, ::2].unsqueeze(1).expand(3, 2, 2, 3))
case("squeeze_transposed", lambda: [rn(3, 1, 4)], lambda x: x.transpose(0, 2).squeeze())
case("unsqueeze_transposed", lambda: [rn(3, 4)], lambda x: x.t().unsqueeze(1))
case("reshape_narrowed_view", lambda: [rn(4, 6)], lambda x: x.narrow(1, 0, 3).reshape(2, 2, 3))
case("reshape_narrowed_copy", lambda: [rn(4, 6)], lambda x: x.narrow(1, 1, 3).reshape(12))
case("reshape_expanded", lambda: [rn(3, 1)], lambda x: x.expand(3, 4).reshape(3, 2, 2))
case("reshape_expanded_copy", lambda: [rn(3, 1)], lambda x: x.expand(3, 4).reshape(12))
case("flatten_0d", lambda: [rn()], lambda x: x.flatten())
case("select_to_0d", lambda: [rn(5)], lambda x: x.select(0, 3))
case("expand_0d", lambda: [rn()], lambda x: x.expand(2, 3))

# ---- compositions ----------------------------------------------------------------------------

case("mlp_block", lambda: [rn(5, 6), rn(6, 8), rn(8), rn(8), rn(8)],
     lambda x, w, b, g, beta: F.layer_norm(F.gelu(x @ w + b), (8,), g, beta, 1e-5))
case("attention", lambda: [rn(2, 4, 8), rn(2, 5, 8), rn(2, 5, 8), rb(4, 5)],
     lambda q, k, v, m: (q @ k.transpose(-1, -2) / math.sqrt(8)).masked_fill(m, -1e9).softmax(-1) @ v)
case("diamond", lambda: [rn(3, 4)], lambda x: x.sigmoid() * x.sigmoid().sum(0))
# big enough (40,000 elements) for the parallel elementwise and full-reduction paths
case("big_broadcast_sum", lambda: [rn(200, 1), rn(1, 200)], lambda a, b: (a * b).tanh().sum())
case("big_broadcast_max", lambda: [rn(256, 1), rn(1, 256)], lambda a, b: (a + b).max())


def run_case(name, make, fn, reference):
    torch.manual_seed(zlib.crc32(name.encode()))
    leaves = make()
    tensors = {}
    for k, t in enumerate(leaves):
        assert t.is_contiguous(), name
        tensors[f"{name}.in{k}"] = t
        if t.dtype == torch.float32:
            leaves[k] = t.to(reference).requires_grad_(True)
    out = fn(*leaves)
    tensors[f"{name}.out"] = out.detach().to(torch.float32) if out.dtype == reference else out.detach()
    if out.dtype == reference:
        gout = torch.randn(out.shape)
        out.backward(gout.to(reference))
        tensors[f"{name}.gout"] = gout
        for k, t in enumerate(leaves):
            if t.grad is not None:
                tensors[f"{name}.grad{k}"] = t.grad.to(torch.float32)
    for key, t in tensors.items():
        if t.dtype == torch.float32:
            assert torch.isfinite(t).all(), key
    return tensors


def main():
    tensors = {}
    for name, make, fn, reference in CASES:
        tensors.update(run_case(name, make, fn, reference))
    fixture_io.save(OUT, tensors, metadata={
        "generator": "test-data/scripts/make_engine_golden.py",
        "torch": torch.__version__,
        "cases": str(len(CASES)),
    })
    print(f"wrote {os.path.normpath(OUT)}: {len(CASES)} cases, {len(tensors)} tensors, "
          f"{os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
