#!/usr/bin/python3
"""Writes the ONNX models of RecurrentBenchmarks: PyTorch GRU/LSTM networks with a Linear(1) head, one time step per
call, the state passed in and out (h, and c for LSTM), exported with torch.onnx.export.

Run from this folder with Debian's python3-torch:  /usr/bin/python3 make_models.py
For each network it writes {name}.onnx and {name}.bin, the same weights as float32 little-endian in StaticNet's parameter
order (per recurrent layer weight_ih, weight_hh, bias_ih, bias_hh as PyTorch lays them out; the Linear weight transposed
to [in, out], then its bias), which the benchmark copies into the generated network before it checks that ONNX Runtime
and Step give the same outputs. Each file is the twin of a [Network] in RecurrentBenchmarks.cs.
"""
import struct
import torch

NETWORKS = {
    # name: (cell, hidden, layers)
    'BenchGru8': ('gru', 8, 1),
    'BenchGru32': ('gru', 32, 1),
    'BenchLstm32': ('lstm', 32, 1),
    'BenchGru64x2': ('gru', 64, 2),
}


class Streaming(torch.nn.Module):
    """One sample in, one out: y = Linear(rnn(x, state)), the new state out."""

    def __init__(self, cell, hidden, layers):
        super().__init__()
        rnn = torch.nn.GRU if cell == 'gru' else torch.nn.LSTM
        self.cell = cell
        self.rnn = rnn(1, hidden, num_layers=layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x, h, c=None):
        if self.cell == 'gru':
            out, h = self.rnn(x, h)
            return self.head(out), h
        out, (h, c) = self.rnn(x, (h, c))
        return self.head(out), h, c


def parameters(model, layers):
    """The weights in StaticNet's order, as float32."""
    values = []
    for k in range(layers):
        for name in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
            values += getattr(model.rnn, f'{name}_l{k}').detach().reshape(-1).tolist()
    values += model.head.weight.detach().t().reshape(-1).tolist()
    values += model.head.bias.detach().reshape(-1).tolist()
    return values


def main():
    torch.manual_seed(48000)
    for name, (cell, hidden, layers) in NETWORKS.items():
        model = Streaming(cell, hidden, layers).eval()  # PyTorch's default initialisation, U(-1/sqrt(H), 1/sqrt(H))
        x = torch.zeros(1, 1, 1)
        h = torch.zeros(layers, 1, hidden)
        args = (x, h) if cell == 'gru' else (x, h, torch.zeros(layers, 1, hidden))
        inputs = ['x', 'h'] if cell == 'gru' else ['x', 'h', 'c']
        outputs = ['y', 'h_out'] if cell == 'gru' else ['y', 'h_out', 'c_out']
        torch.onnx.export(model, args, f'{name}.onnx', input_names=inputs, output_names=outputs, opset_version=14)
        values = parameters(model, layers)
        with open(f'{name}.bin', 'wb') as f:
            f.write(struct.pack(f'<{len(values)}f', *values))
        print(name, len(values), 'parameters')


if __name__ == '__main__':
    main()
