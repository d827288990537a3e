using System;
using System.Numerics.Tensors;

namespace StaticNet.Benchmarks;

/// <summary>
/// One implementation of the book's SimpleConvNet (ch. 7.5) for <see cref="SimpleConvNetBenchmarks"/>:
/// parameters in one canonical block (<see cref="ConvNetShape"/>), inference to softmax probabilities and one
/// plain SGD training step (forward, mean cross-entropy, backward, <c>p −= lr·g</c>).
/// </summary>
public interface IConvNet
{
    /// <summary>Copies the canonical parameter block in.</summary>
    void SetParameters(ReadOnlySpan<float> parameters);
    /// <summary>Copies the parameters out in the canonical layout.</summary>
    void GetParameters(Span<float> parameters);
    /// <summary>Softmax probabilities of <c>x.Length / 784</c> images into <paramref name="y"/>.</summary>
    void Forward(ReadOnlySpan<float> x, Span<float> y);
    /// <summary>One SGD step on the batch; returns the loss before the step.</summary>
    float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr);
}

/// <summary>
/// The sizes of SimpleConvNet, <c>Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten Dense(100) ReLU Dense(10)
/// SoftmaxCrossEntropy</c>, and its parameter layout: W1 [30, 1, 5, 5], b1 [30], W2 [4320, 100], b2 [100], W3 [100, 10],
/// b3 [10], one block (the generated network's, the book's <c>params</c> and PyTorch's <c>Conv2d</c>/<c>Linear</c>ᵀ alike).
/// </summary>
public static class ConvNetShape
{
    public const int C = 1, H = 28, W = 28, F = 30, K = 5, OH = 24, OW = 24, PH = 12, PW = 12;
    public const int Input = C * H * W, Patch = C * K * K, Pixels = OH * OW, Conv = F * Pixels, Pooled = F * PH * PW;
    public const int Hidden = 100, Output = 10;
    public const int W1Offset = 0, W1Size = F * Patch, B1Offset = W1Size, B1Size = F;
    public const int W2Offset = B1Offset + B1Size, W2Size = Pooled * Hidden, B2Offset = W2Offset + W2Size, B2Size = Hidden;
    public const int W3Offset = B2Offset + B2Size, W3Size = Hidden * Output, B3Offset = W3Offset + W3Size, B3Size = Output;
    public const int ParameterCount = B3Offset + B3Size;

    /// <summary>The FLOPs of the matrix products of inference: 2·N·(F·C·K²·OH·OW + 4320·100 + 100·10).</summary>
    public static double InferenceFlops(int batch) => 2.0 * batch * ((double)F * Patch * Pixels + Pooled * Hidden + Hidden * Output);

    /// <summary>
    /// The FLOPs of a training step: the forward products, dW of every layer (the same again), dx of Dense3 and Dense2
    /// (2·N·(100·10 + 4320·100)); no dx for the convolution (the input gradient is not needed); and the SGD step, 2 per
    /// parameter. Element-wise work (ReLU, pooling, softmax, im2col) is not counted.
    /// </summary>
    public static double TrainingFlops(int batch) =>
        2 * InferenceFlops(batch) + 2.0 * batch * (Hidden * Output + Pooled * Hidden) + 2.0 * ParameterCount;
}

/// <summary>
/// SimpleConvNet as a careful .NET developer writes it with <see cref="TensorPrimitives"/>: the convolution is the
/// book's im2col (<see cref="TensorPrimitivesConv"/>: the batch's columns, one <c>Dot</c> per output, axpy rows for dW),
/// max pooling and its backward as plain loops with the argmax kept, the dense layers as rows of <c>MultiplyAdd</c>
/// and <c>Dot</c>, softmax with <c>TensorPrimitives.SoftMax</c>, SGD as one <c>MultiplyAdd</c> per block. Every buffer
/// is allocated in the constructor, for exactly <c>batch</c> images; no input gradient of the convolution is computed.
/// </summary>
public sealed class TensorPrimitivesConvNet : IConvNet
{
    private const int F = ConvNetShape.F, OH = ConvNetShape.OH, OW = ConvNetShape.OW, PH = ConvNetShape.PH, PW = ConvNetShape.PW;
    private const int Conv = ConvNetShape.Conv, Pooled = ConvNetShape.Pooled, Hid = ConvNetShape.Hidden, Out = ConvNetShape.Output;

