using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Tests.Generator;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Chapter6;

/// <summary>
/// Init by attribute: the drawn weights have the standard deviation each Init states (He √(2/fanIn), Xavier √(1/fanIn),
/// Normal its Std), biases are 0, a seed reproduces them, and a bad Init or Std is a diagnostic at the attribute.
/// </summary>
public class InitTests
{
    /// <summary>
    /// For n independent draws of N(0, σ²) the sample mean has standard error σ/√n and the sample standard deviation
    /// σ/√(2n) (relative). Six standard errors each: a correct initialiser fails with probability below 1e-8 (and the
    /// draws are seeded, so a pass is a pass every time), while the nearest wrong one is off by √2 (He against Xavier,
    /// 41%), far outside for the smallest block here (1,200 weights: ±12%).
    /// </summary>
    private static void AssertNormal(ReadOnlySpan<float> w, double std, string what)
    {
        int n = w.Length;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += w[i];
        mean /= n;
        double squares = 0;
        for (int i = 0; i < n; i++) squares += (w[i] - mean) * (w[i] - mean);
        double sampleStd = Math.Sqrt(squares / (n - 1));
        Assert.True(Math.Abs(mean) <= 6 * std / Math.Sqrt(n), $"{what}: mean {mean} of {n} weights, expected 0 ± {6 * std / Math.Sqrt(n)}");
        double tolerance = 6 / Math.Sqrt(2.0 * n);
        Assert.True(Math.Abs(sampleStd / std - 1) <= tolerance, $"{what}: std {sampleStd} of {n} weights, expected {std} ± {tolerance:P1}");
    }

    private static ReadOnlySpan<float> Block(INetwork net, string name)
    {
        foreach (ParameterBlock b in net.ParameterBlocks)
            if (b.Name == name) return net.Parameters.Slice(b.Offset, b.Length);
        throw new ArgumentException(name);
    }

    [Fact]
    public void Init_on_Dense_draws_the_std_it_states_whatever_follows()
    {
        var net = new InitDenseNet(seed: 5);
        AssertNormal(Block(net, "W1"), Math.Sqrt(2.0 / 500), "W1, Init.He before Tanh");
        AssertNormal(Block(net, "W2"), Math.Sqrt(1.0 / 400), "W2, Init.Xavier before ReLU");
        AssertNormal(Block(net, "W3"), 0.05, "W3, Init.Normal with Std = 0.05");
        AssertNormal(Block(net, "W4"), 0.01, "W4, Init.Normal with the book's default 0.01");
        AssertNormal(Block(net, "W5"), Math.Sqrt(1.0 / 100), "W5, Init.Auto before the loss: Xavier");
    }

    [Fact]
    public void Init_on_Conv2D_takes_the_fan_in_C_K_K()
    {
        var net = new InitConvNet(seed: 6);
        AssertNormal(Block(net, "W1"), Math.Sqrt(1.0 / (3 * 5 * 5)), "W1, Conv2D(16, 5) on 3 channels, Init.Xavier");
        AssertNormal(Block(net, "W2"), 0.1, "W2, Conv2D with Init.Normal, Std = 0.1");
        AssertNormal(Block(net, "W3"), Math.Sqrt(2.0 / (32 * 6 * 6)), "W3, Init.Auto before ReLU: He");
    }

    [Fact]
    public void Init_Auto_before_LeakyReLU_is_He_with_the_leaky_gain_of_PyTorchs_kaiming_normal()
    {
        // PyTorch: kaiming_normal_(w, a, mode='fan_in', nonlinearity='leaky_relu') has std = gain / √fan_in with
        // gain = calculate_gain('leaky_relu', a) = √(2 / (1 + a²)); a = 0.5 makes it 1/√1.25 = 0.894 of plain He.
        var net = new InitLeakyNet(seed: 8);
        AssertNormal(Block(net, "W1"), Math.Sqrt(2.0 / ((1 + 0.25) * 400)), "W1, Init.Auto before LeakyReLU(0.5): He with the leaky gain");
        AssertNormal(Block(net, "W2"), Math.Sqrt(2.0 / 200), "W2, Init.He before LeakyReLU(0.5): plain He, as asked");
        AssertNormal(Block(net, "W3"), Math.Sqrt(1.0 / 100), "W3, Init.Auto before the loss: Xavier");
        var conv = new InitLeakyConvNet(seed: 9);
        AssertNormal(Block(conv, "W1"), Math.Sqrt(2.0 / ((1 + 0.04) * 4 * 5 * 5)), "W1, Conv2D(40, 5) on 4 channels, Init.Auto before LeakyReLU(0.2)");
    }

