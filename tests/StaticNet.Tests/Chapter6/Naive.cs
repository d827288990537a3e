using System;

namespace StaticNet.Tests.Chapter6;

/// <summary>Double-precision references written out plainly, for the ch. 6 layers' tests.</summary>
internal static class Naive
{
    /// <summary><c>x·W + b</c> with <c>W [inputs, outputs]</c> row-major.</summary>
    public static double[] Dense(double[] x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, int batch, int inputs, int outputs)
    {
        var y = new double[batch * outputs];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < outputs; j++)
            {
                double s = b[j];
                for (int i = 0; i < inputs; i++) s += x[r * inputs + i] * W[i * outputs + j];
                y[r * outputs + j] = s;
            }
        return y;
    }

    public static double[] Map(double[] x, Func<double, double> f)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = f(x[i]);
        return y;
    }

    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i];
        return y;
    }

    public static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));

    /// <summary>Binary cross-entropy of one probability as its definition reads, <c>−t·log p − (1 − t)·log(1 − p)</c>.</summary>
    public static double BinaryCrossEntropy(double p, double t) => -t * Math.Log(p) - (1 - t) * Math.Log(1 - p);

    public static float[] Gaussian(int n, long seed, double scale = 1)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextGaussian() * scale);
        return v;
    }

    public static float[] Uniform(int n, long seed, double low, double high)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(low + (high - low) * r.NextDouble());
        return v;
    }
}