    private readonly int _batch;
    private readonly TensorPrimitivesConv _conv;
    private readonly float[] _w1 = new float[ConvNetShape.W1Size], _b1 = new float[F];
    private readonly float[] _w2 = new float[ConvNetShape.W2Size], _b2 = new float[Hid];
    private readonly float[] _w3 = new float[ConvNetShape.W3Size], _b3 = new float[Out];
    private readonly float[] _dw2 = new float[ConvNetShape.W2Size], _db2 = new float[Hid];
    private readonly float[] _dw3 = new float[ConvNetShape.W3Size], _db3 = new float[Out];
    private readonly float[] _x, _h1, _p1, _h2, _z, _dz, _dh2, _dp1, _da1;
    private readonly int[] _argmax;

    public TensorPrimitivesConvNet(int batch)
    {
        _batch = batch;
        _conv = new TensorPrimitivesConv(batch);
        _x = new float[batch * ConvNetShape.Input];
        _h1 = new float[batch * Conv];
        _p1 = new float[batch * Pooled];
        _argmax = new int[batch * Pooled];
        _h2 = new float[batch * Hid];
        _z = new float[batch * Out];
        _dz = new float[batch * Out];
        _dh2 = new float[batch * Hid];
        _dp1 = new float[batch * Pooled];
        _da1 = new float[batch * Conv];
    }

    public void SetParameters(ReadOnlySpan<float> p)
    {
        p.Slice(ConvNetShape.W1Offset, ConvNetShape.W1Size).CopyTo(_w1);
        p.Slice(ConvNetShape.B1Offset, ConvNetShape.B1Size).CopyTo(_b1);
        p.Slice(ConvNetShape.W2Offset, ConvNetShape.W2Size).CopyTo(_w2);
        p.Slice(ConvNetShape.B2Offset, ConvNetShape.B2Size).CopyTo(_b2);
        p.Slice(ConvNetShape.W3Offset, ConvNetShape.W3Size).CopyTo(_w3);
        p.Slice(ConvNetShape.B3Offset, ConvNetShape.B3Size).CopyTo(_b3);
    }

    public void GetParameters(Span<float> p)
    {
        _w1.CopyTo(p.Slice(ConvNetShape.W1Offset, ConvNetShape.W1Size));
        _b1.CopyTo(p.Slice(ConvNetShape.B1Offset, ConvNetShape.B1Size));
        _w2.CopyTo(p.Slice(ConvNetShape.W2Offset, ConvNetShape.W2Size));
        _b2.CopyTo(p.Slice(ConvNetShape.B2Offset, ConvNetShape.B2Size));
        _w3.CopyTo(p.Slice(ConvNetShape.W3Offset, ConvNetShape.W3Size));
        _b3.CopyTo(p.Slice(ConvNetShape.B3Offset, ConvNetShape.B3Size));
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        ForwardCore(x);
        _z.AsSpan().CopyTo(y);
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        if (labels.Length != _batch) throw new ArgumentException($"Expected {_batch} labels.", nameof(labels));
        ForwardCore(x);
        // Softmax-with-loss: L = −(1/N) Σ log y[i, tᵢ]; dz = (y − onehot(t)) / N.
        float inv = 1f / _batch, loss = 0;
        TensorPrimitives.Multiply(_z, inv, _dz);
        for (int i = 0; i < _batch; i++)
        {
            loss -= MathF.Log(_z[i * Out + labels[i]]);
            _dz[i * Out + labels[i]] -= inv;
        }
        DenseBackward(_h2, _dz, _w3, _dw3, _db3, _dh2, Hid, Out);
        // ReLU backward of Dense2's output, in place.
        for (int i = 0; i < _dh2.Length; i++) if (_h2[i] <= 0f) _dh2[i] = 0f;
        DenseBackward(_p1, _dh2, _w2, _dw2, _db2, _dp1, Pooled, Hid);
        // Max-pool backward and ReLU backward together: each gradient to its window's maximum, if that is positive.
        Array.Clear(_da1);
        for (int o = 0; o < _dp1.Length; o++)
        {
            int at = _argmax[o];
            if (_h1[at] > 0f) _da1[at] = _dp1[o];
        }
        _conv.Backward(_x, _w1, _da1, withDx: false);
        TensorPrimitives.MultiplyAdd(_conv.DW, -lr, _w1, _w1);
        TensorPrimitives.MultiplyAdd(_conv.DB, -lr, _b1, _b1);
        TensorPrimitives.MultiplyAdd(_dw2, -lr, _w2, _w2);
        TensorPrimitives.MultiplyAdd(_db2, -lr, _b2, _b2);
        TensorPrimitives.MultiplyAdd(_dw3, -lr, _w3, _w3);
        TensorPrimitives.MultiplyAdd(_db3, -lr, _b3, _b3);
        return loss * inv;
    }

