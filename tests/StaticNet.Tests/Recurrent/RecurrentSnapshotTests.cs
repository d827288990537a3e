using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Tests.Generator;
using Xunit;

namespace StaticNet.Tests.Recurrent;

/// <summary>The generated code of recurrent networks. The snapshots show it; RecurrentNumericTests prove it.</summary>
public class RecurrentSnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Snapshot.Verify(result, testMethod: test);
    }

    [Fact]
    public void Gru_with_a_dense_head() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(1)] [GRU(16)] [Dense(1)] [MeanSquaredError]
        public partial class AudioGru;
        """);

    [Fact]
    public void Two_lstms_and_a_classifier_head() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(2)] [LSTM(8)] [LSTM(4)] [Dense(3)] [SoftmaxCrossEntropy]
        public partial class LstmClassifier;
        """);
}
