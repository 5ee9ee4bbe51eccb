#!/usr/bin/python3
"""Load a vkcnn checkpoint into the PyTorch model of ../shared/bench/torch_lenet.py.

usage: /usr/bin/python3 scripts/check_checkpoint.py FILE.safetensors [BENCH_DIR]
Reads the safetensors file with the standard library and torch only (no safetensors
package): 8-byte little-endian header length, JSON header, float32 little-endian data.
vkcnn names the single dense layer fc1; torch_lenet.Net calls it fc.
"""
import json, os, struct, sys

import torch

path = sys.argv[1]
bench = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/bench")
sys.path.insert(0, bench)
from torch_lenet import Net  # noqa: E402

data = open(path, "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
meta = header.pop("__metadata__")
state = {}
for name, t in header.items():
    assert t["dtype"] == "F32", (name, t["dtype"])
    begin, end = t["data_offsets"]
    buf = bytearray(data[8 + n + begin:8 + n + end])
    state[name.replace("fc1.", "fc.")] = torch.frombuffer(buf, dtype=torch.float32).reshape(t["shape"])
net = Net(state["conv1.weight"].shape[0], state["conv2.weight"].shape[0])
net.load_state_dict(state, strict=True)
print(f"{path}: arch {meta['arch']!r} ({meta.get('name')}): load_state_dict(strict=True) ok")
for name, p in net.state_dict().items():
    print(f"  {name:14s} {list(p.shape)}  equal={torch.equal(p, state[name])}")