    private void ForwardCore(ReadOnlySpan<float> x)
    {
        if (x.Length != _batch * ConvNetShape.Input) throw new ArgumentException($"Expected {_batch * ConvNetShape.Input} inputs.", nameof(x));
        x.CopyTo(_x);
        _conv.Forward(_x, _w1, _b1);
        TensorPrimitives.Max(_conv.Y, 0f, _h1);
        // 2×2 max pooling, stride 2, keeping where each maximum was.
        int o = 0;
        for (int plane = 0; plane < _batch * F; plane++)
            for (int ph = 0; ph < PH; ph++)
                for (int pw = 0; pw < PW; pw++, o++)
                {
                    int at = plane * OH * OW + 2 * ph * OW + 2 * pw, best = at;
                    if (_h1[at + 1] > _h1[best]) best = at + 1;
                    if (_h1[at + OW] > _h1[best]) best = at + OW;
                    if (_h1[at + OW + 1] > _h1[best]) best = at + OW + 1;
                    _p1[o] = _h1[best];
                    _argmax[o] = best;
                }
        for (int i = 0; i < _batch; i++)
        {
            Span<float> h = _h2.AsSpan(i * Hid, Hid);
            _b2.CopyTo(h);
            ReadOnlySpan<float> pi = _p1.AsSpan(i * Pooled, Pooled);
            for (int k = 0; k < Pooled; k++) TensorPrimitives.MultiplyAdd(_w2.AsSpan(k * Hid, Hid), pi[k], h, h);
            TensorPrimitives.Max(h, 0f, h);
            Span<float> z = _z.AsSpan(i * Out, Out);
            _b3.CopyTo(z);
            for (int k = 0; k < Hid; k++) TensorPrimitives.MultiplyAdd(_w3.AsSpan(k * Out, Out), h[k], z, z);
            TensorPrimitives.Subtract(z, TensorPrimitives.Max(z), z);
            TensorPrimitives.SoftMax(z, z);
        }
    }

    /// <summary>dW = xᵀ·dout (row k = Σᵢ x[i, k]·dout[i, :]), db = Σᵢ dout[i, :], dx = dout·Wᵀ (one Dot per element).</summary>
    private void DenseBackward(float[] x, float[] dout, float[] w, float[] dw, float[] db, float[] dx, int inputs, int outputs)
    {
        for (int k = 0; k < inputs; k++)
        {
            Span<float> dwk = dw.AsSpan(k * outputs, outputs);
            TensorPrimitives.Multiply(dout.AsSpan(0, outputs), x[k], dwk);
            for (int i = 1; i < _batch; i++) TensorPrimitives.MultiplyAdd(dout.AsSpan(i * outputs, outputs), x[i * inputs + k], dwk, dwk);
        }
        dout.AsSpan(0, outputs).CopyTo(db);
        for (int i = 1; i < _batch; i++) TensorPrimitives.Add(db, dout.AsSpan(i * outputs, outputs), db);
        for (int i = 0; i < _batch; i++)
        {
            ReadOnlySpan<float> di = dout.AsSpan(i * outputs, outputs);
            for (int k = 0; k < inputs; k++) dx[i * inputs + k] = TensorPrimitives.Dot(di, w.AsSpan(k * outputs, outputs));
        }
    }
}

// A direct port of the book's numpy SimpleConvNet ("Deep Learning from Scratch", ch07/simple_convnet.py) with
// common/layers.py (Convolution, Pooling, Relu, Affine, SoftmaxWithLoss), common/util.py (im2col, col2im) and the SGD
// step of ch07/train_convnet.py (here plain SGD): float[,] and float[,,,] for numpy's arrays, a new array wherever
// numpy makes one (np.pad, np.zeros, transpose-then-reshape, np.dot, +, np.exp, ...), scalar loops, np.dot as the
// textbook i-j-k triple loop. It keeps the book's waste: gradient() runs Conv1's backward to the end, col2im included,
// though nobody reads dx, and the Pooling layer goes through im2col and col2im.

/// <summary>The book's numpy SimpleConvNet, ported line by line (allocating, scalar).</summary>
public sealed class BookPortConvNet : IConvNet
{
    private readonly float[,,,] _w1 = new float[ConvNetShape.F, ConvNetShape.C, ConvNetShape.K, ConvNetShape.K];
    private readonly float[] _b1 = new float[ConvNetShape.F];
    private readonly float[,] _w2 = new float[ConvNetShape.Pooled, ConvNetShape.Hidden];
    private readonly float[] _b2 = new float[ConvNetShape.Hidden];
    private readonly float[,] _w3 = new float[ConvNetShape.Hidden, ConvNetShape.Output];
    private readonly float[] _b3 = new float[ConvNetShape.Output];

