#!/usr/bin/env python3
"""PyTorch twin of native-models' ViT classifier (same layers, sizes, init scale, AdamW + clipping).

Prints one JSON line: params, train step ms, forward ms, peak RSS. Run by bench/engine.ts with the
same config and batch as the ONNX Runtime side, pinned to the same thread count.
"""
import argparse, json, math, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, round(dim * mlp_ratio))
        self.fc2 = nn.Linear(round(dim * mlp_ratio), dim)

    def forward(self, x):
        b, t, d = x.shape
        h, dh = self.heads, d // self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, h, dh).permute(2, 0, 3, 1, 4)
        att = torch.softmax((q * (1 / math.sqrt(dh))) @ k.transpose(-2, -1), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch = c["channels"]
        stem = []
        for out in c["stem"]:
            stem += [nn.Conv2d(ch, out, 3, stride=2, padding=1), nn.GELU()]
            ch = out
        self.stem = nn.Sequential(*stem)
        self.patch = nn.Conv2d(ch, c["dim"], c["patch"], stride=c["patch"])
        grid = c["imageSize"] // 2 ** len(c["stem"]) // c["patch"]
        self.pos = nn.Parameter(torch.randn(grid * grid, c["dim"]) * 0.02)
        self.blocks = nn.ModuleList(Block(c["dim"], c["heads"], c["mlpRatio"]) for _ in range(c["depth"]))
        self.norm = nn.LayerNorm(c["dim"])
        self.head = nn.Linear(c["dim"], c["classes"])

    def forward(self, x):
        x = self.patch(self.stem(x)).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(dim=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (GPU reference numbers in the device check)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = json.loads(a.config)
    dev = torch.device(a.device)
    model = Vit(c).to(dev)
    decay = [p for p in model.parameters() if p.ndim >= 2 and p is not model.pos]
    no_decay = [p for p in model.parameters() if not (p.ndim >= 2 and p is not model.pos)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randn(a.batch, c["channels"], c["imageSize"], c["imageSize"]).to(dev)
    y = (torch.arange(a.batch) % c["classes"]).to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = step()
        sync()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    fwd = []
    model.eval()
    with torch.no_grad():
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            model(x).sum().item()
            sync()
            if i >= a.warmup:
                fwd.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "params": sum(p.numel() for p in model.parameters()),
        "stepMs": statistics.median(times),
        "forwardMs": statistics.median(fwd),
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lastLoss": loss,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": a.device,
        "gpuPeakMiB": torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda" else None,
    }))


if __name__ == "__main__":
    main()
