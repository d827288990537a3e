using System;
using System.Collections.Generic;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Training;

/// <summary>
/// Every optimizer against a naive double-precision implementation of its documented formula, written here
/// from the papers and PyTorch's docs (not from the optimizer's code), over many steps and over block lengths
/// that use every vector width and the scalar tail.
/// </summary>
public class OptimizerReferenceTests
{
    private const int Steps = 200;

    /// <summary>Block lengths: scalar only, one 128-bit vector plus tail, 256 and 512 bits, and long blocks with tails.</summary>
    public static readonly int[] Lengths = { 1, 3, 4, 7, 8, 16, 21, 100, 1027 };

    public static IEnumerable<object[]> Cases()
    {
        string[] names = { "Sgd", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW" };
        foreach (string name in names)
            foreach (bool defaults in new[] { true, false })
                yield return new object[] { name, defaults };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_a_double_precision_reference_over_200_steps(string name, bool defaults)
    {
        foreach (int n in Lengths)
        {
            (Optimizer optimizer, IReference reference) = Create(name, defaults, n);
            var random = new Random64(n * 31 + name.Length);
            float[] p = new float[n];
            for (int i = 0; i < n; i++) p[i] = (float)random.NextGaussian();
            double[] expected = Array.ConvertAll(p, x => (double)x);
            double[] start = (double[])expected.Clone();
            float[] g = new float[n];
            for (int step = 1; step <= Steps; step++)
            {
                Gradients(ref random, g, step);
                optimizer.Step(p, g);
                reference.Step(expected, g, step);
            }

            Assert.Equal(Steps, optimizer.StepCount);
            double maxMove = 0, maxTolerance = 0, maxError = 0;
            for (int i = 0; i < n; i++)
            {
                double tolerance = 1e-5 * (1 + Math.Abs(expected[i])); // measured: at most about 1e-6
                Assert.True(Math.Abs(p[i] - expected[i]) <= tolerance,
                    $"{name} (n = {n}), parameter {i}: {p[i]:R}, the reference gives {expected[i]:R} (|error| {Math.Abs(p[i] - expected[i]):E2} > {tolerance:E2}).");
                maxMove = Math.Max(maxMove, Math.Abs(expected[i] - start[i]));
                maxTolerance = Math.Max(maxTolerance, tolerance);
                maxError = Math.Max(maxError, Math.Abs(p[i] - expected[i]));
            }
            // The comparison means something only if the parameters moved by far more than the tolerance.
            Assert.True(maxMove > 25 * maxTolerance, $"{name} (n = {n}): the parameters moved by at most {maxMove}, the tolerance is {maxTolerance}");
        }
    }

    /// <summary>
    /// Adam adds ε to √v̂ (the paper's Algorithm 1, PyTorch), not to √v (the book's and Keras' reordering): with
    /// gradients of the order of ε the two differ, and the optimizer follows the first.
    /// </summary>
    [Fact]
    public void Adam_adds_epsilon_to_the_bias_corrected_root_as_PyTorch_not_as_the_book()
    {
        const int n = 37;
        const float lr = 0.01f, epsilon = 1e-3f; // large ε so that it matters
        var adam = new Adam(n, lr, epsilon: epsilon);
        var pyTorch = new AdamReference(lr, 0.9, 0.999, epsilon, 0);
        float[] p = new float[n];
        double[] expected = new double[n], book = new double[n];
        double[] bookM = new double[n], bookV = new double[n];
        float[] g = new float[n];
        var random = new Random64(5);
        for (int t = 1; t <= 10; t++)
        {
            for (int i = 0; i < n; i++) g[i] = (float)(1e-3 * random.NextGaussian());
            adam.Step(p, g);
            pyTorch.Step(expected, g, t);
            double lrT = lr * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < n; i++)
            {
                bookM[i] += (1 - 0.9) * (g[i] - bookM[i]);
                bookV[i] += (1 - 0.999) * (g[i] * (double)g[i] - bookV[i]);
                book[i] -= lrT * bookM[i] / (Math.Sqrt(bookV[i]) + epsilon);
            }
        }
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(p[i] - expected[i]) <= 1e-6 + 1e-4 * Math.Abs(expected[i]), $"parameter {i}: {p[i]} vs {expected[i]}");
            Assert.True(Math.Abs(book[i] - expected[i]) > 0.1 * Math.Abs(expected[i]), $"parameter {i}: the book's form {book[i]} is close to {expected[i]}");
        }
    }

    /// <summary>A changed learning rate applies from the next step, as a schedule needs.</summary>
    [Fact]
    public void A_new_learning_rate_applies_from_the_next_step()
    {
        float[] p = { 1, 2, 3 }, g = { 1, 1, 1 };
        var momentum = new Momentum(3, learningRate: 0.1f, momentum: 0.5f);
        momentum.Step(p, g);            // v = -0.1
        momentum.LearningRate = 0.01f;
        momentum.Step(p, g);            // v = 0.5 * -0.1 - 0.01 = -0.06
        Assert.Equal(1 - 0.1 - 0.06, p[0], 6);
        Assert.Equal(0.01f, momentum.LearningRate);
    }

    [Fact]
    public void Guard_LearningRate_accepts_finite_positive_values_only()
    {
        Guard.LearningRate(float.Epsilon);
        Guard.LearningRate(float.MaxValue);
        foreach (float bad in new[] { 0f, -0f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.LearningRate(bad, "rate"));
            Assert.Equal("rate", e.ParamName);
            Assert.Contains("finite number greater than 0", e.Message);
        }
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.LearningRate(0)).ParamName);
    }

    [Fact]
    public void Wrong_lengths_are_rejected_naming_the_sizes()
    {
        var adam = new Adam(10);
        var e = Assert.Throws<ArgumentException>(() => adam.Step(new float[10], new float[9]));
        Assert.Contains("(10), got 9", e.Message);
        e = Assert.Throws<ArgumentException>(() => adam.Step(new float[11], new float[11]));
        Assert.Contains("created for 10 parameters, not 11", e.Message);
        Assert.Equal(0, adam.StepCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Momentum(-1));
    }

    [Fact]
    public void Every_Step_allocates_nothing()
    {
        const int n = 1027;
        Optimizer[] optimizers =
        {
            new Sgd(), new Momentum(n), new Nesterov(n), new AdaGrad(n), new RMSProp(n), new Adam(n), new AdamW(n),
        };
        float[] p = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (i % 7 - 3) * 0.01f;
        foreach (Optimizer o in optimizers) o.Step(p, g); // warm up
        foreach (Optimizer o in optimizers)
        {
            Assert.True(Allocations.Least(() => { for (int i = 0; i < 10; i++) o.Step(p, g); }) == 0, $"{o.Name}.Step allocated");
        }
    }

    /// <summary>Gradients of mixed sizes: some exactly 0, some of the order of ε, most of order 1, changing every step.</summary>
    private static void Gradients(ref Random64 random, float[] g, int step)
    {
        for (int i = 0; i < g.Length; i++)
        {
            double x = random.NextGaussian();
            g[i] = (i % 11) switch
            {
                0 => step % 3 == 0 ? 0f : (float)x,
                5 => (float)(1e-6 * x),
                _ => (float)(x * (1 + 0.5 * Math.Sin(step * 0.1 + i))),
            };
        }
    }

    private static (Optimizer, IReference) Create(string name, bool defaults, int n) => (name, defaults) switch
    {
        // Defaults as documented: the reference uses the documented numbers, not the optimizer's properties.
        ("Sgd", true) => (new Sgd(), new SgdReference(0.01)),
        ("Sgd", false) => (new Sgd(0.003f), new SgdReference(0.003f)),
        ("Momentum", true) => (new Momentum(n), new MomentumReference(0.01, 0.9f)),
        ("Momentum", false) => (new Momentum(n, 0.002f, 0.5f), new MomentumReference(0.002f, 0.5)),
        ("Nesterov", true) => (new Nesterov(n), new NesterovReference(0.01f, 0.9f)),
        ("Nesterov", false) => (new Nesterov(n, 0.002f, 0.75f), new NesterovReference(0.002f, 0.75)),
        ("AdaGrad", true) => (new AdaGrad(n), new AdaGradReference(0.01f, 1e-7f)),
        ("AdaGrad", false) => (new AdaGrad(n, 0.05f, 1e-4f), new AdaGradReference(0.05f, 1e-4f)),
        ("RMSProp", true) => (new RMSProp(n), new RmsPropReference(0.01f, 0.99f, 1e-7f)),
        ("RMSProp", false) => (new RMSProp(n, 0.003f, 0.9f, 1e-5f), new RmsPropReference(0.003f, 0.9f, 1e-5f)),
        ("Adam", true) => (new Adam(n), new AdamReference(0.001f, 0.9f, 0.999f, 1e-8f, 0)),
        ("Adam", false) => (new Adam(n, 0.01f, 0.8f, 0.99f, 1e-6f), new AdamReference(0.01f, 0.8f, 0.99f, 1e-6f, 0)),
        ("AdamW", true) => (new AdamW(n), new AdamReference(0.001f, 0.9f, 0.999f, 1e-8f, 0.01f)),
        ("AdamW", false) => (new AdamW(n, 0.01f, 0.8f, 0.99f, 1e-6f, 0.5f), new AdamReference(0.01f, 0.8f, 0.99f, 1e-6f, 0.5f)),
        _ => throw new ArgumentException(name),
    };

    private interface IReference
    {
        void Step(double[] p, float[] g, int t);
    }

    private sealed class SgdReference(double lr) : IReference
    {
        public void Step(double[] p, float[] g, int t)
        {
            for (int i = 0; i < p.Length; i++) p[i] -= lr * g[i];
        }
    }

    /// <summary>The book's: v ← αv − lr·g; p ← p + v.</summary>
    private sealed class MomentumReference(double lr, double alpha) : IReference
    {
        private double[]? _v;
        public void Step(double[] p, float[] g, int t)
        {
            _v ??= new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                _v[i] = alpha * _v[i] - lr * g[i];
                p[i] += _v[i];
            }
        }
    }

    /// <summary>PyTorch's <c>SGD(nesterov=True)</c>, in gradient units: b ← αb + g; p ← p − lr·(g + αb).</summary>
    private sealed class NesterovReference(double lr, double alpha) : IReference
    {
        private double[]? _b;
        public void Step(double[] p, float[] g, int t)
        {
            _b ??= new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                _b[i] = alpha * _b[i] + g[i];
                p[i] -= lr * (g[i] + alpha * _b[i]);
            }
        }
    }

    private sealed class AdaGradReference(double lr, double epsilon) : IReference
    {
        private double[]? _h;
        public void Step(double[] p, float[] g, int t)
        {
            _h ??= new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                _h[i] += (double)g[i] * g[i];
                p[i] -= lr * g[i] / (Math.Sqrt(_h[i]) + epsilon);
            }
        }
    }

    private sealed class RmsPropReference(double lr, double rho, double epsilon) : IReference
    {
        private double[]? _h;
        public void Step(double[] p, float[] g, int t)
        {
            _h ??= new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                _h[i] = rho * _h[i] + (1 - rho) * g[i] * g[i];
                p[i] -= lr * g[i] / (Math.Sqrt(_h[i]) + epsilon);
            }
        }
    }

    /// <summary>Kingma and Ba's Algorithm 1 (PyTorch's Adam), with PyTorch's AdamW decay p ← p − lr·λ·p first.</summary>
    private sealed class AdamReference(double lr, double beta1, double beta2, double epsilon, double weightDecay) : IReference
    {
        private double[]? _m, _v;
        public void Step(double[] p, float[] g, int t)
        {
            _m ??= new double[p.Length];
            _v ??= new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                p[i] -= lr * weightDecay * p[i];
                _m[i] = beta1 * _m[i] + (1 - beta1) * g[i];
                _v[i] = beta2 * _v[i] + (1 - beta2) * g[i] * g[i];
                double mHat = _m[i] / (1 - Math.Pow(beta1, t));
                double vHat = _v[i] / (1 - Math.Pow(beta2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
            }
        }
    }
}
