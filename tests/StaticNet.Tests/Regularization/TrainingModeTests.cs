using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// The Training switch on BatchNormDropoutNet ([Dense(5)] [BatchNorm] [ReLU] [Dropout(0.3)] [Dense(3)]
/// [SoftmaxCrossEntropy]): Loss trains while it is on (the default), Forward is always inference, and Loss with it off
/// is the inference loss, the cross-entropy of Forward's own probabilities.
/// </summary>
public class TrainingModeTests
{
    private const int N = 8;

    private static (float[] X, int[] Labels, float[] Targets) Batch(int seed)
    {
        float[] x = BatchNormReference.Random(N * 6, seed, scale: 2, offset: 0.5);
        var labels = new int[N];
        var targets = new float[N * 3];
        for (int i = 0; i < N; i++) { labels[i] = (i + seed) % 3; targets[i * 3 + labels[i]] = 1; }
        return (x, labels, targets);
    }

    /// <summary>−Σ log p[label] / N from Forward's probabilities, in double.</summary>
    private static double CrossEntropy(float[] probabilities, int[] labels)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++) sum -= Math.Log(probabilities[i * 3 + labels[i]]);
        return sum / labels.Length;
    }

    private static BatchNormDropoutNet Trained()
    {
        var net = new BatchNormDropoutNet(batchCapacity: N, seed: 2);
        var sgd = new Sgd(0.1f);
        for (int step = 0; step < 20; step++)
        {
            var (x, labels, _) = Batch(step);
            net.Loss(x, labels);
            net.Backward();
            sgd.Step(net);
        }
        return net;
    }

    [Fact]
    public void TrainingMode_is_on_by_default_and_Loss_trains_while_Forward_infers()
    {
        var net = Trained();
        Assert.True(net.Training);
        var (x, labels, _) = Batch(99);

        // Forward: inference, deterministic, leaves the running statistics alone.
        float[] state = net.State.ToArray();
        var p1 = new float[N * 3];
        var p2 = new float[N * 3];
        net.Forward(x, p1);
        net.Forward(x, p2);
        Assert.Equal(p1, p2);
        Assert.Equal(state, net.State.ToArray());

        // Loss with Training off: the inference loss (Forward's probabilities), nothing changed, the same each time.
        net.Training = false;
        float inference = net.Loss(x, labels);
        Assert.Equal(CrossEntropy(p1, labels), inference, 5);
        Assert.Equal(inference, net.Loss(x, labels));
        Assert.Equal(state, net.State.ToArray());

        // Loss with Training on: batch statistics and a new dropout mask each time, running statistics moved.
        net.Training = true;
        float a = net.Loss(x, labels);
        float[] moved = net.State.ToArray();
        float b = net.Loss(x, labels);
        Assert.NotEqual(inference, a);
        Assert.NotEqual(a, b);
        Assert.NotEqual(state, moved);
        Assert.NotEqual(moved, net.State.ToArray());

        // The per-caller workspace form is inference as well, equal to Forward.
        var p3 = new float[N * 3];
        var workspace = new BatchNormDropoutNet.Workspace(N);
        net.Forward(x, p1);
        net.Forward(x, p3, workspace);
        Assert.Equal(p1, p3);
    }

    [Fact]
    public void TrainingMode_backward_differentiates_the_form_the_forward_ran()
    {
        var net = Trained();
        var (x, _, targets) = Batch(50);
        net.Training = false;
        var check = GradientCheck.Run(net, x, targets, step: 1e-2f, maxPerBlock: 20);
        // Inference form: BatchNorm is a fixed affine map, so even the bias before it has a gradient.
        Assert.True(check.Passed(1e-2), check.ToString());

        net.Training = true;
        net.KeepDropoutMasks = true;
        check = GradientCheck.Run(net, x, targets, step: 1e-2f, maxPerBlock: 20);
        foreach (GradientCheckBlock block in check.Blocks)
            if (block.Block != "b1") Assert.True(block.Checked > 0 && block.RelativeError <= 1e-2, check.ToString());
    }

    [Fact]
    public void TrainingMode_is_off_while_Trainer_validates()
    {
        var net = new BatchNormDropoutNet(batchCapacity: N, seed: 3);
        var inputs = new float[40 * 6];
        var labels = new int[40];
        for (int i = 0; i < 40; i++)
        {
            labels[i] = i % 3;
            for (int j = 0; j < 6; j++) inputs[i * 6 + j] = (float)Math.Sin(i * 0.7 + j) + labels[i];
        }
        var result = Trainer.Fit(net, new Sgd(0.05f), inputs, labels, new FitOptions { Epochs = 2, BatchSize = N, ValidationSplit = 0.2, Seed = 1 });
        Assert.True(net.Training); // back on after each validation
        // The validation loss of the last epoch is the inference loss of the validation rows: recompute it.
        net.Training = false;
        double sum = 0;
        for (int start = 32; start < 40; start += N)
            sum += net.Loss(inputs.AsSpan(start * 6, N * 6), labels.AsSpan(start, N)) * N;
        Assert.Equal(sum / 8, result.Epochs[^1].ValidationLoss, 4);
    }

    [Fact]
    public void TrainingMode_a_network_without_a_loss_runs_the_inference_form()
    {
        var net = new BatchNormNoLossNet(batchCapacity: 3, seed: 1);
        float[] x = BatchNormReference.Random(3 * 4, seed: 4);
        var output = new float[3 * 3];
        net.Forward(x, output);
        // γ = 1, β = 0, running mean 0, variance 1, dropout the identity: y = (x·W + b) / √(1 + ε).
        float[] w = net.W1.ToArray(), b = net.b1.ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double a = b[j];
                for (int k = 0; k < 4; k++) a += (double)x[i * 4 + k] * w[k * 3 + j];
                Assert.Equal(a / Math.Sqrt(1 + 1e-5), output[i * 3 + j], 5);
            }
        GradientCheckResult check = GradientCheck.RunWithOutputGradient(net, x, BatchNormReference.Random(9, seed: 5));
        Assert.True(check.Passed(1e-2), check.ToString());
    }

    [Fact]
    public void TrainingMode_BackwardSgd_takes_the_step_Backward_and_Sgd_take()
    {
        // Two identical networks, the same masks (KeepDropoutMasks, drawn by one shared first Loss each).
        BatchNormDropoutNet a = Trained(), b = Trained();
        a.KeepDropoutMasks = b.KeepDropoutMasks = true;
        var (x, labels, _) = Batch(7);
        Assert.Equal(a.Loss(x, labels), b.Loss(x, labels));
        a.BackwardSgd(0.05f);
        b.Backward();
        new Sgd(0.05f).Step(b);
        float[] pa = a.Parameters.ToArray(), pb = b.Parameters.ToArray();
        Assert.NotEqual(Trained().Parameters.ToArray(), pa); // the step moved the weights
        for (int i = 0; i < pa.Length; i++) Assert.True(Math.Abs(pa[i] - pb[i]) <= 1e-6f * (1 + Math.Abs(pb[i])), $"parameter {i}: {pa[i]} vs {pb[i]}");
        Assert.Equal(a.State.ToArray(), b.State.ToArray());
    }
}
