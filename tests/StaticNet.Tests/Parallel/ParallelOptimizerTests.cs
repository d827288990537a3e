using System;
using System.Collections.Generic;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Parallel;

/// <summary>Optimizer.DegreeOfParallelism: the parameter block split into ranges gives the bits of one thread, allocation-free.</summary>
public sealed class ParallelOptimizerTests
{
    // Lengths that split (into granules of 16, with an odd tail) and one too short to split.
    private const int Long = 100_003, Short = 1_000;

    public static IEnumerable<object[]> Optimizers()
    {
        foreach (int n in new[] { Long, Short })
        {
            yield return new object[] { "Sgd", n };
            yield return new object[] { "Momentum", n };
            yield return new object[] { "Nesterov", n };
            yield return new object[] { "AdaGrad", n };
            yield return new object[] { "RMSProp", n };
            yield return new object[] { "Adam", n };
            yield return new object[] { "AdamW", n };
        }
    }

    private static Optimizer Create(string name, int n) => name switch
    {
        "Sgd" => new Sgd(0.1f),
        "Momentum" => new Momentum(n, 0.1f),
        "Nesterov" => new Nesterov(n, 0.1f),
        "AdaGrad" => new AdaGrad(n, 0.1f),
        "RMSProp" => new RMSProp(n, 0.1f),
        "Adam" => new Adam(n, 0.01f),
        _ => new AdamW(n, 0.01f, weightDecay: 0.1f),
    };

    private static float[] Train(string name, int n, int degree)
    {
        Optimizer optimizer = Create(name, n);
        optimizer.DegreeOfParallelism = degree;
        var random = new Random(5);
        float[] p = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) p[i] = (float)random.NextDouble();
        for (int step = 0; step < 4; step++)
        {
            for (int i = 0; i < n; i++) g[i] = (float)(random.NextDouble() - 0.5);
            optimizer.Step(p, g);
        }
        return p;
    }

    [Theory, MemberData(nameof(Optimizers))]
    public void Same_bits_at_every_degree(string name, int n)
    {
        float[] one = Train(name, n, 1);
        for (int degree = 2; degree <= 3; degree++)
        {
            float[] many = Train(name, n, degree);
            for (int i = 0; i < n; i++)
                if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]))
                    Assert.Fail($"{name}: p[{i}] at degree {degree} is {many[i]:R}, at degree 1 {one[i]:R}");
        }
    }

    [Fact]
    public void A_long_block_is_split_and_a_split_step_allocates_nothing_after_the_first()
    {
        Assert.True(Partition.Parts(2, Long, 8) == 2);
        var adam = new Adam(Long) { DegreeOfParallelism = 2 };
        float[] p = new float[Long], g = new float[Long];
        void Step() => adam.Step(p, g);
        ParallelTests.WarmUpBothPaths(Step);
        Assert.Equal(0, ParallelTests.LeastAllocated(Step));
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.DegreeOfParallelism = 0);
        Assert.Equal(2, adam.DegreeOfParallelism);
    }
}