    [Fact]
    public void He_with_a_negative_slope_checks_it()
    {
        var w = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Random64(1); Initializers.He(w, 3, -0.1f, ref r); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Random64(1); Initializers.He(w, 3, float.NaN, ref r); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Random64(1); Initializers.He(w, 0, 0.1f, ref r); });
        // A slope of 0 is plain He, draw for draw.
        var plain = new float[64];
        var leaky = new float[64];
        var r1 = new Random64(5);
        var r2 = new Random64(5);
        Initializers.He(plain, 10, ref r1);
        Initializers.He(leaky, 10, 0f, ref r2);
        Assert.Equal(plain, leaky);
    }

    [Fact]
    public void Init_leaves_every_bias_at_zero()
    {
        INetwork[] nets = { new InitDenseNet(seed: 7), new InitConvNet(seed: 7) };
        foreach (INetwork net in nets)
            foreach (ParameterBlock b in net.ParameterBlocks)
            {
                if (b.Kind != ParameterKind.Bias) continue;
                Assert.True(net.Parameters.Slice(b.Offset, b.Length).IndexOfAnyExcept(0f) < 0, $"{net.Architecture}: {b.Name} is not all zero");
            }
    }

    [Fact]
    public void Init_is_reproducible_from_the_constructor_seed()
    {
        float[] a = new InitDenseNet(seed: 42).Parameters.ToArray();
        float[] b = new InitDenseNet(seed: 42).Parameters.ToArray();
        float[] c = new InitDenseNet(seed: 43).Parameters.ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // Another seed changes every drawn block, not only the first.
        var net = new InitDenseNet(seed: 43);
        foreach (ParameterBlock block in net.ParameterBlocks.ToArray().Where(p => p.Kind == ParameterKind.Weights))
            Assert.False(a.AsSpan(block.Offset, block.Length).SequenceEqual(c.AsSpan(block.Offset, block.Length)), block.Name);
    }

    private static Diagnostic Single(string layer, string id)
    {
        string source = "using StaticNet;\n[Network] [Input(3, 8, 8)] [" + layer + "] [Flatten] [MeanSquaredError]\npublic partial class Net;\n";
        if (layer.StartsWith("Dense", StringComparison.Ordinal)) source = source.Replace("Input(3, 8, 8)", "Input(4)").Replace("[Flatten] ", "");
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(layer, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        return d;
    }

    [Theory]
    [InlineData("Dense(3, Std = 0.1f)", "Init.Auto")]
    [InlineData("Dense(3, Init = Init.He, Std = 0.1f)", "Init.He")]
    [InlineData("Conv2D(2, 3, Init = Init.Xavier, Std = 0.5f)", "Init.Xavier")]
    public void Init_Std_without_Init_Normal_is_SNET050(string layer, string init) =>
        Assert.Contains("but Init is " + init, Single(layer, "SNET050").GetMessage(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("Dense(3, Init = Init.Normal, Std = 0f)", "Std must be finite and greater than 0, but is 0")]
    [InlineData("Dense(3, Init = Init.Normal, Std = -0.01f)", "Std must be finite and greater than 0, but is -0.01")]
    [InlineData("Dense(3, Init = Init.Normal, Std = float.NaN)", "Std must be finite and greater than 0, but is NaN")]
    [InlineData("Dense(3, Init = Init.Normal, Std = float.PositiveInfinity)", "Std must be finite and greater than 0, but is Infinity")]
    [InlineData("Conv2D(2, 3, Init = Init.Normal, Std = -1f)", "Std must be finite and greater than 0, but is -1")]
    [InlineData("Dense(3, Init = (Init)7)", "Init must be one of Init.Auto, Init.He, Init.Xavier, Init.Normal, but is 7")]
    public void Init_or_Std_out_of_range_is_SNET032(string layer, string message) =>
        Assert.Contains(message, Single(layer, "SNET032").GetMessage(System.Globalization.CultureInfo.InvariantCulture));
}
