using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Regularization;

/// <summary>Zero bytes per call for networks with BatchNorm and Dropout, in both modes, counted exactly.</summary>
public class BatchNormAllocationTests
{
    private static readonly bool[] s_modes = { true, false };

    [Fact]
    public void BatchNorm_and_Dropout_networks_allocate_nothing_per_call()
    {
        var dense = new BatchNormDropoutNet(batchCapacity: 16, seed: 1);
        var conv = new BatchNormConvNet(batchCapacity: 16, seed: 1);
        var denseWorkspace = new BatchNormDropoutNet.Workspace(16);
        var convWorkspace = new BatchNormConvNet.Workspace(16);
        var adam = new Adam(BatchNormDropoutNet.ParameterCount);
        float[] xd = BatchNormReference.Random(16 * 6, seed: 1), xc = BatchNormReference.Random(16 * 50, seed: 2);
        var labels = new int[16];
        for (int i = 0; i < 16; i++) labels[i] = i % 3;
        var outDense = new float[16 * 3];
        var outConv = new float[16 * 4];
        var gradient = new float[16 * 4];
        var inputGradient = new float[16 * 50];

        void Everything(int batch)
        {
            foreach (bool training in s_modes)
            {
                dense.Training = training;
                conv.Training = training;
                dense.Loss(xd.AsSpan(0, batch * 6), labels.AsSpan(0, batch));
                dense.Backward();
                adam.Step(dense);
                dense.Loss(xd.AsSpan(0, batch * 6), labels.AsSpan(0, batch));
                dense.BackwardSgd(0.01f);
                conv.Loss(xc.AsSpan(0, batch * 50), labels.AsSpan(0, batch));
                conv.Backward(inputGradient.AsSpan(0, batch * 50));
                conv.Loss(xc.AsSpan(0, batch * 50), labels.AsSpan(0, batch));
                conv.BackwardSgd(0.01f);
            }
            dense.Forward(xd.AsSpan(0, batch * 6), outDense.AsSpan(0, batch * 3));
            dense.Forward(xd.AsSpan(0, batch * 6), outDense.AsSpan(0, batch * 3), denseWorkspace);
            conv.Forward(xc.AsSpan(0, batch * 50), outConv.AsSpan(0, batch * 4));
            conv.Backward(gradient.AsSpan(0, batch * 4), inputGradient.AsSpan(0, batch * 50));
            conv.Forward(xc.AsSpan(0, batch * 50), outConv.AsSpan(0, batch * 4), convWorkspace);
        }

        int[] batches = { 2, 7, 16 };
        foreach (int batch in batches) Everything(batch); // warm up
        long allocated = Allocations.Least(() => { foreach (int batch in batches) Everything(batch); });
        Assert.Equal(0, allocated);
    }
}
