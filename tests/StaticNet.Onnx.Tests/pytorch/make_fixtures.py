#!/usr/bin/python3
"""Fixtures for the ONNX import tests, and the onnx checker run over StaticNet's exported models.

    /usr/bin/python3 make_fixtures.py                # rebuild fixtures/ (*.onnx and *.json)
    /usr/bin/python3 make_fixtures.py --check DIR    # onnx.checker.check_model on every DIR/*.onnx

Rebuilding: each model is a small nn.Sequential (or an nn.Module where a layer is written as
x @ W.T + b, which torch exports as MatMul + Add), seeded, exported with torch.onnx.export at opset 17
(the highest torch 1.13 supports) with a dynamic batch dimension, as torch writes it by default
(constant folding on), plus one export with do_constant_folding=False. Beside each NAME.onnx,
NAME.json records the StaticNet architecture it should load into, a batch of inputs, and the outputs
PyTorch computed for them (float32 values written exactly: repr of the float32 value as a double).
For a classifier exported as logits, "output" is softmax(logits), which is what the StaticNet network's
Forward returns.

Checking: the test ExportedModelsPassTheOnnxChecker writes every model the tests export into
$STATICNET_ONNX_EXPORT_DIR when that variable is set; see README.md beside this script.
"""
import json
import os
import sys

import torch
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
OPSET = 17
BATCH = 5


class Affine(torch.nn.Module):
    """A Dense layer written by hand: torch exports x @ W.T + b as MatMul then Add, not Gemm."""

    def __init__(self, inputs, outputs):
        super().__init__()
        linear = torch.nn.Linear(inputs, outputs)  # for its initialisation
        self.weight = torch.nn.Parameter(linear.weight.detach().clone())
        self.bias = torch.nn.Parameter(linear.bias.detach().clone())

    def forward(self, x):
        return x @ self.weight.t() + self.bias


def models():
    L, S = torch.nn.Linear, torch.nn.Sequential
    yield ("gemm_relu_softmax", "Input(4) Dense(8) ReLU Dense(3) Softmax",
           S(L(4, 8), torch.nn.ReLU(), L(8, 3), torch.nn.Softmax(dim=1)), False, {})
    yield ("gemm_tanh_sigmoid", "Input(5) Dense(7) Tanh Dense(2) Sigmoid",
           S(L(5, 7), torch.nn.Tanh(), L(7, 2), torch.nn.Sigmoid()), False, {})
    yield ("gemm_logits", "Input(6) Dense(10) ReLU Dense(4) SoftmaxCrossEntropy",
           S(L(6, 10), torch.nn.ReLU(), L(10, 4)), True, {})
    yield ("gemm_regression", "Input(3) Dense(5) Sigmoid Dense(5) Tanh Dense(1) MeanSquaredError",
           S(L(3, 5), torch.nn.Sigmoid(), L(5, 5), torch.nn.Tanh(), L(5, 1)), False, {})
    yield ("matmul_folded", "Input(4) Dense(6) Tanh Dense(3) Softmax",
           S(Affine(4, 6), torch.nn.Tanh(), Affine(6, 3), torch.nn.Softmax(dim=1)), False, {})
    yield ("matmul_transpose", "Input(4) Dense(6) ReLU Dense(2)",
           S(Affine(4, 6), torch.nn.ReLU(), Affine(6, 2)), False, {"do_constant_folding": False})
    # The layers of the next wave (Conv2D, pools, Flatten, LeakyReLU), in the attribute syntax planned
    # for them; StaticNet's generator does not have them yet, so the tests load these into a
    # hand-written reference network (ConvReferenceNet) with PyTorch's parameter layout.
    yield ("conv_leaky_maxpool",
           "Input(2, 6, 6) Conv2D(3, 3, Stride = 1, Padding = 1) LeakyReLU(0.1) MaxPool2D(2) Flatten Dense(4) Softmax",
           S(torch.nn.Conv2d(2, 3, 3, stride=1, padding=1), torch.nn.LeakyReLU(0.1), torch.nn.MaxPool2d(2),
             torch.nn.Flatten(), L(27, 4), torch.nn.Softmax(dim=1)), False, {})
    yield ("conv_relu_avgpool",
           "Input(1, 9, 9) Conv2D(2, 3, Stride = 2, Padding = 0) ReLU AvgPool2D(2) Flatten Dense(3) SoftmaxCrossEntropy",
           S(torch.nn.Conv2d(1, 2, 3, stride=2), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
             torch.nn.Flatten(), L(8, 3)), True, {})


def exact(values):
    """Each row flattened (C, H, W order for images), every float32 as the double it equals."""
    return [[float(v) for v in row] for row in values.reshape(values.shape[0], -1).tolist()]


def build():
    os.makedirs(OUT, exist_ok=True)
    for seed, (name, architecture, model, logits, options) in enumerate(models()):
        torch.manual_seed(1000 + seed)
        for p in model.parameters():  # re-draw after the seed, so each file is reproducible on its own
            torch.nn.init.uniform_(p, -0.8, 0.8)
        model.eval()
        first = model[0]
        shape = (first.in_channels, *[int(n) for n in architecture.split(")")[0].split("(")[1].split(",")[1:]]) \
            if isinstance(first, torch.nn.Conv2d) else (first.weight.shape[1],)
        x = torch.randn(BATCH, *shape)
        with torch.no_grad():
            y = model(x)
            if logits:
                y = torch.softmax(y, dim=1)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, **options)
        onnx.checker.check_model(onnx.load(path))
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump({"architecture": architecture, "torch": torch.__version__, "opset": OPSET,
                       "nodes": [n.op_type for n in onnx.load(path).graph.node],
                       "input": exact(x), "output": exact(y)}, f, indent=1)
        print(f"{name}: {architecture}: nodes {[n.op_type for n in onnx.load(path).graph.node]}")


def check(folder):
    files = sorted(f for f in os.listdir(folder) if f.endswith(".onnx"))
    if not files:
        print(f"no .onnx files in {folder}")
        return 1
    for f in files:
        model = onnx.load(os.path.join(folder, f))
        onnx.checker.check_model(model, full_check=True)  # full_check: also runs shape inference
        print(f"ok  {f}  ir {model.ir_version}, opset {[o.version for o in model.opset_import]}, "
              f"nodes {[n.op_type for n in model.graph.node]}")
    print(f"{len(files)} models pass onnx.checker.check_model (onnx {onnx.__version__})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) != 1:
        print(__doc__)
        sys.exit(2)
    build()
