using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace StaticNet.Tests.Numeric;

/// <summary>
/// A naive double-precision reference for networks with images, written from the definitions and nothing else of
/// StaticNet: it reads the declared architecture string and the parameter values. Convolution is the direct sum
/// <c>y[n, f, oh, ow] = b[f] + Σ_{c,i,j} W[f, c, i, j]·x[n, c, oh·S + i − P, ow·S + j − P]</c> (zero outside x), no im2col;
/// its backward pass is the same sum differentiated term by term. Pooling scans each window; max takes the first
/// maximum in row-major window order. One array per tensor, plain loops.
/// </summary>
internal sealed class ConvReference
{
    private sealed record Layer(string Kind, int A, int B, int Stride, int Padding, (int C, int H, int W) In, (int C, int H, int W) Out, int Offset)
    {
        public int InSize => In.C * Math.Max(1, In.H) * Math.Max(1, In.W);
        public int OutSize => Out.C * Math.Max(1, Out.H) * Math.Max(1, Out.W);
    }

    private readonly List<Layer> _layers = new();
    private readonly int _inputSize;
    public double[] Parameters { get; }

    public ConvReference(string architecture, ReadOnlySpan<float> parameters)
    {
        (int C, int H, int W) shape = default;
        int offset = 0;
        foreach (Match m in Regex.Matches(architecture, @"(\w+)(?:\(([^)]*)\))?"))
        {
            string kind = m.Groups[1].Value;
            int[] positional = Array.Empty<int>();
            var named = new Dictionary<string, int>();
            if (m.Groups[2].Success)
            {
                var list = new List<int>();
                foreach (string part in m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries))
                {
                    string[] kv = part.Split('=', StringSplitOptions.TrimEntries);
                    if (kv.Length == 2) named[kv[0]] = int.Parse(kv[1], CultureInfo.InvariantCulture);
                    else list.Add(int.Parse(part, CultureInfo.InvariantCulture));
                }
                positional = list.ToArray();
            }
            if (kind == "Input")
            {
                shape = positional.Length == 3 ? (positional[0], positional[1], positional[2]) : (positional[0], 0, 0);
                _inputSize = shape.C * Math.Max(1, shape.H) * Math.Max(1, shape.W);
                continue;
            }
            (int C, int H, int W) o = shape;
            int a = 0, b = 0, stride = 1, padding = 0, parameterCount = 0;
            switch (kind)
            {
                case "Conv2D":
                    a = positional[0]; b = positional[1];
                    stride = named.GetValueOrDefault("Stride", 1); padding = named.GetValueOrDefault("Padding", 0);
                    o = (a, (shape.H + 2 * padding - b) / stride + 1, (shape.W + 2 * padding - b) / stride + 1);
                    parameterCount = a * shape.C * b * b + a;
                    break;
                case "MaxPool2D":
                case "AvgPool2D":
                    b = positional[0]; stride = named.GetValueOrDefault("Stride", b);
                    o = (shape.C, (shape.H - b) / stride + 1, (shape.W - b) / stride + 1);
                    break;
                case "Flatten": o = (shape.C * shape.H * shape.W, 0, 0); break;
                case "Dense":
                    a = positional[0];
                    o = (a, 0, 0);
                    parameterCount = shape.C * a + a;
                    break;
                case "ReLU": case "Sigmoid": case "Tanh": case "SoftmaxCrossEntropy": case "MeanSquaredError": break;
                default: throw new NotSupportedException(kind);
            }
            _layers.Add(new Layer(kind, a, b, stride, padding, shape, o, offset));
            offset += parameterCount;
            shape = o;
        }
        if (offset != parameters.Length) throw new InvalidOperationException($"The reference counts {offset} parameters, the network has {parameters.Length}.");
        Parameters = parameters.ToArray().Select(p => (double)p).ToArray();
    }

    private bool EndsInLoss => _layers[^1].Kind is "SoftmaxCrossEntropy" or "MeanSquaredError";

    /// <summary>The tensors of one pass: Acts[0] = x, Acts[i + 1] = the output of layer i (a loss layer's: softmax or its input).</summary>
    public sealed class Pass
    {
        public readonly List<double[]> Acts = new();
        public int Batch;
    }

    public Pass Forward(ReadOnlySpan<float> input)
    {
        int batch = input.Length / _inputSize;
        var pass = new Pass { Batch = batch };
        double[] a = input.ToArray().Select(v => (double)v).ToArray();
        pass.Acts.Add(a);
        double[] p = Parameters;
        foreach (Layer l in _layers)
        {
            var o = new double[batch * l.OutSize];
            switch (l.Kind)
            {
                case "Conv2D":
                {
                    int C = l.In.C, H = l.In.H, W = l.In.W, F = l.A, K = l.B, S = l.Stride, P = l.Padding;
                    for (int n = 0; n < batch; n++)
                        for (int f = 0; f < F; f++)
                            for (int oh = 0; oh < l.Out.H; oh++)
                                for (int ow = 0; ow < l.Out.W; ow++)
                                {
                                    double s = p[l.Offset + F * C * K * K + f];
                                    for (int c = 0; c < C; c++)
                                        for (int i = 0; i < K; i++)
                                            for (int j = 0; j < K; j++)
                                            {
                                                int ih = oh * S + i - P, iw = ow * S + j - P;
                                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                                s += p[l.Offset + ((f * C + c) * K + i) * K + j] * a[((n * C + c) * H + ih) * W + iw];
                                            }
                                    o[((n * F + f) * l.Out.H + oh) * l.Out.W + ow] = s;
                                }
                    break;
                }
                case "MaxPool2D":
                case "AvgPool2D":
                    for (int n = 0; n < batch; n++)
                        for (int c = 0; c < l.In.C; c++)
                            for (int oh = 0; oh < l.Out.H; oh++)
                                for (int ow = 0; ow < l.Out.W; ow++)
                                {
                                    double max = double.NegativeInfinity, sum = 0;
                                    foreach (int at in Window(l, n, c, oh, ow)) { max = Math.Max(max, a[at]); sum += a[at]; }
                                    o[((n * l.Out.C + c) * l.Out.H + oh) * l.Out.W + ow] = l.Kind == "MaxPool2D" ? max : sum / (l.B * l.B);
                                }
                    break;
                case "Flatten": case "MeanSquaredError": Array.Copy(a, o, a.Length); break;
                case "Dense":
                {
                    int m = l.InSize, k = l.A;
                    for (int r = 0; r < batch; r++)
                        for (int j = 0; j < k; j++)
                        {
                            double s = p[l.Offset + m * k + j];
                            for (int i = 0; i < m; i++) s += a[r * m + i] * p[l.Offset + i * k + j];
                            o[r * k + j] = s;
                        }
                    break;
                }
                case "ReLU": for (int i = 0; i < o.Length; i++) o[i] = Math.Max(0, a[i]); break;
                case "Sigmoid": for (int i = 0; i < o.Length; i++) o[i] = 1 / (1 + Math.Exp(-a[i])); break;
                case "Tanh": for (int i = 0; i < o.Length; i++) o[i] = Math.Tanh(a[i]); break;
                case "SoftmaxCrossEntropy":
                    for (int r = 0; r < batch; r++)
                    {
                        int k = l.InSize;
                        double max = double.NegativeInfinity, sum = 0;
                        for (int j = 0; j < k; j++) max = Math.Max(max, a[r * k + j]);
                        for (int j = 0; j < k; j++) sum += o[r * k + j] = Math.Exp(a[r * k + j] - max);
                        for (int j = 0; j < k; j++) o[r * k + j] /= sum;
                    }
                    break;
            }
            pass.Acts.Add(o);
            a = o;
        }
        return pass;
    }

    /// <summary>The indices into a pool's input of window (oh, ow) of channel c, row-major.</summary>
    private static IEnumerable<int> Window(Layer l, int n, int c, int oh, int ow)
    {
        for (int i = 0; i < l.B; i++)
            for (int j = 0; j < l.B; j++)
                yield return ((n * l.In.C + c) * l.In.H + oh * l.Stride + i) * l.In.W + ow * l.Stride + j;
    }

    /// <summary>Cross-entropy −Σ t·log y / N, or the mean over every element of (y − t)².</summary>
    public double Loss(Pass pass, ReadOnlySpan<float> targets)
    {
        double[] y = pass.Acts[^1];
        double total = 0;
        if (_layers[^1].Kind == "SoftmaxCrossEntropy")
        {
            for (int i = 0; i < y.Length; i++) if (targets[i] != 0) total -= targets[i] * Math.Log(y[i]);
            return total / pass.Batch;
        }
        for (int i = 0; i < y.Length; i++) total += (y[i] - targets[i]) * (y[i] - targets[i]);
        return total / y.Length;
    }

    /// <summary>
    /// Backpropagation from the loss against <paramref name="targets"/>, or (when they are empty) from
    /// <paramref name="outputGradient"/> = dL/d(the output of Forward, which for cross-entropy is the softmax).
    /// Returns every parameter's gradient, laid out as the parameters, and the input gradient.
    /// </summary>
    public (double[] Gradients, double[] InputGradient) Backward(Pass pass, ReadOnlySpan<float> targets, ReadOnlySpan<float> outputGradient)
    {
        var grads = new double[Parameters.Length];
        double[] p = Parameters;
        int batch = pass.Batch;
        double[] y = pass.Acts[^1];
        double[] d = new double[y.Length];
        Layer top = _layers[^1];
        if (!targets.IsEmpty)
        {
            for (int i = 0; i < y.Length; i++)
                d[i] = top.Kind == "SoftmaxCrossEntropy" ? (y[i] - targets[i]) / batch : 2 * (y[i] - targets[i]) / y.Length;
        }
        else if (top.Kind == "SoftmaxCrossEntropy")
        {
            int k = top.InSize;
            for (int r = 0; r < batch; r++)
            {
                double dot = 0;
                for (int j = 0; j < k; j++) dot += outputGradient[r * k + j] * y[r * k + j];
                for (int j = 0; j < k; j++) d[r * k + j] = y[r * k + j] * (outputGradient[r * k + j] - dot);
            }
        }
        else
        {
            for (int i = 0; i < d.Length; i++) d[i] = outputGradient[i];
        }
        for (int index = _layers.Count - (EndsInLoss ? 2 : 1); index >= 0; index--)
        {
            Layer l = _layers[index];
            double[] x = pass.Acts[index], o = pass.Acts[index + 1];
            var dx = new double[x.Length];
            switch (l.Kind)
            {
                case "Conv2D":
                {
                    int C = l.In.C, H = l.In.H, W = l.In.W, F = l.A, K = l.B, S = l.Stride, P = l.Padding;
                    for (int n = 0; n < batch; n++)
                        for (int f = 0; f < F; f++)
                            for (int oh = 0; oh < l.Out.H; oh++)
                                for (int ow = 0; ow < l.Out.W; ow++)
                                {
                                    double g = d[((n * F + f) * l.Out.H + oh) * l.Out.W + ow];
                                    grads[l.Offset + F * C * K * K + f] += g;                          // ∂y/∂b[f] = 1
                                    for (int c = 0; c < C; c++)
                                        for (int i = 0; i < K; i++)
                                            for (int j = 0; j < K; j++)
                                            {
                                                int ih = oh * S + i - P, iw = ow * S + j - P;
                                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                                int wi = l.Offset + ((f * C + c) * K + i) * K + j, xi = ((n * C + c) * H + ih) * W + iw;
                                                grads[wi] += g * x[xi];                                // ∂y/∂W = x
                                                dx[xi] += g * p[wi];                                   // ∂y/∂x = W
                                            }
                                }
                    break;
                }
                case "MaxPool2D":
                case "AvgPool2D":
                    for (int n = 0; n < batch; n++)
                        for (int c = 0; c < l.In.C; c++)
                            for (int oh = 0; oh < l.Out.H; oh++)
                                for (int ow = 0; ow < l.Out.W; ow++)
                                {
                                    double g = d[((n * l.Out.C + c) * l.Out.H + oh) * l.Out.W + ow];
                                    if (l.Kind == "AvgPool2D")
                                    {
                                        foreach (int at in Window(l, n, c, oh, ow)) dx[at] += g / (l.B * l.B);
                                        continue;
                                    }
                                    int first = -1;
                                    foreach (int at in Window(l, n, c, oh, ow)) if (first < 0 || x[at] > x[first]) first = at;
                                    dx[first] += g;
                                }
                    break;
                case "Flatten": Array.Copy(d, dx, d.Length); break;
                case "Dense":
                {
                    int m = l.InSize, k = l.A;
                    for (int r = 0; r < batch; r++)
                        for (int j = 0; j < k; j++)
                        {
                            double g = d[r * k + j];
                            grads[l.Offset + m * k + j] += g;
                            for (int i = 0; i < m; i++)
                            {
                                grads[l.Offset + i * k + j] += x[r * m + i] * g;
                                dx[r * m + i] += g * p[l.Offset + i * k + j];
                            }
                        }
                    break;
                }
                case "ReLU": for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > 0 ? d[i] : 0; break;
                case "Sigmoid": for (int i = 0; i < dx.Length; i++) dx[i] = d[i] * o[i] * (1 - o[i]); break;
                case "Tanh": for (int i = 0; i < dx.Length; i++) dx[i] = d[i] * (1 - o[i] * o[i]); break;
                default: throw new NotSupportedException(l.Kind);
            }
            d = dx;
        }
        return (grads, d);
    }
}
