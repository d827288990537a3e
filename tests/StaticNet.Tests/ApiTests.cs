using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests;

/// <summary>The generated surface: constants, summary, views, and clear errors for wrong input.</summary>
public class ApiTests
{
    [Fact]
    public void Constants_describe_the_declaration()
    {
        Assert.Equal(784, TwoLayerNet.InputSize);
        Assert.Equal(10, TwoLayerNet.OutputSize);
        Assert.Equal(784 * 50 + 50 + 50 * 10 + 10, TwoLayerNet.ParameterCount);
        Assert.Equal("Input(784) Dense(50) Sigmoid Dense(10) SoftmaxCrossEntropy", TwoLayerNet.Architecture);
        Assert.Contains("Dense1 (W1, b1)      (N, 50)           39,250", TwoLayerNet.Summary);
        Assert.Contains("Total parameters: 39,760", TwoLayerNet.Summary);
    }

    [Fact]
    public void Named_views_are_the_blocks_of_Parameters_in_order()
    {
        var net = new TwoLayerNet(2, seed: 1);
        net.W1[3] = 11; net.b1[0] = 12; net.W2[499] = 13; net.b2[9] = 14;
        Assert.Equal(11, net.Parameters[3]);
        Assert.Equal(12, net.Parameters[39200]);
        Assert.Equal(13, net.Parameters[39250 + 499]);
        Assert.Equal(14, net.Parameters[39759]);
        Assert.Equal(new[] { "W1", "b1", "W2", "b2" }, Array.ConvertAll(net.ParameterBlocks.ToArray(), b => b.Name));
        Assert.Equal(39760, net.Parameters.Length);
        Assert.Equal(39760, net.Gradients.Length);
    }

    [Fact]
    public unsafe void Parameters_and_Gradients_start_on_a_cache_line_and_their_views_stay_inside()
    {
        for (int i = 0; i < 8; i++) // several allocations: the arrays land at different addresses
        {
            var net = new TwoLayerNet(1 + i, seed: i);
            _ = new byte[40 * i + 8]; // and move the next allocation along
            fixed (float* p = net.Parameters) Assert.Equal(0, (long)p % StaticNet.Kernels.Aligned.LineBytes);
            fixed (float* g = net.Gradients) Assert.Equal(0, (long)g % StaticNet.Kernels.Aligned.LineBytes);
            fixed (float* p = net.Parameters) fixed (float* w1 = net.W1) fixed (float* b2 = net.b2) { Assert.True(p == w1); Assert.True(b2 == p + 39750); }
            fixed (float* g = net.Gradients) fixed (float* dw1 = net.dW1) fixed (float* db2 = net.db2) { Assert.True(g == dw1); Assert.True(db2 == g + 39750); }
        }
    }

