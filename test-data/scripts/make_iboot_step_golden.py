"""Golden fixture for ONE full iBoot pre-training step, checked by
iboot/src/test/java/org/iboot4j/train/IBootStepGoldenTest.java (through the trainer's
fixed-batch mode).

Run from the repository root (Debian's PyTorch 1.13, never pip):

    /usr/bin/python3 test-data/scripts/make_iboot_step_golden.py

The step is Algorithm 1 of the paper in the default setting (3 views, temporal pooling, one
teacher), written in plain torch:

* online network: a REDUCED Slow ResNet in pytorchvideo naming, built by
  make_resnet_golden.PtvSlowResNet (stem width 4, depths (1, 1, 1, 1) -> 128 features; its
  classification head blocks.5 is not used and not stored), random weights and batch-norm
  affine parameters / statistics from make_resnet_golden.randomize, in TRAINING mode;
* frozen teacher: a reduced DINO ViT in timm naming, make_vit_golden.DinoVit (image 32,
  patch 8, width 16, 1 block, 2 heads, MLP 32; exact GELU, LayerNorm eps 1e-6), in eval mode;
* W: nn.Linear(128, 16) with bias;
* the clips v_ref, v1, v2 (2, 3, 4, 32, 32) are normalised with the online network's
  statistics (PySlowFast's mean 0.45, std 0.225); the teacher's input is re-normalised to
  ImageNet statistics by the affine map x * (s_data / s_t) + (m_data - m_t) / s_t (scale and
  shift rounded to float32 once, as the Java side does), then v_ref is cut into N*T frames;
* q = teacher(frames) -> (N, T, D), averaged over T, repeated for both views;
  k = W(mean_T(mean_HW(feature_map(cat(v1, v2))))); loss = mean(2 - 2 cos(q, k));
* one LARS step exactly as PySlowFast (make_optim_golden.Lars: apex LARC, clip=False, 1-d
  weights neither adapted nor decayed) over the online weights and W: trust 0.001, momentum 0.9,
  weight decay 1e-6, lr from the warm-up + cosine schedule at step 0 (make_optim_golden.cosine_lr)
  with WARMUP_EPOCHS 0, i.e. the scaled base lr BASE_LR x BATCH / 256 = 1280 x 2 / 256 = 10.
  The large lr is deliberate: one LARS step then moves every 2-d weight by about lr x trust =
  1 % of its norm, so the weights after the step differ from those before by far more than the
  float32 rounding of a weight (6e-8 relative), and comparing them checks the update itself.

The reference runs in float64 on float32-rounded weights and inputs (results rounded to float32
when stored), so the numbers are torch's exact answer rather than one float32 rounding of it.

Stored (all float32 unless noted):

    v_ref, v1, v2                 the clips; metadata mean/std: none (DATA.MEAN/STD apply)
    init.<key>                    the online network (pytorchvideo keys, with BN buffers,
                                  num_batches_tracked int64) and W (iboot.heads.dino.weight/bias)
                                  before the step
    teacher.<key>                 the teacher (timm / DINO keys)
    loss                          scalar
    grad.<key>                    d loss / d weight for W and the stem conv (blocks.0.conv.weight)
                                  and a few deeper weights
    after.<key>                   every entry of init.* after the LARS step (BN running
                                  statistics and counters after the training-mode forward)
    lr                            the learning rate used
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402
import make_resnet_golden as R  # noqa: E402
import make_vit_golden as V  # noqa: E402
from make_optim_golden import Lars, cosine_lr  # noqa: E402

OUT = os.path.join(HERE, "..", "golden", "iboot_step.safetensors")

N, T, S = 2, 4, 32
WIDTH, DEPTHS = 4, (1, 1, 1, 1)
TEACHER = dict(image=32, patch=8, width=16, layers=1, heads=2, mlp=32)
DATA_MEAN, DATA_STD = [0.45] * 3, [0.225] * 3
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
BASE_LR, BATCH, MOMENTUM, WD, TRUST = 1280.0, N, 0.9, 1e-6, 0.001
GRADS = ["iboot.heads.dino.weight", "iboot.heads.dino.bias", "blocks.0.conv.weight", "blocks.0.norm.weight",
         "blocks.3.res_blocks.0.branch2.conv_a.weight", "blocks.4.res_blocks.0.branch1_conv.weight"]


def f32(t):
    """Rounds to float32, then back to float64: the float32 value in exact arithmetic."""
    return t.float().double()


def renormalise(x, mean_from, std_from, mean_to, std_to):
    scale = torch.tensor([sf / st for sf, st in zip(std_from, std_to)], dtype=torch.float64).float().double()
    shift = torch.tensor([(mf - mt) / st for mf, mt, st in zip(mean_from, mean_to, std_to)],
                         dtype=torch.float64).float().double()
    return x * scale.view(1, 3, 1, 1, 1) + shift.view(1, 3, 1, 1, 1)


def main():
    torch.manual_seed(20240607)
    online = R.PtvSlowResNet(DEPTHS, width=WIDTH, classes=10)
    R.randomize(online)
    online.blocks = nn.ModuleList(list(online.blocks)[:5])   # no head: the encoder only
    teacher = V.DinoVit(TEACHER)
    V.randomize(teacher)
    head = nn.Linear(32 * WIDTH, TEACHER["width"])
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape) / (32 * WIDTH) ** 0.5)
        head.bias.copy_(torch.randn(head.bias.shape) * 0.1)
    pixels = [torch.rand(N, 3, T, S, S) for _ in range(3)]
    clips = [((p - torch.tensor(DATA_MEAN).view(1, 3, 1, 1, 1)) / torch.tensor(DATA_STD).view(1, 3, 1, 1, 1)).float()
             for p in pixels]

    # float64 from here on, on float32-rounded values
    for m in (online, teacher, head):
        m.double()
        with torch.no_grad():
            for p in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
                p.copy_(f32(p))
    v_ref, v1, v2 = (c.double() for c in clips)

    def named_state():
        st = {k: v for k, v in online.state_dict().items()}
        st["iboot.heads.dino.weight"] = head.weight
        st["iboot.heads.dino.bias"] = head.bias
        return st

    out = {"v_ref": clips[0], "v1": clips[1], "v2": clips[2]}
    for k, v in named_state().items():
        out["init." + k] = v.detach().clone().float() if v.is_floating_point() else v.detach().clone()
    for k, v in teacher.state_dict().items():
        out["teacher." + k] = v.detach().clone().float()

    online.train()
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    with torch.no_grad():
        x_t = renormalise(v_ref, DATA_MEAN, DATA_STD, IMAGENET_MEAN, IMAGENET_STD)
        frames = x_t.permute(0, 2, 1, 3, 4).reshape(N * T, 3, S, S)
        q = teacher(frames).reshape(N, T, -1)
        q = q.mean(dim=1)
        q = torch.cat([q, q], dim=0)
    fmap = torch.cat([v1, v2], dim=0)
    for block in online.blocks:                                        # stem, res2..res5
        fmap = block(fmap)                                             # -> (2N, C, T, 1, 1)
    pooled = fmap.mean(dim=(3, 4)).mean(dim=2)                          # (2N, C)
    k = head(pooled)
    loss = (2 - 2 * (F.normalize(q, dim=-1) * F.normalize(k, dim=-1)).sum(-1)).mean()
    loss.backward()
    params = dict(online.named_parameters())
    params["iboot.heads.dino.weight"] = head.weight
    params["iboot.heads.dino.bias"] = head.bias
    for name in GRADS:
        out["grad." + name] = params[name].grad.detach().clone().float()

    lr = cosine_lr(0.0, BASE_LR * BATCH / 256, 0.0, 0.0, 0.0, 100.0)
    opt = Lars(torch.optim.SGD(list(params.values()), lr=lr, momentum=MOMENTUM, weight_decay=WD), TRUST)
    opt.step()
    for k, v in named_state().items():
        out["after." + k] = v.detach().clone().float() if v.is_floating_point() else v.detach().clone()
    out["loss"] = loss.detach().float().reshape(())
    out["lr"] = torch.tensor(lr, dtype=torch.float64)

    fixture_io.save(OUT, out, {"generator": "make_iboot_step_golden.py", "torch": torch.__version__,
                               "teacher": "dino", "teacher_heads": str(TEACHER["heads"])})
    size = os.path.getsize(OUT)
    print("wrote {} ({:,} bytes): loss {:.6f}, lr {}".format(os.path.relpath(OUT), size, loss.item(), lr))
    assert size < 2_000_000


if __name__ == "__main__":
    torch.set_num_threads(max(1, torch.get_num_threads()))
    main()