    // Each layer's self.x / self.mask / self.col / self.arg_max, set by forward.
    private float[,,,] _convX = null!;
    private float[,] _convCol = null!, _convColW = null!;
    private bool[,,,] _relu1Mask = null!;
    private float[,,,] _poolX = null!;
    private int[] _poolArgMax = null!;
    private float[,] _affine2X = null!;
    private bool[,] _relu2Mask = null!;
    private float[,] _affine3X = null!;
    private float[,] _y = null!;
    private int[] _t = null!;

    public void SetParameters(ReadOnlySpan<float> p)
    {
        Np.CopyFrom(p.Slice(ConvNetShape.W1Offset, ConvNetShape.W1Size), _w1);
        p.Slice(ConvNetShape.B1Offset, ConvNetShape.B1Size).CopyTo(_b1);
        Np.CopyFrom(p.Slice(ConvNetShape.W2Offset, ConvNetShape.W2Size), _w2);
        p.Slice(ConvNetShape.B2Offset, ConvNetShape.B2Size).CopyTo(_b2);
        Np.CopyFrom(p.Slice(ConvNetShape.W3Offset, ConvNetShape.W3Size), _w3);
        p.Slice(ConvNetShape.B3Offset, ConvNetShape.B3Size).CopyTo(_b3);
    }

    public void GetParameters(Span<float> p)
    {
        Np.CopyTo(_w1, p.Slice(ConvNetShape.W1Offset, ConvNetShape.W1Size));
        _b1.CopyTo(p.Slice(ConvNetShape.B1Offset, ConvNetShape.B1Size));
        Np.CopyTo(_w2, p.Slice(ConvNetShape.W2Offset, ConvNetShape.W2Size));
        _b2.CopyTo(p.Slice(ConvNetShape.B2Offset, ConvNetShape.B2Size));
        Np.CopyTo(_w3, p.Slice(ConvNetShape.W3Offset, ConvNetShape.W3Size));
        _b3.CopyTo(p.Slice(ConvNetShape.B3Offset, ConvNetShape.B3Size));
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        float[,] probabilities = Softmax(Predict(Np.FromSpan4(x, x.Length / ConvNetShape.Input, ConvNetShape.C, ConvNetShape.H, ConvNetShape.W)));
        Np.CopyTo(probabilities, y);
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        float[,,,] xs = Np.FromSpan4(x, x.Length / ConvNetShape.Input, ConvNetShape.C, ConvNetShape.H, ConvNetShape.W);
        // grads = network.gradient(x_batch, t_batch)
        float loss = LastLayerForward(Predict(xs), labels.ToArray());
        float[,] dout = LastLayerBackward();
        dout = Affine3Backward(dout, out float[,] dW3, out float[] db3);
        dout = Relu2Backward(dout);
        float[,,,] dpool = Np.Reshape4(Affine2Backward(dout, out float[,] dW2, out float[] db2), _poolX.GetLength(0), ConvNetShape.F, ConvNetShape.PH, ConvNetShape.PW);
        float[,,,] drelu = PoolBackward(dpool);
        float[,,,] dconv = Relu1Backward(drelu);
        _ = ConvBackward(dconv, out float[,,,] dW1, out float[] db1);
        // for key in params: network.params[key] -= lr * grads[key]
        Np.SubtractInPlace(_w1, Np.Multiply(lr, dW1));
        Np.SubtractInPlace(_b1, Np.Multiply(lr, db1));
        Np.SubtractInPlace(_w2, Np.Multiply(lr, dW2));
        Np.SubtractInPlace(_b2, Np.Multiply(lr, db2));
        Np.SubtractInPlace(_w3, Np.Multiply(lr, dW3));
        Np.SubtractInPlace(_b3, Np.Multiply(lr, db3));
        return loss;
    }

    // def predict(self, x): for layer in self.layers.values(): x = layer.forward(x)
    private float[,] Predict(float[,,,] x)
    {
        float[,,,] a1 = ConvForward(x);
        float[,,,] h1 = Relu1Forward(a1);
        float[,,,] p1 = PoolForward(h1);
        float[,] a2 = Affine2Forward(Np.Reshape2(p1));
        float[,] h2 = Relu2Forward(a2);
        return Affine3Forward(h2);
    }

    // ---- Convolution (common/layers.py) ----

