using System;

namespace StaticNet.Onnx.Tests;

internal static class TestData
{
    /// <summary><paramref name="count"/> values uniform in [-2, 2), from a fixed seed.</summary>
    public static float[] Uniform(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    /// <summary>Fills the network's parameters with values in [-1, 1) (biases too, which the constructor zeroes), so every weight is seen.</summary>
    public static void Randomize(INetwork network, int seed)
    {
        var random = new Random(seed);
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = (float)(random.NextDouble() * 2 - 1);
    }

    /// <summary>Asserts |actual - expected| ≤ tolerance·max(1, |expected|) elementwise, naming the first element that is not.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (!(error <= tolerance * Math.Max(1, Math.Abs((double)expected[i]))))
                Xunit.Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (error {error:E2}, tolerance {tolerance:E0})");
        }
    }
}
