using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests;

/// <summary>Zero bytes after construction: allocation is counted exactly, so this is a test, not a benchmark.</summary>
public class AllocationTests
{
    [Fact]
    public void Forward_Loss_Backward_and_optimizer_steps_allocate_nothing()
    {
        var net = new Net784x100x10Sce(batchCapacity: 32, seed: 1);
        var sgd = new Sgd(0.01f);
        var momentum = new Momentum(Net784x100x10Sce.ParameterCount);
        var adam = new Adam(Net784x100x10Sce.ParameterCount);
        var input = new float[32 * 784];
        var output = new float[32 * 10];
        var labels = new int[32];
        var targets = new float[32 * 10];
        var outputGradient = new float[32 * 10];
        var inputGradient = new float[32 * 784];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;
        for (int i = 0; i < 32; i++) { labels[i] = i % 10; targets[i * 10 + i % 10] = 1; }

        void Everything(int batch)
        {
            ReadOnlySpan<float> x = input.AsSpan(0, batch * 784);
            net.Forward(x, output.AsSpan(0, batch * 10));
            net.Backward(outputGradient.AsSpan(0, batch * 10), inputGradient.AsSpan(0, batch * 784));
            net.Loss(x, labels.AsSpan(0, batch));
            net.Backward();
            sgd.Step(net.Parameters, net.Gradients);
            net.Loss(x, targets.AsSpan(0, batch * 10));
            net.Backward();
            momentum.Step(net.Parameters, net.Gradients);
            adam.Step(net.Parameters, net.Gradients);
            sgd.Step(net);
            net.Loss(x, labels.AsSpan(0, batch));
            net.BackwardSgd(0.01f);
        }

        int[] batches = { 1, 7, 32 };
        foreach (int batch in batches) Everything(batch); // warm up: JIT, static constructors
        long allocated = Allocations.Least(() => { foreach (int batch in batches) Everything(batch); });

        Assert.Equal(0, allocated);
    }
}