    private float[,,,] ConvForward(float[,,,] x)
    {
        int FN = _w1.GetLength(0), FH = _w1.GetLength(2), FW = _w1.GetLength(3);
        int N = x.GetLength(0), H = x.GetLength(2), W = x.GetLength(3);
        int outH = 1 + (H - FH), outW = 1 + (W - FW); // stride 1, pad 0
        float[,] col = Im2Col(x, FH, FW);
        float[,] colW = Np.Transpose(Np.Reshape2(_w1)); // self.W.reshape(FN, -1).T
        float[,] outRows = Np.Add(Np.Dot(col, colW), _b1);
        float[,,,] output = Np.TransposeNhwcToNchw(outRows, N, outH, outW, FN); // out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        _convX = x; _convCol = col; _convColW = colW;
        return output;
    }

    private float[,,,] ConvBackward(float[,,,] dout, out float[,,,] dW, out float[] db)
    {
        int FN = _w1.GetLength(0), C = _w1.GetLength(1), FH = _w1.GetLength(2), FW = _w1.GetLength(3);
        float[,] d = Np.TransposeNchwToRows(dout); // dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        db = Np.SumAxis0(d);
        float[,] dWt = Np.Dot(Np.Transpose(_convCol), d);
        dW = Np.Reshape4(Np.Transpose(dWt), FN, C, FH, FW); // self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        float[,] dcol = Np.Dot(d, Np.Transpose(_convColW));
        return Col2Im(dcol, _convX.GetLength(0), _convX.GetLength(1), _convX.GetLength(2), _convX.GetLength(3), FH, FW, 1);
    }

    // ---- Pooling (common/layers.py): 2×2, stride 2, through im2col ----

    private float[,,,] PoolForward(float[,,,] x)
    {
        const int poolH = 2, poolW = 2, stride = 2;
        int N = x.GetLength(0), C = x.GetLength(1), H = x.GetLength(2), W = x.GetLength(3);
        int outH = 1 + (H - poolH) / stride, outW = 1 + (W - poolW) / stride;
        float[,] col = Np.Reshape(Im2Col(x, poolH, poolW, stride), -1, poolH * poolW);
        int[] argMax = Np.ArgMaxAxis1(col);
        float[] max = Np.MaxAxis1(col);
        float[,,,] output = Np.TransposeNhwcToNchw(Np.Reshape(max, N * outH * outW, C), N, outH, outW, C); // out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        _poolX = x; _poolArgMax = argMax;
        return output;
    }

    private float[,,,] PoolBackward(float[,,,] dout)
    {
        const int poolH = 2, poolW = 2, stride = 2, poolSize = poolH * poolW;
        float[,] d = Np.TransposeNchwToRows(dout); // dout.transpose(0, 2, 3, 1), rows (n, oh, ow), columns c
        var dmax = new float[d.Length, poolSize]; // np.zeros((dout.size, pool_size))
        int r = 0;
        foreach (float v in d) { dmax[r, _poolArgMax[r]] = v; r++; } // dmax[np.arange(arg_max.size), arg_max.flatten()] = dout.flatten()
        float[,] dcol = Np.Reshape(dmax, d.GetLength(0), -1); // dmax.reshape(N·OH·OW, C·pool_size)
        return Col2Im(dcol, _poolX.GetLength(0), _poolX.GetLength(1), _poolX.GetLength(2), _poolX.GetLength(3), poolH, poolW, stride);
    }

    // ---- Relu ----

    private float[,,,] Relu1Forward(float[,,,] x)
    {
        _relu1Mask = Np.LessOrEqualZero(x);
        float[,,,] output = (float[,,,])x.Clone();
        Np.SetWhere(output, _relu1Mask, 0f);
        return output;
    }

    private float[,,,] Relu1Backward(float[,,,] dout)
    {
        Np.SetWhere(dout, _relu1Mask, 0f);
        return dout;
    }

    private float[,] Relu2Forward(float[,] x)
    {
        _relu2Mask = Np.LessOrEqualZero(x);
        float[,] output = (float[,])x.Clone();
        Np.SetWhere(output, _relu2Mask, 0f);
        return output;
    }

    private float[,] Relu2Backward(float[,] dout)
    {
        Np.SetWhere(dout, _relu2Mask, 0f);
        return dout;
    }

    // ---- Affine ----

    private float[,] Affine2Forward(float[,] x) { _affine2X = x; return Np.Add(Np.Dot(x, _w2), _b2); }

    private float[,] Affine3Forward(float[,] x) { _affine3X = x; return Np.Add(Np.Dot(x, _w3), _b3); }

