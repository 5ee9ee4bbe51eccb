"""vkcnn networks in PyTorch: the same layers, names and layouts, and vkcnn's checkpoints.

    import vkcnn_torch as vt
    net, meta = vt.load_checkpoint("run.safetensors")     # a vkcnn checkpoint → nn.Module
    vt.save_checkpoint("out.safetensors", net)             # and back (vkcnn's -init loads it)
    net = vt.Net("conv3x3x8:same,relu,maxpool2,dense10")   # a preset name or a layer string

The architecture grammar is model.Build's (model/arch.go), on 1×28×28 input, 10 logits:

    convKHxKWxN[:valid|:same|:full]  N kernels of KH×KW, stride 1, bias; padding 0,
                                     (K−1)/2 (odd K only) or K−1 on each side
    relu, sigmoid                    activations
    maxpoolS, minpoolS, avgpoolS     S×S window, stride S; a trailing partial window is dropped
    dropoutP                         inverted dropout, drop probability P (training only;
                                     PyTorch's masks are not vkcnn's counter-based ones)
    denseN                           N outputs of the input flattened in (C,H,W) order

Parameters are named as vkcnn names them: conv layers conv1, conv2, … and dense layers fc1,
fc2, … in network order, each with a weight (conv [O,I,KH,KW], dense [out,in]) and a bias,
so net.state_dict() holds exactly a vkcnn checkpoint's tensors. A checkpoint is
safetensors: a u64 little-endian header length n, n bytes of JSON padded with spaces to a
multiple of 8, then the tensors' raw little-endian bytes; the header maps each name to
{"dtype","shape","data_offsets"} and "__metadata__" to a map of strings (vkcnn writes
"arch", the canonical layer string, "name", the preset name or that string, and "format":
"pt"). Read and written here with the standard library and torch only.
"""
import gzip
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# PRESETS mirrors model.Presets.
PRESETS = {
    "lenet-6-12": "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,dense10",
    "lenet-12-16": "conv5x5x12,relu,maxpool2,conv5x5x16,relu,maxpool2,dense10",
    "lenet-16-32": "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10",
    "conv3-6-12-16": "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,conv1x1x16,relu,dense10",
    "conv3-16-32-32": "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,conv3x3x32,relu,dense10",
    "lenet-6-12-dropout": "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,dropout0.5,dense10",
}

if sys.byteorder != "little":
    raise ImportError("vkcnn_torch reads and writes little-endian tensors as raw bytes: little-endian hosts only")

MNIST_INPUT = (1, 28, 28)
CLASSES = 10


class ArchError(ValueError):
    """An arch string that model.Build would refuse."""


def _size(text, what, hi):
    if not text.isdigit() or not 1 <= int(text) <= hi:
        raise ArchError(f"{what}{text!r} is not a size from 1 to {hi}")
    return int(text)


def _f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _format_f32(x):
    """The shortest decimal that reads back as the same float32 (Go's FormatFloat(x, 'g', -1, 32))."""
    for digits in range(1, 10):
        s = f"{x:.{digits}g}"
        if _f32(float(s)) == x:
            return s
    return repr(x)


def parse_layer(tok):
    """One layer token → a dict with "kind" and its fields (no shapes yet)."""
    if tok in ("relu", "sigmoid"):
        return {"kind": tok}
    if tok.startswith("conv"):
        body, _, pad = tok[4:].partition(":")
        pad = pad or "valid"
        if pad not in ("valid", "same", "full"):
            raise ArchError(f"padding {pad!r}: want valid, same or full")
        parts = body.split("x")
        if len(parts) != 3:
            raise ArchError("want convKHxKWxN, e.g. conv5x5x6")
        kh, kw, n = (_size(p, "", 4096) for p in parts)
        return {"kind": "conv", "kh": kh, "kw": kw, "filters": n, "pad": pad}
    if tok.startswith(("maxpool", "minpool", "avgpool")):
        return {"kind": tok[:7], "size": _size(tok[7:], "pool size ", 64)}
    if tok.startswith("dropout"):
        try:
            p = _f32(float(tok[7:]))
        except ValueError:
            p = -1.0
        if not 0 <= p < 1:
            raise ArchError(f"dropout probability {tok[7:]!r}: want a number in [0, 1)")
        return {"kind": "dropout", "p": p}
    if tok.startswith("dense"):
        return {"kind": "dense", "units": _size(tok[5:], "dense size ", 1 << 16)}
    raise ArchError("unknown layer (want convKHxKWxN[:pad], relu, sigmoid, maxpoolS, minpoolS, avgpoolS, dropoutP or denseN)")


