using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Numeric;

/// <summary>
/// The generated conv networks against the naive double-precision <see cref="ConvReference"/> (direct convolution
/// loops, window scans), the reference itself against central differences, and the generated backward passes against
/// <see cref="GradientCheck"/>: forward, loss, every parameter gradient, the input gradient, the fused SGD step, the
/// per-caller workspace and zero allocation.
/// </summary>
public class ConvNumericTests
{
    private const int Capacity = 4;

    public static readonly Dictionary<string, Func<INetwork>> Networks = new()
    {
        ["SimpleConvNet"] = () => new SimpleConvNet(Capacity, seed: 1),
        ["StridedConvNet"] = () => new StridedConvNet(Capacity, seed: 2),
        ["ConvK1Net"] = () => new ConvK1Net(Capacity, seed: 3),
        ["ConvChainNet"] = () => new ConvChainNet(Capacity, seed: 4),
        ["ConvStride3Net"] = () => new ConvStride3Net(Capacity, seed: 5),
        ["PoolFirstNet"] = () => new PoolFirstNet(Capacity, seed: 6),
        ["ConvOnlyNet"] = () => new ConvOnlyNet(Capacity, seed: 7),
    };

    public static IEnumerable<object[]> AllCases() =>
        from name in Networks.Keys from batch in new[] { 1, 3, Capacity } select new object[] { name, batch };

    public static IEnumerable<object[]> LossCases() =>
        from c in AllCases() where Networks[(string)c[0]]() is ILossNetwork select c;