    private float[,] Affine2Backward(float[,] dout, out float[,] dW, out float[] db)
    {
        float[,] dx = Np.Dot(dout, Np.Transpose(_w2));
        dW = Np.Dot(Np.Transpose(_affine2X), dout);
        db = Np.SumAxis0(dout);
        return dx;
    }

    private float[,] Affine3Backward(float[,] dout, out float[,] dW, out float[] db)
    {
        float[,] dx = Np.Dot(dout, Np.Transpose(_w3));
        dW = Np.Dot(Np.Transpose(_affine3X), dout);
        db = Np.SumAxis0(dout);
        return dx;
    }

    // ---- SoftmaxWithLoss ----

    private float LastLayerForward(float[,] x, int[] t)
    {
        _t = t;
        _y = Softmax(x);
        // cross_entropy_error: -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
        int n = _y.GetLength(0);
        float sum = 0;
        for (int i = 0; i < n; i++) sum += MathF.Log(_y[i, t[i]] + 1e-7f);
        return -sum / n;
    }

    private float[,] LastLayerBackward()
    {
        int n = _t.Length;
        float[,] dx = (float[,])_y.Clone();
        for (int i = 0; i < n; i++) dx[i, _t[i]] -= 1;
        return Np.Divide(dx, n);
    }

    // softmax(x): x = x - np.max(x, axis=-1, keepdims=True); np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
    private static float[,] Softmax(float[,] x)
    {
        float[,] shifted = Np.SubtractColumn(x, Np.MaxAxis1(x));
        return Np.DivideColumn(Np.Exp(shifted), Np.SumAxis1(Np.Exp(shifted)));
    }

    // ---- common/util.py ----

