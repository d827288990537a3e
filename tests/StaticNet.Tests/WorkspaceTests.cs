using System;
using System.Threading;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests;

/// <summary>One set of weights, many callers: the generated Workspace form of Forward.</summary>
public class WorkspaceTests
{
    private static float[] Inputs(int rows, int size, int salt)
    {
        var x = new float[rows * size];
        var random = new Random64(salt);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(32)]
    public void Gives_what_the_instance_Forward_gives(int batch)
    {
        var net = new Net784x100x10Sce(batchCapacity: 32, seed: 3);
        var workspace = new Net784x100x10Sce.Workspace(batchCapacity: 32);
        float[] x = Inputs(batch, 784, batch);
        var expected = new float[batch * 10];
        var got = new float[batch * 10];
        net.Forward(x, expected);
        net.Forward(x, got, workspace);
        Assert.Equal(expected, got); // the same kernels on the same data: bit for bit
    }

    [Fact]
    public void Every_network_shape_agrees_with_its_own_Forward()
    {
        void Check<TNet>(TNet net, Action<float[], float[]> viaWorkspace) where TNet : INetwork
        {
            float[] x = Inputs(3, net.InputSize, net.InputSize);
            var expected = new float[3 * net.OutputSize];
            var got = new float[3 * net.OutputSize];
            net.Forward(x, expected);
            viaWorkspace(x, got);
            Assert.Equal(expected, got);
        }
        var mse = new Net1x3x1Mse(3, 1);
        Check(mse, (x, y) => mse.Forward(x, y, new Net1x3x1Mse.Workspace(3)));
        var deep = new DeepNet(3, 1);
        Check(deep, (x, y) => deep.Forward(x, y, new DeepNet.Workspace(3)));
        var first = new ActivationFirstNet(3, 1);
        Check(first, (x, y) => first.Forward(x, y, new ActivationFirstNet.Workspace(3)));
        var noLoss = new NoLossNet(3, 1);
        Check(noLoss, (x, y) => noLoss.Forward(x, y, new NoLossNet.Workspace(3)));
        var lossOnly = new LossOnlyNet(3, 1);
        Check(lossOnly, (x, y) => lossOnly.Forward(x, y, new LossOnlyNet.Workspace(3)));
        var softmax = new Net8x33x8Softmax(3, 1);
        Check(softmax, (x, y) => softmax.Forward(x, y, new Net8x33x8Softmax.Workspace(3)));
    }

    [Fact]
    public void Two_threads_share_one_set_of_weights()
    {
        var net = new Net784x100x10Sce(batchCapacity: 8, seed: 5);
        const int rows = 8, rounds = 300;
        float[][] inputs = { Inputs(rows, 784, 1), Inputs(rows, 784, 2) };
        float[][] expected = new float[2][];
        for (int k = 0; k < 2; k++)
        {
            expected[k] = new float[rows * 10];
            net.Forward(inputs[k], expected[k]);
        }

        int wrong = 0;
        Exception? failure = null;
        using var start = new Barrier(2);
        var threads = new Thread[2];
        for (int k = 0; k < 2; k++)
        {
            int me = k;
            threads[k] = new Thread(() =>
            {
                try
                {
                    var workspace = new Net784x100x10Sce.Workspace(rows);
                    var output = new float[rows * 10];
                    start.SignalAndWait();
                    for (int r = 0; r < rounds; r++)
                    {
                        net.Forward(inputs[me], output, workspace);
                        if (!output.AsSpan().SequenceEqual(expected[me])) Interlocked.Increment(ref wrong);
                    }
                }
                catch (Exception e) { failure = e; }
            });
            threads[k].Start();
        }
        foreach (Thread t in threads) t.Join();
        Assert.Null(failure);
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Allocates_nothing_and_checks_its_spans()
    {
        var net = new Net784x100x10Sce(batchCapacity: 1, seed: 5);
        var workspace = new Net784x100x10Sce.Workspace(batchCapacity: 4);
        float[] x = Inputs(4, 784, 9);
        var y = new float[40];
        net.Forward(x, y, workspace); // a workspace larger than the instance's own capacity is fine
        Assert.Equal(0, Allocations.Least(() => { for (int i = 0; i < 10; i++) net.Forward(x, y, workspace); }));

        var big = new float[5 * 784];
        ArgumentException e = Assert.Throws<ArgumentException>(() => net.Forward(big, new float[50], workspace));
        Assert.Contains("rows of 784", e.Message);
        Assert.Throws<ArgumentException>(() => net.Forward(x, new float[39], workspace));
        Assert.Throws<ArgumentNullException>(() => net.Forward(x, y, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Net784x100x10Sce.Workspace(0));
    }

    [Fact]
    public void Leaves_the_instance_state_alone()
    {
        // A workspace pass between Loss and Backward does not disturb what Backward reads.
        var net = new Net3x7x8Sce(batchCapacity: 2, seed: 4);
        var reference = new Net3x7x8Sce(batchCapacity: 2, seed: 4);
        float[] x = Inputs(2, 3, 7);
        int[] labels = { 1, 5 };
        net.Loss(x, labels);
        net.Forward(Inputs(2, 3, 8), new float[16], new Net3x7x8Sce.Workspace(2));
        net.Backward();
        reference.Loss(x, labels);
        reference.Backward();
        Assert.Equal(reference.Gradients.ToArray(), net.Gradients.ToArray());
    }
}
