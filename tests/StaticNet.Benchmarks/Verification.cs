using System;
using System.Collections.Generic;
using System.Globalization;

namespace StaticNet.Benchmarks;

/// <summary>
/// <c>--verify</c>: runs every implementation of <see cref="ReferenceNets.All"/> on the same seeded
/// parameters and data and compares it with an independent double-precision reference: forward
/// probabilities, the loss of two consecutive training steps, and the parameters after them. Also
/// checks that implementations marked zero-allocation allocate nothing. A time means nothing for
/// code whose numbers are wrong, so the benchmarks should only be read after this passes.
/// </summary>
public static class Verification
{
    /// <summary>Relative tolerance of every comparison.</summary>
    public const double Tolerance = 1e-4;

    private const float Lr = 0.1f; // large, so that a wrong gradient moves the parameters visibly
    private static readonly int[] s_batches = [1, 7, 32, 100];

    public static int Run()
    {
        var ci = CultureInfo.InvariantCulture;
        float[] p0 = ReferenceData.CreateParameters(NetworkBenchmarks.Seed);
        int failures = 0;
        foreach (ReferenceNetInfo info in ReferenceNets.All)
        {
            foreach (int batch in s_batches)
            {
                float[] x = ReferenceData.CreateInputs(1000 + batch, batch);
                int[] t1 = ReferenceData.CreateLabels(2000 + batch, batch);
                int[] t2 = ReferenceData.CreateLabels(3000 + batch, batch);

                // The reference: forward, then two training steps with different labels.
                var oracle = new DoubleNet(p0);
                double[] yRef = oracle.Forward(x, batch);
                double loss1Ref = oracle.TrainStep(x, t1, batch, Lr);
                double exact1Ref = oracle.LastExactLoss;
                double loss2Ref = oracle.TrainStep(x, t2, batch, Lr);
                double exact2Ref = oracle.LastExactLoss;
                if (info.ExactLoss) (loss1Ref, loss2Ref) = (exact1Ref, exact2Ref);

                IReferenceNet net = info.Create(RefShape.MaxBatch);
                net.SetParameters(p0);
                var y = new float[batch * RefShape.Output];
                net.Forward(x, y);
                float loss1 = net.TrainStep(x, t1, Lr);
                float loss2 = net.TrainStep(x, t2, Lr);
                var p2 = new float[RefShape.ParameterCount];
                net.GetParameters(p2);

                var check = new Check($"{info.Name}, batch {batch}");
                check.Values("probabilities", y, yRef, floor: 1e-3);
                check.Value("loss of step 1", loss1, loss1Ref);
                check.Value("loss of step 2", loss2, loss2Ref);
                check.Updates("W1", p0, p2, oracle.Parameters, RefShape.W1Offset, RefShape.W1Size);
                check.Updates("b1", p0, p2, oracle.Parameters, RefShape.B1Offset, RefShape.B1Size);
                check.Updates("W2", p0, p2, oracle.Parameters, RefShape.W2Offset, RefShape.W2Size);
                check.Updates("b2", p0, p2, oracle.Parameters, RefShape.B2Offset, RefShape.B2Size);

                if (info.ZeroAllocation)
                {
                    // Warm (the calls above ran them), then count this thread's allocations.
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    net.Forward(x, y);
                    _ = net.TrainStep(x, t1, Lr);
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (allocated != 0)
                    {
                        check.Fail($"allocated {allocated} bytes in Forward + TrainStep, expected 0");
                    }
                }

                Console.WriteLine(check.Report(string.Format(ci, "loss {0:F6}", loss1)));
                failures += check.Failures;
            }
        }

        Console.WriteLine(failures == 0
            ? $"verify: every implementation agrees with the double-precision reference (relative tolerance {Tolerance.ToString(ci)})."
            : $"verify: {failures} mismatch(es).");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Bytes each implementation allocates on the calling thread in one warm Forward and one warm
    /// TrainStep, per batch size: the exact figure behind the table's "exact" column.
    /// BenchmarkDotNet's Allocated column counts every thread of the process, so the JIT's
    /// background work can show up there as a byte or so per operation.
    /// </summary>
    public static Dictionary<(string Implementation, string Operation, int Batch), long> MeasureThreadAllocations()
    {
        var result = new Dictionary<(string, string, int), long>();
        float[] p0 = ReferenceData.CreateParameters(NetworkBenchmarks.Seed);
        foreach (ReferenceNetInfo info in ReferenceNets.All)
        {
            foreach (int batch in new[] { 1, 32, 100 })
            {
                float[] x = ReferenceData.CreateInputs(1000 + batch, batch);
                int[] t = ReferenceData.CreateLabels(2000 + batch, batch);
                var y = new float[batch * RefShape.Output];
                IReferenceNet net = info.Create(batch);
                net.SetParameters(p0);
                for (int warm = 0; warm < 3; warm++)
                {
                    net.Forward(x, y);
                    net.TrainStep(x, t, NetworkBenchmarks.LearningRate);
                }

                long before = GC.GetAllocatedBytesForCurrentThread();
                net.Forward(x, y);
                long middle = GC.GetAllocatedBytesForCurrentThread();
                net.TrainStep(x, t, NetworkBenchmarks.LearningRate);
                long after = GC.GetAllocatedBytesForCurrentThread();
                result[(info.Name, Operations.Inference, batch)] = middle - before;
                result[(info.Name, Operations.TrainingStep, batch)] = after - middle;
            }
        }

        return result;
    }

    private sealed class Check(string name)
    {
        private readonly System.Text.StringBuilder _messages = new();
        private double _worst;

        public int Failures { get; private set; }

        public void Fail(string message)
        {
            Failures++;
            _messages.Append("\n    FAIL ").Append(message);
        }

        public void Value(string what, double actual, double expected)
        {
            double error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-30);
            _worst = Math.Max(_worst, error);
            if (!(error <= Tolerance))
            {
                Fail(string.Format(CultureInfo.InvariantCulture, "{0}: {1:G9}, expected {2:G9}", what, actual, expected));
            }
        }

        /// <summary>|a - e| ≤ tol · max(|e|, floor), element-wise.</summary>
        public void Values(string what, ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double floor)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), floor);
                _worst = Math.Max(_worst, error);
                if (!(error <= Tolerance))
                {
                    Fail(string.Format(CultureInfo.InvariantCulture, "{0}[{1}]: {2:G9}, expected {3:G9}", what, i, actual[i], expected[i]));
                    return;
                }
            }
        }

        /// <summary>
        /// Compares the change of each parameter (after - before) with the reference change, relative
        /// to max(|change|, 1% of the largest change of the tensor), allowing for the float rounding of
        /// the stored parameter itself (2^-22 of its magnitude, two units in the last place).
        /// </summary>
        public void Updates(string what, float[] before, float[] after, double[] expectedAfter, int offset, int length)
        {
            double largest = 0;
            for (int i = offset; i < offset + length; i++)
            {
                largest = Math.Max(largest, Math.Abs(expectedAfter[i] - before[i]));
            }

            if (largest == 0)
            {
                Fail($"{what}: the reference did not change it");
                return;
            }

            for (int i = offset; i < offset + length; i++)
            {
                double expected = expectedAfter[i] - before[i];
                double actual = (double)after[i] - before[i];
                double scale = Math.Max(Math.Abs(expected), 0.01 * largest);
                double error = Math.Abs(actual - expected) / scale;
                double rounding = Math.Abs(expectedAfter[i]) * Math.Pow(2, -22) / scale;
                _worst = Math.Max(_worst, Math.Max(0, error - rounding));
                if (!(error <= Tolerance + rounding))
                {
                    Fail(string.Format(CultureInfo.InvariantCulture, "{0}[{1}] changed by {2:G9}, expected {3:G9}",
                        what, i - offset, actual, expected));
                    return;
                }
            }
        }

        public string Report(string detail) => Failures == 0
            ? string.Format(CultureInfo.InvariantCulture, "  ok   {0,-26} worst relative error {1:E2}, {2}", name, _worst, detail)
            : $"  FAIL {name}{_messages}";
    }

    /// <summary>
    /// The reference network in double precision, written from the math (not from either
    /// implementation): h = ReLU(x·W1 + b1), y = softmax(h·W2 + b2), L = -(1/N) Σ log(y[t] + 1e-7),
    /// dz = (y - onehot(t))/N, dW2 = hᵀdz, db2 = Σ dz, dh = (dz·W2ᵀ) ⊙ [h > 0], dW1 = xᵀdh, db1 = Σ dh.
    /// </summary>
    private sealed class DoubleNet
    {
        private const int In = RefShape.Input, Hid = RefShape.Hidden, Out = RefShape.Output;

        public DoubleNet(float[] parameters)
        {
            Parameters = Array.ConvertAll(parameters, v => (double)v);
        }

        public double[] Parameters { get; }

        /// <summary>The loss of the latest TrainStep without the book's 1e-7 guard: -log y exactly (PyTorch's definition).</summary>
        public double LastExactLoss { get; private set; }

        public double[] Forward(float[] x, int batch) => Forward(x, batch, out _);

        public double TrainStep(float[] x, int[] t, int batch, float lr)
        {
            double[] p = Parameters;
            double[] y = Forward(x, batch, out double[] h);
            double loss = 0, exact = 0;
            var dz = new double[batch * Out];
            for (int i = 0; i < batch; i++)
            {
                loss -= Math.Log(y[i * Out + t[i]] + RefShape.LogEpsilon);
                exact -= Math.Log(y[i * Out + t[i]]);
                for (int j = 0; j < Out; j++)
                {
                    dz[i * Out + j] = (y[i * Out + j] - (j == t[i] ? 1 : 0)) / batch;
                }
            }

            var g = new double[RefShape.ParameterCount];
            var dh = new double[batch * Hid];
            for (int i = 0; i < batch; i++)
            {
                for (int j = 0; j < Out; j++)
                {
                    g[RefShape.B2Offset + j] += dz[i * Out + j];
                    for (int k = 0; k < Hid; k++)
                    {
                        g[RefShape.W2Offset + k * Out + j] += h[i * Hid + k] * dz[i * Out + j];
                    }
                }

                for (int k = 0; k < Hid; k++)
                {
                    double s = 0;
                    for (int j = 0; j < Out; j++)
                    {
                        s += dz[i * Out + j] * p[RefShape.W2Offset + k * Out + j];
                    }

                    dh[i * Hid + k] = h[i * Hid + k] > 0 ? s : 0;
                }

                for (int k = 0; k < Hid; k++)
                {
                    g[RefShape.B1Offset + k] += dh[i * Hid + k];
                }

                for (int m = 0; m < In; m++)
                {
                    double xm = x[i * In + m];
                    for (int k = 0; k < Hid; k++)
                    {
                        g[RefShape.W1Offset + m * Hid + k] += xm * dh[i * Hid + k];
                    }
                }
            }

            for (int i = 0; i < p.Length; i++)
            {
                // The update as float code computes it: lr is a float.
                p[i] -= (double)lr * g[i];
            }

            LastExactLoss = exact / batch;
            return loss / batch;
        }

        private double[] Forward(float[] x, int batch, out double[] h)
        {
            double[] p = Parameters;
            h = new double[batch * Hid];
            var y = new double[batch * Out];
            for (int i = 0; i < batch; i++)
            {
                for (int k = 0; k < Hid; k++)
                {
                    double s = p[RefShape.B1Offset + k];
                    for (int m = 0; m < In; m++)
                    {
                        s += x[i * In + m] * p[RefShape.W1Offset + m * Hid + k];
                    }

                    h[i * Hid + k] = Math.Max(s, 0);
                }

                double max = double.NegativeInfinity;
                for (int j = 0; j < Out; j++)
                {
                    double s = p[RefShape.B2Offset + j];
                    for (int k = 0; k < Hid; k++)
                    {
                        s += h[i * Hid + k] * p[RefShape.W2Offset + k * Out + j];
                    }

                    y[i * Out + j] = s;
                    max = Math.Max(max, s);
                }

                double sum = 0;
                for (int j = 0; j < Out; j++)
                {
                    y[i * Out + j] = Math.Exp(y[i * Out + j] - max);
                    sum += y[i * Out + j];
                }

                for (int j = 0; j < Out; j++)
                {
                    y[i * Out + j] /= sum;
                }
            }

            return y;
        }
    }
}