    /// <summary>im2col(input_data, filter_h, filter_w, stride, pad=0): [N·out_h·out_w, C·filter_h·filter_w].</summary>
    private static float[,] Im2Col(float[,,,] input, int filterH, int filterW, int stride = 1)
    {
        int N = input.GetLength(0), C = input.GetLength(1), H = input.GetLength(2), W = input.GetLength(3);
        int outH = (H - filterH) / stride + 1, outW = (W - filterW) / stride + 1;
        float[,,,] img = (float[,,,])input.Clone(); // np.pad(input_data, ..., 'constant') with pad = 0
        var col = new float[N, C, filterH, filterW, outH, outW];
        for (int y = 0; y < filterH; y++)
            for (int x = 0; x < filterW; x++)
                // col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
                for (int n = 0; n < N; n++)
                    for (int c = 0; c < C; c++)
                        for (int oh = 0; oh < outH; oh++)
                            for (int ow = 0; ow < outW; ow++)
                                col[n, c, y, x, oh, ow] = img[n, c, y + stride * oh, x + stride * ow];
        // col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)
        var result = new float[N * outH * outW, C * filterH * filterW];
        for (int n = 0; n < N; n++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                    for (int c = 0; c < C; c++)
                        for (int y = 0; y < filterH; y++)
                            for (int x = 0; x < filterW; x++)
                                result[(n * outH + oh) * outW + ow, (c * filterH + y) * filterW + x] = col[n, c, y, x, oh, ow];
        return result;
    }

    /// <summary>col2im(col, input_shape, filter_h, filter_w, stride, pad=0): the sum of every column back at its pixel.</summary>
    private static float[,,,] Col2Im(float[,] col, int N, int C, int H, int W, int filterH, int filterW, int stride)
    {
        int outH = (H - filterH) / stride + 1, outW = (W - filterW) / stride + 1;
        // col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
        var c6 = new float[N, C, filterH, filterW, outH, outW];
        for (int n = 0; n < N; n++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                    for (int c = 0; c < C; c++)
                        for (int y = 0; y < filterH; y++)
                            for (int x = 0; x < filterW; x++)
                                c6[n, c, y, x, oh, ow] = col[(n * outH + oh) * outW + ow, (c * filterH + y) * filterW + x];
        var img = new float[N, C, H + stride - 1, W + stride - 1]; // np.zeros((N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1))
        for (int y = 0; y < filterH; y++)
            for (int x = 0; x < filterW; x++)
                // img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
                for (int n = 0; n < N; n++)
                    for (int c = 0; c < C; c++)
                        for (int oh = 0; oh < outH; oh++)
                            for (int ow = 0; ow < outW; ow++)
                                img[n, c, y + stride * oh, x + stride * ow] += c6[n, c, y, x, oh, ow];
        // img[:, :, pad:H + pad, pad:W + pad]
        var result = new float[N, C, H, W];
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int h = 0; h < H; h++)
                    for (int w = 0; w < W; w++)
                        result[n, c, h, w] = img[n, c, h, w];
        return result;
    }

    /// <summary>The numpy operations the port needs, each allocating its result as numpy does.</summary>
    private static class Np
    {
        public static float[,,,] FromSpan4(ReadOnlySpan<float> s, int n, int c, int h, int w)
        {
            var a = new float[n, c, h, w];
            int i = 0;
            for (int a0 = 0; a0 < n; a0++) for (int a1 = 0; a1 < c; a1++) for (int a2 = 0; a2 < h; a2++) for (int a3 = 0; a3 < w; a3++) a[a0, a1, a2, a3] = s[i++];
            return a;
        }

        public static void CopyFrom(ReadOnlySpan<float> s, float[,,,] d)
        {
            int i = 0;
            for (int a0 = 0; a0 < d.GetLength(0); a0++) for (int a1 = 0; a1 < d.GetLength(1); a1++) for (int a2 = 0; a2 < d.GetLength(2); a2++) for (int a3 = 0; a3 < d.GetLength(3); a3++) d[a0, a1, a2, a3] = s[i++];
        }

        public static void CopyFrom(ReadOnlySpan<float> s, float[,] d)
        {
            int i = 0;
            for (int r = 0; r < d.GetLength(0); r++) for (int c = 0; c < d.GetLength(1); c++) d[r, c] = s[i++];
        }

        public static void CopyTo(float[,,,] s, Span<float> d)
        {
            int i = 0;
            foreach (float v in s) d[i++] = v; // row-major order
        }

        public static void CopyTo(float[,] s, Span<float> d)
        {
            int i = 0;
            foreach (float v in s) d[i++] = v;
        }

        /// <summary>x.reshape(x.shape[0], -1).</summary>
        public static float[,] Reshape2(float[,,,] x)
        {
            int n = x.GetLength(0), rest = x.Length / n, i = 0;
            var r = new float[n, rest];
            foreach (float v in x) { r[i / rest, i % rest] = v; i++; }
            return r;
        }

        /// <summary>a.reshape(rows, columns), −1 for the one to infer.</summary>
        public static float[,] Reshape(float[,] a, int rows, int columns)
        {
            if (rows < 0) rows = a.Length / columns;
            if (columns < 0) columns = a.Length / rows;
            var r = new float[rows, columns];
            int i = 0;
            foreach (float v in a) { r[i / columns, i % columns] = v; i++; }
            return r;
        }

        public static float[,] Reshape(float[] a, int rows, int columns)
        {
            var r = new float[rows, columns];
            for (int i = 0; i < a.Length; i++) r[i / columns, i % columns] = a[i];
            return r;
        }

        public static float[,,,] Reshape4(float[,] a, int n, int c, int h, int w)
        {
            var r = new float[n, c, h, w];
            int i = 0;
            foreach (float v in a) { r[i / (c * h * w), i / (h * w) % c, i / w % h, i % w] = v; i++; }
            return r;
        }

        /// <summary>rows [N·H·W, C] read as (N, H, W, C), then .transpose(0, 3, 1, 2).</summary>
        public static float[,,,] TransposeNhwcToNchw(float[,] rows, int n, int h, int w, int c)
        {
            var r = new float[n, c, h, w];
            for (int a0 = 0; a0 < n; a0++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++) r[a0, ch, y, x] = rows[(a0 * h + y) * w + x, ch];
            return r;
        }

        /// <summary>x.transpose(0, 2, 3, 1).reshape(-1, C).</summary>
        public static float[,] TransposeNchwToRows(float[,,,] x)
        {
            int n = x.GetLength(0), c = x.GetLength(1), h = x.GetLength(2), w = x.GetLength(3);
            var r = new float[n * h * w, c];
            for (int a0 = 0; a0 < n; a0++) for (int ch = 0; ch < c; ch++) for (int y = 0; y < h; y++) for (int xx = 0; xx < w; xx++) r[(a0 * h + y) * w + xx, ch] = x[a0, ch, y, xx];
            return r;
        }

        /// <summary>np.dot as the textbook triple loop (i-j-k).</summary>
        public static float[,] Dot(float[,] a, float[,] b)
        {
            int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(1);
            var c = new float[m, n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < k; p++) sum += a[i, p] * b[p, j];
                    c[i, j] = sum;
                }
            return c;
        }

        public static float[,] Transpose(float[,] a)
        {
            var t = new float[a.GetLength(1), a.GetLength(0)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) t[j, i] = a[i, j];
            return t;
        }

        public static float[,] Add(float[,] a, float[] b)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = a[i, j] + b[j];
            return r;
        }

