using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The generated code, one snapshot per layer kind and per whole network. A snapshot shows the code;
/// the numeric tests prove it. Every test also compiles the output and requires no warning or error.
/// </summary>
public partial class SnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Snapshot.Verify(result, testMethod: test);
    }

    [Fact]
    public void TwoLayerNet() => VerifyNetwork("""
        using StaticNet;
        namespace Book;

        [Network]
        [Input(784)]
        [Dense(50)] [Sigmoid]
        [Dense(10)] [SoftmaxCrossEntropy]
        public partial class TwoLayerNet;
        """);

    [Fact]
    public void Dense() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(3)] [Dense(2)]
        public partial class DenseOnly;
        """);

    [Fact]
    public void ReLU() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(4)] [Dense(8)] [ReLU]
        public partial class ReluNet;
        """);

    [Fact]
    public void Sigmoid() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(4)] [Dense(8)] [Sigmoid]
        public partial class SigmoidNet;
        """);

    [Fact]
    public void Tanh() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(4)] [Dense(8)] [Tanh]
        public partial class TanhNet;
        """);

    [Fact]
    public void Softmax() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(4)] [Dense(3)] [Softmax]
        public partial class SoftmaxNet;
        """);

    [Fact]
    public void SoftmaxCrossEntropy() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(4)] [Dense(3)] [SoftmaxCrossEntropy]
        public partial class ClassifierNet;
        """);

    [Fact]
    public void MeanSquaredError() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network] [Input(2)] [Dense(5)] [Tanh] [Dense(1)] [MeanSquaredError]
        public partial class RegressionNet;
        """);

    [Fact]
    public void ReluMnistNet() => VerifyNetwork("""
        using StaticNet;
        namespace Samples.Mnist;
        [Network]
        [Input(784)]
        [Dense(100)] [ReLU]
        [Dense(10)] [SoftmaxCrossEntropy]
        public partial class MnistNet;
        """);

    [Fact]
    public void ActivationsBeforeAndBetween() => VerifyNetwork("""
        using StaticNet;
        [Network] [Input(6)] [Tanh] [Dense(5)] [ReLU] [Sigmoid] [Dense(3)] [SoftmaxCrossEntropy]
        internal partial class OddNet;
        """);

    [Fact]
    public void NestedInPartialTypes() => VerifyNetwork("""
        using StaticNet;
        namespace Outer.Space;
        public partial class Game
        {
            internal partial record struct Brain
            {
                [Network] [Input(2)] [Dense(2)] [ReLU] [Dense(1)] [MeanSquaredError]
                private partial class Net;
            }
        }
        """);
}
