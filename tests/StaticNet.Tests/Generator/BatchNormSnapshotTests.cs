using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The generated code of networks with Dropout and BatchNorm: the two forms of each, the Training switch, the state
/// block. A snapshot shows the code; BatchNormTests and DropoutTests prove its numbers.
/// </summary>
public class BatchNormSnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Snapshot.Verify(result, testMethod: test);
    }

    [Fact]
    public void DenseBatchNormDropout() => VerifyNetwork("""
        using StaticNet;
        namespace Regularized;
        [Network] [Input(784)] [Dense(100)] [BatchNorm] [ReLU] [Dropout(0.5)] [Dense(10)] [SoftmaxCrossEntropy]
        public partial class MnistBatchNormNet;
        """);

    [Fact]
    public void ConvBatchNorm() => VerifyNetwork("""
        using StaticNet;
        namespace Regularized;
        [Network] [Input(1, 8, 8)] [Conv2D(4, 3)] [BatchNorm(Momentum = 0.01)] [ReLU] [MaxPool2D(2)] [Flatten] [Dropout(0.2)] [Dense(3)] [SoftmaxCrossEntropy]
        public partial class ConvBatchNormNet;
        """);
}