    public static IEnumerable<object[]> LossNetworks() =>
        from name in Networks.Keys where Networks[name]() is ILossNetwork select new object[] { name };

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextGaussian() * scale);
        return v;
    }

    /// <summary>Random biases too: the constructor zeroes them, which would leave a wrong bias term unseen in the forward pass.</summary>
    private static INetwork Create(string name)
    {
        INetwork net = Networks[name]();
        foreach (ParameterBlock block in net.ParameterBlocks)
            if (block.Kind == ParameterKind.Bias)
                Random(block.Length, seed: block.Offset, scale: 0.3f).CopyTo(net.Parameters.Slice(block.Offset, block.Length));
        return net;
    }

    private static float[] Targets(INetwork net, int batch, int seed)
    {
        if (!net.Architecture.EndsWith("SoftmaxCrossEntropy", StringComparison.Ordinal)) return Random(batch * net.OutputSize, seed);
        var t = new float[batch * net.OutputSize];
        var r = new Random64(seed);
        for (int row = 0; row < batch; row++) t[row * net.OutputSize + r.NextInt32(net.OutputSize)] = 1;
        return t;
    }

    private static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-3;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= tolerance * scale,
                $"{what}[{i}]: got {actual[i]:G9}, expected {expected[i]:G9} (error {error:E2} > {tolerance:E0} × scale {scale:G3})");
        }
    }

    private static void AssertGradientsClose(INetwork net, double[] expected, double tolerance)
    {
        foreach (ParameterBlock block in net.ParameterBlocks)
            AssertClose(net.Gradients.Slice(block.Offset, block.Length), expected.AsSpan(block.Offset, block.Length), tolerance, "d" + block.Name);
    }

    /// <summary><c>Backward(Span&lt;float&gt; inputGradient)</c>, which each loss network declares (not in <see cref="ILossNetwork"/>).</summary>
    private static void BackwardInto(ILossNetwork net, Span<float> inputGradient)
    {
        switch (net)
        {
            case SimpleConvNet n: n.Backward(inputGradient); break;
            case StridedConvNet n: n.Backward(inputGradient); break;
            case ConvK1Net n: n.Backward(inputGradient); break;
            case ConvChainNet n: n.Backward(inputGradient); break;
            case ConvStride3Net n: n.Backward(inputGradient); break;
            case PoolFirstNet n: n.Backward(inputGradient); break;
            default: throw new NotSupportedException(net.Architecture);
        }
    }

    [Fact]
    public void The_cases_cover_what_the_issue_asks_for()
    {
        string all = string.Join(" ", Networks.Values.Select(f => f().Architecture));
        foreach (string part in new[] { "Conv2D(4, 1)", ", 2, Stride = 2)", "Conv2D(3, 3, Stride = 2, Padding = 1)", "Stride = 3", "Padding = 2", "Conv2D(30, 5)",
                     "MaxPool2D(2, Stride = 1)", "MaxPool2D(3, Stride = 2)", "AvgPool2D(2)", "Input(3, 6, 5)", "Input(1, 11, 11)" })
            Assert.Contains(part, all);
        Assert.Contains("Tanh Conv2D(2, 2, Stride = 2)", ConvChainNet.Architecture); // conv after conv
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Forward_matches_the_reference(string name, int batch)
    {
        INetwork net = Create(name);
        var reference = new ConvReference(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: batch);
        var output = new float[batch * net.OutputSize];

        net.Forward(input, output);

        AssertClose(output, reference.Forward(input).Acts[^1], 1e-5, "output");
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss_parameter_and_input_gradients_match_the_reference(string name, int batch)
    {
        var net = (ILossNetwork)Create(name);
        var reference = new ConvReference(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 100 + batch);
        float[] targets = Targets(net, batch, seed: 200 + batch);
        var inputGradient = new float[input.Length];
        inputGradient.AsSpan().Fill(float.NaN);
        net.Gradients.Fill(float.NaN); // the backward pass must overwrite every gradient

        float loss = net.Loss(input, targets);
        BackwardInto(net, inputGradient);

        ConvReference.Pass pass = reference.Forward(input);
        double expectedLoss = reference.Loss(pass, targets);
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {loss} vs reference {expectedLoss}");
        (double[] gradients, double[] expectedInputGradient) = reference.Backward(pass, targets, default);
        AssertGradientsClose(net, gradients, 1e-4);
        AssertClose(inputGradient, expectedInputGradient, 1e-4, "dx");
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Backward_from_an_output_gradient_matches_the_reference(string name, int batch)
    {
        INetwork net = Create(name);
        var reference = new ConvReference(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 300 + batch);
        float[] outputGradient = Random(batch * net.OutputSize, seed: 400 + batch);
        var output = new float[batch * net.OutputSize];
        var inputGradient = new float[batch * net.InputSize];
        net.Gradients.Fill(float.NaN);

        net.Forward(input, output);
        net.Backward(outputGradient, inputGradient);

        (double[] gradients, double[] expectedInputGradient) = reference.Backward(reference.Forward(input), default, outputGradient);
        AssertGradientsClose(net, gradients, 1e-4);
        AssertClose(inputGradient, expectedInputGradient, 1e-4, "dx");
    }

    [Theory]
    [MemberData(nameof(LossNetworks))]
    public void The_reference_agrees_with_central_differences(string name)
    {
        // The reference's own backward pass against (L(θ+h) − L(θ−h))/2h in double precision, so that it cannot share a mistake with the kernels.
        INetwork net = Create(name);
        float[] parameters = net.Parameters.ToArray();
        float[] input = Random(2 * net.InputSize, seed: 500);
        float[] targets = Targets(net, 2, seed: 501);
        var reference = new ConvReference(net.Architecture, parameters);
        (double[] gradients, double[] inputGradient) = reference.Backward(reference.Forward(input), targets, default);
        const double h = 1e-5;
        foreach (ParameterBlock block in net.ParameterBlocks)
            for (int s = 0; s < Math.Min(block.Length, 12); s++)
            {
                int i = block.Offset + s * block.Length / Math.Min(block.Length, 12);
                double Loss(double delta)
                {
                    var r = new ConvReference(net.Architecture, parameters);
                    r.Parameters[i] += delta;
                    return r.Loss(r.Forward(input), targets);
                }
                double numeric = (Loss(h) - Loss(-h)) / (2 * h);
                Assert.True(Math.Abs(numeric - gradients[i]) <= 1e-6 + 1e-4 * Math.Abs(numeric), $"{block.Name}[{i - block.Offset}]: reference {gradients[i]}, central difference {numeric}");
            }
        for (int i = 0; i < input.Length; i += Math.Max(1, input.Length / 12))
        {
            double LossAt(float delta)
            {
                float[] moved = (float[])input.Clone();
                moved[i] += delta; // a float step: the reference reads float inputs
                return reference.Loss(reference.Forward(moved), targets);
            }
            const float step = 1e-2f;
            double numeric = (LossAt(step) - LossAt(-step)) / (2 * (double)((input[i] + step) - input[i]));
            Assert.True(Math.Abs(numeric - inputGradient[i]) <= 1e-4 + 2e-2 * Math.Abs(numeric), $"dx[{i}]: reference {inputGradient[i]}, central difference {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(LossNetworks))]
    public void GradientCheck_passes(string name)
    {
        var net = (ILossNetwork)Create(name);
        float[] input = Random(2 * net.InputSize, seed: 600);
        float[] targets = Targets(net, 2, seed: 601);

        // SimpleConvNet's first layer feeds 17,280 ReLUs per row: a step of 2e-3 in one of its weights moves hundreds
        // of pre-activations, and some cross zero by less than the kink test can see; a smaller step crosses fewer.
        float step = name == "SimpleConvNet" ? 5e-4f : 2e-3f;
        GradientCheckResult result = GradientCheck.Run(net, input, targets, step, maxPerBlock: 30);

        Assert.True(result.Passed(2e-2), result.ToString());
        Assert.True(result.TotalChecked >= net.ParameterBlocks.Length * 5, result.ToString());
    }

    [Fact]
    public void GradientCheck_passes_through_Backward_from_an_output_gradient()
    {
        var net = (ConvOnlyNet)Create("ConvOnlyNet");
        float[] input = Random(3 * ConvOnlyNet.InputSize, seed: 700);
        float[] outputGradient = Random(3 * ConvOnlyNet.OutputSize, seed: 701);

        GradientCheckResult result = GradientCheck.RunWithOutputGradient(net, input, outputGradient, maxPerBlock: 50);

        Assert.True(result.Passed(1e-2), result.ToString());
    }

    [Theory]
    [MemberData(nameof(LossNetworks))]
    public void BackwardSgd_is_Backward_then_the_SGD_step_and_leaves_Gradients_alone(string name)
    {
        const float lr = 0.05f;
        var fused = (ILossNetwork)Create(name);
        var plain = (ILossNetwork)Create(name);
        float[] input = Random(3 * fused.InputSize, seed: 800);
        float[] targets = Targets(fused, 3, seed: 801);

        plain.Loss(input, targets);
        plain.Backward();
        double[] expected = new double[plain.Parameters.Length];
        for (int i = 0; i < expected.Length; i++) expected[i] = plain.Parameters[i] - (double)lr * plain.Gradients[i];

        fused.Gradients.Fill(float.NaN);
        fused.Loss(input, targets);
        fused.BackwardSgd(lr);

        foreach (ParameterBlock block in fused.ParameterBlocks)
            AssertClose(fused.Parameters.Slice(block.Offset, block.Length), expected.AsSpan(block.Offset, block.Length), 1e-5, block.Name);
        foreach (float g in fused.Gradients) Assert.True(float.IsNaN(g), "BackwardSgd wrote Gradients, which its contract says it does not");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(Capacity)]
    public void Workspace_Forward_gives_what_Forward_gives(int batch)
    {
        void Check<TNet>(TNet net, Action<float[], float[]> viaWorkspace) where TNet : INetwork
        {
            float[] x = Random(batch * net.InputSize, seed: 900 + batch);
            var expected = new float[batch * net.OutputSize];
            var got = new float[batch * net.OutputSize];
            net.Forward(x, expected);
            viaWorkspace(x, got);
            Assert.Equal(expected, got); // the same kernels on the same data: bit for bit
        }
        var simple = (SimpleConvNet)Create("SimpleConvNet");
        Check(simple, (x, y) => simple.Forward(x, y, new SimpleConvNet.Workspace(Capacity)));
        var strided = (StridedConvNet)Create("StridedConvNet");
        Check(strided, (x, y) => strided.Forward(x, y, new StridedConvNet.Workspace(Capacity)));
        var chain = (ConvChainNet)Create("ConvChainNet");
        Check(chain, (x, y) => chain.Forward(x, y, new ConvChainNet.Workspace(Capacity)));
        var poolFirst = (PoolFirstNet)Create("PoolFirstNet");
        Check(poolFirst, (x, y) => poolFirst.Forward(x, y, new PoolFirstNet.Workspace(Capacity)));
        var convOnly = (ConvOnlyNet)Create("ConvOnlyNet");
        Check(convOnly, (x, y) => convOnly.Forward(x, y, new ConvOnlyNet.Workspace(Capacity)));
    }

    [Fact]
    public void Two_threads_with_a_workspace_each_share_one_conv_network()
    {
        // Each thread's im2col columns and argmax indices are its workspace's: were they the instance's, the
        // threads would overwrite each other's and the outputs would differ from the single-threaded ones.
        var net = (SimpleConvNet)Create("SimpleConvNet");
        float[][] inputs = { Random(Capacity * SimpleConvNet.InputSize, seed: 1000), Random(Capacity * SimpleConvNet.InputSize, seed: 1001) };
        float[][] expected = inputs.Select(x => { var y = new float[Capacity * SimpleConvNet.OutputSize]; net.Forward(x, y); return y; }).ToArray();
        var mismatches = new int[2];
        using var start = new Barrier(2);
        Thread[] threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var workspace = new SimpleConvNet.Workspace(Capacity);
            var y = new float[Capacity * SimpleConvNet.OutputSize];
            start.SignalAndWait();
            for (int round = 0; round < 40; round++)
            {
                net.Forward(inputs[t], y, workspace);
                if (!y.AsSpan().SequenceEqual(expected[t])) mismatches[t]++;
            }
        })).ToArray();
        foreach (Thread thread in threads) thread.Start();
        foreach (Thread thread in threads) thread.Join();
        Assert.Equal(new[] { 0, 0 }, mismatches);
    }

    [Fact]
    public void Conv_networks_allocate_nothing_after_construction()
    {
        var net = new SimpleConvNet(batchCapacity: 8, seed: 1);
        var workspace = new SimpleConvNet.Workspace(batchCapacity: 8);
        var strided = new StridedConvNet(batchCapacity: 8, seed: 2);
        var chain = new ConvChainNet(batchCapacity: 8, seed: 3);
        float[] input = Random(8 * SimpleConvNet.InputSize, seed: 1100);
        float[] stridedInput = Random(8 * StridedConvNet.InputSize, seed: 1101);
        float[] chainInput = Random(8 * ConvChainNet.InputSize, seed: 1102);
        var output = new float[8 * 10];
        var inputGradient = new float[8 * SimpleConvNet.InputSize];
        var stridedTargets = new float[8 * StridedConvNet.OutputSize];
        var labels = new int[8];
        for (int i = 0; i < 8; i++) labels[i] = i % 5;

        void Everything(int batch)
        {
            ReadOnlySpan<float> x = input.AsSpan(0, batch * SimpleConvNet.InputSize);
            net.Forward(x, output.AsSpan(0, batch * 10));
            net.Forward(x, output.AsSpan(0, batch * 10), workspace);
            net.Backward(output.AsSpan(0, batch * 10), inputGradient.AsSpan(0, batch * SimpleConvNet.InputSize));
            net.Loss(x, labels.AsSpan(0, batch));
            net.Backward();
            net.Loss(x, labels.AsSpan(0, batch));
            net.Backward(inputGradient.AsSpan(0, batch * SimpleConvNet.InputSize));
            net.Loss(x, labels.AsSpan(0, batch));
            net.BackwardSgd(0.01f);
            strided.Loss(stridedInput.AsSpan(0, batch * StridedConvNet.InputSize), stridedTargets.AsSpan(0, batch * StridedConvNet.OutputSize));
            strided.Backward();
            strided.Loss(stridedInput.AsSpan(0, batch * StridedConvNet.InputSize), stridedTargets.AsSpan(0, batch * StridedConvNet.OutputSize));
            strided.BackwardSgd(0.01f);
            chain.Loss(chainInput.AsSpan(0, batch * ConvChainNet.InputSize), labels.AsSpan(0, batch));
            chain.BackwardSgd(0.01f);
        }

        int[] batches = { 1, 5, 8 };
        foreach (int batch in batches) Everything(batch); // warm up: JIT, static constructors
        long allocated = Allocations.Least(() => { foreach (int batch in batches) Everything(batch); });

        Assert.Equal(0, allocated);
    }
}
