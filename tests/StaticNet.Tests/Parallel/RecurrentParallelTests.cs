using System;
using System.Collections.Generic;
using System.Linq;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Parallel;

// The recurrent networks of the parallel tests: each recurrent kind, stacked, with and without layers after them,
// with a loss at every step or at the last, and without a loss.

[Network] [Input(3)] [GRU(20)] [Dense(12)] [ReLU] [Dense(4)] [SoftmaxCrossEntropy]
public partial class ParallelGru : IParallelRecurrent;

[Network] [Input(5)] [LSTM(17)] [LSTM(9)] [Dense(2)] [MeanSquaredError]
public partial class ParallelLstmStack : IParallelRecurrent;

[Network] [Input(4)] [LSTM(6)] [GRU(7)] [SigmoidCrossEntropy]
public partial class ParallelMixedBare : IParallelRecurrent;

[Network] [Input(2)] [GRU(8)] [Tanh] [Dense(3)]
public partial class ParallelRecurrentNoLoss;

/// <summary>The members of a generated recurrent network with a loss that the tests call (the generated class has them all).</summary>
public interface IParallelRecurrent : ILossNetwork
{
    int DegreeOfParallelism { get; set; }
    void Forward(ReadOnlySpan<float> input, Span<float> output, int steps);
    float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int steps);
    float LossAtLastStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int steps);
    void Backward(Span<float> inputGradient);
}

/// <summary>
/// DegreeOfParallelism on recurrent networks: sequences split between threads for the passes through time, rows of
/// (sequence, step) for the layers after them, gate rows of the weights for the weight gradients; training with 2 or 3
/// threads gives the very bits of 1 thread, for batches that split evenly, unevenly or not at all.
/// </summary>
public sealed class RecurrentParallelTests : IDisposable
{
    public RecurrentParallelTests() => Partition.MinWork = 1; // split even the small networks (the results may not change for it)

    public void Dispose() => Partition.MinWork = Partition.MinWorkPerPart;

    // (sequences, steps): a split by sequences that is even, uneven, one sequence (no split), one step, and many rows.
    public static IEnumerable<object[]> Shapes => new[] { (2, 16), (7, 5), (3, 20), (1, 40), (40, 1), (16, 9), (5, 3) }
        .Select(s => new object[] { s.Item1, s.Item2 });

    [Theory, MemberData(nameof(Shapes))]
    public void Gru_with_a_dense_head(int sequences, int steps) => SameAtEveryDegree(() => new ParallelGru(40, 40, seed: 3), sequences, steps);

    [Theory, MemberData(nameof(Shapes))]
    public void Two_lstms_and_a_dense_head(int sequences, int steps) => SameAtEveryDegree(() => new ParallelLstmStack(40, 40, seed: 4), sequences, steps);

    [Theory, MemberData(nameof(Shapes))]
    public void Lstm_then_gru_and_the_loss_on_the_state(int sequences, int steps) => SameAtEveryDegree(() => new ParallelMixedBare(40, 40, seed: 5), sequences, steps);

    [Theory, MemberData(nameof(Shapes))]
    public void Network_without_a_loss(int sequences, int steps)
    {
        float[][] Run(int degree)
        {
            var net = new ParallelRecurrentNoLoss(40, 40, seed: 6) { DegreeOfParallelism = degree };
            var random = new Random(sequences * 100 + steps);
            int rows = sequences * steps;
            float[] input = Fill(random, rows * ParallelRecurrentNoLoss.InputSize), dy = Fill(random, rows * ParallelRecurrentNoLoss.OutputSize);
            float[] y = new float[rows * ParallelRecurrentNoLoss.OutputSize], dx = new float[input.Length];
            net.Forward(input, y, steps);
            net.Backward(dy, dx);
            return new[] { y, dx, net.Gradients.ToArray() };
        }
        float[][] one = Run(1);
        for (int degree = 2; degree <= 3; degree++) AssertSame(one, Run(degree), degree, new[] { "Forward's output", "the input gradient", "the gradients" });
    }

