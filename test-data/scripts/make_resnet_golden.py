"""Golden fixtures for the CNN encoders in org.iboot4j.nn.models.resnet, checked by
nn/src/test/java/org/iboot4j/nn/models/resnet/ResNetGoldenTest.java (and SlowResNetTest).

Run from the repository root (Debian's PyTorch 1.13, never pip):

    /usr/bin/python3 test-data/scripts/make_resnet_golden.py

Neither pytorchvideo, PySlowFast nor torchvision is needed: the script rebuilds each
architecture in plain torch, with nested nn.Module attributes named exactly like the originals,
so that state_dict() yields the real checkpoint keys:

* pytorchvideo's create_resnet / hub slow_r50 (Net.blocks[0] = ResNetBasicStem(conv, norm,
  activation, pool); blocks[1..4] = ResStage(res_blocks = [ResBlock(branch1_conv, branch1_norm,
  branch2 = BottleneckBlock(conv_a, norm_a, act_a, conv_b, norm_b, act_b, conv_c, norm_c),
  activation)]); blocks[5] = ResNetBasicHead(pool, dropout, proj, output_pool));
* PySlowFast's video_model_builder.ResNet for the "slow" arch (s1 = VideoModelStem(pathway0_stem
  = ResNetBasicStem(conv, bn, relu, pool_layer)); s2..s5 = ResStage(pathway0_res{i} =
  ResBlock(branch1, branch1_bn, branch2 = BottleneckTransform(a, a_bn, b, b_bn, c, c_bn), relu));
  pathway0_pool between s2 and s3; head = ResNetBasicHead(pathway0_avgpool, dropout,
  projection));
* torchvision's resnet50 (conv1, bn1, layer{1..4}.{i}.conv1/bn1/conv2/bn2/conv3/bn3,
  downsample.0/1, fc; stride on conv2, "v1.5"), with SimCLR's width multiplier (stem and every
  stage widened, as the r50-2x / r50-4x checkpoints converted by tonylins/simclr-converter).

Fixtures (reduced sizes, so each file stays well under 1 MB):

    golden/slow_r50_pytorchvideo.safetensors  Slow-R50 at 1/16 width, depths (3, 4, 6, 3),
                                              10 classes, pytorchvideo key names
    golden/slow_r50_pyslowfast.safetensors    the same weights under PySlowFast key names
    golden/resnet2d_r50.safetensors           ResNet-50 2D, base width 2 x width multiplier 2,
                                              10 classes, torchvision key names

Test tensors live under the prefix "__test__." (never a checkpoint key); the file metadata
records the configuration and the parameter counts of the FULL-size models (computed here with
the full torch models).  Output is deterministic for a given torch build (torch.manual_seed).
"""

import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden")

EPS, MOMENTUM = 1e-5, 0.1


def bn3d(c):
    return nn.BatchNorm3d(c, eps=EPS, momentum=MOMENTUM)


def conv3d(cin, cout, kernel, stride=(1, 1, 1), padding=(0, 0, 0)):
    return nn.Conv3d(cin, cout, kernel_size=kernel, stride=stride, padding=padding, bias=False)


# ---- pytorchvideo naming ----------------------------------------------------------------------

class PtvStem(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = conv3d(cin, cout, (1, 7, 7), (1, 2, 2), (0, 3, 3))
        self.norm = bn3d(cout)
        self.activation = nn.ReLU()
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, x):
        return self.pool(self.activation(self.norm(self.conv(x))))


