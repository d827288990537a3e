using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// How the generated code spells the double arguments of Dropout and BatchNorm: a float literal (<c>Momentum = 0.1f</c>)
/// arrives as the double 0.10000000149011612, and the code, its comments and the Architecture must still say 0.1.
/// </summary>
public class LiteralTests
{
    private static string Generated(string layers)
    {
        var (result, diagnostics) = GeneratorHarness.Run("using StaticNet;\n[Network(Reference = true)] " + layers + "\npublic partial class Net;\n");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        return string.Join("\n", result.Results.SelectMany(r => r.GeneratedSources).Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void Float_literals_of_Momentum_Epsilon_and_the_dropout_ratio_are_printed_in_their_shortest_form()
    {
        string code = Generated("[Input(4)] [Dense(3)] [BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f)] [Dropout(0.3f)] [Dense(2)] [MeanSquaredError]");

        Assert.Contains("Architecture = \"Input(4) Dense(3) BatchNorm(Momentum = 0.2, Epsilon = 0.001) Dropout(0.3) Dense(2) MeanSquaredError\"", code);
        Assert.Contains("momentum: 0.2f, epsilon: 0.001f", code);                          // the kernel's arguments
        Assert.Contains("running mean ← 0.8·running mean + 0.2·μ", code);                 // the comment, 1f − 0.2f
        Assert.Contains("(1 - 0.2) * runningMean2[c] + 0.2 * mean", code);               // the reference pass
        Assert.Contains("p: 0.3f", code);
        // Nothing of the doubles the float literals became: 0.20000000298023224, 0.0010000000474974513, 0.30000001192092896.
        Assert.DoesNotContain("0.2000000", code);
        Assert.DoesNotContain("0.0010000000", code);
        Assert.DoesNotContain("0.3000000", code);
        Assert.DoesNotContain("0.7999999", code);
    }

    [Fact]
    public void A_float_literal_of_the_default_momentum_is_the_default()
    {
        string code = Generated("[Input(4)] [Dense(3)] [BatchNorm(Momentum = 0.1f, Epsilon = 1e-5f)] [MeanSquaredError]");

        Assert.Contains("Architecture = \"Input(4) Dense(3) BatchNorm MeanSquaredError\"", code);
        Assert.Contains("running mean ← 0.9·running mean + 0.1·μ", code);
        Assert.DoesNotContain("0.1000000", code);
        Assert.DoesNotContain("0.8999999", code);
    }

    [Fact]
    public void Double_literals_keep_their_own_shortest_form()
    {
        string code = Generated("[Input(4)] [Dense(3)] [BatchNorm(Momentum = 0.01, Epsilon = 1e-4)] [Dropout(0.25)] [MeanSquaredError]");

        Assert.Contains("BatchNorm(Momentum = 0.01, Epsilon = 0.0001) Dropout(0.25)", code);
        Assert.Contains("running mean ← 0.99·running mean + 0.01·μ", code);
        Assert.Contains("momentum: 0.01f, epsilon: 0.0001f", code);
    }
}
