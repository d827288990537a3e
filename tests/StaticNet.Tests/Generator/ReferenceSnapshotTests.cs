using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Layers;
using K = StaticNet.Generator.Layers;
using StaticNet.Generator.Model;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The reference file of [Network(Reference = true)], one snapshot per layer kind. Only the reference file is stored: the
/// main file is the one the other snapshot tests store, unchanged by Reference (a test here proves it). Every test
/// compiles both files and requires no warning or error; the numbers are proven in Numeric/ReferencePassTests.cs.
/// </summary>
public class ReferenceSnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        GeneratedSourceResult reference = Assert.Single(result.Results.SelectMany(r => r.GeneratedSources), s => s.HintName.EndsWith(".Reference.g.cs"));
        string text = reference.SourceText.ToString();
        Assert.DoesNotContain("Kernels.Affine", text);      // no kernel calls: every loop is in the file
        Assert.DoesNotContain("Kernels.Activation", text);
        Assert.DoesNotContain("Kernels.Conv2D", text);
        Assert.DoesNotContain("Kernels.Pool2D", text);
        Assert.DoesNotContain("Kernels.Loss", text);
        Assert.DoesNotContain("Kernels.BatchNorm", text);
        Assert.DoesNotContain("Kernels.Dropout", text);
        Assert.DoesNotContain("float ", text.Replace("ReadOnlySpan<float> ", ""));  // double throughout; only the caller's inputs are float
        Snapshot.Verify(result, testMethod: test, only: hint => hint.EndsWith(".Reference.g.cs", System.StringComparison.Ordinal));
    }

    [Fact]
    public void Reference_leaves_the_main_file_as_it_is_without_it()
    {
        // Every kind of layer that has a reference form, with and without a loss layer: the main file must not change, so
        // that the snapshots of the other tests show it and asking for a reference pass cannot change the fast one.
        string[] declarations =
        [
            "[Input(6)] [Dense(5)] [BatchNorm] [ReLU] [Dropout(0.3)] [Dense(3)] [SoftmaxCrossEntropy]",
            "[Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [MaxPool2D(3)] [Flatten] [Dense(4)] [LeakyReLU] [Sigmoid] [Softmax] [MeanSquaredError]",
            "[Input(4)] [Dense(3)] [SigmoidCrossEntropy]",
            "[Input(4)] [BatchNorm] [Dense(3)] [Dropout(0.5)]",
        ];
        foreach (string layers in declarations)
        {
            string Main(string network)
            {
                var (result, _) = GeneratorHarness.Run("using StaticNet;\nnamespace N;\n" + network + " " + layers + "\npublic partial class Net;\n");
                Assert.Empty(result.Diagnostics);
                return Assert.Single(result.Results.SelectMany(r => r.GeneratedSources), s => s.HintName == "N.Net.g.cs").SourceText.ToString();
            }
            Assert.Equal(Main("[Network]"), Main("[Network(Reference = true)]"));
        }
    }

    [Fact]
    public void Dense() => VerifyNetwork("""
        using StaticNet;
        [Network(Reference = true)] [Input(3)] [Dense(2)]
        public partial class DenseOnly;
        """);

    [Fact]
    public void Activations() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network(Reference = true)] [Input(4)] [Tanh] [Dense(3)] [ReLU] [Sigmoid] [Dense(3)] [Softmax]
        public partial class ActivationNet;
        """);

    [Fact]
    public void SoftmaxCrossEntropy() => VerifyNetwork("""
        using StaticNet;
        namespace Book;
        [Network(Reference = true)]
        [Input(784)]
        [Dense(50)] [Sigmoid]
        [Dense(10)] [SoftmaxCrossEntropy]
        public partial class TwoLayerNet;
        """);

    [Fact]
    public void MeanSquaredError() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network(Reference = true)] [Input(2)] [Dense(5)] [Tanh] [Dense(1)] [MeanSquaredError]
        public partial class RegressionNet;
        """);

    [Fact]
    public void LossOnly() => VerifyNetwork("""
        using StaticNet;
        [Network(Reference = true)] [Input(4)] [SoftmaxCrossEntropy]
        public partial class LossOnlyNet;
        """);

    [Fact]
    public void SimpleConvNet() => VerifyNetwork("""
        using StaticNet;
        namespace Book;
        [Network(Reference = true)]
        [Input(1, 28, 28)]
        [Conv2D(30, 5)] [ReLU] [MaxPool2D(2)] [Flatten]
        [Dense(100)] [ReLU]
        [Dense(10)] [SoftmaxCrossEntropy]
        public partial class SimpleConvNet;
        """);

    [Fact]
    public void Conv2D_with_stride_and_padding_and_AvgPool2D() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network(Reference = true)] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
        public partial class StridedConvNet;
        """);

    [Fact]
    public void Pool_and_conv_first() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;
        [Network(Reference = true)] [Input(1, 4, 4)] [MaxPool2D(2)] [Conv2D(2, 2, Padding = 1)] [Flatten] [Dense(2)]
        public partial class PoolFirstNet;
        """);

    [Fact]
    public void BatchNorm_and_Dropout_after_Dense() => VerifyNetwork("""
        using StaticNet;
        namespace Regularized;
        [Network(Reference = true)] [Input(6)] [Dense(5)] [BatchNorm] [ReLU] [Dropout(0.3)] [Dense(3)] [SoftmaxCrossEntropy]
        public partial class BatchNormDropoutNet;
        """);

    [Fact]
    public void BatchNorm_after_Conv2D_and_Dropout_on_the_input() => VerifyNetwork("""
        using StaticNet;
        namespace Regularized;
        [Network(Reference = true)] [Input(2, 5, 5)] [Dropout(0.2)] [Conv2D(3, 3)] [BatchNorm(Momentum = 0.01, Epsilon = 1e-3)] [Tanh] [Flatten] [Dense(2)] [MeanSquaredError]
        public partial class ConvBatchNormNet;
        """);

    [Fact]
    public void BatchNorm_and_Dropout_without_a_loss_layer() => VerifyNetwork("""
        using StaticNet;
        namespace Regularized;
        [Network(Reference = true)] [Input(4)] [BatchNorm] [Dense(3)] [Dropout(0.5)]
        public partial class InferenceOnlyNet;
        """);

    [Fact]
    public void Without_Reference_there_is_one_file_and_no_reference_interface()
    {
        var (result, _) = GeneratorHarness.Run("""
            using StaticNet;
            [Network(Reference = false)] [Input(3)] [Dense(2)]
            public partial class A;
            [Network] [Input(3)] [Dense(2)]
            public partial class B;
            """);
        string[] names = result.Results.SelectMany(r => r.GeneratedSources).Select(s => s.HintName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "A.g.cs", "B.g.cs" }, names);
        Assert.DoesNotContain(result.Results.SelectMany(r => r.GeneratedSources), s => s.SourceText.ToString().Contains("IReference"));
    }

    [Fact]
    public void A_member_named_like_a_reference_member_is_a_collision_only_with_Reference()
    {
        const string body = " [Input(3)] [Dense(2)] public partial class Net { public void ReferenceForward() { } }";
        var (with, _) = GeneratorHarness.Run("using StaticNet; [Network(Reference = true)]" + body);
        Assert.Equal("SNET016", Assert.Single(with.Diagnostics).Id);
        var (without, diagnostics) = GeneratorHarness.Run("using StaticNet; [Network]" + body);
        Assert.Empty(without.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    /// <summary>A layer kind without a reference form, as the ones added later are until they write theirs.</summary>
    private sealed class FormlessKind : LayerKind
    {
        public FormlessKind(string name) => Name = name;
        public override string Name { get; }
        public override void EmitForward(CodeWriter w, LayerSpec layer) { }
        public override void EmitBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted) { }
    }

    private static NetworkSpec Spec(bool reference, params LayerKind[] kinds)
    {
        Shape shape = Shape.Vector(4);
        var layers = kinds.Select((k, i) => new LayerSpec(k, default, shape, shape, 0, 0, "x", "x", false, i + 1));
        return new NetworkSpec(null, "Net", EquatableArray<ContainingType>.Empty, shape, new EquatableArray<LayerSpec>(layers), "Net") { Reference = reference };
    }

    [Fact]
    public void SNET060_names_every_layer_kind_without_a_reference_form_as_a_warning()
    {
        var at = new LocationInfo("Source0.cs", new Microsoft.CodeAnalysis.Text.TextSpan(1, 7),
            new Microsoft.CodeAnalysis.Text.LinePositionSpan(new(0, 1), new(0, 8)));
        var dropout = new FormlessKind("Dropout");
        NetworkSpec one = Spec(true, K.Dense.Instance, dropout, K.ReLU.Instance, dropout);
        NetworkSpec two = Spec(true, dropout, new FormlessKind("BatchNorm"), K.Tanh.Instance);

        Diagnostic d = ReferenceEmitter.Check(one, at, "Net")!.ToDiagnostic();
        Assert.Equal("SNET060", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(new Microsoft.CodeAnalysis.Text.TextSpan(1, 7), d.Location.SourceSpan);
        Assert.Equal("The network 'Net' asks for a reference pass (Reference = true), but the layer Dropout has no reference form yet: the network is generated without its reference file",
            d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("the layers Dropout and BatchNorm have no reference form yet", ReferenceEmitter.Check(two, at, "Net")!.ToDiagnostic().GetMessage());
        Assert.False(ReferenceEmitter.Wanted(one));

        Assert.Null(ReferenceEmitter.Check(Spec(false, dropout), at, "Net"));          // not asked for: nothing to say
        Assert.Null(ReferenceEmitter.Check(Spec(true, K.Dense.Instance, K.Softmax.Instance), at, "Net"));
        Assert.True(ReferenceEmitter.Wanted(Spec(true, K.Dense.Instance, K.Softmax.Instance)));
    }

    [Fact]
    public void Every_layer_kind_has_its_reference_form()
    {
        // Every layer kind has its reference form. The list of gaps is exact (and empty today): a kind added
        // without one gets SNET060 for Reference = true, and must be listed here until it has one.
        string[] gaps = [];
        Assert.All(LayerKind.All.Values, kind => Assert.True(kind.HasReferenceForm != gaps.Contains(kind.Name),
            kind.Name + (kind.HasReferenceForm ? " has a reference form: take it off the list of gaps" : " has no reference form")));
    }
}
