using System;
using System.Globalization;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// A hand-written network of the layers StaticNet's generator does not have yet: <c>Input(C, H, W)
/// Conv2D(F, K, Stride = S, Padding = P)</c>, ReLU or <c>LeakyReLU(a)</c>, <c>MaxPool2D(Q)</c> or
/// <c>AvgPool2D(Q)</c>, <c>Flatten</c>, <c>Dense(U)</c>, Softmax or SoftmaxCrossEntropy, with the planned
/// attribute syntax as its <see cref="Architecture"/> and PyTorch's parameter layout (conv W
/// <c>[F, C, K, K]</c>, b <c>[F]</c>; Dense W <c>[in, out]</c>, b <c>[out]</c>). Its <see cref="Forward"/> is
/// a naive double-precision implementation written from the definitions: the reference the exported
/// models (run by ONNX Runtime) and the imported weights (against PyTorch's outputs) are checked with.
/// </summary>
public sealed class ConvReferenceNet : INetwork
{
    private readonly int _c, _h, _w, _f, _k, _s, _p, _q, _units;
    private readonly int _convH, _convW, _poolH, _poolW, _flat;
    private readonly double _slope;        // 0 for ReLU
    private readonly bool _maxPool;
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private readonly ParameterBlock[] _blocks;

    public ConvReferenceNet(int channels, int height, int width, int filters, int kernel, int stride, int padding,
        string activation, bool maxPool, int pool, int units, string head, int batchCapacity)
    {
        (_c, _h, _w, _f, _k, _s, _p, _q, _units, _maxPool) = (channels, height, width, filters, kernel, stride, padding, pool, units, maxPool);
        _slope = activation == "ReLU" ? 0 : float.Parse(activation["LeakyReLU(".Length..^1], CultureInfo.InvariantCulture);
        _convH = (height + 2 * padding - kernel) / stride + 1;
        _convW = (width + 2 * padding - kernel) / stride + 1;
        _poolH = (_convH - pool) / pool + 1;
        _poolW = (_convW - pool) / pool + 1;
        _flat = filters * _poolH * _poolW;
        BatchCapacity = batchCapacity;
        Architecture = string.Create(CultureInfo.InvariantCulture,
            $"Input({channels}, {height}, {width}) Conv2D({filters}, {kernel}, Stride = {stride}, Padding = {padding}) {activation} {(maxPool ? "MaxPool2D" : "AvgPool2D")}({pool}) Flatten Dense({units}) {head}");

        int convWeights = filters * channels * kernel * kernel, denseWeights = _flat * units;
        _blocks =
        [
            new("W1", "Conv2D1", ParameterKind.Weights, 0, convWeights, filters, channels * kernel * kernel),
            new("b1", "Conv2D1", ParameterKind.Bias, convWeights, filters, 1, filters),
            new("W2", "Dense2", ParameterKind.Weights, convWeights + filters, denseWeights, _flat, units),
            new("b2", "Dense2", ParameterKind.Bias, convWeights + filters + denseWeights, units, 1, units),
        ];
        _parameters = new float[convWeights + filters + denseWeights + units];
        _gradients = new float[_parameters.Length];
    }

    public int InputSize => _c * _h * _w;

    public int OutputSize => _units;

    public int ParameterCount => _parameters.Length;

    public int BatchCapacity { get; }

    public string Architecture { get; }

    public Span<float> Parameters => _parameters;

    public Span<float> Gradients => _gradients;

    public ReadOnlySpan<ParameterBlock> ParameterBlocks => _blocks;

    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = input.Length / InputSize;
        if (input.Length != batch * InputSize || output.Length != batch * OutputSize || batch > BatchCapacity)
            throw new ArgumentException("Input, output or batch size is wrong.");
        ReadOnlySpan<float> w1 = _parameters.AsSpan(_blocks[0].Offset, _blocks[0].Length), b1 = _parameters.AsSpan(_blocks[1].Offset, _blocks[1].Length);
        ReadOnlySpan<float> w2 = _parameters.AsSpan(_blocks[2].Offset, _blocks[2].Length), b2 = _parameters.AsSpan(_blocks[3].Offset, _blocks[3].Length);
        var conv = new double[_f, _convH, _convW];
        var flat = new double[_flat];
        var logits = new double[_units];
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = input.Slice(n * InputSize, InputSize);
            // Conv: a[f, i, j] = b[f] + Σ_c,u,v W[f, c, u, v]·x[c, i·S + u − P, j·S + v − P] (zero outside), then the activation.
            for (int f = 0; f < _f; f++)
                for (int i = 0; i < _convH; i++)
                    for (int j = 0; j < _convW; j++)
                    {
                        double sum = b1[f];
                        for (int c = 0; c < _c; c++)
                            for (int u = 0; u < _k; u++)
                                for (int v = 0; v < _k; v++)
                                {
                                    int y = i * _s + u - _p, z = j * _s + v - _p;
                                    if (y >= 0 && y < _h && z >= 0 && z < _w)
                                        sum += (double)w1[((f * _c + c) * _k + u) * _k + v] * x[(c * _h + y) * _w + z];
                                }
                        conv[f, i, j] = sum > 0 ? sum : _slope * sum;
                    }
            // Pool over Q x Q windows with stride Q, then flatten in [F, H, W] order.
            for (int f = 0; f < _f; f++)
                for (int i = 0; i < _poolH; i++)
                    for (int j = 0; j < _poolW; j++)
                    {
                        double max = double.NegativeInfinity, sum = 0;
                        for (int u = 0; u < _q; u++)
                            for (int v = 0; v < _q; v++)
                            {
                                double value = conv[f, i * _q + u, j * _q + v];
                                max = Math.Max(max, value);
                                sum += value;
                            }
                        flat[(f * _poolH + i) * _poolW + j] = _maxPool ? max : sum / (_q * _q);
                    }
            // Dense then softmax.
            double top = double.NegativeInfinity;
            for (int o = 0; o < _units; o++)
            {
                double sum = b2[o];
                for (int i = 0; i < _flat; i++)
                    sum += flat[i] * w2[i * _units + o];
                logits[o] = sum;
                top = Math.Max(top, sum);
            }
            double total = 0;
            for (int o = 0; o < _units; o++)
                total += Math.Exp(logits[o] - top);
            for (int o = 0; o < _units; o++)
                output[n * _units + o] = (float)(Math.Exp(logits[o] - top) / total);
        }
    }

    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) =>
        throw new NotSupportedException("A forward-only reference.");
}
