"""Write testdata/checkpoint/torch-lenet-6-12.safetensors: a PyTorch state_dict of the
lenet-6-12 network as `safetensors.torch.save_file(model.state_dict())` writes it, the
file vkcnn's -init must load with `-arch lenet-6-12` (checkpoint/torch_test.go).

    /usr/bin/python3 scripts/make_torch_statedict_fixture.py [OUT]

Not run by the tests; the output is committed. The names and shapes come from the PyTorch
model (scripts/vkcnn_torch.py); the values are a formula the Go test recomputes, so that it
can check every value bit for bit:

    tensor k (0-based, in the file's order), value j (row-major): ((37·j + 101·k) mod 255 − 127) / 128

The bytes follow safetensors' serializer (safetensors/src/tensor.rs, `prepare` and
`Metadata`'s Serialize), which safetensors.torch.save_file calls with metadata=None:

  - tensors sorted by dtype, larger alignment first, then by name (all F32 here: by name),
    and stored back to back in that order;
  - the header is compact JSON (serde_json: no spaces), keys in that same order, each
    {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}, and no "__metadata__" key;
  - the header is padded with spaces to a multiple of 8 bytes, its length a u64
    little-endian in the first 8 bytes;
  - the data is each tensor's raw bytes, float32 little-endian.

The safetensors Python package is not needed (and not installed here); with it, the file
is byte-identical to `safetensors.torch.save_file(sd, OUT)` for the same state_dict sd.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkcnn_torch  # noqa: E402  (the PyTorch model of a vkcnn arch)

ALIGN = {torch.float32: 4}
DTYPE = {torch.float32: "F32"}


def save_file(tensors, path):
    """safetensors.torch.save_file(tensors, path) with metadata=None, for F32 tensors."""
    items = sorted(tensors.items(), key=lambda kv: (-ALIGN[kv[1].dtype], kv[0]))
    header, data, off = {}, bytearray(), 0
    for name, t in items:
        raw = t.detach().contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + bytes(data))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "checkpoint", "torch-lenet-6-12.safetensors")
    sd = vkcnn_torch.Net("lenet-6-12").state_dict()
    for k, name in enumerate(sorted(sd)):
        n = sd[name].numel()
        vals = [((37 * j + 101 * k) % 255 - 127) / 128 for j in range(n)]
        sd[name] = torch.tensor(vals, dtype=torch.float32).reshape(sd[name].shape)
    save_file(sd, out)
    print(f"{out}: {', '.join(f'{n} {list(t.shape)}' for n, t in sorted(sd.items()))}")


if __name__ == "__main__":
    main()
