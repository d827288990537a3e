using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNet.Kernels;

/// <summary>
/// Batch normalisation (the book's <c>BatchNormalization</c>, ch. 6.3) with PyTorch's conventions, over
/// <c>x [batch, channels, spatial]</c>: a vector's features are its channels with <c>spatial = 1</c>
/// (<c>BatchNorm1d</c>), an image's channels are normalised over the batch and all <c>spatial = H·W</c>
/// positions (<c>BatchNorm2d</c>). With <c>m = batch·spatial</c> values per channel:
/// <code>
/// training:   μ = Σ x / m, σ² = Σ (x − μ)² / m, x̂ = (x − μ) / √(σ² + ε), y = γ·x̂ + β
///             running mean ← (1 − momentum)·running mean + momentum·μ
///             running var  ← (1 − momentum)·running var + momentum·σ²·m/(m − 1)   (the unbiased variance)
/// inference:  the same y with μ, σ² the running statistics
/// backward:   dβ = Σ dout, dγ = Σ dout·x̂,
///             training dx = γ / (m·√(σ² + ε)) · (m·dout − dβ − x̂·dγ);  inference dx = γ·dout / √(σ² + ε)
/// </code>
/// <c>saved</c> holds, per channel, the μ and 1/√(σ² + ε) the forward pass used (the first 2·channels floats) and
/// room for the kernels' coefficients (3·channels more); the backward pass reads the first part. Called by generated
/// code with constant sizes; public so that generated code in other assemblies can call it, not meant to be called
/// by hand.
/// </summary>
public static class BatchNorm
{
    /// <summary>The training forward pass: batch statistics, the running ones updated, <paramref name="y"/> written.</summary>
    /// <exception cref="ArgumentException">A span is too short, or there is only one value per channel (<c>batch·spatial &lt; 2</c>).</exception>
    public static void ForwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> runningMean, Span<float> runningVar, Span<float> saved, float momentum, float epsilon, int batch, int channels, int spatial)
    {
        CheckSizes(x, gamma, beta, y, runningMean, runningVar, saved, batch, channels, spatial);
        int m = batch * spatial;
        if (m < 2) throw new ArgumentException($"Batch normalisation in training needs at least 2 values per channel; got {m}.", nameof(batch));
        Span<float> mean = saved.Slice(0, channels), invStd = saved.Slice(channels, channels);
        Span<float> scale = saved.Slice(2 * channels, channels), shift = saved.Slice(3 * channels, channels);
        int row = channels * spatial;

        // μ, then Σ (x − μ)² (two passes: no cancellation), into mean and scale.
        if (spatial == 1)
        {
            mean.Clear();
            for (int n = 0; n < batch; n++) AddTo(mean, x.Slice(n * row, row));
            for (int c = 0; c < channels; c++) mean[c] /= m;
            scale.Clear();
            for (int n = 0; n < batch; n++) AddSquaredDifference(scale, x.Slice(n * row, row), mean);
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                float sum = 0;
                for (int n = 0; n < batch; n++) sum += Sum(x.Slice(n * row + c * spatial, spatial));
                float mu = sum / m, squares = 0;
                for (int n = 0; n < batch; n++) squares += SquaredDifference(x.Slice(n * row + c * spatial, spatial), mu);
                mean[c] = mu;
                scale[c] = squares;
            }
        }
        float keep = 1f - momentum, unbiased = (float)m / (m - 1);
        for (int c = 0; c < channels; c++)
        {
            float variance = scale[c] / m;
            invStd[c] = 1f / MathF.Sqrt(variance + epsilon);
            runningMean[c] = keep * runningMean[c] + momentum * mean[c];
            runningVar[c] = keep * runningVar[c] + momentum * variance * unbiased;
        }
        Normalize(x, gamma, beta, y, saved, batch, channels, spatial);
    }

    /// <summary>The inference forward pass: <paramref name="y"/> from the running statistics, which it only reads.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void ForwardInference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> saved, float epsilon, int batch, int channels, int spatial)
    {
        CheckSizes(x, gamma, beta, y, runningMean, runningVar, saved, batch, channels, spatial);
        for (int c = 0; c < channels; c++)
        {
            saved[c] = runningMean[c];
            saved[channels + c] = 1f / MathF.Sqrt(runningVar[c] + epsilon);
        }
        Normalize(x, gamma, beta, y, saved, batch, channels, spatial);
    }

    /// <summary>
    /// The backward pass of the latest forward pass (<paramref name="training"/>: which form it was), from the μ and
    /// 1/√(σ² + ε) it left in <paramref name="saved"/>: writes <paramref name="dgamma"/>, <paramref name="dbeta"/> and,
    /// unless it is empty, <paramref name="dx"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> gamma, Span<float> saved,
        Span<float> dgamma, Span<float> dbeta, Span<float> dx, bool training, int batch, int channels, int spatial)
    {
        int row = channels * spatial, total = batch * row;
        Check.AtLeast(x, total, nameof(x));
        Check.AtLeast(dout, total, nameof(dout));
        Check.AtLeast(gamma, channels, nameof(gamma));
        Check.AtLeast(saved, 5 * channels, nameof(saved));
        Check.AtLeast(dgamma, channels, nameof(dgamma));
        Check.AtLeast(dbeta, channels, nameof(dbeta));
        if (!dx.IsEmpty) Check.AtLeast(dx, total, nameof(dx));
        Span<float> mean = saved.Slice(0, channels), invStd = saved.Slice(channels, channels);

        // dβ = Σ dout, dγ = Σ dout·(x − μ) · 1/√(σ² + ε).
        if (spatial == 1)
        {
            dbeta.Slice(0, channels).Clear();
            dgamma.Slice(0, channels).Clear();
            for (int n = 0; n < batch; n++)
            {
                AddTo(dbeta.Slice(0, channels), dout.Slice(n * row, row));
                AddProductOfDifference(dgamma.Slice(0, channels), dout.Slice(n * row, row), x.Slice(n * row, row), mean);
            }
            for (int c = 0; c < channels; c++) dgamma[c] *= invStd[c];
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                float sum = 0, product = 0;
                for (int n = 0; n < batch; n++)
                {
                    int at = n * row + c * spatial;
                    sum += Sum(dout.Slice(at, spatial));
                    product += ProductOfDifference(dout.Slice(at, spatial), x.Slice(at, spatial), mean[c]);
                }
                dbeta[c] = sum;
                dgamma[c] = product * invStd[c];
            }
        }
        if (dx.IsEmpty) return;

        // dx = a·dout + b·x + k per channel: a = γ/√(σ² + ε); in training b = −a·dγ/(m·√(σ² + ε)) and
        // k = −a·dβ/m − b·μ (the compact form of the book's dxhat, dvar, dmean); in inference b = k = 0.
        Span<float> a = saved.Slice(2 * channels, channels), b = saved.Slice(3 * channels, channels), k = saved.Slice(4 * channels, channels);
        float m = batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            a[c] = gamma[c] * invStd[c];
            b[c] = training ? -a[c] * invStd[c] * dgamma[c] / m : 0f;
            k[c] = training ? -a[c] * dbeta[c] / m - b[c] * mean[c] : 0f;
        }
        if (spatial == 1)
        {
            for (int n = 0; n < batch; n++) LinearRow(dout.Slice(n * row, row), x.Slice(n * row, row), a, b, k, dx.Slice(n * row, row));
        }
        else
        {
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < channels; c++)
                {
                    int at = n * row + c * spatial;
                    LinearBlock(dout.Slice(at, spatial), x.Slice(at, spatial), a[c], b[c], k[c], dx.Slice(at, spatial));
                }
        }
    }

    /// <summary>Plain SGD on γ and β: <c>γ ← γ − lr·dγ</c>, <c>β ← β − lr·dβ</c> (the generated <c>BackwardSgd</c>).</summary>
    public static void SgdStep(Span<float> gamma, Span<float> beta, ReadOnlySpan<float> dgamma, ReadOnlySpan<float> dbeta, float learningRate)
    {
        Check.Length(dgamma, gamma.Length, nameof(dgamma));
        Check.Length(dbeta, beta.Length, nameof(dbeta));
        for (int c = 0; c < gamma.Length; c++) gamma[c] -= learningRate * dgamma[c];
        for (int c = 0; c < beta.Length; c++) beta[c] -= learningRate * dbeta[c];
    }

    private static void CheckSizes(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> y,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, ReadOnlySpan<float> saved, int batch, int channels, int spatial)
    {
        int total = batch * channels * spatial;
        Check.AtLeast(x, total, nameof(x));
        Check.AtLeast(y, total, nameof(y));
        Check.AtLeast(gamma, channels, nameof(gamma));
        Check.AtLeast(beta, channels, nameof(beta));
        Check.AtLeast(runningMean, channels, nameof(runningMean));
        Check.AtLeast(runningVar, channels, nameof(runningVar));
        Check.AtLeast(saved, 5 * channels, nameof(saved));
    }

    /// <summary>y = γ·(x − μ)/√(σ² + ε) + β as y = x·scale + shift, from the μ and 1/√(σ² + ε) in saved.</summary>
    private static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> saved, int batch, int channels, int spatial)
    {
        Span<float> mean = saved.Slice(0, channels), invStd = saved.Slice(channels, channels);
        Span<float> scale = saved.Slice(2 * channels, channels), shift = saved.Slice(3 * channels, channels);
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] * invStd[c];
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        int row = channels * spatial;
        Span<float> zero = saved.Slice(4 * channels, channels);
        if (spatial == 1)
        {
            zero.Clear();
            for (int n = 0; n < batch; n++) LinearRow(x.Slice(n * row, row), x.Slice(n * row, row), scale, zero, shift, y.Slice(n * row, row));
        }
        else
        {
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < channels; c++)
                {
                    int at = n * row + c * spatial;
                    LinearBlock(x.Slice(at, spatial), x.Slice(at, spatial), scale[c], 0f, shift[c], y.Slice(at, spatial));
                }
        }
    }

    // ---- SIMD loops (System.Numerics.Vector<float>, then a scalar tail) ----------------------

    private static int Count => Vector<float>.Count;

    /// <summary>sum += v, element-wise.</summary>
    private static void AddTo(Span<float> sum, ReadOnlySpan<float> v)
    {
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(v);
        int i = 0, n = sum.Length;
        for (; i + Count <= n; i += Count)
            Store(Load(ref s, i) + Load(ref r, i), ref s, i);
        for (; i < n; i++) Unsafe.Add(ref s, i) += Unsafe.Add(ref r, i);
    }

    /// <summary>sum += (v − μ)², element-wise.</summary>
    private static void AddSquaredDifference(Span<float> sum, ReadOnlySpan<float> v, ReadOnlySpan<float> mean)
    {
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(v);
        ref float u = ref MemoryMarshal.GetReference(mean);
        int i = 0, n = sum.Length;
        for (; i + Count <= n; i += Count)
        {
            Vector<float> d = Load(ref r, i) - Load(ref u, i);
            Store(Load(ref s, i) + d * d, ref s, i);
        }
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref r, i) - Unsafe.Add(ref u, i);
            Unsafe.Add(ref s, i) += d * d;
        }
    }

    /// <summary>sum += dout·(x − μ), element-wise.</summary>
    private static void AddProductOfDifference(Span<float> sum, ReadOnlySpan<float> dout, ReadOnlySpan<float> x, ReadOnlySpan<float> mean)
    {
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float g = ref MemoryMarshal.GetReference(dout);
        ref float r = ref MemoryMarshal.GetReference(x);
        ref float u = ref MemoryMarshal.GetReference(mean);
        int i = 0, n = sum.Length;
        for (; i + Count <= n; i += Count)
            Store(Load(ref s, i) + Load(ref g, i) * (Load(ref r, i) - Load(ref u, i)), ref s, i);
        for (; i < n; i++) Unsafe.Add(ref s, i) += Unsafe.Add(ref g, i) * (Unsafe.Add(ref r, i) - Unsafe.Add(ref u, i));
    }

    /// <summary>y = a·p + b·q + k, element-wise with per-element coefficients (one per feature).</summary>
    private static void LinearRow(ReadOnlySpan<float> p, ReadOnlySpan<float> q, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> k, Span<float> y)
    {
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float qr = ref MemoryMarshal.GetReference(q);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float kr = ref MemoryMarshal.GetReference(k);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0, n = y.Length;
        for (; i + Count <= n; i += Count)
            Store(Load(ref ar, i) * Load(ref pr, i) + Load(ref br, i) * Load(ref qr, i) + Load(ref kr, i), ref yr, i);
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = Unsafe.Add(ref ar, i) * Unsafe.Add(ref pr, i) + Unsafe.Add(ref br, i) * Unsafe.Add(ref qr, i) + Unsafe.Add(ref kr, i);
    }

    /// <summary>y = a·p + b·q + k over one channel's block, a, b and k scalars.</summary>
    private static void LinearBlock(ReadOnlySpan<float> p, ReadOnlySpan<float> q, float a, float b, float k, Span<float> y)
    {
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float qr = ref MemoryMarshal.GetReference(q);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var av = new Vector<float>(a);
        var bv = new Vector<float>(b);
        var kv = new Vector<float>(k);
        int i = 0, n = y.Length;
        for (; i + Count <= n; i += Count)
            Store(av * Load(ref pr, i) + bv * Load(ref qr, i) + kv, ref yr, i);
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = a * Unsafe.Add(ref pr, i) + b * Unsafe.Add(ref qr, i) + k;
    }

    private static float Sum(ReadOnlySpan<float> v)
    {
        ref float r = ref MemoryMarshal.GetReference(v);
        var s = Vector<float>.Zero;
        int i = 0, n = v.Length;
        for (; i + Count <= n; i += Count) s += Load(ref r, i);
        float total = Vector.Sum(s);
        for (; i < n; i++) total += Unsafe.Add(ref r, i);
        return total;
    }

    private static float SquaredDifference(ReadOnlySpan<float> v, float mean)
    {
        ref float r = ref MemoryMarshal.GetReference(v);
        var mv = new Vector<float>(mean);
        var s = Vector<float>.Zero;
        int i = 0, n = v.Length;
        for (; i + Count <= n; i += Count)
        {
            Vector<float> d = Load(ref r, i) - mv;
            s += d * d;
        }
        float total = Vector.Sum(s);
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref r, i) - mean;
            total += d * d;
        }
        return total;
    }

    private static float ProductOfDifference(ReadOnlySpan<float> dout, ReadOnlySpan<float> x, float mean)
    {
        ref float g = ref MemoryMarshal.GetReference(dout);
        ref float r = ref MemoryMarshal.GetReference(x);
        var mv = new Vector<float>(mean);
        var s = Vector<float>.Zero;
        int i = 0, n = x.Length;
        for (; i + Count <= n; i += Count) s += Load(ref g, i) * (Load(ref r, i) - mv);
        float total = Vector.Sum(s);
        for (; i < n; i++) total += Unsafe.Add(ref g, i) * (Unsafe.Add(ref r, i) - mean);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float at, int i) => Vector.LoadUnsafe(ref at, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> v, ref float at, int i) => v.StoreUnsafe(ref at, (nuint)i);
}

