using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using StaticNet.Tests.Generator;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Recurrent;

/// <summary>
/// The reference pass of GRU and LSTM networks ([Network(Reference = true)]): the gate equations and BPTT as plain double
/// loops. The fast pass is checked against it (ReferenceCheck, on one sequence and on several), and the reference itself
/// against central differences of its own loss in double and against the tests' independent RecurrentReference, so that
/// the oracle is proven, not assumed. Snapshots show the file a learner reads.
/// </summary>
public class RecurrentReferenceTests
{
    public static TheoryData<string> WithLoss => new() { nameof(GruNet), nameof(LstmNet), nameof(GruStackNet), nameof(LstmStackNet), nameof(GruClassifierNet), nameof(AudioGruNet), nameof(GruSigmoidNet) };

    private static IReferenceNetwork Create(string name, int maxSteps, int batchCapacity, int seed = 1) => name switch
    {
        nameof(GruNet) => new GruNet(maxSteps, batchCapacity, seed),
        nameof(LstmNet) => new LstmNet(maxSteps, batchCapacity, seed),
        nameof(GruStackNet) => new GruStackNet(maxSteps, batchCapacity, seed),
        nameof(LstmStackNet) => new LstmStackNet(maxSteps, batchCapacity, seed),
        nameof(GruClassifierNet) => new GruClassifierNet(maxSteps, batchCapacity, seed),
        nameof(AudioGruNet) => new AudioGruNet(maxSteps, batchCapacity, seed),
        nameof(GruSigmoidNet) => new GruSigmoidNet(maxSteps, batchCapacity, seed),
        nameof(BareGruNet) => new BareGruNet(maxSteps, batchCapacity, seed),
        _ => throw new ArgumentException(name),
    };