    [Fact]
    public void The_floats_around_the_parameter_blocks_are_never_written()
    {
        // The kernels write through refs, not bounds-checked spans: a training step must leave the line's worth of floats
        // before and after each block (the arrays are a cache line longer than the block) as they were, zero.
        var net = new TwoLayerNet(4, seed: 3);
        var x = new float[4 * 784];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 11 + 1) / 11f;
        float before = net.Parameters[0];
        for (int step = 0; step < 3; step++)
        {
            net.Loss(x, new[] { 1, 2, 3, 4 });
            net.Backward();
            net.Loss(x, new[] { 1, 2, 3, 4 });
            net.BackwardSgd(0.5f);
        }
        Assert.NotEqual(before, net.Parameters[0]);
        AssertZeroAroundBlocks(net, TwoLayerNet.ParameterCount);
    }

    /// <summary>
    /// The floats of a generated network's <c>_parameters</c> and <c>_gradients</c> arrays outside its blocks (before <c>_p</c>
    /// and <c>_g</c>, and after <paramref name="parameterCount"/> floats from there) are all zero.
    /// </summary>
    internal static void AssertZeroAroundBlocks(object net, int parameterCount)
    {
        var flags = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        foreach ((string array, string start) in new[] { ("_parameters", "_p"), ("_gradients", "_g") })
        {
            float[] block = (float[])net.GetType().GetField(array, flags)!.GetValue(net)!;
            int first = (int)net.GetType().GetField(start, flags)!.GetValue(net)!;
            Assert.Equal(parameterCount + 15, block.Length);
            for (int i = 0; i < block.Length; i++)
                if (i < first || i >= first + parameterCount) Assert.True(block[i] == 0f, $"{array}[{i}] = {block[i]} outside the block at {first}");
        }
    }

    [Fact]
    public void Input_that_is_not_whole_rows_is_rejected_with_the_expected_sizes()
    {
        var net = new TwoLayerNet(batchCapacity: 4);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(new float[785], new float[10]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("rows of 784 floats, 1 to 4 of them", e.Message);
        Assert.Contains("got 785", e.Message);
    }

    [Fact]
    public void A_batch_over_capacity_is_rejected()
    {
        var net = new TwoLayerNet(batchCapacity: 2);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(new float[3 * 784], new float[30]));
        Assert.Contains("up to 1568", e.Message);
        Assert.Throws<ArgumentException>(() => net.Forward(Array.Empty<float>(), Array.Empty<float>()));
    }

    [Fact]
    public void Output_of_the_wrong_length_is_rejected_naming_the_expected_size()
    {
        var net = new TwoLayerNet(batchCapacity: 2);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(new float[2 * 784], new float[10]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("hold 20 values", e.Message);
    }

    [Fact]
    public void Labels_and_targets_must_fit_the_batch()
    {
        var net = new TwoLayerNet(batchCapacity: 2);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => net.Loss(new float[2 * 784], new int[] { 1 })).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => net.Loss(new float[2 * 784], new float[10])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => net.Loss(new float[784], new int[] { 10 }));
        Assert.Contains("labels[0] is 10, not a class index in [0, 10)", e.Message);
    }

    [Fact]
    public void Backward_needs_a_loss_and_the_gradient_must_fit_the_latest_batch()
    {
        var net = new TwoLayerNet(batchCapacity: 3);
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<InvalidOperationException>(() => net.Backward(new float[10], Span<float>.Empty));
        net.Forward(new float[2 * 784], new float[20]);
        Assert.Throws<InvalidOperationException>(() => net.Backward()); // a Forward is not a Loss
        Assert.Equal("outputGradient", Assert.Throws<ArgumentException>(() => net.Backward(new float[10], Span<float>.Empty)).ParamName);
        Assert.Equal("inputGradient", Assert.Throws<ArgumentException>(() => net.Backward(new float[20], new float[784])).ParamName);
        net.Backward(new float[20], new float[2 * 784]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Batch_capacity_must_be_positive_and_fit_in_memory(int capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TwoLayerNet(capacity));

    [Fact]
    public void Sgd_step_is_W_minus_lr_times_dW()
    {
        float[] p = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 };
        float[] g = Array.ConvertAll(p, v => v * 0.5f);
        new Sgd(0.1f).Step(p, g);
        for (int i = 0; i < p.Length; i++) Assert.Equal((i + 1) * 0.95f, p[i], 5);
        Assert.Throws<ArgumentException>(() => new Sgd(0.1f).Step(p, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0));
    }

    [Fact]
    public void GradientCheck_catches_a_wrong_gradient()
    {
        var wrong = new WrongGradientNet();
        GradientCheckResult result = GradientCheck.Run(wrong, new float[] { 1, 2 }, new float[] { 0 });
        Assert.InRange(result.MaxRelativeError, 0.4, 0.6); // Backward reports 2x the true slope
    }

    /// <summary>L = (w · x)²/2 with a Backward that is off by a factor of two.</summary>
    private sealed class WrongGradientNet : ILossNetwork
    {
        private readonly float[] _w = { 0.5f, 0.25f }, _g = new float[2];
        private float[] _x = new float[2];
        public int InputSize => 2;
        public int OutputSize => 1;
        public int ParameterCount => 2;
        public int BatchCapacity => 1;
        public string Architecture => "Input(2) Custom";
        public Span<float> Parameters => _w;
        public Span<float> Gradients => _g;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => new[] { new ParameterBlock("w", "Custom", ParameterKind.Weights, 0, 2, 2, 1) };
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => output[0] = _w[0] * input[0] + _w[1] * input[1];
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => throw new NotSupportedException();
        public void BackwardSgd(float learningRate) => throw new NotSupportedException();
        public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets)
        {
            _x = input.ToArray();
            float y = _w[0] * input[0] + _w[1] * input[1];
            return y * y / 2;
        }
        public void Backward()
        {
            float y = _w[0] * _x[0] + _w[1] * _x[1];
            _g[0] = 2 * y * _x[0];
            _g[1] = 2 * y * _x[1];
        }
    }
}
