using System;
using StaticNet;
using Xunit;

namespace StaticNet.Tests;

[Network] [Input(2)] [Dense(8)] [Tanh] [Dense(1)] [MeanSquaredError]
public partial class XorNet;

[Network] [Input(2)] [Dense(16)] [ReLU] [Dense(2)] [SoftmaxCrossEntropy]
public partial class XorClassifier;

/// <summary>End to end: a declared network learns a task no linear model can.</summary>
public class TrainingTests
{
    private static readonly float[] Inputs = { 0, 0, 0, 1, 1, 0, 1, 1 };

    [Fact]
    public void XorNet_learns_xor_to_a_mean_squared_error_below_0_01()
    {
        var net = new XorNet(batchCapacity: 4, seed: 7);
        var sgd = new Sgd(0.5f);
        float[] targets = { 0, 1, 1, 0 };
        float first = net.Loss(Inputs, targets), loss = first;
        for (int epoch = 0; epoch < 2000; epoch++)
        {
            loss = net.Loss(Inputs, targets);
            net.Backward();
            sgd.Step(net.Parameters, net.Gradients);
        }
        Assert.True(loss < 0.01f, $"loss {loss} after 2000 steps (started at {first})");
        var output = new float[4];
        net.Forward(Inputs, output);
        for (int i = 0; i < 4; i++) Assert.Equal(targets[i], MathF.Round(output[i]));
    }

    [Fact]
    public void XorClassifier_learns_xor_with_labels_and_Adam()
    {
        var net = new XorClassifier(batchCapacity: 4, seed: 3);
        var adam = new Adam(XorClassifier.ParameterCount, learningRate: 0.05f);
        int[] labels = { 0, 1, 1, 0 };
        float loss = 0;
        for (int epoch = 0; epoch < 300; epoch++)
        {
            loss = net.Loss(Inputs, labels);
            net.Backward();
            adam.Step(net.Parameters, net.Gradients);
        }
        Assert.True(loss < 0.05f, $"cross-entropy {loss} after 300 steps");
        var p = new float[8];
        net.Forward(Inputs, p);
        for (int i = 0; i < 4; i++) Assert.True(p[i * 2 + labels[i]] > 0.9f, $"row {i}: p = {p[i * 2]}, {p[i * 2 + 1]}");
    }

    [Fact]
    public void XorClassifier_learns_xor_through_Trainer_Fit_with_AdamW()
    {
        var net = new XorClassifier(batchCapacity: 4, seed: 3);
        var adamW = new AdamW(XorClassifier.ParameterCount, learningRate: 0.05f, weightDecay: 0.001f);
        int[] labels = { 0, 1, 1, 0 };
        TrainingHistory history = Trainer.Fit(net, adamW, Inputs, labels, new FitOptions { Epochs = 300, Seed = 1 });
        Assert.Equal(300, history.Epochs.Count);
        Assert.True(history.Epochs[^1].Loss < 0.05f, $"cross-entropy {history.Epochs[^1].Loss} after 300 epochs");
        var p = new float[8];
        net.Forward(Inputs, p);
        for (int i = 0; i < 4; i++) Assert.True(p[i * 2 + labels[i]] > 0.9f, $"row {i}: p = {p[i * 2]}, {p[i * 2 + 1]}");
    }
}
