using System;
using System.Collections.Generic;
using Xunit;

namespace StaticNet.Tests.Training;

/// <summary>Every hyper-parameter of every optimizer, in the constructor and in its setter: out-of-range values are rejected by name, boundary values accepted.</summary>
public class HyperParameterTests
{
    private const int N = 5;

    /// <summary>What kind of value a hyper-parameter takes; each kind has its own rule.</summary>
    public enum Kind { LearningRate, Coefficient, Epsilon, WeightDecay }

    private sealed record Case(string Optimizer, string Argument, string Property, Kind Kind,
        Func<float, Optimizer> Create, Action<Optimizer, float> Set, Func<Optimizer, float> Get);

    private static readonly Case[] s_cases =
    {
        new("Sgd", "learningRate", "LearningRate", Kind.LearningRate, x => new Sgd(x), (o, x) => o.LearningRate = x, o => o.LearningRate),

        new("Momentum", "learningRate", "LearningRate", Kind.LearningRate, x => new Momentum(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("Momentum", "momentum", "Coefficient", Kind.Coefficient, x => new Momentum(N, momentum: x), (o, x) => ((Momentum)o).Coefficient = x, o => ((Momentum)o).Coefficient),

        new("Nesterov", "learningRate", "LearningRate", Kind.LearningRate, x => new Nesterov(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("Nesterov", "momentum", "Coefficient", Kind.Coefficient, x => new Nesterov(N, momentum: x), (o, x) => ((Nesterov)o).Coefficient = x, o => ((Nesterov)o).Coefficient),

        new("AdaGrad", "learningRate", "LearningRate", Kind.LearningRate, x => new AdaGrad(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("AdaGrad", "epsilon", "Epsilon", Kind.Epsilon, x => new AdaGrad(N, epsilon: x), (o, x) => ((AdaGrad)o).Epsilon = x, o => ((AdaGrad)o).Epsilon),

        new("RMSProp", "learningRate", "LearningRate", Kind.LearningRate, x => new RMSProp(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("RMSProp", "decayRate", "DecayRate", Kind.Coefficient, x => new RMSProp(N, decayRate: x), (o, x) => ((RMSProp)o).DecayRate = x, o => ((RMSProp)o).DecayRate),
        new("RMSProp", "epsilon", "Epsilon", Kind.Epsilon, x => new RMSProp(N, epsilon: x), (o, x) => ((RMSProp)o).Epsilon = x, o => ((RMSProp)o).Epsilon),

        new("Adam", "learningRate", "LearningRate", Kind.LearningRate, x => new Adam(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("Adam", "beta1", "Beta1", Kind.Coefficient, x => new Adam(N, beta1: x), (o, x) => ((Adam)o).Beta1 = x, o => ((Adam)o).Beta1),
        new("Adam", "beta2", "Beta2", Kind.Coefficient, x => new Adam(N, beta2: x), (o, x) => ((Adam)o).Beta2 = x, o => ((Adam)o).Beta2),
        new("Adam", "epsilon", "Epsilon", Kind.Epsilon, x => new Adam(N, epsilon: x), (o, x) => ((Adam)o).Epsilon = x, o => ((Adam)o).Epsilon),

        new("AdamW", "learningRate", "LearningRate", Kind.LearningRate, x => new AdamW(N, learningRate: x), (o, x) => o.LearningRate = x, o => o.LearningRate),
        new("AdamW", "beta1", "Beta1", Kind.Coefficient, x => new AdamW(N, beta1: x), (o, x) => ((AdamW)o).Beta1 = x, o => ((AdamW)o).Beta1),
        new("AdamW", "beta2", "Beta2", Kind.Coefficient, x => new AdamW(N, beta2: x), (o, x) => ((AdamW)o).Beta2 = x, o => ((AdamW)o).Beta2),
        new("AdamW", "epsilon", "Epsilon", Kind.Epsilon, x => new AdamW(N, epsilon: x), (o, x) => ((AdamW)o).Epsilon = x, o => ((AdamW)o).Epsilon),
        new("AdamW", "weightDecay", "WeightDecay", Kind.WeightDecay, x => new AdamW(N, weightDecay: x), (o, x) => ((AdamW)o).WeightDecay = x, o => ((AdamW)o).WeightDecay),
    };

    private static float[] Bad(Kind kind) => kind switch
    {
        Kind.LearningRate => new[] { 0f, -0f, -0.01f, float.NaN, float.PositiveInfinity, float.NegativeInfinity },
        Kind.Coefficient => new[] { -0.1f, -float.Epsilon, 1f, 1.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity },
        Kind.Epsilon => new[] { 0f, -1e-8f, float.NaN, float.PositiveInfinity, float.NegativeInfinity },
        _ => new[] { -0.01f, -float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity },
    };

    private static float[] Good(Kind kind) => kind switch
    {
        Kind.LearningRate => new[] { float.Epsilon, 1e-6f, 0.5f, 10f, float.MaxValue },
        Kind.Coefficient => new[] { 0f, 0.5f, 0.999f, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1f) - 1) }, // the float just below 1
        Kind.Epsilon => new[] { float.Epsilon, 1e-8f, 1f },
        _ => new[] { 0f, 0.01f, 100f },
    };

    public static IEnumerable<object[]> Names()
    {
        foreach (Case c in s_cases) yield return new object[] { c.Optimizer, c.Argument };
    }

    [Fact]
    public void Every_hyper_parameter_of_every_optimizer_is_listed()
    {
        // A new constructor parameter fails this test until it gets a case above.
        foreach (Type type in new[] { typeof(Sgd), typeof(Momentum), typeof(Nesterov), typeof(AdaGrad), typeof(RMSProp), typeof(Adam), typeof(AdamW) })
        {
            foreach (System.Reflection.ConstructorInfo constructor in type.GetConstructors())
            {
                foreach (System.Reflection.ParameterInfo parameter in constructor.GetParameters())
                {
                    if (parameter.Name == "parameterCount") continue;
                    Assert.Contains(s_cases, c => c.Optimizer == type.Name && c.Argument == parameter.Name);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_constructor_rejects_out_of_range_values_naming_the_argument(string optimizer, string argument)
    {
        Case c = Find(optimizer, argument);
        foreach (float bad in Bad(c.Kind))
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Create(bad));
            Assert.Equal(argument, e.ParamName);
            Assert.Contains($"Expected {argument} to be", e.Message);
            Assert.Equal(bad, (float)e.ActualValue!);
        }
        foreach (float good in Good(c.Kind))
            Assert.Equal(good, c.Get(c.Create(good)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_setter_rejects_out_of_range_values_naming_the_property_and_keeps_the_old_value(string optimizer, string argument)
    {
        Case c = Find(optimizer, argument);
        Optimizer o = c.Create(Good(c.Kind)[1]);
        float before = c.Get(o);
        foreach (float bad in Bad(c.Kind))
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Set(o, bad));
            Assert.Equal(c.Property, e.ParamName);
            Assert.Equal(before, c.Get(o));
        }
        foreach (float good in Good(c.Kind))
        {
            c.Set(o, good);
            Assert.Equal(good, c.Get(o));
        }
    }

    [Fact]
    public void The_message_says_what_was_expected()
    {
        Assert.Equal("Expected beta1 to be a number in [0, 1), i.e. at least 0 and less than 1; got 1. (Parameter 'beta1')\nActual value was 1.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(3, beta1: 1)).Message.Replace("\r\n", "\n"));
        Assert.StartsWith("Expected LearningRate to be a finite number greater than 0; got NaN.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd().LearningRate = float.NaN).Message);
        Assert.StartsWith("Expected beta2 to be a number in [0, 1)",
            Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(3, beta2: 1.5f)).Message);
    }

    private static Case Find(string optimizer, string argument) => Array.Find(s_cases, c => c.Optimizer == optimizer && c.Argument == argument)!;
}
