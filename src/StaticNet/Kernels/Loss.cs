using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// The loss layers, averaged as PyTorch does by default. Called by generated code; public so that
/// generated code in other assemblies can call it.
/// </summary>
public static class Loss
{
    /// <summary>
    /// Softmax-with-loss forward: <c>y = softmax(a)</c> per row and the mean over rows of
    /// <c>-Σ t log y</c>, computed from the logits as <c>Σ t (logΣexp(a) - a)</c> so that it stays
    /// finite even where a probability rounds to zero.
    /// </summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> a, ReadOnlySpan<float> t, Span<float> y, int batch, int n)
    {
        Check.Length(a, batch * n, nameof(a));
        Check.Length(t, batch * n, nameof(t));
        Check.Length(y, batch * n, nameof(y));
        Activation.ExpShiftedRows(a, y, batch, n);
        double total = 0;
        for (int r = 0; r < batch; r++) total += SoftmaxCrossEntropyRow(a.Slice(r * n, n), t.Slice(r * n, n), y.Slice(r * n, n));
        return (float)(total / batch);
    }

    /// <summary>
    /// <see cref="SoftmaxCrossEntropy"/> for some rows of a batch, as one part of a split forward pass computes them:
    /// <c>y = softmax(a)</c> and each row's <c>-Σ t log y</c> (not yet averaged) in <paramref name="rowLoss"/>. Every value
    /// is the one the whole call computes; <see cref="MeanOfRows"/> then adds them in the same order, so the loss is
    /// the same bits as <see cref="SoftmaxCrossEntropy"/> over the whole batch, however the rows were split.
    /// </summary>
    public static void SoftmaxCrossEntropyRows(ReadOnlySpan<float> a, ReadOnlySpan<float> t, Span<float> y, Span<double> rowLoss, int rows, int n)
    {
        Check.Length(a, rows * n, nameof(a));
        Check.Length(t, rows * n, nameof(t));
        Check.Length(y, rows * n, nameof(y));
        if (rowLoss.Length != rows) throw new ArgumentException($"Expected {rows} row losses, got {rowLoss.Length}.", nameof(rowLoss));
        Activation.ExpShiftedRows(a, y, rows, n);
        for (int r = 0; r < rows; r++) rowLoss[r] = SoftmaxCrossEntropyRow(a.Slice(r * n, n), t.Slice(r * n, n), y.Slice(r * n, n));
    }

    /// <summary>The mean of the rows' losses of <see cref="SoftmaxCrossEntropyRows"/>, added in row order as <see cref="SoftmaxCrossEntropy"/> adds them.</summary>
    public static float MeanOfRows(ReadOnlySpan<double> rowLoss)
    {
        double total = 0;
        for (int r = 0; r < rowLoss.Length; r++) total += rowLoss[r];
        return (float)(total / rowLoss.Length);
    }

    // One row: y (holding exp(a − max a)) scaled to the softmax, and the row's −Σ t log y from the logits, in double.
    private static double SoftmaxCrossEntropyRow(ReadOnlySpan<float> ar, ReadOnlySpan<float> tr, Span<float> yr)
    {
        float sum = Elementwise.Sum(yr);
        Activation.Scale(yr, 1f / sum);
        float logPartition = Elementwise.Max(ar) + MathF.Log(sum);
        double row = 0;
        for (int j = 0; j < ar.Length; j++)
            if (tr[j] != 0) row += tr[j] * ((double)logPartition - ar[j]);
        return row;
    }