/// <summary>
/// Inverted dropout (PyTorch's <c>nn.Dropout</c>; the book's <c>Dropout</c>, ch. 6.4.3, scales at test time instead):
/// <code>
/// training:   mask = 1/(1 − p) where u ≥ p (u uniform in [0, 1)), else 0;   y = x ⊙ mask;   dx = dout ⊙ mask
/// inference:  y = x;   dx = dout
/// </code>
/// Called by generated code; public so that generated code in other assemblies can call it, not meant to be called by hand.
/// </summary>
public static class Dropout
{
    /// <summary>Draws a new mask: each entry 0 with probability <paramref name="p"/>, else <c>1/(1 − p)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1).</exception>
    public static void DrawMask(Span<float> mask, float p, ref Random64 random)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout ratio must be in [0, 1).");
        float kept = 1f / (1f - p);
        double ratio = p;
        for (int i = 0; i < mask.Length; i++)
            mask[i] = random.NextDouble() >= ratio ? kept : 0f;
    }

    /// <summary><c>y = x ⊙ mask</c>.</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y)
    {
        Check.Length(x, mask.Length, nameof(x));
        Check.Length(y, mask.Length, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float mr = ref MemoryMarshal.GetReference(mask);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0, n = y.Length, count = Vector<float>.Count;
        for (; i + count <= n; i += count)
            (Vector.LoadUnsafe(ref xr, (nuint)i) * Vector.LoadUnsafe(ref mr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Unsafe.Add(ref xr, i) * Unsafe.Add(ref mr, i);
    }

    /// <summary>The backward pass: <c>dx = dout ⊙ mask</c> after a training forward pass, <c>dx = dout</c> after an inference one.</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> mask, Span<float> dx, bool training)
    {
        if (training)
        {
            Apply(dout, mask, dx);
            return;
        }
        Check.Length(dx, dout.Length, nameof(dx));
        dout.CopyTo(dx);
    }
}
