#!/usr/bin/python3
"""PyTorch's half of the side-by-side comparison (bench/compare.sh -> CompareMain -> this).

Times PyTorch on the cases of the shape table (shapes.txt) with the same protocol as
org.iboot4j.bench.Timing: warm-up by runs and seconds, then timed runs one by one, median.

  --serve   (how CompareMain uses it) prints "#meta<TAB>key<TAB>value" lines and "#ready", then
            for each "op-label<TAB>case-id" line read from stdin times that case and answers
            "ok<TAB>median-ms<TAB>runs<TAB>implementation" or "err<TAB>message"; so that PyTorch and
            the engine are timed back to back, case by case, under the same machine load.
  --out F   times every case (or those matching --filter) and writes "op<TAB>id<TAB>ms<TAB>runs"
            lines and the #meta lines to F (CompareMain --torch F reads that).

What each op label runs in PyTorch (the Java counterpart is in Op.java / Workload.java):
    matmul                    torch.mm(a, b)
    sgemm                     torch.mm(a, b, out=c)
    conv3d fwd                F.conv3d(x, w, None, s, p) under no_grad
    conv3d bwd-data           autograd.grad(y, x, g) with only x requiring grad (graph retained)
    conv3d bwd-filter         autograd.grad(y, w, g) with only w requiring grad (graph retained)
    batch_norm train fwd+bwd  F.batch_norm(training=True) then autograd.grad to x, weight, bias
    max_pool3d fwd            F.max_pool3d under no_grad
    max_pool3d fwd+bwd        F.max_pool3d then autograd.grad to x
    model forward             model(x) in eval mode under no_grad, the network built by the
                              fixture scripts in test-data/scripts (make_vit_golden.DinoVit /
                              OaiClip, make_resnet_golden.PtvSlowResNet); see build_model

Run it with Debian's /usr/bin/python3 (python3-torch). Threads: --threads T sets
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS (before torch is imported) and torch.set_num_threads(T).
"""
import argparse
import ctypes
import gc
import os
import re
import subprocess
import sys
import time

TRIPLE_KEYS = {"in", "k", "s", "p"}
KEYS = {
    "gemm": ["m", "k", "n"],
    "conv3d": ["n", "cin", "cout", "in", "k", "s", "p"],
    "batchnorm": ["n", "c", "in"],
    "maxpool": ["n", "c", "in", "k", "s", "p"],
    "model": ["arch", "n", "in", "width", "depth"],
}
# Keys whose values are names, with the names they may take (ShapeTable.NAMES).
NAMES = {"arch": {"vit-dino", "vit-clip", "slow"}}
# The op labels of each kind, in Op.java's order.
OPS = {
    "gemm": ["matmul", "sgemm"],
    "conv3d": ["conv3d fwd", "conv3d bwd-data", "conv3d bwd-filter"],
    "batchnorm": ["batch_norm train fwd+bwd"],
    "maxpool": ["max_pool3d fwd", "max_pool3d fwd+bwd"],
    "model": ["model forward"],
}
# The fixture scripts whose plain-torch networks the "model" cases time.
FIXTURE_SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test-data", "scripts")


def parse_table(path):
    """The cases of shapes.txt as (kind, id, params) in file order; as ShapeTable.parse."""
    cases = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            kind, name = words[0], words[1]
            if kind not in KEYS:
                raise ValueError(f"{path}:{line_no}: unknown kind {kind!r}")
            params = {}
            for word in words[2:]:
                key, _, value = word.partition("=")
                if key not in KEYS[kind]:
                    raise ValueError(f"{path}:{line_no}: unknown key {key!r} for {kind}")
                if key in NAMES:
                    if value not in NAMES[key]:
                        raise ValueError(f"{path}:{line_no}: unknown {key} {value!r}")
                    params[key] = value
                elif kind != "gemm" and key in TRIPLE_KEYS:
                    params[key] = tuple(int(v) for v in value.split("x"))
                    if len(params[key]) != 3:
                        raise ValueError(f"{path}:{line_no}: {key} needs TxHxW")
                else:
                    params[key] = int(value)
            missing = [k for k in KEYS[kind] if k not in params]
            if missing:
                raise ValueError(f"{path}:{line_no}: missing {missing}")
            case_id = name + ("@" + "x".join(map(str, params["in"])) if "in" in params else "")
            cases.append((kind, case_id, params))
    return cases


