#!/usr/bin/env python3
"""Reference for `npm run bench -- accuracy`: a 4-block CNN trained from scratch in PyTorch for a fixed
wall-clock budget on the same split as the student. Prints one JSON line:
{"accuracy":..,"macroF1":..,"trainSeconds":..,"epochs":..,"threads":..}.

Inputs are text files of "<class index>\t<path>" lines; images are read grey, resized to --size square.
"""
import argparse, json, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load(listfile, size):
    xs, ys = [], []
    for line in open(listfile, encoding='utf-8'):
        c, p = line.rstrip('\n').split('\t', 1)
        im = Image.open(p).convert('L').resize((size, size), Image.BILINEAR)
        xs.append(np.asarray(im, dtype=np.float32) / 255.0)
        ys.append(int(c))
    x = torch.from_numpy(np.stack(xs))[:, None]
    x = (x - x.mean((2, 3), keepdim=True)) / (x.std((2, 3), keepdim=True) + 0.02)
    return x, torch.tensor(ys)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2))


class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.f = nn.Sequential(block(1, 32), block(32, 64), block(64, 128), block(128, 256))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(256, classes))

    def forward(self, x):
        return self.head(self.f(x).mean((2, 3)))


def augment(x):
    if torch.rand(1) < 0.5: x = x.flip(3)
    if torch.rand(1) < 0.5: x = x.flip(2)
    if torch.rand(1) < 0.5: x = x.transpose(2, 3)
    return x * torch.empty(x.shape[0], 1, 1, 1).uniform_(0.8, 1.2) + torch.empty(x.shape[0], 1, 1, 1).uniform_(-0.2, 0.2)


def macro_f1(y, p, k):
    f1s = []
    for c in range(k):
        tp = int(((p == c) & (y == c)).sum()); n = int((y == c).sum()); pr = int((p == c).sum())
        if n == 0: continue
        prec = tp / pr if pr else 0.0; rec = tp / n
        f1s.append(0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec))
    return sum(f1s) / len(f1s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--train', required=True); ap.add_argument('--test', required=True)
    ap.add_argument('--seconds', type=float, default=300); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--size', type=int, default=128); ap.add_argument('--batch', type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    xtr, ytr = load(a.train, a.size); xte, yte = load(a.test, a.size)
    k = int(max(ytr.max(), yte.max())) + 1
    net = Net(k); opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.05)
    t0 = time.time(); epochs = 0
    while time.time() - t0 < a.seconds:
        net.train(); perm = torch.randperm(len(ytr))
        for i in range(0, len(ytr), a.batch):
            idx = perm[i:i + a.batch]
            if len(idx) < 2: continue
            loss = F.cross_entropy(net(augment(xtr[idx])), ytr[idx])
            opt.zero_grad(); loss.backward(); opt.step()
            if time.time() - t0 >= a.seconds: break
        epochs += 1
    train_s = time.time() - t0
    net.eval()
    with torch.no_grad():
        p = torch.cat([net(xte[i:i + 64]) for i in range(0, len(yte), 64)]).argmax(1)
    print(json.dumps({'accuracy': float((p == yte).float().mean()), 'macroF1': macro_f1(yte, p, k), 'trainSeconds': train_s,
                      'epochs': epochs, 'threads': a.threads, 'size': a.size}))


if __name__ == '__main__':
    main()
