using System;
using System.Threading.Tasks;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Recurrent;

/// <summary>
/// The recurrent networks keep the rules of the feed-forward ones (HardeningTests, WorkspaceTests): opt-in finite
/// checks, class-label losses, the targets of binary cross-entropy checked, BackwardSgd, a workspace per stream, and
/// the runtime helpers generic over ILossNetwork (GradientCheck, optimizers).
/// </summary>
public class RecurrentHardeningTests
{
    private static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((2 * r.NextDouble() - 1) * scale);
        return v;
    }

    // ---- Layout ----

    [Fact]
    public unsafe void Parameters_and_Gradients_start_on_a_cache_line_and_the_floats_around_them_stay_zero()
    {
        for (int i = 0; i < 4; i++)
        {
            var net = new LstmNet(maxSteps: 3, batchCapacity: 2, seed: i);
            _ = new byte[40 * i + 8];
            fixed (float* p = net.Parameters) Assert.Equal(0, (long)p % StaticNet.Kernels.Aligned.LineBytes);
            fixed (float* g = net.Gradients) Assert.Equal(0, (long)g % StaticNet.Kernels.Aligned.LineBytes);
            Assert.Equal(LstmNet.ParameterCount, net.Parameters.Length);
            float[] x = Random(2 * 3 * 3, i + 1), t = Random(2 * 3 * 2, i + 2);
            net.Loss(x, t, steps: 3);
            net.BackwardSgd(0.1f);
            net.Loss(x, t, steps: 3);
            net.Backward();
            ApiTests.AssertZeroAroundBlocks(net, LstmNet.ParameterCount);
        }
    }

    // ---- CheckFinite ----

    [Fact]
    public void CheckFinite_off_lets_a_NaN_through_and_on_names_it()
    {
        var net = new GruNet(maxSteps: 4, batchCapacity: 2, seed: 1);
        float[] x = Random(2 * 4 * 3, 1);
        x[7] = float.NaN;
        var y = new float[2 * 4 * 2];
        net.Forward(x, y, 4); // off by default: no check, NaN out
        Assert.True(float.IsNaN(y[2 * 2])); // row 2 (sequence 0, step 2) reads x[7]
        net.CheckFinite = true;
        var e = Assert.Throws<ArgumentException>("input", () => net.Forward(x, y, 4));
        Assert.Contains("input[7]", e.Message);
        Assert.Throws<ArgumentException>("input", () => net.Loss(x, new float[16], 4));
        Assert.Throws<ArgumentException>("input", () => net.LossAtLastStep(x, new float[4], 4));
        float[] good = Random(2 * 4 * 3, 2);
        var t = new float[16];
        t[3] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>("targets", () => net.Loss(good, t, 4));
        Assert.Throws<ArgumentException>("targets", () => net.LossAtLastStep(good, t.AsSpan(0, 4), 4));
        Assert.Throws<ArgumentException>("x", () => net.Step(new[] { 0f, float.NaN, 0f }, new float[2]));
        Assert.Throws<ArgumentException>("x", () => net.Step(new[] { float.NegativeInfinity, 0f, 0f }, new float[2], new GruNet.Workspace()));
        Assert.Throws<InvalidOperationException>(() => net.Backward()); // every rejected Loss left nothing to backpropagate
    }

    [Fact]
    public void CheckFinite_reports_a_loss_and_gradients_that_overflow()
    {
        var net = new GruNet(maxSteps: 3, seed: 1) { CheckFinite = true };
        float[] x = Random(3 * 3, 3);
        var huge = new float[3 * 2];
        Array.Fill(huge, 3e38f); // finite targets, but (y − t)² overflows float
        Assert.Throws<ArithmeticException>(() => net.Loss(x, huge, 3));
        Assert.Throws<ArithmeticException>(() => net.LossAtLastStep(x, huge.AsSpan(0, 2), 3));

        net.Forward(x, new float[6], 3);
        var dy = new float[6];
        Array.Fill(dy, 3e38f); // dW of the Dense head = hᵀ·dy sums three of them: ∞
        Assert.Throws<ArithmeticException>(() => net.Backward(dy, Span<float>.Empty));
        var nan = new float[6];
        nan[0] = float.NaN;
        net.Forward(x, new float[6], 3);
        Assert.Throws<ArgumentException>("outputGradient", () => net.Backward(nan, Span<float>.Empty));

        net.CheckFinite = false;
        net.Forward(x, new float[6], 3);
        net.Backward(dy, Span<float>.Empty); // off: no check
        Assert.Contains(net.Gradients.ToArray(), g => float.IsInfinity(g));
    }

    // ---- labels ----

    [Fact]
    public void Class_labels_per_step_are_one_hot_targets()
    {
        const int batch = 2, steps = 5;
        var a = new GruClassifierNet(steps, batch, seed: 3);
        var b = new GruClassifierNet(steps, batch, seed: 3);
        float[] x = Random(batch * steps * 4, 4);
        int[] labels = { 0, 2, 1, 1, 0, 2, 2, 0, 1, 0 };
        var oneHot = new float[batch * steps * 3];
        for (int r = 0; r < labels.Length; r++) oneHot[r * 3 + labels[r]] = 1;
        var dxa = new float[x.Length];
        var dxb = new float[x.Length];
        Assert.Equal(b.Loss(x, oneHot, steps), a.Loss(x, labels, steps));
        a.Backward(dxa);
        b.Backward(dxb);
        Assert.Equal(b.Gradients.ToArray(), a.Gradients.ToArray());
        Assert.Equal(dxb, dxa);
        Assert.True(a.Loss(x, labels, steps) > 0);
    }

    [Fact]
    public void One_class_label_per_sequence_at_the_last_step_is_one_hot_targets()
    {
        const int batch = 3, steps = 4;
        var a = new GruClassifierNet(steps, batch, seed: 5);
        var b = new GruClassifierNet(steps, batch, seed: 5);
        float[] x = Random(batch * steps * 4, 6);
        int[] labels = { 2, 0, 1 };
        var oneHot = new float[batch * 3];
        for (int s = 0; s < batch; s++) oneHot[s * 3 + labels[s]] = 1;
        Assert.Equal(b.LossAtLastStep(x, oneHot, steps), a.LossAtLastStep(x, labels, steps));
        a.Backward();
        b.Backward();
        Assert.Equal(b.Gradients.ToArray(), a.Gradients.ToArray());
        Assert.Contains(a.Gradients.ToArray(), g => g != 0);
    }

    [Fact]
    public void A_bad_label_is_named_and_leaves_nothing_to_backpropagate()
    {
        var net = new GruClassifierNet(maxSteps: 2, batchCapacity: 2, seed: 1);
        float[] x = Random(2 * 2 * 4, 7);
        net.Loss(x, new[] { 0, 1, 2, 0 }, 2);
        var e = Assert.Throws<ArgumentException>("labels", () => net.Loss(x, new[] { 0, 1, 3, 0 }, 2));
        Assert.Contains("labels[2] is 3", e.Message);
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<ArgumentException>("labels", () => net.Loss(x, new[] { 0, 1, 2 }, 2)); // 3 labels for 4 steps
        Assert.Throws<ArgumentException>("labels", () => net.LossAtLastStep(x, new[] { -1, 0 }, 2));
        Assert.Throws<ArgumentException>("labels", () => net.LossAtLastStep(x, new[] { 0, 1, 2, 0 }, 2)); // one per sequence
        Assert.Throws<InvalidOperationException>(() => net.Backward());
    }

    // ---- SigmoidCrossEntropy's targets ----

    [Fact]
    public void Binary_cross_entropy_takes_probabilities_only()
    {
        var net = new GruSigmoidNet(maxSteps: 3, batchCapacity: 1, seed: 2);
        float[] x = Random(3 * 2, 8);
        float[] t = { 0, 1, 0.25f, 0.75f, 1, 0 };
        Assert.True(net.Loss(x, t, 3) > 0);
        net.Backward();
        t[4] = 1.5f;
        var e = Assert.Throws<ArgumentException>("targets", () => net.Loss(x, t, 3));
        Assert.Contains("1.5", e.Message);
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<ArgumentException>("targets", () => net.LossAtLastStep(x, new[] { -0.1f, 0.5f }, 3));
        Assert.True(net.LossAtLastStep(x, new[] { 0.1f, 0.5f }, 3) > 0);
        // Forward writes σ(a), the probabilities: between 0 and 1.
        var y = new float[6];
        net.Forward(x, y, 3);
        Assert.All(y, p => Assert.InRange(p, 0f, 1f));
    }

    // ---- BackwardSgd ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BackwardSgd_is_Backward_then_Sgd(bool lastStep)
    {
        const int batch = 2, steps = 6;
        var a = new LstmStackNet(steps, batch, seed: 9);
        var b = new LstmStackNet(steps, batch, seed: 9);
        float[] x = Random(batch * steps * 2, 10);
        float[] t = Random(lastStep ? batch : batch * steps, 11);
        float[] before = a.Parameters.ToArray(); // before the Loss: taking the parameters forgets the activations
        if (lastStep) { a.LossAtLastStep(x, t, steps); b.LossAtLastStep(x, t, steps); }
        else { a.Loss(x, t, steps); b.Loss(x, t, steps); }
        a.BackwardSgd(0.1f);
        b.Backward();
        new Sgd(0.1f).Step(b.Parameters, b.Gradients);
        float[] fused = a.Parameters.ToArray(), reference = b.Parameters.ToArray();
        int changed = 0;
        for (int i = 0; i < fused.Length; i++)
        {
            Assert.True(Math.Abs(fused[i] - reference[i]) <= 1e-6f * Math.Max(1, Math.Abs(reference[i])), $"parameter {i}: {fused[i]} against {reference[i]}");
            if (fused[i] != before[i]) changed++;
        }
        Assert.True(changed > fused.Length / 2, $"only {changed} of {fused.Length} parameters moved");
        Assert.Throws<InvalidOperationException>(() => a.Backward()); // the weights changed: the kept activations are gone
        Assert.Throws<InvalidOperationException>(() => a.BackwardSgd(0.1f));
    }

    [Fact]
    public void BackwardSgd_checks_its_learning_rate_and_needs_a_loss()
    {
        var net = new GruNet(maxSteps: 2, seed: 1);
        Assert.Throws<InvalidOperationException>(() => net.BackwardSgd(0.1f));
        net.Loss(new float[6], new float[4], 2);
        Assert.Throws<ArgumentOutOfRangeException>("learningRate", () => net.BackwardSgd(0));
        Assert.Throws<ArgumentOutOfRangeException>("learningRate", () => net.BackwardSgd(float.NaN));
        net.BackwardSgd(0.01f); // the loss is still ready after a rejected learning rate
    }

    [Fact]
    public void BackwardSgd_alone_trains_a_gru_to_remember_the_previous_sample()
    {
        const int batch = 16, steps = 12;
        var net = new AudioGruNet(steps, batch, seed: 4);
        var random = new Random64(3);
        var input = new float[batch * steps];
        var targets = new float[batch * steps];
        float first = 0, latest = 0;
        for (int epoch = 0; epoch < 600; epoch++)
        {
            for (int r = 0; r < input.Length; r++)
            {
                input[r] = (float)(2 * random.NextDouble() - 1);
                targets[r] = r % steps == 0 ? 0 : input[r - 1];
            }
            latest = net.Loss(input, targets, steps);
            if (epoch == 0) first = latest;
            net.BackwardSgd(0.5f);
        }
        Assert.True(first > 0.2f, $"the untrained loss is {first}");
        Assert.True(latest < first / 4, $"the loss fell from {first} to {latest} only");
    }

    // ---- ILossNetwork: the runtime helpers ----

    [Fact]
    public void The_runtime_helpers_take_a_recurrent_network_as_an_ILossNetwork()
    {
        // INetwork.Forward and ILossNetwork.Loss read one sequence of input.Length / InputSize steps.
        var net = new GruStackNet(maxSteps: 7, seed: 2);
        float[] x = Random(7 * 2, 12);
        float[] t = Random(7, 13);
        float direct = net.Loss(x, t, 7);
        Assert.Equal(direct, ((ILossNetwork)net).Loss(x, t));
        GradientCheckResult check = GradientCheck.Run(net, x, t, step: 1e-2f);
        Assert.True(check.Passed(2e-2), check.ToString());
    }

    // ---- one workspace per stream ----

    [Fact]
    public void Interleaved_streams_on_workspaces_give_each_sequences_own_outputs()
    {
        const int steps = 30;
        var net = new LstmStackNet(maxSteps: steps, batchCapacity: 2, seed: 6);
        float[] input = Random(2 * steps * 2, 14, scale: 2);
        var output = new float[2 * steps];
        net.Forward(input, output, steps);
        var left = new LstmStackNet.Workspace();
        var right = new LstmStackNet.Workspace();
        var y = new float[1];
        for (int t = 0; t < steps; t++) // two channels, sample by sample, in turn
        {
            net.Step(input.AsSpan(t * 2, 2), y, left);
            Assert.Equal(output[t], y[0], 1e-6f);
            net.Step(input.AsSpan((steps + t) * 2, 2), y, right);
            Assert.Equal(output[steps + t], y[0], 1e-6f);
        }
        left.Reset();
        net.Step(input.AsSpan(0, 2), y, left);
        Assert.Equal(output[0], y[0], 1e-6f);
    }

    [Fact]
    public void A_workspace_step_leaves_the_instance_state_alone()
    {
        var net = new AudioGruNet(maxSteps: 1, seed: 2);
        var y1 = new float[1];
        var y2 = new float[1];
        net.Step(new[] { 0.5f }, y1);
        var ws = new AudioGruNet.Workspace();
        for (int i = 0; i < 5; i++) net.Step(new[] { 0.9f }, y2, ws);
        net.ResetState();
        net.Step(new[] { 0.5f }, y2);
        Assert.Equal(y1[0], y2[0]);
        Assert.Throws<ArgumentNullException>("workspace", () => net.Step(new float[1], new float[1], null!));
        Assert.Throws<ArgumentException>("y", () => net.Step(new float[1], new float[2], ws));
    }

    [Fact]
    public void Four_threads_stream_on_one_set_of_weights()
    {
        const int steps = 500;
        var net = new GruClassifierNet(maxSteps: steps, batchCapacity: 4, seed: 8);
        float[] input = Random(4 * steps * 4, 15);
        var expected = new float[4 * steps * 3];
        net.Forward(input, expected, steps);
        var got = new float[expected.Length];
        System.Threading.Tasks.Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, s =>
        {
            var ws = new GruClassifierNet.Workspace();
            var y = new float[3];
            for (int t = 0; t < steps; t++)
            {
                int row = s * steps + t;
                net.Step(input.AsSpan(row * 4, 4), y, ws);
                y.CopyTo(got, row * 3);
            }
        });
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 1e-6f);
    }

    [Fact]
    public void Workspace_steps_allocate_nothing()
    {
        var net = new LstmNet(maxSteps: 1, seed: 1);
        var ws = new LstmNet.Workspace();
        var x = new float[3];
        var y = new float[2];
        void Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                x[0] = MathF.Sin(i * 0.01f);
                net.Step(x, y, ws);
            }
        }
        Run(100); // warm up: JIT, static constructors
        Assert.Equal(0, Allocations.Least(() => Run(10_000)));
    }
}
