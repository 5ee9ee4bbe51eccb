#!/usr/bin/python3
"""Time one training epoch of a vkcnn network in PyTorch on the CPU: the other half of
`make bench-torch` (scripts/bench_torch.sh), which times vkcnn's CPU engine the same way.

usage: /usr/bin/python3 scripts/bench_torch.py --arch ARCH [--data data/mnist]
       [--batch 64] [--limit N] [--threads T] [--lr0 F] [--lr1 F] [--momentum F]

The recipe is bin/train's: the network of scripts/vkcnn_torch.py (any preset or layer
string), the first N training images (all with --limit 0) as float32 byte/255 in a random
order, SGD with momentum as PyTorch's (v = μ·v + g, w −= lr·v), mean cross-entropy per
batch, learning rate lr0·(lr1/lr0)^(k/(K−1)) over the K steps. The timed epoch is every
step, forward, backward and update (not the loading, the network's construction or an
evaluation), on T threads (torch.set_num_threads; default: all the cores).

Prints one JSON line: {"arch", "batch", "samples", "threads", "seconds" (wall), "cpu_seconds"
(of the process, all threads, OpenMP's spinning included), "samples_per_second", "torch",
"loss"}.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkcnn_torch as vt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="lenet-6-12")
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N samples only (0: all)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--lr0", type=float, default=0.05)
    ap.add_argument("--lr1", type=float, default=0.001)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.batch < 1 or args.limit < 0 or args.threads < 1:
        sys.exit("bench_torch.py: --batch and --threads must be at least 1, --limit at least 0")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        net = vt.Net(args.arch)
        images = vt.read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
        labels = vt.read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    except (vt.ArchError, OSError, ValueError) as e:
        sys.exit(f"bench_torch.py: {e}")
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    x = images.float().div_(255).unsqueeze(1).contiguous()
    y = labels.long()
    n, b = x.shape[0], args.batch
    steps = math.ceil(n / b)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr0, momentum=args.momentum)
    perm = torch.randperm(n)
    net.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(steps):
        lr = args.lr0 * (args.lr1 / args.lr0) ** (k / max(1, steps - 1))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = perm[k * b:(k + 1) * b]  # the batch is gathered every step, as the engine does
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"arch": net.arch_name, "batch": b, "samples": n, "threads": torch.get_num_threads(),
                      "seconds": round(dt, 4), "cpu_seconds": round(cpu, 4), "samples_per_second": round(n / dt, 1),
                      "torch": torch.__version__, "loss": round(loss.item(), 4)}), flush=True)


if __name__ == "__main__":
    main()