    /// <summary>Softmax-with-loss backward: <c>dx = (y - t) / N</c>, N the batch size.</summary>
    public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<float> dx, int batch)
    {
        Check.Length(t, y.Length, nameof(t));
        Check.Length(dx, y.Length, nameof(dx));
        float scale = 1f / batch;
        ref float yr = ref MemoryMarshal.GetReference(y), tr = ref MemoryMarshal.GetReference(t), dr = ref MemoryMarshal.GetReference(dx);
        int count = y.Length, i = 0;
        // Each element one subtraction and one product, as the scalar loop rounds them: the vectors change no bit.
        if (Simd.Use512)
            for (var s = Vector512.Create(scale); i + 16 <= count; i += 16)
                ((Vector512.LoadUnsafe(ref yr, (nuint)i) - Vector512.LoadUnsafe(ref tr, (nuint)i)) * s).StoreUnsafe(ref dr, (nuint)i);
        if (Simd.Use256)
            for (var s = Vector256.Create(scale); i + 8 <= count; i += 8)
                ((Vector256.LoadUnsafe(ref yr, (nuint)i) - Vector256.LoadUnsafe(ref tr, (nuint)i)) * s).StoreUnsafe(ref dr, (nuint)i);
        for (; i < count; i++) Unsafe.Add(ref dr, i) = (Unsafe.Add(ref yr, i) - Unsafe.Add(ref tr, i)) * scale;
    }

    /// <summary>Mean squared error: the mean over all elements of <c>(y - t)²</c>.</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> y, ReadOnlySpan<float> t)
    {
        Check.Length(t, y.Length, nameof(t));
        double total = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double d = (double)y[i] - t[i];
            total += d * d;
        }
        return (float)(total / y.Length);
    }

    /// <summary>Mean squared error backward: <c>dx = 2 (y - t) / count</c>, count = every element of the batch.</summary>
    public static void MeanSquaredErrorBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<float> dx)
    {
        Check.Length(t, y.Length, nameof(t));
        Check.Length(dx, y.Length, nameof(dx));
        float scale = 2f / y.Length;
        for (int i = 0; i < y.Length; i++) dx[i] = (y[i] - t[i]) * scale;
    }

    /// <summary>
    /// Sigmoid-with-loss forward (PyTorch's <c>BCEWithLogitsLoss</c>, <c>reduction='mean'</c>): <c>y = σ(a)</c> and the mean over
    /// every element (N·outputs) of <c>−t·log y − (1 − t)·log(1 − y)</c>, computed from the logits in the stable form
    /// <c>max(a, 0) − a·t + log(1 + exp(−|a|))</c>, which neither overflows for large |a| nor takes the log of a
    /// probability that rounds to 0 or 1. The sigmoid is vectorised; the sum takes a scalar log per element (.NET 8 has no
    /// vector log) and adds in double.
    /// </summary>
    public static float SigmoidCrossEntropy(ReadOnlySpan<float> a, ReadOnlySpan<float> t, Span<float> y)
    {
        Check.Length(t, a.Length, nameof(t));
        Check.Length(y, a.Length, nameof(y));
        Activation.SigmoidForward(a, y);
        double total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            float ai = a[i];
            total += MathF.Max(ai, 0f) - ai * t[i] + Log1p(MathF.Exp(-MathF.Abs(ai)));
        }
        return (float)(total / a.Length);
    }

    // log(1 + u) for u in (0, 1], accurate also where u is tiny (1 + u would round to 1).
    private static double Log1p(float u) => u < 1e-4f ? u - 0.5 * u * u : Math.Log(1.0 + u);

    /// <summary>Sigmoid-with-loss backward: <c>dx = (y − t) / (N·outputs)</c>, y = σ(a) as the forward pass kept it.</summary>
    public static void SigmoidCrossEntropyBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<float> dx)
    {
        Check.Length(t, y.Length, nameof(t));
        Check.Length(dx, y.Length, nameof(dx));
        ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        ref float tr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(t);
        ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dx);
        float scale = 1f / y.Length;
        int n = y.Length, i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var s = new System.Numerics.Vector<float>(scale);
            for (int width = System.Numerics.Vector<float>.Count; i + width <= n; i += width)
                ((System.Numerics.Vector.LoadUnsafe(ref yr, (nuint)i) - System.Numerics.Vector.LoadUnsafe(ref tr, (nuint)i)) * s).StoreUnsafe(ref dr, (nuint)i);
        }
        for (; i < n; i++) dx[i] = (y[i] - t[i]) * scale;
    }

    /// <summary>Writes class <c>labels</c> as one-hot rows of <paramref name="classes"/> into <paramref name="t"/>.</summary>
    /// <exception cref="ArgumentException">A label is not in <c>[0, classes)</c>.</exception>
    public static void OneHot(ReadOnlySpan<int> labels, Span<float> t, int classes)
    {
        Check.Length(t, labels.Length * classes, nameof(t));
        for (int r = 0; r < labels.Length; r++)
            if ((uint)labels[r] >= (uint)classes)
                throw new ArgumentException($"labels[{r}] is {labels[r]}, not a class index in [0, {classes}).", nameof(labels));
        t.Clear();
        for (int r = 0; r < labels.Length; r++) t[r * classes + labels[r]] = 1f;
    }
}
