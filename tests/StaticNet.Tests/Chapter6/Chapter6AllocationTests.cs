using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Chapter6;

/// <summary>Zero bytes per step with every ch. 6 layer and weight decay on: counted exactly, not timed.</summary>
public class Chapter6AllocationTests
{
    [Fact]
    public void Chapter6_layers_and_weight_decay_allocate_nothing_per_step()
    {
        var net = new Chapter6EveryLayerNet(batchCapacity: 16, seed: 1) { WeightDecay = 0.1f };
        var conv = new WeightDecayConvNet(batchCapacity: 16, seed: 1) { WeightDecay = 0.1f };
        var adam = new Adam(Chapter6EveryLayerNet.ParameterCount);
        float[] x = Naive.Gaussian(16 * 64, seed: 1), t = Naive.Uniform(16, seed: 2, 0, 1), output = new float[16];
        float[] cx = Naive.Gaussian(16 * WeightDecayConvNet.InputSize, seed: 3), ct = new float[16 * 2], dx = new float[16 * 64];

        void Step(int batch)
        {
            net.Forward(x.AsSpan(0, batch * 64), output.AsSpan(0, batch));
            net.Backward(output.AsSpan(0, batch), dx.AsSpan(0, batch * 64));
            net.Loss(x.AsSpan(0, batch * 64), t.AsSpan(0, batch));
            net.Backward(dx.AsSpan(0, batch * 64));
            adam.Step(net.Parameters, net.Gradients);
            net.Loss(x.AsSpan(0, batch * 64), t.AsSpan(0, batch));
            net.BackwardSgd(0.01f);
            conv.Loss(cx.AsSpan(0, batch * WeightDecayConvNet.InputSize), ct.AsSpan(0, batch * 2));
            conv.Backward();
            conv.Loss(cx.AsSpan(0, batch * WeightDecayConvNet.InputSize), ct.AsSpan(0, batch * 2));
            conv.BackwardSgd(0.01f);
        }

        int[] batches = { 1, 5, 16 };
        foreach (int b in batches) Step(b); // warm up
        Assert.Equal(0, Allocations.Least(() => { foreach (int b in batches) Step(b); }));
    }
}
