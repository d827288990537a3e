"""Records what PyTorch's nn.BatchNorm1d and nn.BatchNorm2d compute, for BatchNormPyTorchTests.

Run with /usr/bin/python3 (python3-torch) from this folder: writes batchnorm1d.json and batchnorm2d.json.
Each holds gamma and beta, then for a sequence of training batches the input, the output, dout and the
gradients (dx, dgamma, dbeta) and the running statistics after the batch, and last an inference batch
(model.eval()) with its output and gradients. float64 throughout, printed with 17 digits; the inputs
are float32-representable so that StaticNet gets the same numbers.
"""
import json
import torch

torch.manual_seed(20261202)


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def record(module, shape_of_batch, batches, name):
    module = module.double()
    c = module.num_features
    with torch.no_grad():
        module.weight.copy_(f32(1 + 0.5 * (2 * torch.rand(c, dtype=torch.float64) - 1)))
        module.bias.copy_(f32(0.5 * (2 * torch.rand(c, dtype=torch.float64) - 1)))
    out = {"momentum": module.momentum, "eps": module.eps, "gamma": module.weight.tolist(), "beta": module.bias.tolist(), "train": []}

    def step(n, k):
        x = f32(2 * torch.randn(shape_of_batch(n), dtype=torch.float64) + 0.5 * (k + 1)).requires_grad_(True)
        dout = f32(torch.randn(shape_of_batch(n), dtype=torch.float64))
        module.zero_grad()
        y = module(x)
        y.backward(dout)
        return {
            "x": x.detach().flatten().tolist(), "y": y.detach().flatten().tolist(), "dout": dout.flatten().tolist(),
            "dx": x.grad.flatten().tolist(), "dgamma": module.weight.grad.tolist(), "dbeta": module.bias.grad.tolist(),
            "running_mean": module.running_mean.tolist(), "running_var": module.running_var.tolist(), "n": n,
        }

    module.train()
    for k, n in enumerate(batches):
        out["train"].append(step(n, k))
    module.eval()
    out["eval"] = step(3, len(batches))
    with open(name, "w") as f:
        json.dump(out, f, indent=1)


# StaticNet's BatchNormOnlyNet: [Input(7)] [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)]
record(torch.nn.BatchNorm1d(7, momentum=0.2, eps=1e-3), lambda n: (n, 7), [2, 6, 3, 5], "batchnorm1d.json")
# StaticNet's BatchNorm2DOnlyNet: [Input(3, 4, 4)] [BatchNorm]
record(torch.nn.BatchNorm2d(3), lambda n: (n, 3, 4, 4), [1, 4, 2], "batchnorm2d.json")
