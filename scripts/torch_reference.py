#!/usr/bin/python3
"""Write the PyTorch reference states that internal/enginetest checks both engines against.

usage: /usr/bin/python3 scripts/torch_reference.py [--data data/mnist] [--out testdata/torch]

Not run by make test or CI (they need no PyTorch); rerun it only when the network maths or
the fixture's contents change, and commit its output. Deterministic: CPU, one thread,
float32, fixed seeds.

For each network below it writes OUT/NAME.safetensors (vkcnn_torch's safetensors layout):

  images     U8  [24,28,28]  the first 24 MNIST training images (pixel bytes; the engines
                             use byte/255 as float32, as PyTorch's .float().div(255))
  labels     U8  [24]        their labels
  init.P     F32             every parameter P (conv1.weight, …) before training: PyTorch's
                             default init from torch.manual_seed(SEED)
  logits     F32 [8,10]      the logits of samples 0..7 with the initial weights
  loss       F32 [1]         their mean cross-entropy (1/8) Σ −log softmax(z_n)[y_n]
  grad.P     F32             ∂loss/∂P at the initial weights
  lr         F32 [3]         the learning rate of each of 3 SGD steps
  step_loss  F32 [3]         each step's batch loss, before its update
  final.P    F32             every parameter after the 3 steps

The 3 steps are torch.optim.SGD with momentum 0.9 (v = 0.9·v + g, w −= lr·v, v from zero)
over samples 0–7, 8–15 and 16–23 in that order, one batch each, batch 8: one vkcnn epoch
over the 24 images without shuffling. __metadata__ holds the arch, the torch version and
this command.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkcnn_torch as vt  # noqa: E402

# NETWORKS: fixture name → (arch, seed). The second covers what lenet-6-12 does not: same
# and full padding, sigmoid, avg-pool, two dense layers.
NETWORKS = {
    "lenet-6-12": ("lenet-6-12", 1),
    "mixed": ("conv3x3x4:same,sigmoid,avgpool2,conv3x3x4:full,relu,maxpool2,dense16,sigmoid,dense10", 2),
}
SAMPLES, BATCH, MOMENTUM = 24, 8, 0.9
LR = [0.05, 0.04, 0.03]


def reference(arch, seed, images, labels):
    """The tensors of one fixture, in file order."""
    torch.manual_seed(seed)
    net = vt.Net(arch)
    x = images.float().div(255).unsqueeze(1)
    y = labels.long()
    out = {"images": images, "labels": labels}
    out.update({"init." + k: v.clone() for k, v in net.state_dict().items()})

    logits = net(x[:BATCH])
    loss = F.cross_entropy(logits, y[:BATCH])
    loss.backward()
    out["logits"] = logits.detach().clone()
    out["loss"] = loss.detach().reshape(1).clone()
    out.update({"grad." + k: p.grad.clone() for k, p in net.named_parameters()})

    net.zero_grad()
    opt = torch.optim.SGD(net.parameters(), lr=LR[0], momentum=MOMENTUM)
    step_loss = []
    for k, lr in enumerate(LR):
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        batch = slice(k * BATCH, (k + 1) * BATCH)
        loss = F.cross_entropy(net(x[batch]), y[batch])
        loss.backward()
        opt.step()
        step_loss.append(loss.item())
    out["lr"] = torch.tensor(LR, dtype=torch.float32)
    out["step_loss"] = torch.tensor(step_loss, dtype=torch.float32)
    out.update({"final." + k: v.clone() for k, v in net.state_dict().items()})
    return net, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--out", default="testdata/torch")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    images = vt.read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))[:SAMPLES].clone()
    labels = vt.read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))[:SAMPLES].clone()
    os.makedirs(args.out, exist_ok=True)
    for name, (arch, seed) in NETWORKS.items():
        net, tensors = reference(arch, seed, images, labels)
        meta = {
            "arch": net.arch, "name": net.arch_name, "seed": seed,
            "batch": BATCH, "momentum": MOMENTUM, "lr": ",".join(str(v) for v in LR),
            "torch": torch.__version__,
            "command": "/usr/bin/python3 scripts/torch_reference.py --data data/mnist --out testdata/torch",
        }
        path = os.path.join(args.out, name + ".safetensors")
        vt.write_safetensors(path, tensors, meta)
        print(f"{path}: {net.arch_name}: loss {tensors['loss'].item():.6f}, step losses "
              f"{[round(v, 6) for v in tensors['step_loss'].tolist()]}, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
