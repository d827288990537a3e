#!/usr/bin/python3
"""Reference files for StaticNet's safetensors tests, made by real PyTorch.

    /usr/bin/python3 make_reference.py          # (re)write the reference files beside this script
    /usr/bin/python3 make_reference.py --check  # only check files StaticNet wrote (from_staticnet/)

Written for PyTorch 1.13 (Debian's python3-torch), which has no `safetensors` package: the files are
written by `save_file` below, following the format's specification (8-byte little-endian header length,
JSON header, data), and that writer is first checked byte for byte against the files Hugging Face's
own library wrote (../shared/fixtures/safetensors beside the repository).

For each model (nn.Sequential, fixed seed) it writes:
  <model>.safetensors        the state_dict, F32, as torch saves it: Linear weights [out, in]
  <model>.<dtype>.safetensors the same state_dict cast to F16, BF16 and F64
  <model>.json               the architecture in StaticNet's words, a batch of inputs, labels/targets,
                             PyTorch's outputs (softmax probabilities when the loss is cross-entropy,
                             as StaticNet's Forward gives them), the loss, the gradient of the loss
                             with respect to every parameter (by state_dict name, PyTorch's layout),
                             and the outputs of the model with its parameters rounded to each dtype.
  <model>.onnx               conv models only: torch.onnx.export at opset 17 with a dynamic batch, for
                             the ONNX import tests (tests/StaticNet.Onnx.Tests link these files)

Files StaticNet wrote (the test ...PyTorchInteropTests.Saved_files_for_the_script, which writes
from_staticnet/ only when STATICNET_WRITE_PYTORCH=1) are then loaded into the same nn.Sequential with
load_state_dict(strict=True) and run on the inputs StaticNet recorded; the outputs must agree within 1e-5.
"""
import json
import math
import pathlib
import re
import struct
import sys

import onnx
import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[4]
FIXTURES = REPO.parent / "shared" / "fixtures" / "safetensors"
FROM_STATICNET = HERE / "from_staticnet"

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64"}
TORCH_DTYPES = {v: k for k, v in DTYPES.items()}
SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8}

assert sys.byteorder == "little", "tensor bytes are written as the machine holds them: little-endian only"


# ------------------------------------------------------------------ the format, by its specification