def _pad(layer):
    return {"valid": (0, 0),
            "same": ((layer["kh"] - 1) // 2, (layer["kw"] - 1) // 2),
            "full": (layer["kh"] - 1, layer["kw"] - 1)}[layer["pad"]]


def _spec(layer):
    k = layer["kind"]
    if k == "conv":
        s = f"conv{layer['kh']}x{layer['kw']}x{layer['filters']}"
        return s if layer["pad"] == "valid" else s + ":" + layer["pad"]
    if k in ("maxpool", "minpool", "avgpool"):
        return f"{k}{layer['size']}"
    if k == "dropout":
        return "dropout" + _format_f32(layer["p"])
    if k == "dense":
        return f"dense{layer['units']}"
    return k


def parse_arch(spec, in_shape=MNIST_INPUT, classes=CLASSES):
    """A preset name or layer string → (name, canonical spec, layers with "in"/"out" shapes
    (C,H,W) and "name" for conv/dense), as model.Build infers them."""
    name = spec.strip()
    layer_string = PRESETS.get(name, name)
    layers, cur, counts = [], tuple(in_shape), {"conv": 0, "dense": 0}
    for i, tok in enumerate(layer_string.split(",")):
        tok = tok.strip()
        try:
            layer = parse_layer(tok)
            c, h, w = cur
            k = layer["kind"]
            if k == "conv":
                if layer["pad"] == "same" and (layer["kh"] % 2 == 0 or layer["kw"] % 2 == 0):
                    raise ArchError(f"same padding needs an odd kernel, got {layer['kh']}x{layer['kw']}")
                ph, pw = _pad(layer)
                oh, ow = h + 2 * ph - layer["kh"] + 1, w + 2 * pw - layer["kw"] + 1
                if oh < 1 or ow < 1:
                    raise ArchError(f"kernel {layer['kh']}x{layer['kw']} does not fit input {h}x{w}")
                out = (layer["filters"], oh, ow)
            elif k in ("maxpool", "minpool", "avgpool"):
                if h < layer["size"] or w < layer["size"]:
                    raise ArchError(f"pool window {layer['size']} is larger than input {h}x{w}")
                out = (c, h // layer["size"], w // layer["size"])
            elif k == "dense":
                out = (layer["units"], 1, 1)
            else:
                out = cur
        except ArchError as e:
            raise ArchError(f"arch {spec!r}: layer {i + 1} {tok!r}: {e}") from None
        if k in counts:
            counts[k] += 1
            layer["name"] = ("conv" if k == "conv" else "fc") + str(counts[k])
        layer["in"], layer["out"] = cur, out
        layers.append(layer)
        cur = out
    if cur[0] * cur[1] * cur[2] != classes:
        raise ArchError(f"arch {spec!r}: the last layer gives {cur} values, want {classes} logits")
    canonical = ",".join(_spec(layer) for layer in layers)
    return (name if name in PRESETS else canonical), canonical, layers


class Net(nn.Module):
    """The vkcnn network of a preset name or layer string; forward maps images (N,1,28,28)
    in 0..1 to logits (N,10). Initialised by PyTorch's defaults (uniform in ±1/√fan_in, the
    same distribution as vkcnn's, not the same values)."""

    def __init__(self, spec, in_shape=MNIST_INPUT, classes=CLASSES):
        super().__init__()
        self.arch_name, self.arch, self.layers = parse_arch(spec, in_shape, classes)
        for layer in self.layers:
            c, h, w = layer["in"]
            if layer["kind"] == "conv":
                self.add_module(layer["name"], nn.Conv2d(c, layer["filters"], (layer["kh"], layer["kw"]), padding=_pad(layer)))
            elif layer["kind"] == "dense":
                self.add_module(layer["name"], nn.Linear(c * h * w, layer["units"]))

    def forward(self, x):
        n = x.shape[0]
        for layer in self.layers:
            k = layer["kind"]
            if k in ("conv", "maxpool", "minpool", "avgpool"):
                x = x.reshape(n, *layer["in"])
            if k == "conv":
                x = getattr(self, layer["name"])(x)
            elif k == "dense":
                x = getattr(self, layer["name"])(torch.flatten(x, 1))
            elif k == "relu":
                x = F.relu(x)
            elif k == "sigmoid":
                x = torch.sigmoid(x)
            elif k == "maxpool":
                x = F.max_pool2d(x, layer["size"])
            elif k == "minpool":
                # min = −max(−x); its gradient goes to the window's minimum, as the engines'.
                x = -F.max_pool2d(-x, layer["size"])
            elif k == "avgpool":
                x = F.avg_pool2d(x, layer["size"])
            elif k == "dropout":
                x = F.dropout(x, layer["p"], self.training)
        return torch.flatten(x, 1)


# safetensors dtypes read and written here, with their torch dtypes and struct codes.
DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}


def read_safetensors(path):
    """A safetensors file → (dict name → tensor in file order, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for safetensors")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} does not fit a file of {len(data)} bytes")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name}: dtype {t['dtype']} not supported here")
        begin, end = t["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: tensor {name}: data_offsets {begin}, {end} outside the data")
        buf = bytearray(body[begin:end])
        dtype = DTYPES[t["dtype"]]
        flat = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(t["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """Write dict name → tensor (in its order, back to back, little-endian) as safetensors."""
    names = {v: k for k, v in DTYPES.items()}
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()  # little-endian: see the check at the top
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for raw in chunks:
            f.write(raw)


def load_checkpoint(path, arch=None):
    """A vkcnn checkpoint → (Net with its weights, metadata). arch (a preset or layer
    string) is needed only for a file without vkcnn's "arch" metadata."""
    tensors, meta = read_safetensors(path)
    # A checkpoint of a run in progress also holds its momentum buffers (optim.momentum.*),
    # which are no part of the model.
    tensors = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
    spec = arch or meta.get("arch")
    if not spec:
        raise ValueError(f"{path}: no \"arch\" in __metadata__ and no arch given")
    net = Net(spec)
    name = meta.get("name")
    if not arch and name in PRESETS and parse_arch(name)[1] == net.arch:
        net.arch_name = name  # keep the preset's name, as vkcnn's -init does
    net.load_state_dict(tensors, strict=True)
    return net, meta


def save_checkpoint(path, net):
    """Write net's parameters as a vkcnn checkpoint (vkcnn's -init loads it)."""
    write_safetensors(path, net.state_dict(), {"arch": net.arch, "format": "pt", "name": net.arch_name})


def read_idx(path):
    """An IDX file (gzip or raw) → uint8 tensor of its dimensions (MNIST images or labels)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    off = 4 + 4 * ndim
    count = 1
    for d in dims:
        count *= d
    if len(data) - off != count:
        raise ValueError(f"{path}: {len(data) - off} data bytes, dimensions {dims} want {count}")
    return torch.frombuffer(bytearray(data[off:]), dtype=torch.uint8).reshape(dims)
