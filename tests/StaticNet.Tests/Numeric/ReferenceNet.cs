using System;
using System.Collections.Generic;
using System.Linq;

namespace StaticNet.Tests.Numeric;

/// <summary>
/// A naive double-precision network, written from the book's formulas and nothing else of
/// StaticNet: it reads only the declared architecture string and the parameter values.
/// Plain loops, one array per tensor; the independent reference the generated code is checked against.
/// </summary>
internal sealed class ReferenceNet
{
    private readonly List<(string Kind, int Units)> _layers = new();
    private readonly int _inputSize;
    public double[] Parameters { get; }

    public ReferenceNet(string architecture, ReadOnlySpan<float> parameters)
    {
        foreach (string token in architecture.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int open = token.IndexOf('(');
            string kind = open < 0 ? token : token[..open];
            int units = open < 0 ? 0 : int.Parse(token[(open + 1)..^1]);
            if (kind == "Input") _inputSize = units;
            else _layers.Add((kind, units));
        }
        Parameters = parameters.ToArray().Select(p => (double)p).ToArray();
    }

    public bool EndsInLoss => _layers.Count > 0 && _layers[^1].Kind is "SoftmaxCrossEntropy" or "MeanSquaredError";

    /// <summary>The tensors of one pass: acts[0] = x, acts[i + 1] = output of layer i.</summary>
    public sealed class Pass
    {
        public readonly List<double[]> Acts = new();
        public int Batch;
    }

    public Pass Forward(ReadOnlySpan<float> input, bool lossForm)
    {
        int batch = input.Length / _inputSize;
        var pass = new Pass { Batch = batch };
        double[] a = input.ToArray().Select(v => (double)v).ToArray();
        pass.Acts.Add(a);
        int size = _inputSize, offset = 0;
        foreach (var (kind, units) in _layers)
        {
            double[] o;
            switch (kind)
            {
                case "Dense":
                    o = new double[batch * units];
                    for (int r = 0; r < batch; r++)
                        for (int j = 0; j < units; j++)
                        {
                            double s = Parameters[offset + size * units + j];
                            for (int i = 0; i < size; i++) s += a[r * size + i] * Parameters[offset + i * units + j];
                            o[r * units + j] = s;
                        }
                    offset += size * units + units;
                    size = units;
                    break;
                case "ReLU": o = a.Select(v => Math.Max(0, v)).ToArray(); break;
                case "Sigmoid": o = a.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(); break;
                case "Tanh": o = a.Select(Math.Tanh).ToArray(); break;
                case "Softmax":
                case "SoftmaxCrossEntropy": o = SoftmaxRows(a, batch, size); break;
                case "MeanSquaredError": o = (double[])a.Clone(); break;
                default: throw new NotSupportedException(kind);
            }
            pass.Acts.Add(o);
            a = o;
        }
        return pass;
    }

    private static double[] SoftmaxRows(double[] a, int batch, int n)
    {
        var y = new double[a.Length];
        for (int r = 0; r < batch; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < n; j++) max = Math.Max(max, a[r * n + j]);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += y[r * n + j] = Math.Exp(a[r * n + j] - max);
            for (int j = 0; j < n; j++) y[r * n + j] /= sum;
        }
        return y;
    }

    public double Loss(Pass pass, ReadOnlySpan<float> targets)
    {
        double[] y = pass.Acts[^1];
        if (_layers[^1].Kind == "SoftmaxCrossEntropy")
        {
            double total = 0;
            for (int i = 0; i < y.Length; i++) if (targets[i] != 0) total -= targets[i] * Math.Log(y[i]);
            return total / pass.Batch;
        }
        double sq = 0;
        for (int i = 0; i < y.Length; i++) sq += (y[i] - targets[i]) * (y[i] - targets[i]);
        return sq / y.Length;
    }

    /// <summary>
    /// Backpropagation. With <paramref name="targets"/>, starts from the loss; otherwise from
    /// <paramref name="outputGradient"/> = dL/d(Forward's output). Returns (parameter gradients, input gradient).
    /// </summary>
    public (double[] Gradients, double[] InputGradient) Backward(Pass pass, ReadOnlySpan<float> targets, ReadOnlySpan<float> outputGradient)
    {
        var grads = new double[Parameters.Length];
        int batch = pass.Batch;
        var sizes = new List<int> { _inputSize };
        foreach (var (kind, units) in _layers) sizes.Add(kind == "Dense" ? units : sizes[^1]);
        var offsets = new List<int>();
        int off = 0;
        for (int l = 0; l < _layers.Count; l++)
        {
            offsets.Add(off);
            if (_layers[l].Kind == "Dense") off += sizes[l] * sizes[l + 1] + sizes[l + 1];
        }

        double[] d;
        int last = _layers.Count - 1;
        double[] y = pass.Acts[^1];
        if (!targets.IsEmpty)
        {
            d = new double[y.Length];
            if (_layers[last].Kind == "SoftmaxCrossEntropy")
                for (int i = 0; i < y.Length; i++) d[i] = (y[i] - targets[i]) / batch;   // (y - t) / N
            else
                for (int i = 0; i < y.Length; i++) d[i] = 2 * (y[i] - targets[i]) / y.Length;
        }
        else
        {
            d = outputGradient.ToArray().Select(v => (double)v).ToArray();
            if (_layers.Count > 0 && _layers[last].Kind == "SoftmaxCrossEntropy")
                d = SoftmaxBackward(y, d, batch, sizes[^1]);
        }
        int top = EndsInLoss ? last - 1 : last;
        for (int l = top; l >= 0; l--)
        {
            double[] x = pass.Acts[l], o = pass.Acts[l + 1];
            int n = sizes[l], m = sizes[l + 1];
            double[] dx = new double[x.Length];
            switch (_layers[l].Kind)
            {
                case "Dense":
                    for (int r = 0; r < batch; r++)
                        for (int j = 0; j < m; j++)
                        {
                            double g = d[r * m + j];
                            grads[offsets[l] + n * m + j] += g;                                        // db = Σ dout
                            for (int i = 0; i < n; i++)
                            {
                                grads[offsets[l] + i * m + j] += x[r * n + i] * g;                      // dW = xᵀ·dout
                                dx[r * n + i] += g * Parameters[offsets[l] + i * m + j];               // dx = dout·Wᵀ
                            }
                        }
                    break;
                case "ReLU": for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > 0 ? d[i] : 0; break;
                case "Sigmoid": for (int i = 0; i < dx.Length; i++) dx[i] = d[i] * o[i] * (1 - o[i]); break;
                case "Tanh": for (int i = 0; i < dx.Length; i++) dx[i] = d[i] * (1 - o[i] * o[i]); break;
                case "Softmax": dx = SoftmaxBackward(o, d, batch, m); break;
                default: throw new NotSupportedException(_layers[l].Kind);
            }
            d = dx;
        }
        return (grads, d);
    }

    private static double[] SoftmaxBackward(double[] y, double[] dy, int batch, int n)
    {
        var dx = new double[y.Length];
        for (int r = 0; r < batch; r++)
        {
            double dot = 0;
            for (int j = 0; j < n; j++) dot += dy[r * n + j] * y[r * n + j];
            for (int j = 0; j < n; j++) dx[r * n + j] = y[r * n + j] * (dy[r * n + j] - dot);
        }
        return dx;
    }
}
