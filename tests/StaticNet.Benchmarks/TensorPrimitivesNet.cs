using System;
using System.Numerics.Tensors;

namespace StaticNet.Benchmarks;

/// <summary>
/// The reference network as a careful .NET developer writes it by hand with
/// <see cref="TensorPrimitives"/>: every buffer allocated in the constructor (nothing allocated per
/// call), each matrix product a row of <c>TensorPrimitives.MultiplyAdd</c> (axpy) or
/// <c>TensorPrimitives.Dot</c> calls, softmax with <c>TensorPrimitives.SoftMax</c>, SGD with one
/// <c>TensorPrimitives.MultiplyAdd</c> over the parameter block.
/// </summary>
/// <remarks>
/// <para>No blocking, no padding, no fused kernels and no hand-written SIMD: that is the work the
/// generated code is supposed to do, and this class is the yardstick it is measured against.</para>
/// <para>Two things of TensorPrimitives to know when reading its numbers on this machine:
/// (1) it picks its vector width from <c>Vector512.IsHardwareAccelerated</c>: .NET 10 reports true on
/// this AMD Zen 4 (so it runs 512-bit here), false on Intel parts that down-clock under AVX-512
/// (Cascade Lake, where issue 4's first figures came from) unless
/// <c>DOTNET_PreferredVectorBitWidth=512</c> is set; (2) on spans over 256 KB it switches to non-temporal stores, and the
/// SGD update below covers 318 KB, so its writes bypass the cache and the next step's forward pass
/// reads W1 from memory (issue 4 measured a 4x slower update; chunking the update fixes it, but a
/// straightforward implementation does not know that, so this one does not chunk).</para>
/// </remarks>
public sealed class TensorPrimitivesNet : IReferenceNet
{
    private const int In = RefShape.Input;
    private const int Hid = RefShape.Hidden;
    private const int Out = RefShape.Output;

    private readonly int _capacity;

    // One block of parameters and one of gradients, canonical layout (W1, b1, W2, b2), so the SGD
    // update is a single call.
    private readonly float[] _params = new float[RefShape.ParameterCount];
    private readonly float[] _grads = new float[RefShape.ParameterCount];

    // Workspace, batchCapacity rows each.
    private readonly float[] _h1;  // ReLU(x·W1 + b1), batch × 100
    private readonly float[] _z;   // scores, then probabilities, batch × 10
    private readonly float[] _dz;  // dL/dscores, batch × 10
    private readonly float[] _dh1; // dL/d(x·W1 + b1), batch × 100