class PtvBottleneck(nn.Module):
    def __init__(self, cin, inner, cout, kt, stride):
        super().__init__()
        self.conv_a = conv3d(cin, inner, (kt, 1, 1), (1, 1, 1), (kt // 2, 0, 0))
        self.norm_a = bn3d(inner)
        self.act_a = nn.ReLU()
        self.conv_b = conv3d(inner, inner, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        self.norm_b = bn3d(inner)
        self.act_b = nn.ReLU()
        self.conv_c = conv3d(inner, cout, (1, 1, 1))
        self.norm_c = bn3d(cout)

    def forward(self, x):
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class PtvResBlock(nn.Module):
    def __init__(self, cin, inner, cout, kt, stride):
        super().__init__()
        if cin != cout or stride != 1:
            self.branch1_conv = conv3d(cin, cout, (1, 1, 1), (1, stride, stride))
            self.branch1_norm = bn3d(cout)
        else:
            self.branch1_conv = None
            self.branch1_norm = None
        self.branch2 = PtvBottleneck(cin, inner, cout, kt, stride)
        self.activation = nn.ReLU()

    def forward(self, x):
        shortcut = x if self.branch1_conv is None else self.branch1_norm(self.branch1_conv(x))
        return self.activation(shortcut + self.branch2(x))


class PtvStage(nn.Module):
    def __init__(self, depth, cin, inner, cout, kt, stride):
        super().__init__()
        self.res_blocks = nn.ModuleList(
            [PtvResBlock(cin if i == 0 else cout, inner, cout, kt, stride if i == 0 else 1) for i in range(depth)])

    def forward(self, x):
        for b in self.res_blocks:
            x = b(x)
        return x


class PtvHead(nn.Module):
    def __init__(self, cin, classes, pool_kernel, dropout=0.5):
        super().__init__()
        self.pool = nn.AvgPool3d(pool_kernel, stride=(1, 1, 1), padding=(0, 0, 0))
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(cin, classes)
        self.output_pool = nn.AdaptiveAvgPool3d(1)

    def forward(self, x):
        x = self.dropout(self.pool(x))
        x = self.proj(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
        x = self.output_pool(x)
        return x.view(x.shape[0], -1)


TEMPORAL = (1, 1, 3, 3)  # conv_a temporal kernel of res2..res5 ("slow" arch)
SPATIAL_STRIDE = (1, 2, 2, 2)


class PtvSlowResNet(nn.Module):
    """pytorchvideo Net(blocks=[stem, res2, res3, res4, res5, head])."""

    def __init__(self, depths, width=64, classes=400, head_pool=(8, 7, 7)):
        super().__init__()
        blocks = [PtvStem(3, width)]
        cin, cout = width, 4 * width
        for s in range(4):
            blocks.append(PtvStage(depths[s], cin, cout // 4, cout, TEMPORAL[s], SPATIAL_STRIDE[s]))
            cin, cout = cout, 2 * cout
        blocks.append(PtvHead(cin, classes, head_pool))
        self.blocks = nn.ModuleList(blocks)

    def feature_map(self, x):
        for b in list(self.blocks)[:-1]:
            x = b(x)
        return x

    def forward(self, x):
        return self.blocks[-1](self.feature_map(x))


# ---- PySlowFast naming ------------------------------------------------------------------------

class SfStem(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = conv3d(cin, cout, (1, 7, 7), (1, 2, 2), (0, 3, 3))
        self.bn = bn3d(cout)
        self.relu = nn.ReLU()
        self.pool_layer = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, x):
        return self.pool_layer(self.relu(self.bn(self.conv(x))))


class SfVideoModelStem(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pathway0_stem = SfStem(cin, cout)

    def forward(self, x):
        return self.pathway0_stem(x)


class SfBottleneckTransform(nn.Module):
    def __init__(self, cin, cout, kt, stride, inner):
        super().__init__()
        self.a = conv3d(cin, inner, (kt, 1, 1), (1, 1, 1), (kt // 2, 0, 0))
        self.a_bn = bn3d(inner)
        self.a_relu = nn.ReLU()
        self.b = conv3d(inner, inner, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        self.b_bn = bn3d(inner)
        self.b_relu = nn.ReLU()
        self.c = conv3d(inner, cout, (1, 1, 1))
        self.c_bn = bn3d(cout)

    def forward(self, x):
        x = self.a_relu(self.a_bn(self.a(x)))
        x = self.b_relu(self.b_bn(self.b(x)))
        return self.c_bn(self.c(x))


class SfResBlock(nn.Module):
    def __init__(self, cin, cout, kt, stride, inner):
        super().__init__()
        if cin != cout or stride != 1:
            self.branch1 = conv3d(cin, cout, (1, 1, 1), (1, stride, stride))
            self.branch1_bn = bn3d(cout)
        self.branch2 = SfBottleneckTransform(cin, cout, kt, stride, inner)
        self.relu = nn.ReLU()

    def forward(self, x):
        if hasattr(self, "branch1"):
            x = self.branch1_bn(self.branch1(x)) + self.branch2(x)
        else:
            x = x + self.branch2(x)
        return self.relu(x)


class SfResStage(nn.Module):
    def __init__(self, depth, cin, cout, kt, stride, inner):
        super().__init__()
        self.depth = depth
        for i in range(depth):
            self.add_module("pathway0_res{}".format(i),
                            SfResBlock(cin if i == 0 else cout, cout, kt, stride if i == 0 else 1, inner))

    def forward(self, x):
        for i in range(self.depth):
            x = getattr(self, "pathway0_res{}".format(i))(x)
        return x


class SfHead(nn.Module):
    """ResNetBasicHead with act_func "none" (PySlowFast applies softmax at test time otherwise)."""

    def __init__(self, cin, classes, pool_kernel, dropout=0.5):
        super().__init__()
        self.pathway0_avgpool = nn.AvgPool3d(pool_kernel, stride=1)
        self.dropout = nn.Dropout(dropout)
        self.projection = nn.Linear(cin, classes, bias=True)

    def forward(self, x):
        x = self.pathway0_avgpool(x).permute((0, 2, 3, 4, 1))
        x = self.projection(self.dropout(x))
        return x.mean([1, 2, 3]).view(x.shape[0], -1)


class SfSlowResNet(nn.Module):
    def __init__(self, depths, width=64, classes=400, head_pool=(8, 7, 7)):
        super().__init__()
        self.s1 = SfVideoModelStem(3, width)
        cin, cout = width, 4 * width
        stages = []
        for s in range(4):
            stages.append(SfResStage(depths[s], cin, cout, TEMPORAL[s], SPATIAL_STRIDE[s], cout // 4))
            cin, cout = cout, 2 * cout
        self.s2 = stages[0]
        self.pathway0_pool = nn.MaxPool3d((1, 1, 1), (1, 1, 1), (0, 0, 0))  # identity for "slow"
        self.s3, self.s4, self.s5 = stages[1:]
        self.head = SfHead(cin, classes, head_pool)

    def forward(self, x):
        x = self.pathway0_pool(self.s2(self.s1(x)))
        return self.head(self.s5(self.s4(self.s3(x))))


def ptv_to_slowfast(key):
    """pytorchvideo key -> PySlowFast key (the inverse of the Java mapper's rules)."""
    p = key.split(".")
    if p[0] != "blocks":
        raise KeyError(key)
    b = int(p[1])
    if b == 0:
        sub = {"conv": "conv", "norm": "bn"}[p[2]]
        return ".".join(["s1", "pathway0_stem", sub] + p[3:])
    if b == 5:
        assert p[2] == "proj", key
        return ".".join(["head", "projection"] + p[3:])
    assert p[2] == "res_blocks", key
    prefix = "s{}.pathway0_res{}".format(b + 1, p[3])
    if p[4] in ("branch1_conv", "branch1_norm"):
        return ".".join([prefix, {"branch1_conv": "branch1", "branch1_norm": "branch1_bn"}[p[4]]] + p[5:])
    assert p[4] == "branch2", key
    layer = {"conv_a": "a", "norm_a": "a_bn", "conv_b": "b", "norm_b": "b_bn", "conv_c": "c", "norm_c": "c_bn"}[p[5]]
    return ".".join([prefix, "branch2", layer] + p[6:])


# ---- torchvision naming -----------------------------------------------------------------------

class TvBottleneck(nn.Module):
    def __init__(self, cin, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class TvResNet(nn.Module):
    """torchvision.models.resnet.ResNet(Bottleneck, depths) with SimCLR's width multiplier."""

    def __init__(self, depths=(3, 4, 6, 3), width=64, width_mult=1, classes=1000):
        super().__init__()
        self.inplanes = width * width_mult
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._layer(width * width_mult, depths[0], 1)
        self.layer2 = self._layer(2 * width * width_mult, depths[1], 2)
        self.layer3 = self._layer(4 * width * width_mult, depths[2], 2)
        self.layer4 = self._layer(8 * width * width_mult, depths[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width * width_mult * 4, classes)

    def _layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * 4, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(planes * 4))
        layers = [TvBottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        layers += [TvBottleneck(self.inplanes, planes, 1, None) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        return self.fc(self.features(x))


# ---- helpers ----------------------------------------------------------------------------------

def randomize(model):
    """Seeded random weights: He-normal (fan-out) convs, BN with non-trivial affine parameters
    and running statistics, a small random Linear."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv3d)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                c = m.num_features
                m.weight.copy_(torch.rand(c) * 0.8 + 0.6)
                m.bias.copy_(torch.randn(c) * 0.2)
                m.running_mean.copy_(torch.randn(c) * 0.3)
                m.running_var.copy_(torch.rand(c) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 100, ())))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape) * 0.1)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.1)


def count(model):
    return sum(p.numel() for p in model.parameters())


def layout(model):
    """Every state-dict entry of a model, in order, as "name:d0xd1x..." joined by ";" (stored
    in the metadata so the Java tests can compare the FULL-size models key by key)."""
    return ";".join("{}:{}".format(k, "x".join(map(str, v.shape))) for k, v in model.state_dict().items())


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def check_size(path):
    size = os.path.getsize(path)
    print("wrote {} ({:,} bytes)".format(os.path.relpath(path), size))
    assert size < 1_000_000, path


# ---- Slow-R50 ---------------------------------------------------------------------------------

SLOW_DEPTHS = (3, 4, 6, 3)
SLOW_WIDTH = 4         # stem width: 64 / 16, so inner widths 4/8/16/32, outputs 16/32/64/128
SLOW_CLASSES = 10
SLOW_INPUT = (2, 3, 4, 32, 32)  # (N, C, T, H, W); res5 output is (N, 128, 4, 1, 1)
# Deep weights whose train-mode gradients are stored (besides the stem conv and the input).
SLOW_GRADS = [
    "blocks.0.conv.weight",
    "blocks.0.norm.weight",
    "blocks.1.res_blocks.0.branch1_conv.weight",
    "blocks.2.res_blocks.3.branch2.conv_b.weight",
    "blocks.3.res_blocks.5.branch2.conv_a.weight",
    "blocks.4.res_blocks.0.branch1_norm.bias",
    "blocks.4.res_blocks.2.branch2.conv_c.weight",
    "blocks.4.res_blocks.2.branch2.norm_c.weight",
]
SLOW_RUNNING = ["blocks.0.norm", "blocks.4.res_blocks.2.branch2.norm_b"]


def slow_r50():
    full = {
        "params.slow_r50_400": count(PtvSlowResNet((3, 4, 6, 3))),
        "params.slow_r50_backbone": count(PtvSlowResNet((3, 4, 6, 3)).blocks[:5]),
        "params.slow_r101_400": count(PtvSlowResNet((3, 4, 23, 3))),
    }
    sf_full = count(SfSlowResNet((3, 4, 6, 3)))
    assert sf_full == full["params.slow_r50_400"], (sf_full, full)
    print("full-size parameter counts:", full)
    full["layout.slow_r50_400"] = layout(PtvSlowResNet((3, 4, 6, 3)))
    full["layout.slow_r50_400_pyslowfast"] = layout(SfSlowResNet((3, 4, 6, 3)))

    torch.manual_seed(1234)
    fmap_t = SLOW_INPUT[2]
    ptv = PtvSlowResNet(SLOW_DEPTHS, SLOW_WIDTH, SLOW_CLASSES, head_pool=(fmap_t, 1, 1))
    randomize(ptv)
    weights = state(ptv)
    x = torch.randn(SLOW_INPUT)

    # eval: logits, pooled features, the feature map's shape
    ptv.eval()
    with torch.no_grad():
        fmap = ptv.feature_map(x)
        assert tuple(fmap.shape[2:]) == (fmap_t, 1, 1), fmap.shape
        feats = fmap.mean([2, 3, 4])
        out = ptv(x)

    # the same weights in a PySlowFast-named model compute the same function
    sf = SfSlowResNet(SLOW_DEPTHS, SLOW_WIDTH, SLOW_CLASSES, head_pool=(fmap_t, 1, 1))
    sf_weights = {ptv_to_slowfast(k): v for k, v in weights.items()}
    sf.load_state_dict(sf_weights, strict=True)
    sf.eval()
    with torch.no_grad():
        sf_out = sf(x)
    assert torch.allclose(sf_out, out, rtol=0, atol=1e-5 * out.abs().max()), (sf_out - out).abs().max()

    # train: batch statistics; scalar loss sum(features * gout); running stats move
    ptv.train()
    xg = x.clone().requires_grad_(True)
    gout = torch.randn(SLOW_INPUT[0], 8 * 4 * SLOW_WIDTH)
    train_feats = ptv.feature_map(xg).mean([2, 3, 4])
    (train_feats * gout).sum().backward()
    params = dict(ptv.named_parameters())
    buffers = dict(ptv.named_buffers())

    test = {
        "__test__.input": x,
        "__test__.output": out,
        "__test__.features": feats,
        "__test__.train.gout": gout,
        "__test__.train.features": train_feats.detach(),
        "__test__.train.grad.input": xg.grad,
    }
    for name in SLOW_GRADS:
        test["__test__.train.grad." + name] = params[name].grad
    for bn in SLOW_RUNNING:
        for s in ("running_mean", "running_var", "num_batches_tracked"):
            test["__test__.train.{}.{}".format(bn, s)] = buffers[bn + "." + s].detach().clone()

    meta = {
        "generator": "make_resnet_golden.py",
        "torch": torch.__version__,
        "naming": "pytorchvideo",
        "depths": ",".join(map(str, SLOW_DEPTHS)),
        "width": str(SLOW_WIDTH),
        "classes": str(SLOW_CLASSES),
        "input": ",".join(map(str, SLOW_INPUT)),
        "grads": ",".join(SLOW_GRADS),
        "running": ",".join(SLOW_RUNNING),
    }
    meta.update({k: str(v) for k, v in full.items()})
    path = os.path.join(GOLDEN, "slow_r50_pytorchvideo.safetensors")
    fixture_io.save(path, {**weights, **test}, metadata=meta)
    check_size(path)

    sf_test = {k: test[k] for k in ("__test__.input", "__test__.output", "__test__.features")}
    path = os.path.join(GOLDEN, "slow_r50_pyslowfast.safetensors")
    sf_meta = {k: v for k, v in meta.items() if not k.startswith("layout.") and k not in ("grads", "running")}
    sf_meta.update({"naming": "pyslowfast", "layout.slow_r50_400_pyslowfast": full["layout.slow_r50_400_pyslowfast"]})
    fixture_io.save(path, {**sf_weights, **sf_test}, metadata=sf_meta)
    check_size(path)


# ---- ResNet-50 2D -----------------------------------------------------------------------------

R2D_WIDTH, R2D_MULT, R2D_CLASSES = 2, 2, 10  # stem 4 channels, features 2 * 2 * 32 = 128
R2D_INPUT = (2, 3, 32, 32)


def resnet2d():
    full = {
        "params.resnet50_1000": count(TvResNet()),
        "params.resnet50_backbone": count(TvResNet()) - count(TvResNet().fc),
        "params.resnet50w2_1000": count(TvResNet(width_mult=2)),
        "params.resnet50w4_1000": count(TvResNet(width_mult=4)),
        "params.resnet101_1000": count(TvResNet((3, 4, 23, 3))),
    }
    print("full-size parameter counts:", full)
    full["layout.resnet50_1000"] = layout(TvResNet())

    torch.manual_seed(4321)
    model = TvResNet((3, 4, 6, 3), R2D_WIDTH, R2D_MULT, R2D_CLASSES)
    randomize(model)
    weights = state(model)
    x = torch.randn(R2D_INPUT)
    model.eval()
    with torch.no_grad():
        feats = model.features(x)
        out = model(x)
    test = {"__test__.input": x, "__test__.output": out, "__test__.features": feats}
    meta = {
        "generator": "make_resnet_golden.py",
        "torch": torch.__version__,
        "naming": "torchvision",
        "depths": "3,4,6,3",
        "width": str(R2D_WIDTH),
        "width_multiplier": str(R2D_MULT),
        "classes": str(R2D_CLASSES),
        "input": ",".join(map(str, R2D_INPUT)),
    }
    meta.update({k: str(v) for k, v in full.items()})
    path = os.path.join(GOLDEN, "resnet2d_r50.safetensors")
    fixture_io.save(path, {**weights, **test}, metadata=meta)
    check_size(path)


if __name__ == "__main__":
    torch.set_num_threads(max(1, torch.get_num_threads()))
    slow_r50()
    resnet2d()