def build_model(torch, p):
    """The network and input of a "model" case: the fixture scripts' plain-torch Slow ResNet
    (pytorchvideo layout) and ViTs (DINO's timm layout, OpenAI CLIP's), at the case's size, in
    eval mode. Initial weights follow org.iboot4j.nn's initialisers where PyTorch's module
    defaults differ (the fixture scripts' own randomize() aims at test sensitivity instead)."""
    if FIXTURE_SCRIPTS not in sys.path:
        sys.path.insert(0, FIXTURE_SCRIPTS)
    # imported here, not at the top: they import torch, which must see the thread settings first
    import make_resnet_golden
    import make_vit_golden
    nn = torch.nn
    n, (t, h, w), width = p["n"], p["in"], p["width"]
    if p["arch"] == "slow":
        depths = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}[p["depth"]]
        # the head pools the whole final map (SlowResNet: global mean): 224 -> 7 after 5 halvings
        model = make_resnet_golden.PtvSlowResNet(depths, width, 400, head_pool=(t, -(-h // 32), -(-w // 32)))
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Conv3d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.normal_(model.blocks[-1].proj.weight, 0, 0.01)
            nn.init.zeros_(model.blocks[-1].proj.bias)
        return model.eval(), torch.randn(n, 3, t, h, w)
    if t != 1 or h != w:
        raise ValueError("a ViT takes square images, in=1xSxS")
    config = dict(image=h, patch=16, width=width, layers=p["depth"], heads=width // 64, mlp=4 * width, proj=512)
    model = (make_vit_golden.DinoVit if p["arch"] == "vit-dino" else make_vit_golden.OaiClip)(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("cls_token", "pos_embed", "class_embedding", "positional_embedding"):
                nn.init.trunc_normal_(param, 0, 0.02, -2, 2)
            elif leaf in ("proj", "in_proj_weight", "in_proj_bias"):  # Linear's default in iboot4j
                bound = width ** -0.5
                nn.init.uniform_(param, -bound, bound)
    return model.eval(), torch.randn(n, 3, h, w)


def make(torch, op, p):
    """Builds the inputs of one case and returns a function that runs the op once."""
    F = torch.nn.functional
    torch.manual_seed(42)
    if op in ("matmul", "sgemm"):
        a, b = torch.randn(p["m"], p["k"]), torch.randn(p["k"], p["n"])
        if op == "matmul":
            return lambda: torch.mm(a, b)
        c = torch.empty(p["m"], p["n"])
        return lambda: torch.mm(a, b, out=c)
    if op.startswith("conv3d"):
        n, cin, cout, k, s, pad = p["n"], p["cin"], p["cout"], p["k"], p["s"], p["p"]
        fan_in = cin * k[0] * k[1] * k[2]
        x = torch.randn(n, cin, *p["in"])
        w = torch.randn(cout, cin, *k) * (2.0 / fan_in) ** 0.5
        if op == "conv3d fwd":
            def fwd():
                with torch.no_grad():
                    return F.conv3d(x, w, None, s, pad)
            return fwd
        target = x if op == "conv3d bwd-data" else w
        target.requires_grad_(True)
        y = F.conv3d(x, w, None, s, pad)
        g = torch.randn(y.shape)
        return lambda: torch.autograd.grad(y, target, g, retain_graph=True)
    if op.startswith("batch_norm"):
        shape = (p["n"], p["c"], *p["in"])
        x = (torch.randn(shape) * 2 + 0.5).requires_grad_(True)
        w = (torch.randn(p["c"]) * 0.1 + 1).requires_grad_(True)
        b = (torch.randn(p["c"]) * 0.1).requires_grad_(True)
        rm, rv = torch.zeros(p["c"]), torch.ones(p["c"])
        g = torch.randn(shape)

        def train():
            y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5)
            return torch.autograd.grad(y, (x, w, b), g)
        return train
    if op.startswith("max_pool3d"):
        x = torch.randn(p["n"], p["c"], *p["in"])
        k, s, pad = p["k"], p["s"], p["p"]
        if op == "max_pool3d fwd":
            def fwd():
                with torch.no_grad():
                    return F.max_pool3d(x, k, s, pad)
            return fwd
        x.requires_grad_(True)
        with torch.no_grad():
            g = torch.randn(F.max_pool3d(x, k, s, pad).shape)

        def fwd_bwd():
            return torch.autograd.grad(F.max_pool3d(x, k, s, pad), x, g)
        return fwd_bwd
    if op == "model forward":
        model, x = build_model(torch, p)

        def forward():
            with torch.no_grad():
                return model(x)
        return forward
    raise ValueError(f"unknown op {op!r}")


def measure(fn, warmup, warmup_seconds, reps, min_reps, budget):
    """org.iboot4j.bench.Timing.measure: returns (median ms, runs)."""
    start = time.perf_counter()
    i = 0
    while i < warmup or time.perf_counter() - start < warmup_seconds:
        fn()
        i += 1
    times, spent = [], 0.0
    min_reps = min(min_reps, reps)
    while len(times) < reps and (len(times) < min_reps or spent < budget):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1e3)
        spent += t1 - t0
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return median, n


def blas_in_use(torch):
    """The BLAS library behind libblas.so.3 in this process (after a torch.mm), with its config."""
    torch.mm(torch.randn(64, 64), torch.randn(64, 64))
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            path = fields[-1] if len(fields) >= 6 else ""
            if re.match(r"lib(open)?blas", os.path.basename(path)) and path not in libs:
                libs.append(path)
    config = ""
    for path in libs:
        try:
            get_config = ctypes.CDLL(path).openblas_get_config
            get_config.restype = ctypes.c_char_p
            config = get_config().decode()
            break
        except (OSError, AttributeError):
            pass
    blas = [p for p in libs if os.path.basename(p).startswith("libblas")] or libs
    if not blas:
        return "none found in /proc/self/maps"
    return ", ".join(os.path.realpath(p) for p in blas) + (f" ({config})" if config else "")


def implementation(torch, op, p):
    """What runs the op in torch: BLAS for GEMM, the convolution backend torch picks for a conv3d
    case (Mkldnn is oneDNN, Slow3d ATen's im2col), ATen's native kernels otherwise; a whole
    network runs as torch.nn modules in eager mode."""
    if op in ("matmul", "sgemm"):
        return "BLAS"
    if op == "model forward":
        return "torch.nn eager"
    if not op.startswith("conv3d"):
        return "ATen"
    if not hasattr(torch._C, "_select_conv_backend"):
        return ""
    x = torch.empty(p["n"], p["cin"], *p["in"])
    w = torch.empty(p["cout"], p["cin"], *p["k"])
    try:
        backend = torch._C._select_conv_backend(x, w, None, list(p["s"]), list(p["p"]), [1, 1, 1],
                                                False, [0, 0, 0], 1)
        return str(backend).split(".")[-1]
    except RuntimeError:
        return ""


def describe(torch):
    """The #meta lines: torch version, BLAS in use, convolution library."""
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-torch"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        deb = ""
    onednn = re.search(r"MKL-DNN v([\d.]+)", torch.__config__.show())
    return {
        "torch": torch.__version__ + (f" (Debian python3-torch {deb})" if deb else "")
        + f", torch.get_num_threads() = {torch.get_num_threads()}",
        "BLAS in use (torch.mm)": blas_in_use(torch),
        "torch conv3d": ("oneDNN " + (onednn.group(1) if onednn else "") + " available"
                         if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
                         else "no oneDNN: ATen's own kernels")
        + "; the backend torch picked for each case is in the table",
    }


def run_case(torch, args, op, params):
    fn = make(torch, op, params)
    try:
        median, n = measure(fn, args.warmup, args.warmup_seconds, args.reps, args.min_reps, args.budget)
    finally:
        del fn
        gc.collect()
    return median, n


def serve(torch, args, cases):
    for k, v in describe(torch).items():
        print(f"#meta\t{k}\t{v}")
    print("#ready", flush=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            op, case_id = line.split("\t")
            params = cases[case_id]
            if op not in OPS[params[0]]:
                raise ValueError(f"op {op!r} does not run on {params[0]} cases")
            median, n = run_case(torch, args, op, params[1])
            print(f"ok\t{median:.6f}\t{n}\t{implementation(torch, op, params[1])}", flush=True)
        except Exception as e:  # report and go on with the next case
            print(f"err\t{type(e).__name__}: {e}".replace("\n", " "), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", required=True, help="the shape table (shapes.txt)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--filter", help="regex searched for in 'op-label case-id' (with --out)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--warmup-seconds", type=float, default=1.0)
    ap.add_argument("--reps", type=int, default=21)
    ap.add_argument("--min-reps", type=int, default=3)
    ap.add_argument("--budget", type=float, default=3.0)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--serve", action="store_true", help="answer case requests on stdin")
    mode.add_argument("--out", help="time the cases and write this TSV file")
    args = ap.parse_args()

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch  # after the thread variables, which the runtimes read when loaded
    torch.set_num_threads(args.threads)

    table = parse_table(args.shapes)
    if args.serve:
        serve(torch, args, {case_id: (kind, params) for kind, case_id, params in table})
        return
    pattern = re.compile(args.filter) if args.filter else None
    rows = []
    for kind, case_id, params in table:
        for op in OPS[kind]:
            key = f"{op} {case_id}"
            if pattern and not pattern.search(key):
                continue
            print(f"torch: {key:<45} ", end="", file=sys.stderr, flush=True)
            median, n = run_case(torch, args, op, params)
            print(f"{median:10.3f} ms (median of {n})", file=sys.stderr, flush=True)
            rows.append(f"{op}\t{case_id}\t{median:.6f}\t{n}")
    with open(args.out, "w", encoding="utf-8") as f:
        for k, v in describe(torch).items():
            f.write(f"#meta\t{k}\t{v}\n")
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
