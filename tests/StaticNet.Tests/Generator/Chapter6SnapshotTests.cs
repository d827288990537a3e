using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>The generated code of the ch. 6 layers: Init, LeakyReLU, SigmoidCrossEntropy (and the WeightDecay members every
/// loss network has). A snapshot shows the code; tests/StaticNet.Tests/Chapter6 proves its numbers.</summary>
public class Chapter6SnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Snapshot.Verify(result, testMethod: test);
    }

    [Fact]
    public void Init() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(1, 8, 8)]
        [Conv2D(4, 3, Init = Init.Normal, Std = 0.05f)] [ReLU] [Flatten]
        [Dense(20, Init = Init.He)] [Tanh]
        [Dense(10, Init = Init.Xavier)] [ReLU]
        [Dense(5)] [ReLU]
        [Dense(2, Init = Init.Normal)] [SoftmaxCrossEntropy]
        public partial class InitNet;
        """);

    [Fact]
    public void LeakyReLU() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(4)] [Dense(3)] [LeakyReLU(0.2f)] [Dense(2)] [MeanSquaredError]
        public partial class LeakyNet;
        """);

    [Fact]
    public void SigmoidCrossEntropy() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(4)] [Dense(3)] [LeakyReLU] [Dense(1)] [SigmoidCrossEntropy]
        public partial class BinaryNet;
        """);
}