    public TensorPrimitivesNet(int batchCapacity)
    {
        if (batchCapacity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchCapacity));
        }

        _capacity = batchCapacity;
        _h1 = new float[batchCapacity * Hid];
        _z = new float[batchCapacity * Out];
        _dz = new float[batchCapacity * Out];
        _dh1 = new float[batchCapacity * Hid];
    }

    public int BatchCapacity => _capacity;

    private Span<float> W1 => _params.AsSpan(RefShape.W1Offset, RefShape.W1Size);
    private Span<float> B1 => _params.AsSpan(RefShape.B1Offset, RefShape.B1Size);
    private Span<float> W2 => _params.AsSpan(RefShape.W2Offset, RefShape.W2Size);
    private Span<float> B2 => _params.AsSpan(RefShape.B2Offset, RefShape.B2Size);
    private Span<float> DW1 => _grads.AsSpan(RefShape.W1Offset, RefShape.W1Size);
    private Span<float> DB1 => _grads.AsSpan(RefShape.B1Offset, RefShape.B1Size);
    private Span<float> DW2 => _grads.AsSpan(RefShape.W2Offset, RefShape.W2Size);
    private Span<float> DB2 => _grads.AsSpan(RefShape.B2Offset, RefShape.B2Size);

    public void SetParameters(ReadOnlySpan<float> parameters) => parameters[..RefShape.ParameterCount].CopyTo(_params);

    public void GetParameters(Span<float> parameters) => _params.AsSpan().CopyTo(parameters);

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int batch = BatchOf(x);
        if (y.Length < batch * Out)
        {
            throw new ArgumentException($"Expected {batch * Out} outputs.", nameof(y));
        }

        ForwardCore(x, batch);
        _z.AsSpan(0, batch * Out).CopyTo(y);
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        int batch = BatchOf(x);
        if (labels.Length != batch)
        {
            throw new ArgumentException($"Expected {batch} labels.", nameof(labels));
        }

        ForwardCore(x, batch);

        // Loss: L = -(1/N) Σi log(y[i, t_i] + 1e-7); softmax-with-loss backward: dz = (y - onehot(t)) / N.
        float invBatch = 1f / batch;
        float loss = 0f;
        Span<float> z = _z.AsSpan(0, batch * Out);
        Span<float> dz = _dz.AsSpan(0, batch * Out);
        TensorPrimitives.Multiply(z, invBatch, dz);
        for (int i = 0; i < batch; i++)
        {
            int t = labels[i];
            loss -= MathF.Log(z[i * Out + t] + RefShape.LogEpsilon);
            dz[i * Out + t] -= invBatch;
        }

        loss *= invBatch;

        Span<float> h1 = _h1.AsSpan(0, batch * Hid);
        Span<float> dh1 = _dh1.AsSpan(0, batch * Hid);
        Span<float> w2 = W2;

        // Affine2 backward: dW2 = h1ᵀ·dz (row k of dW2 = Σi h1[i,k]·dz[i,:]), db2 = Σi dz[i,:].
        Span<float> dW2 = DW2;
        for (int k = 0; k < Hid; k++)
        {
            Span<float> dW2k = dW2.Slice(k * Out, Out);
            TensorPrimitives.Multiply(dz[..Out], h1[k], dW2k);
            for (int i = 1; i < batch; i++)
            {
                TensorPrimitives.MultiplyAdd(dz.Slice(i * Out, Out), h1[i * Hid + k], dW2k, dW2k);
            }
        }

        Span<float> db2 = DB2;
        dz[..Out].CopyTo(db2);
        for (int i = 1; i < batch; i++)
        {
            TensorPrimitives.Add(db2, dz.Slice(i * Out, Out), db2);
        }

        // dh1 = dz·W2ᵀ, then ReLU backward: dh1 = 0 where h1 <= 0. TensorPrimitives has no masked
        // select, so the mask is applied while computing: a dead unit skips its Dot.
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<float> dzi = dz.Slice(i * Out, Out);
            for (int k = 0; k < Hid; k++)
            {
                dh1[i * Hid + k] = h1[i * Hid + k] > 0f ? TensorPrimitives.Dot(dzi, w2.Slice(k * Out, Out)) : 0f;
            }
        }

        // Affine1 backward: dW1 = xᵀ·dh1 (row k = Σi x[i,k]·dh1[i,:]), db1 = Σi dh1[i,:].
        // No dx: the input gradient is not needed.
        Span<float> dW1 = DW1;
        for (int k = 0; k < In; k++)
        {
            Span<float> dW1k = dW1.Slice(k * Hid, Hid);
            TensorPrimitives.Multiply(dh1[..Hid], x[k], dW1k);
            for (int i = 1; i < batch; i++)
            {
                TensorPrimitives.MultiplyAdd(dh1.Slice(i * Hid, Hid), x[i * In + k], dW1k, dW1k);
            }
        }

        Span<float> db1 = DB1;
        dh1[..Hid].CopyTo(db1);
        for (int i = 1; i < batch; i++)
        {
            TensorPrimitives.Add(db1, dh1.Slice(i * Hid, Hid), db1);
        }

        // SGD: p -= lr * g, one call over all 79,510 parameters.
        TensorPrimitives.MultiplyAdd(_grads, -lr, _params, _params);
        return loss;
    }

    /// <summary>h1 = ReLU(x·W1 + b1); z = softmax(h1·W2 + b2), row by row.</summary>
    private void ForwardCore(ReadOnlySpan<float> x, int batch)
    {
        ReadOnlySpan<float> w1 = W1, b1 = B1, w2 = W2, b2 = B2;
        for (int i = 0; i < batch; i++)
        {
            // Affine1: h1[i,:] = b1 + Σk x[i,k]·W1[k,:]
            Span<float> h = _h1.AsSpan(i * Hid, Hid);
            b1.CopyTo(h);
            ReadOnlySpan<float> xi = x.Slice(i * In, In);
            for (int k = 0; k < In; k++)
            {
                TensorPrimitives.MultiplyAdd(w1.Slice(k * Hid, Hid), xi[k], h, h);
            }

            // ReLU
            TensorPrimitives.Max(h, 0f, h);

            // Affine2: z[i,:] = b2 + Σk h1[i,k]·W2[k,:]
            Span<float> z = _z.AsSpan(i * Out, Out);
            b2.CopyTo(z);
            for (int k = 0; k < Hid; k++)
            {
                TensorPrimitives.MultiplyAdd(w2.Slice(k * Out, Out), h[k], z, z);
            }

            // Softmax, stabilised as the book's: exp(z - max z) / Σ exp(z - max z).
            // (TensorPrimitives.SoftMax does not subtract the maximum itself.)
            TensorPrimitives.Subtract(z, TensorPrimitives.Max(z), z);
            TensorPrimitives.SoftMax(z, z);
        }
    }

    private int BatchOf(ReadOnlySpan<float> x)
    {
        int batch = x.Length / In;
        if (batch == 0 || batch * In != x.Length || batch > _capacity)
        {
            throw new ArgumentException($"Expected a multiple of {In} inputs, at most {_capacity * In}.", nameof(x));
        }

        return batch;
    }
}
