#!/usr/bin/python3
"""Records outputs and gradients of PyTorch nn.GRU / nn.LSTM networks for RecurrentPyTorchTests.

Run from this folder with Debian's python3-torch:  /usr/bin/python3 make_fixtures.py
Each network here is the twin of one in tests/StaticNet.Tests/Networks/RecurrentNetworks.cs. The weights are
drawn as float32 (what StaticNet holds), then everything is computed in float64, so the files hold PyTorch's
answer for exactly those weights, to double precision. Parameters and gradients are written in StaticNet's
order: per recurrent layer weight_ih, weight_hh, bias_ih, bias_hh as PyTorch lays them out; per Linear layer
the weight transposed to [in, out] (StaticNet's x·W), then the bias.
"""
import json
import torch

torch.manual_seed(12)


def build(spec):
    """spec: ('gru'|'lstm', hidden) for recurrent layers, ('dense', units), ('relu',), then the loss."""
    inputs, layers, loss = spec
    modules, size = [], inputs
    for layer in layers:
        kind = layer[0]
        if kind == 'gru':
            m = torch.nn.GRU(size, layer[1], batch_first=True)
            size = layer[1]
        elif kind == 'lstm':
            m = torch.nn.LSTM(size, layer[1], batch_first=True)
            size = layer[1]
        elif kind == 'dense':
            m = torch.nn.Linear(size, layer[1])
            size = layer[1]
        elif kind == 'relu':
            m = torch.nn.ReLU()
        modules.append(m)
    for m in modules:
        for p in m.parameters():
            with torch.no_grad():
                # float32 values (what StaticNet stores), a wider spread than PyTorch's default for livelier gates
                p.copy_(torch.empty(p.shape).uniform_(-0.6, 0.6).float())
    return [m.double() for m in modules], size


def run(modules, x):
    h = x
    for m in modules:
        h = m(h)[0] if isinstance(m, (torch.nn.GRU, torch.nn.LSTM)) else m(h)
    return h


def flat_parameters(modules, grad=False):
    values = []
    for m in modules:
        if isinstance(m, (torch.nn.GRU, torch.nn.LSTM)):
            for name in ('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'):
                p = getattr(m, name)
                values += (p.grad if grad else p).detach().reshape(-1).tolist()
        elif isinstance(m, torch.nn.Linear):
            values += (m.weight.grad if grad else m.weight).detach().t().reshape(-1).tolist()
            values += (m.bias.grad if grad else m.bias).detach().reshape(-1).tolist()
    return values


def loss_of(kind, y, t):
    if kind == 'mse':
        return torch.nn.functional.mse_loss(y, t)
    # SoftmaxCrossEntropy: mean over rows of -Σ t·log softmax(y)
    return -(t * torch.log_softmax(y, dim=-1)).sum(-1).mean()


def targets(kind, shape):
    if kind == 'mse':
        return torch.randn(shape, dtype=torch.float64)
    labels = torch.randint(0, shape[-1], shape[:-1])
    return torch.nn.functional.one_hot(labels, shape[-1]).double()


def grads(modules, x, kind, y_of, t):
    for m in modules:
        m.zero_grad()
    x = x.clone().requires_grad_(True)
    loss = loss_of(kind, y_of(run(modules, x)), t)
    loss.backward()
    return loss.item(), flat_parameters(modules, grad=True), x.grad.reshape(-1).tolist()


def fixture(name, spec, batch, steps):
    modules, outputs = build(spec)
    kind = spec[2]
    x = torch.empty(batch, steps, spec[0]).uniform_(-1, 1).float().double()
    with torch.no_grad():
        y = run(modules, x)
        if kind == 'sce':
            y = torch.softmax(y, dim=-1)   # Forward of a SoftmaxCrossEntropy network gives probabilities
    t_steps = targets(kind, (batch, steps, outputs))
    t_last = targets(kind, (batch, outputs))
    loss_steps, g_steps, dx_steps = grads(modules, x, kind, lambda a: a, t_steps)
    loss_last, g_last, dx_last = grads(modules, x, kind, lambda a: a[:, -1, :], t_last)

    def r(values):
        return [float('%.9g' % v) for v in values]

    data = {
        'network': name, 'batch': batch, 'steps': steps,
        'parameters': r(flat_parameters(modules)),
        'input': r(x.reshape(-1).tolist()),
        'output': r(y.reshape(-1).tolist()),
        'targets_per_step': r(t_steps.reshape(-1).tolist()),
        'loss_per_step': loss_steps,
        'gradients_per_step': r(g_steps),
        'input_gradient_per_step': r(dx_steps),
        'targets_last_step': r(t_last.reshape(-1).tolist()),
        'loss_last_step': loss_last,
        'gradients_last_step': r(g_last),
        'input_gradient_last_step': r(dx_last),
    }
    with open('fixtures/' + name + '.json', 'w') as f:
        json.dump(data, f, separators=(',', ':'))


import os
os.makedirs('fixtures', exist_ok=True)
fixture('GruNet', (3, [('gru', 11), ('dense', 2)], 'mse'), batch=2, steps=6)
fixture('LstmNet', (3, [('lstm', 10), ('dense', 2)], 'mse'), batch=2, steps=6)
fixture('GruStackNet', (2, [('gru', 9), ('gru', 5), ('dense', 1)], 'mse'), batch=3, steps=5)
fixture('LstmStackNet', (2, [('lstm', 6), ('lstm', 9), ('dense', 1)], 'mse'), batch=3, steps=5)
fixture('GruClassifierNet', (4, [('gru', 7), ('dense', 6), ('relu',), ('dense', 3)], 'sce'), batch=2, steps=4)