    private static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((2 * r.NextDouble() - 1) * scale);
        return v;
    }

    /// <summary>Targets the loss accepts: distributions per row for cross-entropy, probabilities for binary, any value for MSE.</summary>
    private static float[] Targets(string name, int rows, int width, int seed)
    {
        var t = Random(rows * width, seed);
        if (name == nameof(GruClassifierNet))
        {
            Array.Clear(t);
            for (int r = 0; r < rows; r++) t[r * width + r % width] = 1;
        }
        else if (name == nameof(GruSigmoidNet))
            for (int i = 0; i < t.Length; i++) t[i] = (t[i] + 1) / 2;
        return t;
    }

    // ---- the fast pass against the reference ----

    [Theory]
    [MemberData(nameof(WithLoss))]
    public void The_fast_pass_matches_the_reference_on_a_sequence(string name)
    {
        const int steps = 9;
        var net = (IReferenceLossNetwork)Create(name, steps, 1);
        float[] x = Random(steps * net.InputSize, 2, scale: 1.5f);
        ReferenceCheckResult result = ReferenceCheck.Run(net, x, Targets(name, steps, net.OutputSize, 3));
        Assert.True(result.Passed(1e-4), result.ToString());
        Assert.Equal(net.ParameterBlocks.Length, result.Blocks.Count);
        Assert.All(result.Blocks, b => Assert.True(b.Length > 0));
    }

    [Fact]
    public void The_fast_pass_matches_the_reference_without_a_loss()
    {
        const int steps = 6;
        var net = Create(nameof(BareGruNet), steps, 1, seed: 3);
        float[] x = Random(steps * net.InputSize, 4, scale: 2);
        ReferenceCheckResult result = ReferenceCheck.RunWithOutputGradient(net, x, Random(steps * net.OutputSize, 5));
        Assert.True(result.Passed(1e-4), result.ToString());
    }

    [Theory]
    [InlineData(nameof(GruStackNet))]
    [InlineData(nameof(LstmStackNet))]
    [InlineData(nameof(GruClassifierNet))]
    public void Several_sequences_match_step_by_step(string name)
    {
        const int batch = 3, steps = 7;
        var net = (IReferenceLossNetwork)Create(name, steps + 2, batch, seed: 4);
        float[] x = Random(batch * steps * net.InputSize, 6);
        float[] t = Targets(name, batch * steps, net.OutputSize, 7);
        var (fastLoss, fastGradients, fastDx) = name switch
        {
            nameof(GruStackNet) => Fast((GruStackNet)net, x, t, steps),
            nameof(LstmStackNet) => Fast((LstmStackNet)net, x, t, steps),
            _ => Fast((GruClassifierNet)net, x, t, steps),
        };
        double referenceLoss = name switch
        {
            nameof(GruStackNet) => ((GruStackNet)net).ReferenceLoss(x, t, steps),
            nameof(LstmStackNet) => ((LstmStackNet)net).ReferenceLoss(x, t, steps),
            _ => ((GruClassifierNet)net).ReferenceLoss(x, t, steps),
        };
        var gradients = new double[net.ParameterCount];
        var dx = new double[x.Length];
        net.ReferenceBackward(gradients, dx);
        Assert.Equal(referenceLoss, fastLoss, 1e-5 * Math.Max(1, Math.Abs(referenceLoss)));
        Close(gradients, fastGradients, "gradients");
        Close(dx, fastDx, "input gradient");
    }

    private static (float, float[], float[]) Fast<TNet>(TNet net, float[] x, float[] t, int steps) where TNet : IReferenceLossNetwork
    {
        float loss = net switch
        {
            GruStackNet n => n.Loss(x, t, steps),
            LstmStackNet n => n.Loss(x, t, steps),
            GruClassifierNet n => n.Loss(x, t, steps),
            _ => throw new ArgumentException(),
        };
        var dx = new float[x.Length];
        net.Backward(dx);
        return (loss, net.Gradients.ToArray(), dx);
    }

    private static void Close(double[] reference, float[] fast, string what)
    {
        double scale = reference.Max(Math.Abs);
        Assert.True(scale > 0, what + " is all zero");
        for (int i = 0; i < reference.Length; i++)
            Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-4 * scale, $"{what}[{i}]: fast {fast[i]}, reference {reference[i]}");
    }

    [Theory]
    [InlineData(nameof(LstmStackNet))]
    [InlineData(nameof(GruClassifierNet))]
    [InlineData(nameof(GruSigmoidNet))]
    public void The_loss_at_the_last_step_matches_the_reference(string name)
    {
        const int batch = 3, steps = 6;
        var net = (IReferenceLossNetwork)Create(name, steps, batch, seed: 7);
        float[] x = Random(batch * steps * net.InputSize, 11);
        float[] t = Targets(name, batch, net.OutputSize, 12);
        var fastDx = new float[x.Length];
        float fastLoss = net switch
        {
            LstmStackNet n => n.LossAtLastStep(x, t, steps),
            GruClassifierNet n => n.LossAtLastStep(x, t, steps),
            GruSigmoidNet n => n.LossAtLastStep(x, t, steps),
            _ => throw new ArgumentException(name),
        };
        net.Backward(fastDx);
        float[] fastGradients = net.Gradients.ToArray();
        double referenceLoss = net switch
        {
            LstmStackNet n => n.ReferenceLossAtLastStep(x, t, steps),
            GruClassifierNet n => n.ReferenceLossAtLastStep(x, t, steps),
            GruSigmoidNet n => n.ReferenceLossAtLastStep(x, t, steps),
            _ => throw new ArgumentException(name),
        };
        var gradients = new double[net.ParameterCount];
        var dx = new double[x.Length];
        net.ReferenceBackward(gradients, dx);
        Assert.Equal(referenceLoss, fastLoss, 1e-5 * Math.Max(1, Math.Abs(referenceLoss)));
        Close(gradients, fastGradients, "gradients");
        Close(dx, fastDx, "input gradient");
        // Only the last step carries a loss: the input of every step still gets a gradient through the state.
        Assert.Contains(dx.Take(net.InputSize), v => v != 0);

        // After a per-step loss the reference backward pass is the per-step one again.
        double perStep = net switch
        {
            LstmStackNet n => n.ReferenceLoss(x, Targets(name, batch * steps, net.OutputSize, 13), steps),
            GruClassifierNet n => n.ReferenceLoss(x, Targets(name, batch * steps, net.OutputSize, 13), steps),
            GruSigmoidNet n => n.ReferenceLoss(x, Targets(name, batch * steps, net.OutputSize, 13), steps),
            _ => throw new ArgumentException(name),
        };
        var perStepGradients = new double[net.ParameterCount];
        net.ReferenceBackward(perStepGradients, Span<double>.Empty);
        Assert.NotEqual(gradients, perStepGradients);
    }

    [Fact]
    public void The_reference_gradients_at_the_last_step_are_central_differences()
    {
        const int steps = 5;
        var net = new GruClassifierNet(steps, 2, seed: 8);
        float[] x = Random(2 * steps * 4, 14);
        float[] t = Targets(nameof(GruClassifierNet), 2, 3, 15);
        net.ReferenceLossAtLastStep(x, t, steps);
        var gradients = new double[GruClassifierNet.ParameterCount];
        net.ReferenceBackward(gradients, Span<double>.Empty);
        Span<float> p = net.Parameters;
        for (int i = 0; i < GruClassifierNet.ParameterCount; i += 7)
        {
            float saved = p[i], up = saved + 1e-3f, down = saved - 1e-3f;
            p[i] = up;
            double lossUp = net.ReferenceLossAtLastStep(x, t, steps);
            p[i] = down;
            double lossDown = net.ReferenceLossAtLastStep(x, t, steps);
            p[i] = saved;
            double numeric = (lossUp - lossDown) / ((double)up - down);
            double error = Math.Abs(numeric - gradients[i]) / Math.Max(1e-3, Math.Abs(numeric) + Math.Abs(gradients[i]));
            Assert.True(error < 1e-4, $"parameter {i}: central difference {numeric}, reference {gradients[i]}");
        }
    }

    // ---- the reference against central differences and the tests' own reference ----

    [Theory]
    [MemberData(nameof(WithLoss))]
    public void The_reference_gradients_are_central_differences_of_the_reference_loss(string name)
    {
        const int steps = 5;
        var net = (IReferenceLossNetwork)Create(name, steps, 1, seed: 5);
        float[] x = Random(steps * net.InputSize, 8, scale: 1.5f);
        float[] t = Targets(name, steps, net.OutputSize, 9);
        net.ReferenceLoss(x, t);
        var gradients = new double[net.ParameterCount];
        var dx = new double[x.Length];
        net.ReferenceBackward(gradients, dx);

        // Every parameter of every block, a few per block: the loss in double, the perturbation exact in float.
        Span<float> p = net.Parameters;
        double worst = 0;
        foreach (ParameterBlock block in net.ParameterBlocks.ToArray())
        {
            for (int k = 0; k < block.Length; k += Math.Max(1, block.Length / 7))
            {
                int i = block.Offset + k;
                float saved = p[i];
                float up = saved + 1e-3f, down = saved - 1e-3f;
                p[i] = up;
                double lossUp = net.ReferenceLoss(x, t);
                p[i] = down;
                double lossDown = net.ReferenceLoss(x, t);
                p[i] = saved;
                double numeric = (lossUp - lossDown) / ((double)up - down);
                double error = Math.Abs(numeric - gradients[i]) / Math.Max(1e-3, Math.Abs(numeric) + Math.Abs(gradients[i]));
                worst = Math.Max(worst, error);
                Assert.True(error < 1e-4, $"{block.Name}[{k}]: central difference {numeric}, reference {gradients[i]}");
            }
        }
        Assert.True(worst < 1e-4);
    }

    [Theory]
    [InlineData(nameof(GruStackNet))]
    [InlineData(nameof(LstmStackNet))]
    [InlineData(nameof(BareGruNet))]
    public void The_reference_forward_is_the_tests_own_reference(string name)
    {
        const int batch = 2, steps = 6;
        RecurrentSubject subject = RecurrentSubject.Create(name, steps, batch, seed: 6);
        float[] x = Random(batch * steps * subject.InputSize, 10, scale: 2);
        double[] expected = RecurrentReference.Forward(subject.Layers, subject.InputSize, Array.ConvertAll(subject.Parameters().ToArray(), v => (double)v),
            Array.ConvertAll(x, v => (double)v), batch, steps);
        var output = new double[expected.Length];
        switch (subject.Network)
        {
            case GruStackNet n: n.ReferenceForward(x, output, steps); break;
            case LstmStackNet n: n.ReferenceForward(x, output, steps); break;
            case BareGruNet n: n.ReferenceForward(x, output, steps); break;
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - output[i]) <= 1e-12, $"output[{i}]: {output[i]} against {expected[i]}");
    }

    [Fact]
    public void The_reference_says_what_is_wrong()
    {
        var net = new GruNet(maxSteps: 4, batchCapacity: 2);
        Assert.Throws<InvalidOperationException>(() => net.ReferenceBackward(new double[GruNet.ParameterCount], Span<double>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>("steps", () => net.ReferenceForward(new float[15], new double[10], 5));
        Assert.Throws<ArgumentException>("output", () => net.ReferenceForward(new float[12], new double[7], 4));
        net.ReferenceForward(new float[12], new double[8], 4);
        Assert.Throws<InvalidOperationException>(() => net.ReferenceBackward(new double[GruNet.ParameterCount], Span<double>.Empty)); // a forward is not a loss
        Assert.Throws<ArgumentException>("targets", () => net.ReferenceLoss(new float[12], new float[7], 4));
        net.ReferenceLoss(new float[24], new float[16], 4);
        Assert.Throws<ArgumentException>("inputGradient", () => net.ReferenceBackward(new double[GruNet.ParameterCount], new double[12]));
        Assert.Throws<ArgumentException>("gradients", () => net.ReferenceBackward(new double[5], Span<double>.Empty));
    }

    // ---- the file a learner reads ----

    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var (result, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        GeneratedSourceResult reference = Assert.Single(result.Results.SelectMany(r => r.GeneratedSources), s => s.HintName.EndsWith(".Reference.g.cs"));
        string text = reference.SourceText.ToString();
        foreach (string kernel in new[] { "Recurrent.Gru", "Recurrent.Lstm", "Kernels.Affine", "Kernels.Activation", "Kernels.Loss" })
            Assert.DoesNotContain(kernel, text); // no kernel calls: every loop is in the file
        Assert.DoesNotContain("float ", text.Replace("ReadOnlySpan<float> ", ""));  // double throughout; only the caller's inputs are float
        Snapshot.Verify(result, testMethod: test, only: hint => hint.EndsWith(".Reference.g.cs", System.StringComparison.Ordinal));
    }

    [Fact]
    public void Gru_with_a_dense_head() => VerifyNetwork("""
        using StaticNet;
        namespace Audio;
        [Network(Reference = true)] [Input(2)] [GRU(4)] [Dense(1)] [MeanSquaredError]
        public partial class AmpGru;
        """);

    [Fact]
    public void Two_lstms_and_a_classifier_head() => VerifyNetwork("""
        using StaticNet;
        [Network(Reference = true)] [Input(3)] [LSTM(4)] [LSTM(2)] [Dense(3)] [SoftmaxCrossEntropy]
        public partial class LstmTagger;
        """);
}