        public static float[,] Divide(float[,] a, float s)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = a[i, j] / s;
            return r;
        }

        public static float[,,,] Multiply(float s, float[,,,] a)
        {
            var r = (float[,,,])a.Clone();
            for (int a0 = 0; a0 < a.GetLength(0); a0++) for (int a1 = 0; a1 < a.GetLength(1); a1++) for (int a2 = 0; a2 < a.GetLength(2); a2++) for (int a3 = 0; a3 < a.GetLength(3); a3++) r[a0, a1, a2, a3] *= s;
            return r;
        }

        public static float[,] Multiply(float s, float[,] a)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = s * a[i, j];
            return r;
        }

        public static float[] Multiply(float s, float[] a)
        {
            var r = new float[a.Length];
            for (int i = 0; i < a.Length; i++) r[i] = s * a[i];
            return r;
        }

        public static void SubtractInPlace(float[,,,] a, float[,,,] b)
        {
            for (int a0 = 0; a0 < a.GetLength(0); a0++) for (int a1 = 0; a1 < a.GetLength(1); a1++) for (int a2 = 0; a2 < a.GetLength(2); a2++) for (int a3 = 0; a3 < a.GetLength(3); a3++) a[a0, a1, a2, a3] -= b[a0, a1, a2, a3];
        }

        public static void SubtractInPlace(float[,] a, float[,] b)
        {
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) a[i, j] -= b[i, j];
        }

        public static void SubtractInPlace(float[] a, float[] b)
        {
            for (int i = 0; i < a.Length; i++) a[i] -= b[i];
        }

        public static bool[,,,] LessOrEqualZero(float[,,,] x)
        {
            var m = new bool[x.GetLength(0), x.GetLength(1), x.GetLength(2), x.GetLength(3)];
            for (int a0 = 0; a0 < x.GetLength(0); a0++) for (int a1 = 0; a1 < x.GetLength(1); a1++) for (int a2 = 0; a2 < x.GetLength(2); a2++) for (int a3 = 0; a3 < x.GetLength(3); a3++) m[a0, a1, a2, a3] = x[a0, a1, a2, a3] <= 0;
            return m;
        }

        public static bool[,] LessOrEqualZero(float[,] x)
        {
            var m = new bool[x.GetLength(0), x.GetLength(1)];
            for (int i = 0; i < x.GetLength(0); i++) for (int j = 0; j < x.GetLength(1); j++) m[i, j] = x[i, j] <= 0;
            return m;
        }

        public static void SetWhere(float[,,,] a, bool[,,,] mask, float value)
        {
            for (int a0 = 0; a0 < a.GetLength(0); a0++) for (int a1 = 0; a1 < a.GetLength(1); a1++) for (int a2 = 0; a2 < a.GetLength(2); a2++) for (int a3 = 0; a3 < a.GetLength(3); a3++) if (mask[a0, a1, a2, a3]) a[a0, a1, a2, a3] = value;
        }

        public static void SetWhere(float[,] a, bool[,] mask, float value)
        {
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) if (mask[i, j]) a[i, j] = value;
        }

        public static float[] SumAxis0(float[,] a)
        {
            var s = new float[a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) s[j] += a[i, j];
            return s;
        }

        public static float[] SumAxis1(float[,] a)
        {
            var s = new float[a.GetLength(0)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) s[i] += a[i, j];
            return s;
        }

        public static float[] MaxAxis1(float[,] a)
        {
            var m = new float[a.GetLength(0)];
            for (int i = 0; i < a.GetLength(0); i++)
            {
                m[i] = a[i, 0];
                for (int j = 1; j < a.GetLength(1); j++) if (a[i, j] > m[i]) m[i] = a[i, j];
            }
            return m;
        }

        /// <summary>np.argmax(a, axis=1): the first maximum of each row.</summary>
        public static int[] ArgMaxAxis1(float[,] a)
        {
            var m = new int[a.GetLength(0)];
            for (int i = 0; i < a.GetLength(0); i++)
                for (int j = 1; j < a.GetLength(1); j++) if (a[i, j] > a[i, m[i]]) m[i] = j;
            return m;
        }

        public static float[,] SubtractColumn(float[,] a, float[] column)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = a[i, j] - column[i];
            return r;
        }

        public static float[,] DivideColumn(float[,] a, float[] column)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = a[i, j] / column[i];
            return r;
        }

        public static float[,] Exp(float[,] a)
        {
            var r = new float[a.GetLength(0), a.GetLength(1)];
            for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = MathF.Exp(a[i, j]);
            return r;
        }
    }
}