def save_file(tensors, path, metadata=None, pad=True):
    """Writes {name: tensor} as safetensors. pad=True pads the header with spaces to a multiple of 8,
    as the reference library does today; the fixtures (an older version) are unpadded."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        data.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(data))


def load_file(path):
    """Reads a safetensors file into ({name: tensor}, metadata), checking what the format requires."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n <= 100_000_000 and 8 + n <= len(blob), f"{path}: bad header length {n}"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None)
    data = blob[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{path}: tensor {name} starts at {begin}, expected {end}"
        dtype = TORCH_DTYPES[info["dtype"]]
        count = math.prod(info["shape"])
        assert stop - begin == count * SIZES[info["dtype"]], f"{path}: tensor {name} has the wrong size"
        raw = bytearray(data[begin:stop])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if count else torch.zeros(0, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if count else torch.zeros(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
        end = stop
    assert end == len(data), f"{path}: {len(data) - end} bytes after the last tensor"
    return tensors, metadata


def check_writer_against_reference_library():
    values = torch.tensor([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0])
    for name, dtype in (("f", torch.float32), ("e", torch.float16), ("d", torch.float64)):
        fixture = FIXTURES / f"{name}.safetensors"
        ours = HERE / f".{name}.tmp.safetensors"
        save_file({name: values.to(dtype)}, ours, metadata={"test": "a"}, pad=False)
        same = ours.read_bytes() == fixture.read_bytes()
        ours.unlink()
        assert same, f"our writer differs from the reference library's {fixture}"
        tensors, metadata = load_file(fixture)
        assert metadata == {"test": "a"} and torch.equal(tensors[name], values.to(dtype)), f"{fixture} reads wrong"
    print(f"writer: byte-identical to the reference library's f, e, d in {FIXTURES}")


# ------------------------------------------------------------------ models, in StaticNet's words

def layers(architecture):
    """[(kind, positional, named)] of a StaticNet architecture, e.g. Conv2D(3, 3, Stride = 2) gives
    ("Conv2D", [3, 3], {"Stride": 2}): layers are separated by spaces outside parentheses."""
    result = []
    for kind, arguments in re.findall(r"(\w+)(?:\(([^)]*)\))?", architecture):
        positional, named = [], {}
        for part in filter(None, (a.strip() for a in arguments.split(","))):
            if "=" in part:
                key, value = (t.strip() for t in part.split("="))
                named[key] = float(value) if "." in value or "e" in value else int(value)
            else:
                positional.append(int(part))
        result.append((kind, positional, named))
    return result


def input_shape(architecture):
    """The shape of one input row: (features,) or (channels, height, width)."""
    kind, positional, _ = layers(architecture)[0]
    assert kind == "Input", architecture
    return tuple(positional)


def sequential(architecture):
    """nn.Sequential for a StaticNet architecture string, and its loss ('ce', 'mse' or None)."""
    shape = input_shape(architecture)
    modules, loss = [], None
    for kind, positional, named in layers(architecture)[1:]:
        if kind == "Dense":
            (units,) = positional
            modules.append(nn.Linear(shape[0], units))
            shape = (units,)
        elif kind == "Conv2D":
            filters, kernel = positional
            stride, padding = named.get("Stride", 1), named.get("Padding", 0)
            modules.append(nn.Conv2d(shape[0], filters, kernel, stride=stride, padding=padding))
            shape = (filters, *[(n + 2 * padding - kernel) // stride + 1 for n in shape[1:]])
        elif kind in ("MaxPool2D", "AvgPool2D"):
            (size,) = positional
            stride = named.get("Stride", size)
            modules.append((nn.MaxPool2d if kind == "MaxPool2D" else nn.AvgPool2d)(size, stride=stride))
            shape = (shape[0], *[(n - size) // stride + 1 for n in shape[1:]])
        elif kind == "Flatten":
            modules.append(nn.Flatten())
            shape = (math.prod(shape),)
        elif kind == "BatchNorm":
            # BatchNorm1d after a Linear (per feature), BatchNorm2d after a Conv2d (per channel over N·H·W)
            bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            modules.append(bn(shape[0], eps=named.get("Epsilon", 1e-5), momentum=named.get("Momentum", 0.1)))
        elif kind in ("ReLU", "Sigmoid", "Tanh"):
            modules.append(getattr(nn, kind)())
        elif kind == "Softmax":
            modules.append(nn.Softmax(dim=1))
        elif kind == "SoftmaxCrossEntropy":
            loss = "ce"
        elif kind == "MeanSquaredError":
            loss = "mse"
        else:
            raise ValueError(kind)
    return nn.Sequential(*modules), loss


def outputs(model, loss, x):
    y = model(x)
    return torch.softmax(y, dim=1) if loss == "ce" else y


class Wrapped(nn.Module):
    """A Sequential held as self.model: its state_dict names start with "model."."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


MODELS = [
    # name, architecture, seed, batch, module prefix
    ("mlp_4_8_3", "Input(4) Dense(8) ReLU Dense(3) SoftmaxCrossEntropy", 1, 5, ""),
    ("mlp_5_6_4_2", "Input(5) Dense(6) Tanh Dense(4) Sigmoid Dense(2) MeanSquaredError", 2, 3, ""),
    ("prefixed_6_5_3", "Input(6) Tanh Dense(5) ReLU Sigmoid Dense(3) Softmax MeanSquaredError", 3, 4, "model."),
    # Conv nets (tensors 0.weight [out, in, kH, kW] as they are; pools and Flatten are modules too):
    # these are also exported with torch.onnx.export, for the ONNX import tests.
    ("simple_conv", "Input(1, 10, 10) Conv2D(4, 3) ReLU MaxPool2D(2) Flatten Dense(12) ReLU Dense(3) SoftmaxCrossEntropy", 4, 3, ""),
    ("strided_conv", "Input(2, 7, 7) Conv2D(3, 3, Stride = 2, Padding = 1) Tanh AvgPool2D(2, Stride = 1) Flatten Dense(4) MeanSquaredError", 5, 3, ""),
    ("two_conv_prefixed", "Input(3, 7, 7) Conv2D(4, 3, Padding = 1) ReLU Conv2D(2, 3, Stride = 2) Sigmoid Flatten Dense(3) Softmax MeanSquaredError", 6, 2, "model."),
]
OPSET = 17

# BatchNorm (weight, bias, running_mean, running_var, num_batches_tracked I64) and recurrent networks, whose PyTorch
# module is Recurrent below (rnn.weight_ih_l0, ..., head.weight). Their running statistics are first moved away from
# 0 and 1 by WARMUP training-mode batches, and gamma/beta drawn at random, so that every tensor matters.
MODELS_V2 = [
    # name, architecture, seed, batch, steps (None: not recurrent)
    ("bn_mlp", "Input(5) Dense(6) BatchNorm ReLU Dense(3) SoftmaxCrossEntropy", 21, 4, None),
    ("bn_mlp_eps", "Input(4) Dense(5) BatchNorm(Momentum = 0.2, Epsilon = 0.001) Tanh Dense(2) MeanSquaredError", 22, 3, None),
    ("bn_conv", "Input(2, 6, 6) Conv2D(3, 3) BatchNorm ReLU MaxPool2D(2) Flatten Dense(4) MeanSquaredError", 23, 3, None),
    ("gru_stack", "Input(3) GRU(5) GRU(5) Dense(2) MeanSquaredError", 24, 3, 4),
    ("lstm_stack", "Input(2) LSTM(4) LSTM(4) Dense(2) MeanSquaredError", 25, 2, 5),
    ("lstm_mixed", "Input(2) LSTM(6) LSTM(4) Dense(3) ReLU Dense(2) SoftmaxCrossEntropy", 26, 3, 4),
    ("gru_lstm", "Input(3) GRU(4) LSTM(3) Dense(2) MeanSquaredError", 27, 2, 3),
]
WARMUP = 3
RECURRENT = {"GRU": nn.GRU, "LSTM": nn.LSTM}


def is_recurrent(architecture):
    return any(kind in RECURRENT for kind, _, _ in layers(architecture))


class Recurrent(nn.Module):
    """The PyTorch module of a StaticNet recurrent network (SafeTensorsNetwork's mapping): each run of recurrent
    layers of one kind and hidden size is one multi-layer nn.GRU / nn.LSTM (batch_first=True); one such module is
    self.rnn, several an nn.ModuleList self.rnn (rnn.0, rnn.1, ...); the layers after them are self.head, the
    nn.Linear itself when it is the only module, else an nn.Sequential (head.0, head.2, ...)."""

    def __init__(self, architecture):
        super().__init__()
        tokens = re.findall(r"\w+(?:\([^)]*\))?", architecture)
        parsed = layers(architecture)
        size = parsed[0][1][0]
        groups, i = [], 1
        while i < len(parsed) and parsed[i][0] in RECURRENT:
            kind, (hidden,), _ = parsed[i]
            if groups and groups[-1][0] == kind and groups[-1][1] == hidden:
                groups[-1][2] += 1
            else:
                groups.append([kind, hidden, 1])
            i += 1
        rnns = []
        for kind, hidden, count in groups:
            rnns.append(RECURRENT[kind](size, hidden, num_layers=count, batch_first=True))
            size = hidden
        self.rnns = rnns
        self.rnn = rnns[0] if len(rnns) == 1 else nn.ModuleList(rnns)
        head, self.loss = sequential(f"Input({size}) " + " ".join(tokens[i:]))
        self.head = head[0] if len(head) == 1 and isinstance(head[0], nn.Linear) else head

    def forward(self, x):
        for rnn in self.rnns:
            x = rnn(x)[0]
        return self.head(x)


def build(architecture, prefix=""):
    """The PyTorch module of a StaticNet architecture and its loss kind."""
    if is_recurrent(architecture):
        model = Recurrent(architecture)
        return model, model.loss
    seq, loss = sequential(architecture)
    return (Wrapped(seq) if prefix else seq), loss


def outputs_v2(model, loss, x):
    y = model(x)
    return torch.softmax(y, dim=-1) if loss == "ce" else y


def make_v2(name, architecture, seed, batch, steps):
    torch.manual_seed(seed)
    model, loss_kind = build(architecture)
    shape = (batch, steps, *input_shape(architecture)) if steps else (batch, *input_shape(architecture))
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    model.train()
    with torch.no_grad():
        for _ in range(WARMUP):  # moves the running statistics (and num_batches_tracked) away from their start
            model(torch.randn(*shape) * 2 + 0.5)
    model.eval()
    state = {n: t.clone() for n, t in model.state_dict().items()}
    x = torch.randn(*shape)
    record = {"architecture": architecture, "prefix": "", "batch": batch, "input": flat(x)}
    if steps:
        record["steps"] = steps
    with torch.no_grad():
        record["output"] = flat(outputs_v2(model, loss_kind, x))

    # The loss and gradients of the training form (BatchNorm on the batch's statistics), on a copy: the saved
    # state_dict is the one above.
    import copy
    trained = copy.deepcopy(model)
    trained.train()
    y = trained(x)
    width = y.shape[-1]
    if loss_kind == "ce":
        labels = torch.randint(0, width, y.shape[:-1])
        loss = nn.CrossEntropyLoss()(y.reshape(-1, width), labels.reshape(-1))
        record["labels"] = flat(labels)
    else:
        targets = torch.rand(y.shape)
        loss = nn.MSELoss()(y, targets)
        record["targets"] = flat(targets)
    trained.zero_grad()
    loss.backward()
    record["loss"] = float(loss)
    record["gradients"] = {n: flat(p.grad) for n, p in trained.named_parameters()}
    record["shapes"] = {n: list(t.shape) for n, t in state.items()}
    record["dtypes"] = {n: DTYPES[t.dtype] for n, t in state.items()}
    save_file(state, HERE / f"{name}.safetensors", metadata={"format": "pt"})
    loaded, _ = load_file(HERE / f"{name}.safetensors")
    assert all(torch.equal(loaded[n], state[n]) for n in state)

    path = HERE / f"{name}.onnx"
    axes = {0: "N", 1: "T"} if steps else {0: "N"}
    # TrainingMode.PRESERVE (the model is in eval mode) keeps BatchNormalization a node of its own: the default
    # export folds a BatchNorm2d into the Conv before it, whose weights then are not the declaration's.
    torch.onnx.export(model, x, str(path), opset_version=OPSET, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": axes, "y": axes}, training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    record["onnx"] = {"opset": OPSET, "nodes": [n.op_type for n in onnx.load(str(path)).graph.node]}
    (HERE / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{name}: {architecture}, tensors {', '.join(state)}")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make(name, architecture, seed, batch, prefix):
    torch.manual_seed(seed)
    seq, loss_kind = sequential(architecture)
    model = Wrapped(seq) if prefix else seq
    x = torch.randn(batch, *input_shape(architecture))
    record = {"architecture": architecture, "prefix": prefix, "batch": batch, "input": flat(x)}
    y = model(x)
    if loss_kind == "ce":
        labels = torch.randint(0, y.shape[1], (batch,))
        loss = nn.CrossEntropyLoss()(y, labels)
        record["labels"] = labels.tolist()
    else:
        targets = torch.rand(y.shape)
        loss = nn.MSELoss()(y, targets)
        record["targets"] = flat(targets)
    model.zero_grad()
    loss.backward()
    state = model.state_dict()
    record["output"] = flat(outputs(model, loss_kind, x))
    record["loss"] = float(loss)
    record["gradients"] = {n: flat(p.grad) for n, p in model.named_parameters()}
    record["shapes"] = {n: list(t.shape) for n, t in state.items()}
    save_file(state, HERE / f"{name}.safetensors", metadata={"format": "pt"})

    # The same state_dict in other dtypes, and what the model computes with its parameters so rounded.
    record["rounded"] = {}
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        tag = DTYPES[dtype]
        save_file({n: t.to(dtype) for n, t in state.items()}, HERE / f"{name}.{tag}.safetensors", metadata={"format": "pt"})
        rounded = Wrapped(sequential(architecture)[0]) if prefix else sequential(architecture)[0]
        rounded.load_state_dict({n: t.to(dtype).to(torch.float32) for n, t in state.items()})
        with torch.no_grad():
            record["rounded"][tag] = flat(outputs(rounded, loss_kind, x))

    # Our reader gives back what torch holds.
    loaded, _ = load_file(HERE / f"{name}.safetensors")
    assert all(torch.equal(loaded[n], state[n]) for n in state)
    if len(input_shape(architecture)) == 3:
        export_onnx(model, x, HERE / f"{name}.onnx")
        record["onnx"] = {"opset": OPSET, "nodes": [n.op_type for n in onnx.load(HERE / f"{name}.onnx").graph.node]}
    (HERE / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{name}: {architecture}, loss {float(loss):.6f}, tensors {', '.join(state)}")


def export_onnx(model, x, path):
    """torch.onnx.export at opset 17 (the highest torch 1.13 has) with a dynamic batch dimension, checked by
    onnx.checker; ONNX Runtime is not on this machine, so the check that the file computes PyTorch's outputs is
    the ONNX test OnnxRuntimeAgreesWithTheFixture."""
    model.eval()
    torch.onnx.export(model, x, str(path), opset_version=OPSET, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


# ------------------------------------------------------------------ files StaticNet wrote

def check_staticnet_files():
    records = sorted(FROM_STATICNET.glob("*.json")) if FROM_STATICNET.is_dir() else []
    if not records:
        print(f"no files from StaticNet in {FROM_STATICNET} (run the tests with STATICNET_WRITE_PYTORCH=1)")
        return True
    ok = True
    for path in records:
        record = json.loads(path.read_text())
        model, loss_kind = build(record["architecture"], record.get("prefix"))
        state, metadata = load_file(path.with_suffix(".safetensors"))
        model.load_state_dict(state, strict=True)
        model.eval()  # BatchNorm on its running statistics, as StaticNet's Forward
        steps = (record["steps"],) if "steps" in record else ()
        x = torch.tensor(record["input"]).reshape(record["batch"], *steps, *input_shape(record["architecture"]))
        with torch.no_grad():
            ours = torch.tensor(outputs_v2(model, loss_kind, x).reshape(-1).tolist())
        theirs = torch.tensor(record["output"])
        error = float((ours - theirs).abs().max())
        good = error <= 1e-5
        ok &= good
        print(f"{'OK  ' if good else 'FAIL'} {path.stem}: loads into PyTorch (strict), metadata {metadata}, "
              f"max |PyTorch - StaticNet| output {error:.2e}")
    return ok


if __name__ == "__main__":
    if "--check" not in sys.argv:
        check_writer_against_reference_library()
        for spec in MODELS:
            make(*spec)
        for spec in MODELS_V2:
            make_v2(*spec)
    sys.exit(0 if check_staticnet_files() else 1)
