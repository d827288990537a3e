using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>SNET040 to SNET042: Dropout's ratio and BatchNorm's named arguments, each at the offending attribute.</summary>
public class BatchNormDiagnosticTests
{
    private static string Single(string source, string id, string expectedText)
    {
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(expectedText, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        return d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.5", "1.5")]
    [InlineData("-0.1", "-0.1")]
    [InlineData("double.NaN", "NaN")]
    [InlineData("0.99999999999", "0.99999999999")] // below 1 as a double, 1 as a float
    public void Dropout_ratio_out_of_range_is_SNET040(string ratio, string shown) =>
        Assert.Equal($"[Dropout({shown})]: the ratio is the probability of dropping a value and must be in [0, 1), but is {shown}", Single($$"""
            using StaticNet;
            [Network] [Input(4)] [Dense(3)] [Dropout({{ratio}})] [MeanSquaredError]
            public partial class Net;
            """, "SNET040", $"Dropout({ratio})"));

    [Theory]
    [InlineData("Momentum = 1.5", "1.5")]
    [InlineData("Momentum = -0.1", "-0.1")]
    [InlineData("Momentum = double.NaN", "NaN")]
    public void BatchNorm_momentum_out_of_range_is_SNET041(string argument, string shown) =>
        Assert.Contains($"Momentum is the weight of each batch in the running statistics and must be in [0, 1], but is {shown}", Single($$"""
            using StaticNet;
            [Network] [Input(4)] [Dense(3)] [BatchNorm({{argument}})] [MeanSquaredError]
            public partial class Net;
            """, "SNET041", $"BatchNorm({argument})"));

    [Theory]
    [InlineData("Epsilon = 0", "0")]
    [InlineData("Epsilon = -1e-5", "-1E-05")]
    [InlineData("Epsilon = 1e-50", "1E-50")] // 0 as a float
    [InlineData("Epsilon = double.PositiveInfinity", "Infinity")]
    public void BatchNorm_epsilon_not_positive_is_SNET042(string argument, string shown) =>
        Assert.Contains($"must be positive and finite as a float, but is {shown}", Single($$"""
            using StaticNet;
            [Network] [Input(1, 4, 4)] [Conv2D(2, 3)] [BatchNorm(Momentum = 0.5, {{argument}})] [Flatten] [Dense(2)] [MeanSquaredError]
            public partial class Net;
            """, "SNET042", $"BatchNorm(Momentum = 0.5, {argument})"));

    [Fact]
    public void BatchNorm_and_Dropout_declarations_spell_their_arguments_in_Architecture()
    {
        Assert.Equal("Input(6) Dense(5) BatchNorm ReLU Dropout(0.3) Dense(3) SoftmaxCrossEntropy", StaticNet.Tests.Networks.BatchNormDropoutNet.Architecture);
        Assert.Equal("Input(7) BatchNorm(Momentum = 0.2, Epsilon = 0.001) MeanSquaredError", StaticNet.Tests.Networks.BatchNormOnlyNet.Architecture);
    }
}
