"""Golden fixtures for the Vision Transformer (ViT) in its three checkpoint namings, checked by
nn/src/test/java/org/iboot4j/nn/models/vit/VitGoldenTest.java.

Run from the repository root:

    /usr/bin/python3 test-data/scripts/make_vit_golden.py

transformers, timm and openai/clip are not installed (and must not be pip-installed), so each
variant is written here in plain torch with the parameter names and the forward semantics of
its original:

  * HF CLIP (transformers' CLIPVisionModelWithProjection): vision_model.embeddings.
    {patch_embedding (conv, no bias), class_embedding (D,), position_embedding (nn.Embedding)},
    vision_model.pre_layrnorm (sic), vision_model.encoder.layers.N.{layer_norm1,
    self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2}, vision_model.post_layernorm on
    the [CLS] token, visual_projection (Linear without bias); QuickGELU, LayerNorm eps 1e-5.
    Older transformers versions saved the buffer vision_model.embeddings.position_ids (int64)
    too; this fixture keeps it, so the loader must ignore it.
  * OpenAI CLIP (clip/model.py, same names in open_clip): visual.{conv1, class_embedding,
    positional_embedding, ln_pre, transformer.resblocks.N.{ln_1, attn (nn.MultiheadAttention:
    in_proj_weight / in_proj_bias / out_proj), ln_2, mlp.c_fc, mlp.c_proj}, ln_post, proj},
    where proj is a (D, out) matrix applied as x @ proj; the blocks run sequence-first (LND).
  * DINO (facebookresearch/dino vision_transformer.py, timm naming): patch_embed.proj (conv
    with bias), cls_token (1, 1, D), pos_embed (1, N + 1, D), blocks.N.{norm1, attn.qkv (fused,
    with bias), attn.proj, norm2, mlp.fc1, mlp.fc2}, norm; exact GELU, eps 1e-6; the output is
    norm(x)[:, 0].

Each model is built at a reduced size (image 32, patch 8 -> 16 patches + [CLS], width 48,
2 layers, 4 heads, MLP 192, projection 24), every parameter drawn at random from
torch.manual_seed(crc32(file name)) (LayerNorm weights around 1, so that a mix-up of weight
and bias shows). One file per naming, vit_hf_clip / vit_openai_clip / vit_dino .safetensors,
holds:

  <real checkpoint key>       every weight, float32, under its original name
  __test__.input              (2, 3, 32, 32) images
  __test__.output             the model's output, (2, 24) for CLIP, (2, 48) for DINO
  __test__.gout               a random upstream gradient of the output's shape
  __test__.input_grad         d(sum(output * gout)) / d(input)
  __test__.grad.<key>         the same loss's gradient for a few weights, under their
                              checkpoint names (complete q/k/v sets for HF, so that the
                              same key mapper maps gradients and weights)
  __test__.full_param_count   int64 scalar: the parameter count of the same architecture at
                              full ViT-B/16 size (image 224, width 768, 12 layers, 12 heads,
                              MLP 3072, CLIP projection 512), from real torch modules

The reference runs in float64 on the float32-rounded weights and input (results rounded to
float32), so it is torch's answer without float32 rounding noise. The output is deterministic.
"""

import math
import os
import sys
import zlib
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden")

SMALL = dict(image=32, patch=8, width=48, layers=2, heads=4, mlp=192, proj=24)
FULL = dict(image=224, patch=16, width=768, layers=12, heads=12, mlp=3072, proj=512)
BATCH = 2


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


# ---- HF transformers CLIP vision tower ------------------------------------------------------

class HfEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.zeros(c["width"]))
        self.patch_embedding = nn.Conv2d(3, c["width"], c["patch"], c["patch"], bias=False)
        n = (c["image"] // c["patch"]) ** 2 + 1
        self.position_embedding = nn.Embedding(n, c["width"])
        # persistent, as in older transformers releases (newer ones do not save it)
        self.register_buffer("position_ids", torch.arange(n).expand((1, -1)).contiguous())

    def forward(self, pixels):
        b = pixels.shape[0]
        patches = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(b, 1, -1)
        return torch.cat([cls, patches], dim=1) + self.position_embedding(self.position_ids)


class HfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["width"]
        self.heads = c["heads"]
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x):
        b, n, d = x.shape
        hd = d // self.heads

        def heads(t):
            return t.view(b, n, self.heads, hd).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        w = torch.softmax(q @ k.transpose(-1, -2) * hd ** -0.5, dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, n, d))


class HfMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["width"], c["mlp"])
        self.fc2 = nn.Linear(c["mlp"], c["width"])

    def forward(self, x):
        return self.fc2(quick_gelu(self.fc1(x)))


class HfLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = HfAttention(c)
        self.layer_norm1 = nn.LayerNorm(c["width"], eps=1e-5)
        self.mlp = HfMlp(c)
        self.layer_norm2 = nn.LayerNorm(c["width"], eps=1e-5)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class HfEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([HfLayer(c) for _ in range(c["layers"])])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class HfVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = HfEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(c["width"], eps=1e-5)
        self.encoder = HfEncoder(c)
        self.post_layernorm = nn.LayerNorm(c["width"], eps=1e-5)

    def forward(self, pixels):
        x = self.encoder(self.pre_layrnorm(self.embeddings(pixels)))
        return self.post_layernorm(x[:, 0, :])  # pooler_output


class HfClipVisionWithProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.vision_model = HfVisionTransformer(c)
        self.visual_projection = nn.Linear(c["width"], c["proj"], bias=False)

    def forward(self, pixels):
        return self.visual_projection(self.vision_model(pixels))  # image_embeds


# ---- OpenAI CLIP visual (clip/model.py; open_clip uses the same names) ----------------------

class OaiBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["width"]
        self.attn = nn.MultiheadAttention(d, c["heads"])
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d, c["mlp"])),
            ("gelu", QuickGelu()),
            ("c_proj", nn.Linear(c["mlp"], d)),
        ]))
        self.ln_2 = nn.LayerNorm(d)

    def forward(self, x):  # x: (L, N, D)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class QuickGelu(nn.Module):
    def forward(self, x):
        return quick_gelu(x)


class OaiTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.resblocks = nn.Sequential(*[OaiBlock(c) for _ in range(c["layers"])])

    def forward(self, x):
        return self.resblocks(x)


class OaiVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["width"]
        self.conv1 = nn.Conv2d(3, d, c["patch"], c["patch"], bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.positional_embedding = nn.Parameter(torch.zeros((c["image"] // c["patch"]) ** 2 + 1, d))
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = OaiTransformer(c)
        self.ln_post = nn.LayerNorm(d)
        self.proj = nn.Parameter(torch.zeros(d, c["proj"]))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)  # NLD -> LND -> NLD
        return self.ln_post(x[:, 0, :]) @ self.proj


class OaiClip(nn.Module):
    """Only the image tower; a full CLIP checkpoint has the text tower's keys next to visual.*."""

    def __init__(self, c):
        super().__init__()
        self.visual = OaiVisionTransformer(c)

    def forward(self, x):
        return self.visual(x)


# ---- DINO / timm ViT --------------------------------------------------------------------------

class DinoPatchEmbed(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.proj = nn.Conv2d(3, c["width"], c["patch"], c["patch"])

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class DinoAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.qkv = nn.Linear(c["width"], 3 * c["width"], bias=True)
        self.proj = nn.Linear(c["width"], c["width"])

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class DinoMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["width"], c["mlp"])
        self.act = nn.GELU()
        self.fc2 = nn.Linear(c["mlp"], c["width"])

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DinoBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1 = nn.LayerNorm(c["width"], eps=1e-6)
        self.attn = DinoAttention(c)
        self.norm2 = nn.LayerNorm(c["width"], eps=1e-6)
        self.mlp = DinoMlp(c)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class DinoVit(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["width"]
        self.patch_embed = DinoPatchEmbed(c)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, (c["image"] // c["patch"]) ** 2 + 1, d))
        self.blocks = nn.ModuleList([DinoBlock(c) for _ in range(c["layers"])])
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


# ---- fixture ---------------------------------------------------------------------------------

def randomize(model):
    """Draws every parameter at random with a scale that keeps activations O(1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            if isinstance(owner, nn.LayerNorm):
                p.copy_(1 + 0.2 * torch.randn(p.shape) if leaf == "weight" else 0.2 * torch.randn(p.shape))
            elif leaf.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape))
            elif leaf in ("class_embedding", "positional_embedding", "cls_token", "pos_embed") \
                    or isinstance(owner, nn.Embedding):
                p.copy_(0.5 * torch.randn(p.shape))
            elif leaf == "proj" and p.dim() == 2:  # OpenAI's (D, out), applied as x @ proj
                p.copy_(torch.randn(p.shape) / math.sqrt(p.shape[0]))
            else:  # (out, in, ...) weights
                p.copy_(torch.randn(p.shape) / math.sqrt(p[0].numel()))


def make(file_name, cls, grad_keys):
    torch.manual_seed(zlib.crc32(file_name.encode()))
    model = cls(SMALL)
    randomize(model)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn(BATCH, 3, SMALL["image"], SMALL["image"])

    ref = model.double()
    xin = x.double().requires_grad_(True)
    out = ref(xin)
    gout = torch.randn(out.shape)
    out.backward(gout.double())
    params = dict(ref.named_parameters())

    tensors = dict(weights)
    tensors["__test__.input"] = x
    tensors["__test__.output"] = out.detach().float()
    tensors["__test__.gout"] = gout
    tensors["__test__.input_grad"] = xin.grad.float()
    for k in grad_keys:
        tensors["__test__.grad." + k] = params[k].grad.float()
    full = sum(p.numel() for p in cls(FULL).parameters())
    tensors["__test__.full_param_count"] = torch.tensor(full, dtype=torch.int64)
    for key, t in tensors.items():
        if t.is_floating_point():
            assert t.dtype == torch.float32 and torch.isfinite(t).all(), key

    path = os.path.join(GOLDEN, file_name)
    fixture_io.save(path, tensors, metadata={
        "generator": "test-data/scripts/make_vit_golden.py",
        "torch": torch.__version__,
        "config": ",".join(f"{k}={v}" for k, v in SMALL.items()),
        "reference": "float64",
    })
    print(f"wrote {os.path.normpath(path)}: {len(tensors)} tensors, {os.path.getsize(path)} bytes, "
          f"output {tuple(out.shape)}, full-size parameters {full:,}")


def main():
    hf = "vision_model."
    hf_layer0 = hf + "encoder.layers.0.self_attn."
    make("vit_hf_clip.safetensors", HfClipVisionWithProjection, [
        hf + "embeddings.patch_embedding.weight",
        hf + "embeddings.class_embedding",
        hf + "embeddings.position_embedding.weight",
        hf + "pre_layrnorm.weight",
        *[hf_layer0 + f"{p}_proj.{w}" for p in "qkv" for w in ("weight", "bias")],
        hf + "encoder.layers.1.mlp.fc2.bias",
        hf + "post_layernorm.bias",
        "visual_projection.weight",
    ])
    make("vit_openai_clip.safetensors", OaiClip, [
        "visual.conv1.weight",
        "visual.class_embedding",
        "visual.positional_embedding",
        "visual.ln_pre.bias",
        "visual.transformer.resblocks.0.attn.in_proj_weight",
        "visual.transformer.resblocks.0.attn.in_proj_bias",
        "visual.transformer.resblocks.1.attn.out_proj.weight",
        "visual.transformer.resblocks.1.mlp.c_fc.bias",
        "visual.ln_post.weight",
        "visual.proj",
    ])
    make("vit_dino.safetensors", DinoVit, [
        "patch_embed.proj.weight",
        "patch_embed.proj.bias",
        "cls_token",
        "pos_embed",
        "blocks.0.norm1.weight",
        "blocks.0.attn.qkv.weight",
        "blocks.1.attn.proj.bias",
        "blocks.1.mlp.fc2.weight",
        "norm.weight",
    ])


if __name__ == "__main__":
    main()