    [Fact]
    public void Nothing_is_allocated_per_call()
    {
        const int sequences = 16, steps = 12;
        var net = new ParallelLstmStack(steps, sequences, seed: 2) { DegreeOfParallelism = 2 };
        var random = new Random(1);
        int rows = sequences * steps;
        float[] input = Fill(random, rows * ParallelLstmStack.InputSize), targets = Fill(random, rows * ParallelLstmStack.OutputSize);
        float[] last = Fill(random, sequences * ParallelLstmStack.OutputSize), y = new float[rows * ParallelLstmStack.OutputSize];
        float[] dx = new float[input.Length];
        var sgd = new Sgd(0.01f);
        void Step()
        {
            net.Loss(input, targets, steps);
            net.Backward(dx);
            sgd.Step(net.Parameters, net.Gradients);
            net.LossAtLastStep(input, last, steps);
            net.BackwardSgd(0.01f);
            net.Forward(input, y, steps);
        }
        ParallelTests.WarmUpBothPaths(Step);
        Assert.Equal(0, ParallelTests.LeastAllocated(Step));
    }

    [Fact]
    public void Degree_out_of_range_is_refused_and_leaves_it_as_it_was()
    {
        var net = new ParallelGru(4, 4) { DegreeOfParallelism = 2 };
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DegreeOfParallelism = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DegreeOfParallelism = WorkerTeam.MaxDegree + 1);
        Assert.Equal(2, net.DegreeOfParallelism);
    }

    [Fact]
    public void Sequence_ranges_cover_every_sequence_once()
    {
        for (int count = 1; count < 40; count++)
            for (int parts = 1; parts <= Math.Min(count, 5); parts++)
            {
                int next = 0;
                for (int part = 0; part < parts; part++)
                {
                    var (start, end) = Partition.Range(count, part, parts);
                    Assert.Equal(next, start);
                    Assert.True(end > start, $"part {part} of {parts} over {count} is empty");
                    next = end;
                }
                Assert.Equal(count, next);
            }
    }

    /// <summary>
    /// Trains a copy of the network at degree 1, 2 and 3: a loss at every step then Backward(inputGradient) and an Adam
    /// step, or a loss at the last step and the fused BackwardSgd, in turn; then Forward and Backward(outputGradient,
    /// inputGradient). Everything must be the same bits.
    /// </summary>
    private static void SameAtEveryDegree<T>(Func<T> create, int sequences, int steps) where T : IParallelRecurrent
    {
        float[][] one = Train(create, sequences, steps, degree: 1);
        for (int degree = 2; degree <= 3; degree++)
            AssertSame(one, Train(create, sequences, steps, degree), degree, What);
    }

    private static readonly string[] What = { "losses", "input gradients", "parameters", "Forward's output", "the input gradient", "the gradients" };

    private static float[][] Train<T>(Func<T> create, int sequences, int steps, int degree) where T : IParallelRecurrent
    {
        T net = create();
        net.DegreeOfParallelism = degree;
        var adam = new Adam(net.ParameterCount, learningRate: 0.01f);
        var random = new Random(sequences * 1000 + steps);
        int rows = sequences * steps, inputs = net.InputSize, outputs = net.OutputSize;
        var losses = new List<float>();
        var inputGradients = new List<float>();
        float[] Targets(int n)
        {
            var t = new float[n * outputs];
            for (int r = 0; r < n; r++)
                if (outputs > 2) t[r * outputs + random.Next(outputs)] = 1f; // one-hot, for softmax cross-entropy
                else for (int j = 0; j < outputs; j++) t[r * outputs + j] = (float)random.NextDouble();
            return t;
        }
        for (int step = 0; step < 4; step++)
        {
            float[] input = Fill(random, rows * inputs);
            if (step % 2 == 0)
            {
                losses.Add(net.Loss(input, Targets(rows), steps));
                var dx = new float[input.Length];
                net.Backward(dx);
                inputGradients.AddRange(dx);
                adam.Step(net.Parameters, net.Gradients);
            }
            else
            {
                losses.Add(net.LossAtLastStep(input, Targets(sequences), steps));
                net.BackwardSgd(0.05f);
            }
        }
        float[] x = Fill(random, rows * inputs), dy = Fill(random, rows * outputs);
        float[] y = new float[rows * outputs], dxOut = new float[x.Length];
        net.Forward(x, y, steps);
        net.Backward(dy, dxOut);
        return new[] { losses.ToArray(), inputGradients.ToArray(), net.Parameters.ToArray(), y, dxOut, net.Gradients.ToArray() };
    }

    private static void AssertSame(float[][] expected, float[][] actual, int degree, string[] what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
                if (BitConverter.SingleToInt32Bits(expected[i][j]) != BitConverter.SingleToInt32Bits(actual[i][j]))
                    Assert.Fail($"{what[i]}[{j}] at degree {degree}: {actual[i][j]:R}, at degree 1: {expected[i][j]:R}");
        }
    }

    private static float[] Fill(Random random, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(random.NextDouble() * 2 - 1);
        return a;
    }
}
