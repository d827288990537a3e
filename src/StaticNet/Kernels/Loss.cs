using System;

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
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> ar = a.Slice(r * n, n), tr = t.Slice(r * n, n);
            Span<float> yr = y.Slice(r * n, n);
            float sum = Elementwise.Sum(yr);
            Activation.Scale(yr, 1f / sum);
            float logPartition = Elementwise.Max(ar) + MathF.Log(sum);
            double row = 0;
            for (int j = 0; j < n; j++)
                if (tr[j] != 0) row += tr[j] * ((double)logPartition - ar[j]);
            total += row;
        }
        return (float)(total / batch);
    }

    /// <summary>Softmax-with-loss backward: <c>dx = (y - t) / N</c>, N the batch size.</summary>
    public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<float> dx, int batch)
    {
        Check.Length(t, y.Length, nameof(t));
        Check.Length(dx, y.Length, nameof(dx));
        float scale = 1f / batch;
        for (int i = 0; i < y.Length; i++) dx[i] = (y[i] - t[i]) * scale;
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
