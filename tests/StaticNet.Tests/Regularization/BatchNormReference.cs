using System;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// Batch normalisation written out plainly in double precision, as the book's common/layers.py BatchNormalization
/// does it (forward: mu, xc, var, std, xn; backward: dbeta, dgamma, dxn, dxc, dstd, dvar, dmu), with PyTorch's
/// conventions: statistics per channel over the batch and every position, running statistics updated with
/// momentum as PyTorch's weight of the new batch, the running variance from the unbiased batch variance.
/// x is [n, c, s] row-major (s = 1 for a vector). Independent of the kernels it checks.
/// </summary>
internal static class BatchNormReference
{
    public static double[] Forward(float[] x, float[] gamma, float[] beta, double[] mean, double[] variance, double epsilon, int n, int c, int s)
    {
        var y = new double[n * c * s];
        for (int ch = 0; ch < c; ch++)
        {
            double std = Math.Sqrt(variance[ch] + epsilon);
            for (int i = 0; i < n; i++)
                for (int p = 0; p < s; p++)
                {
                    int at = (i * c + ch) * s + p;
                    y[at] = gamma[ch] * ((x[at] - mean[ch]) / std) + beta[ch];
                }
        }
        return y;
    }

    /// <summary>The batch's mean and biased variance per channel.</summary>
    public static (double[] Mean, double[] Variance) Statistics(float[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var variance = new double[c];
        int m = n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < s; p++) sum += x[(i * c + ch) * s + p];
            mean[ch] = sum / m;
            double squares = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < s; p++)
                {
                    double d = x[(i * c + ch) * s + p] - mean[ch];
                    squares += d * d;
                }
            variance[ch] = squares / m;
        }
        return (mean, variance);
    }

    /// <summary>PyTorch's update: running = (1 − momentum)·running + momentum·batch, the variance unbiased (·m/(m − 1)).</summary>
    public static void UpdateRunning(double[] runningMean, double[] runningVariance, double[] mean, double[] variance, double momentum, int m)
    {
        for (int ch = 0; ch < runningMean.Length; ch++)
        {
            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch];
            runningVariance[ch] = (1 - momentum) * runningVariance[ch] + momentum * variance[ch] * m / (m - 1);
        }
    }

    /// <summary>The training-mode backward pass, step by step as the book's computational graph.</summary>
    public static (double[] Dx, double[] Dgamma, double[] Dbeta) BackwardTraining(float[] x, float[] dout, float[] gamma, double epsilon, int n, int c, int s)
    {
        var dx = new double[n * c * s];
        var dgamma = new double[c];
        var dbeta = new double[c];
        int m = n * s;
        var (mean, variance) = Statistics(x, n, c, s);
        for (int ch = 0; ch < c; ch++)
        {
            double std = Math.Sqrt(variance[ch] + epsilon);
            var xc = new double[m];
            var xn = new double[m];
            var g = new double[m];
            for (int i = 0, k = 0; i < n; i++)
                for (int p = 0; p < s; p++, k++)
                {
                    int at = (i * c + ch) * s + p;
                    xc[k] = x[at] - mean[ch];
                    xn[k] = xc[k] / std;
                    g[k] = dout[at];
                }
            double dstd = 0;
            for (int k = 0; k < m; k++)
            {
                dbeta[ch] += g[k];
                dgamma[ch] += xn[k] * g[k];
                double dxn = gamma[ch] * g[k];
                dstd -= dxn * xc[k] / (std * std);
            }
            double dvar = 0.5 * dstd / std;
            var dxc = new double[m];
            double dmu = 0;
            for (int k = 0; k < m; k++)
            {
                dxc[k] = gamma[ch] * g[k] / std + 2.0 / m * xc[k] * dvar;
                dmu += dxc[k];
            }
            for (int i = 0, k = 0; i < n; i++)
                for (int p = 0; p < s; p++, k++)
                    dx[(i * c + ch) * s + p] = dxc[k] - dmu / m;
        }
        return (dx, dgamma, dbeta);
    }

    /// <summary>The inference-mode backward pass: μ and σ² are constants, so the layer is affine per channel.</summary>
    public static (double[] Dx, double[] Dgamma, double[] Dbeta) BackwardInference(float[] x, float[] dout, float[] gamma, double[] mean, double[] variance, double epsilon, int n, int c, int s)
    {
        var dx = new double[n * c * s];
        var dgamma = new double[c];
        var dbeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double std = Math.Sqrt(variance[ch] + epsilon);
            for (int i = 0; i < n; i++)
                for (int p = 0; p < s; p++)
                {
                    int at = (i * c + ch) * s + p;
                    dbeta[ch] += dout[at];
                    dgamma[ch] += dout[at] * (x[at] - mean[ch]) / std;
                    dx[at] = gamma[ch] * dout[at] / std;
                }
        }
        return (dx, dgamma, dbeta);
    }

    public static float[] Random(int length, int seed, double scale = 1, double offset = 0)
    {
        var r = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)(offset + scale * (2 * r.NextDouble() - 1));
        return v;
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length) throw new Xunit.Sdk.XunitException($"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
                throw new Xunit.Sdk.XunitException($"{what}[{i}] = {actual[i]}, expected {expected[i]} (tolerance {tolerance})");
    }
}
