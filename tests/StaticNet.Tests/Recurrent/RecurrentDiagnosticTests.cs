using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Tests.Generator;
using Xunit;

namespace StaticNet.Tests.Recurrent;

/// <summary>What cannot work in a recurrent declaration is an error at the attribute, and nothing is generated.</summary>
public class RecurrentDiagnosticTests
{
    private static Diagnostic Single(string layers, string id, string at)
    {
        string source = "using StaticNet;\n[Network] " + layers + "\npublic partial class Net;\n";
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(at, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        return d;
    }

    [Theory]
    [InlineData("[Input(1, 28, 28)] [GRU(8)]", "GRU(8)", "[GRU(8)] reads a vector per time step, but its input is (1, 28, 28)")]
    [InlineData("[Input(3, 8, 8)] [LSTM(4)] [Dense(1)]", "LSTM(4)", "[LSTM(4)] reads a vector per time step, but its input is (3, 8, 8)")]
    public void A_recurrent_layer_on_an_image(string layers, string at, string message) =>
        Assert.Equal(message, Single(layers, "SNET070", at).GetMessage());

    [Theory]
    [InlineData("[Input(4)] [Dense(8)] [GRU(8)]", "GRU(8)", "[GRU] must follow the input or another recurrent layer, but follows [Dense]")]
    [InlineData("[Input(4)] [GRU(8)] [Softmax] [LSTM(3)]", "LSTM(3)", "[LSTM] must follow the input or another recurrent layer, but follows [Softmax]")]
    [InlineData("[Input(1, 28, 28)] [Conv2D(4, 3)] [Flatten] [GRU(8)]", "GRU(8)", "[GRU] must follow the input or another recurrent layer, but follows [Flatten]")]
    [InlineData("[Input(1, 28, 28)] [Conv2D(4, 3)] [GRU(8)]", "GRU(8)", "[GRU] must follow the input or another recurrent layer, but follows [Conv2D]")]
    public void A_recurrent_layer_after_a_per_step_layer(string layers, string at, string message) =>
        Assert.Equal(message, Single(layers, "SNET071", at).GetMessage());

    [Theory]
    [InlineData("[Input(7)] [GRU(13)] [BatchNorm(Momentum = 0)]", "BatchNorm(Momentum = 0)", "[BatchNorm] has a training form of its own (masks or batch statistics), which recurrent networks do not run yet")]
    [InlineData("[Input(3)] [LSTM(4)] [Dropout(0.5)] [Dense(1)] [MeanSquaredError]", "Dropout(0.5)", "[Dropout] has a training form of its own (masks or batch statistics), which recurrent networks do not run yet")]
    public void Dropout_or_BatchNorm_in_a_recurrent_network(string layers, string at, string message) =>
        Assert.Equal(message, Single(layers, "SNET072", at).GetMessage());

    [Theory]
    [InlineData("[Input(4)] [GRU(0)]", "GRU(0)", "[GRU(0)]: the hidden size must be from 1 to 4096, but is 0")]
    [InlineData("[Input(4)] [LSTM(4097)] [Dense(1)]", "LSTM(4097)", "[LSTM(4097)]: the hidden size must be from 1 to 4096, but is 4097")]
    [InlineData("[Input(4)] [GRU(8)] [GRU(-1)]", "GRU(-1)", "[GRU(-1)]: the hidden size must be from 1 to 4096, but is -1")]
    public void A_hidden_size_out_of_range(string layers, string at, string message) =>
        Assert.Equal(message, Single(layers, "SNET032", at).GetMessage());

    [Fact]
    public void A_recurrent_layer_after_the_loss_is_the_loss_rule()
    {
        Diagnostic d = Single("[Input(4)] [GRU(8)] [MeanSquaredError] [GRU(2)]", "SNET006", "MeanSquaredError");
        Assert.Equal("[MeanSquaredError] is a loss layer and must be the last layer, but [GRU] follows it", d.GetMessage());
    }

    [Fact]
    public void An_image_layer_after_a_recurrent_one_takes_an_image()
    {
        Diagnostic d = Single("[Input(4)] [GRU(8)] [MaxPool2D(2)]", "SNET028", "MaxPool2D(2)");
        Assert.Contains("a vector of 8", d.GetMessage());
    }

    // ---- the user's constructors against the generated (int maxSteps, int batchCapacity, int seed) ----

    private static Diagnostic[] Run(string body, out string source)
    {
        source = "using StaticNet;\n[Network] [Input(2)] [GRU(4)] [Dense(1)] [MeanSquaredError]\npublic partial class Net\n{\n" + body + "\n}\n";
        var (result, compilation) = GeneratorHarness.Run(source);
        return result.Diagnostics.Concat(compilation.Where(d => d.Severity == DiagnosticSeverity.Error)).ToArray();
    }

    [Fact]
    public void A_constructor_of_three_ints_collides_with_the_generated_one()
    {
        Diagnostic d = Assert.Single(Run("    public Net(int a, int b, int c) { }", out string source));
        Assert.Equal("SNET016", d.Id);
        Assert.Equal("Net", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Equal("'Net' declares 'Net(int, int, int)', a name StaticNet generates for this network (the generated constructor is Net(int maxSteps, int batchCapacity, int seed))", d.GetMessage());
    }

    [Fact]
    public void A_constructor_of_two_ints_that_chains_to_the_generated_one_is_fine()
    {
        // (int, int) is the feed-forward networks' generated constructor, not a recurrent one's: no collision here,
        // and the program compiles.
        Assert.Empty(Run("    public Net(int maxSteps, int seed, bool unused) : this(maxSteps, 1, seed) { }\n    public Net(int steps, int sequences) : this(steps, sequences, 0) { }", out _));
    }

    [Fact]
    public void A_constructor_that_does_not_chain_is_still_reported()
    {
        Diagnostic d = Assert.Single(Run("    public Net(int steps, int sequences) { }", out _));
        Assert.Equal("SNET026", d.Id);
    }
}
