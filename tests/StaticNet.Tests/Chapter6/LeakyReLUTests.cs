using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Kernels;
using StaticNet.Tests.Generator;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Chapter6;

/// <summary>LeakyReLU(slope): kernels and a network against a naive double reference and central differences; the
/// Architecture spells it as StaticNet.Onnx parses it; a slope out of (0, 1) is a diagnostic at the attribute.</summary>
public class LeakyReLUTests
{
    [Theory]
    [InlineData(0.01f)]
    [InlineData(0.3f)]
    public void LeakyReLU_kernels_match_the_definition_at_every_length(float slope)
    {
        // Lengths 0 to 70 cover every vector width and its scalar tail; zeros and signed zeros are in the data.
        for (int n = 0; n <= 70; n++)
        {
            float[] x = Naive.Gaussian(n, seed: n);
            for (int i = 0; i < n; i += 7) x[i] = i % 14 == 0 ? 0f : -0f;
            float[] dout = Naive.Gaussian(n, seed: 1000 + n);
            var y = new float[n];
            var dx = new float[n];
            Activation.LeakyReluForward(x, y, slope);
            Activation.LeakyReluBackward(y, dout, dx, slope);
            for (int i = 0; i < n; i++)
            {
                double expectedY = x[i] > 0 ? x[i] : (double)slope * x[i];
                double expectedDx = x[i] > 0 ? dout[i] : (double)slope * dout[i];
                Assert.True(Math.Abs(y[i] - expectedY) <= 1e-7 * Math.Abs(expectedY), $"n = {n}, y[{i}] = {y[i]}, expected {expectedY}");
                Assert.True(Math.Abs(dx[i] - expectedDx) <= 1e-7 * Math.Abs(expectedDx), $"n = {n}, dx[{i}] = {dx[i]}, expected {expectedDx}");
            }
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void LeakyReLU_kernels_reject_a_slope_outside_0_to_1(float slope)
    {
        var x = new float[4];
        Assert.Equal("slope", Assert.Throws<ArgumentOutOfRangeException>(() => Activation.LeakyReluForward(x, new float[4], slope)).ParamName);
        Assert.Equal("slope", Assert.Throws<ArgumentOutOfRangeException>(() => Activation.LeakyReluBackward(x, x, new float[4], slope)).ParamName);
    }

    [Fact]
    public void LeakyReLU_network_forward_matches_a_naive_double_reference()
    {
        const int batch = 4;
        var net = new LeakyReLUNet(batchCapacity: batch, seed: 8);
        float[] x = Naive.Gaussian(batch * LeakyReLUNet.InputSize, seed: 2);
        var output = new float[batch * LeakyReLUNet.OutputSize];
        net.Forward(x, output);

        double Leaky(double v, double s) => v > 0 ? v : s * v;
        double[] h1 = Naive.Map(Naive.Dense(Naive.ToDouble(x), net.W1, net.b1, batch, 5, 7), v => Leaky(v, 0.1f));
        double[] h2 = Naive.Map(Naive.Dense(h1, net.W2, net.b2, batch, 7, 6), v => Leaky(v, 0.01f));
        double[] y = Naive.Dense(h2, net.W3, net.b3, batch, 6, 3);
        Assert.Contains(h1, v => v < 0); // the slope is used, not only the identity
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(output[i] - y[i]) <= 1e-5, $"output[{i}] = {output[i]}, expected {y[i]}");
    }

    [Fact]
    public void LeakyReLU_network_passes_the_gradient_check()
    {
        const int batch = 6;
        var net = new LeakyReLUNet(batchCapacity: batch, seed: 4);
        float[] x = Naive.Gaussian(batch * LeakyReLUNet.InputSize, seed: 5);
        float[] t = Naive.Gaussian(batch * LeakyReLUNet.OutputSize, seed: 6);
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-3f);
        Assert.True(result.Passed(1e-2), result.ToString());
        Assert.True(result.TotalChecked > LeakyReLUNet.ParameterCount * 3 / 4, result.ToString());
    }

    [Fact]
    public void LeakyReLU_is_spelled_in_the_Architecture_as_the_ONNX_exporter_reads_it() =>
        Assert.Equal("Input(5) Dense(7) LeakyReLU(0.1) Dense(6) LeakyReLU(0.01) Dense(3) MeanSquaredError", LeakyReLUNet.Architecture);

    [Theory]
    [InlineData("LeakyReLU(0f)", "0")]
    [InlineData("LeakyReLU(1f)", "1")]
    [InlineData("LeakyReLU(-0.2f)", "-0.2")]
    [InlineData("LeakyReLU(float.NaN)", "NaN")]
    [InlineData("LeakyReLU(5)", "5")]
    public void LeakyReLU_slope_outside_0_to_1_is_SNET032_at_the_attribute(string layer, string value)
    {
        string source = "using StaticNet;\n[Network] [Input(4)] [Dense(3)] [" + layer + "] [Dense(1)] [MeanSquaredError]\npublic partial class Net;\n";
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SNET032", d.Id);
        Assert.Equal(layer, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Contains("the slope must be greater than 0 and less than 1, but is " + value, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
    }
}
