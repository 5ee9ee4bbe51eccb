#!/usr/bin/python3
"""Load a vkcnn checkpoint into its PyTorch model (scripts/vkcnn_torch.py) and, with --data,
evaluate it on the MNIST test set: the numbers `bin/train -init FILE -epochs 0` prints.

usage: /usr/bin/python3 scripts/check_checkpoint.py FILE.safetensors [--arch SPEC] [--data DIR]

--arch is needed only for a file without vkcnn's "arch" metadata (e.g. one written by
safetensors.torch.save_file). Needs torch only (no safetensors package). An unreadable or
mismatched file is one line on stderr and exit status 1.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkcnn_torch as vt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--arch", help="preset or layer string (default: the file's metadata)")
    ap.add_argument("--data", help="directory of the MNIST IDX files: evaluate on the test set")
    args = ap.parse_args()
    try:
        net, meta = vt.load_checkpoint(args.file, args.arch)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        msg = " ".join(str(e).split())  # load_state_dict's message spans lines
        sys.exit(f"check_checkpoint: {args.file}: {msg}")
    print(f"{args.file}: arch {net.arch_name!r} ({net.arch}): load_state_dict(strict=True) ok")
    for name, p in net.state_dict().items():
        print(f"  {name:14s} {list(p.shape)}")
    if args.data:
        try:
            x = vt.read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
            y = vt.read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
        except (OSError, ValueError) as e:
            sys.exit(f"check_checkpoint: {e}")
        net.eval()
        with torch.no_grad():
            logits = net(x.float().div(255).unsqueeze(1))
            loss = F.cross_entropy(logits, y.long()).item()
            correct = (logits.argmax(1) == y.long()).sum().item()
        print(f"test: loss {loss:.4f}, accuracy {100 * correct / len(y):.2f}% ({correct}/{len(y)})")


if __name__ == "__main__":
    main()
