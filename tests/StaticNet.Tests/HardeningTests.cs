using System;
using System.Reflection;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests;

/// <summary>
/// The hardening of generated networks: a rejected call leaves no stale state for a backward pass, handing out
/// the parameters invalidates the kept activations, one learning-rate rule, Backward(inputGradient), target
/// distributions checked, opt-in finite checks, and a second concurrent caller detected.
/// </summary>
public class HardeningTests
{
    private const int Batch = 2;

    private static float[] Inputs(int n) { var x = new float[n]; for (int i = 0; i < n; i++) x[i] = MathF.Sin(1.3f * i + 0.4f); return x; }

    // ---- 1. Stale state ----

    [Fact]
    public void A_loss_rejected_for_a_bad_label_leaves_nothing_to_backpropagate()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] x = Inputs(Batch * 3);
        net.Loss(x, new[] { 0, 1 });
        net.Backward(); // a valid previous batch exists
        net.Loss(x, new[] { 0, 1 });
        Assert.Throws<ArgumentException>(() => net.Loss(x, new[] { 0, 4 }));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<ArgumentException>(() => net.Loss(x, new[] { -1, 0 }));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
    }

    [Fact]
    public void A_loss_rejected_for_a_bad_length_leaves_nothing_to_backpropagate()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] x = Inputs(Batch * 3);
        net.Loss(x, new[] { 0, 1 });
        Assert.Throws<ArgumentException>(() => net.Loss(x.AsSpan(0, 4), new[] { 0 }));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        net.Loss(x, new[] { 0, 1 });
        Assert.Throws<ArgumentException>(() => net.Loss(x, new[] { 0 })); // labels for 1 row, input of 2
        Assert.Throws<InvalidOperationException>(() => net.Backward());
    }

    [Fact]
    public void A_forward_rejected_for_a_bad_length_leaves_nothing_to_backpropagate()
    {
        var net = new HardenMseNet(batchCapacity: Batch, seed: 1);
        float[] x = Inputs(Batch * 3);
        var y = new float[Batch * 2];
        var dy = new float[Batch * 2];
        var dx = new float[Batch * 3];
        net.Forward(x, y);
        net.Backward(dy, dx); // works after a good Forward
        Assert.Throws<ArgumentException>(() => net.Forward(x.AsSpan(0, 5), y));
        Assert.Throws<InvalidOperationException>(() => net.Backward(dy, dx));
        net.Forward(x, y);
        Assert.Throws<ArgumentException>(() => net.Forward(x, y.AsSpan(0, 3)));
        Assert.Throws<InvalidOperationException>(() => net.Backward(dy, dx));
    }

    [Theory]
    [InlineData("Parameters")]
    [InlineData("W1")]
    [InlineData("b2")]
    public void Taking_the_parameters_after_a_loss_makes_backward_ask_for_a_new_loss(string view)
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 3);
        float[] x = Inputs(Batch * 3);
        int[] labels = { 2, 3 };
        net.Loss(x, labels);
        Span<float> p = view switch { "Parameters" => net.Parameters, "W1" => net.W1, _ => net.b2 };
        p[0] += 0.5f; // the user may change them: the activations of the latest Loss no longer belong to the weights
        var e = Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Contains("handed out", e.Message);
        Assert.Throws<InvalidOperationException>(() => net.BackwardSgd(0.1f));

        net.Loss(x, labels);
        net.Backward();

        // A fresh network holding the changed weights gives the same gradient, bit for bit (same code, same data).
        var fresh = new HardenSceNet(batchCapacity: Batch, seed: 99);
        net.Parameters.CopyTo(fresh.Parameters);
        fresh.Loss(x, labels);
        fresh.Backward();
        Assert.Equal(fresh.Gradients.ToArray(), net.Gradients.ToArray());
        // And not the gradient at the old weights.
        var old = new HardenSceNet(batchCapacity: Batch, seed: 3);
        old.Loss(x, labels);
        old.Backward();
        Assert.NotEqual(old.Gradients.ToArray(), net.Gradients.ToArray());
    }

    [Fact]
    public void Backward_after_BackwardSgd_throws()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        net.Loss(Inputs(Batch * 3), new[] { 0, 1 });
        net.BackwardSgd(0.1f);
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<InvalidOperationException>(() => net.BackwardSgd(0.1f));
    }

    // ---- 2. The learning-rate rule ----

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void BackwardSgd_rejects_a_learning_rate_that_is_not_finite_and_positive_and_changes_no_weight(float learningRate)
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] before = net.Parameters.ToArray();
        net.Loss(Inputs(Batch * 3), new[] { 0, 1 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.BackwardSgd(learningRate));
        Assert.Equal("learningRate", e.ParamName);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    // ---- 3. Backward(inputGradient) ----

    private static double MseLoss(HardenMseNet net, float[] x, float[] t) => net.Loss(x, t);

    [Fact]
    public void Backward_inputGradient_matches_central_differences_and_the_explicit_chain_mse()
    {
        var net = new HardenMseNet(batchCapacity: Batch, seed: 5);
        float[] x = Inputs(Batch * 3);
        float[] t = { 0.3f, -0.2f, 0.7f, 0.1f };
        var dx = new float[x.Length];
        net.Loss(x, t);
        net.Backward(dx);
        float[] grads = net.Gradients.ToArray();

        // Central differences of the loss w.r.t. each input float (the net's own float loss, step 1e-2).
        const float h = 1e-2f;
        for (int i = 0; i < x.Length; i++)
        {
            float[] xp = (float[])x.Clone(); xp[i] += h;
            float[] xm = (float[])x.Clone(); xm[i] -= h;
            double numeric = (MseLoss(net, xp, t) - MseLoss(net, xm, t)) / (2 * h);
            Assert.True(Math.Abs(numeric - dx[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"dx[{i}] = {dx[i]}, central difference {numeric}");
        }

        // Backward(dLoss/dy, inputGradient) with dLoss/dy = 2 (y - t) / (N·OutputSize), computed here in double.
        var y = new float[Batch * 2];
        net.Forward(x, y);
        var dy = new float[y.Length];
        for (int i = 0; i < y.Length; i++) dy[i] = (float)(2.0 * ((double)y[i] - t[i]) / y.Length);
        var dx2 = new float[x.Length];
        net.Backward(dy, dx2);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(dx[i] - dx2[i]) <= 1e-6 + 1e-5 * Math.Abs(dx[i]), $"dx[{i}]: {dx[i]} vs {dx2[i]}");
        float[] grads2 = net.Gradients.ToArray();
        for (int i = 0; i < grads.Length; i++) Assert.True(Math.Abs(grads[i] - grads2[i]) <= 1e-6 + 1e-5 * Math.Abs(grads[i]), $"dθ[{i}]");
    }

    [Fact]
    public void Backward_inputGradient_matches_central_differences_and_the_explicit_chain_sce()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 7);
        float[] x = Inputs(Batch * 3);
        int[] labels = { 1, 3 };
        var dx = new float[x.Length];
        net.Loss(x, labels);
        net.Backward(dx);

        const float h = 1e-2f;
        for (int i = 0; i < x.Length; i++)
        {
            float[] xp = (float[])x.Clone(); xp[i] += h;
            float[] xm = (float[])x.Clone(); xm[i] -= h;
            double numeric = ((double)net.Loss(xp, labels) - net.Loss(xm, labels)) / (2 * h);
            Assert.True(Math.Abs(numeric - dx[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"dx[{i}] = {dx[i]}, central difference {numeric}");
        }

        // Forward's output is the softmax p; dLoss/dp = -t / (N p) for the mean of -log p[label].
        var p = new float[Batch * 4];
        net.Forward(x, p);
        var dp = new float[p.Length];
        for (int r = 0; r < Batch; r++) dp[r * 4 + labels[r]] = (float)(-1.0 / (Batch * (double)p[r * 4 + labels[r]]));
        var dx2 = new float[x.Length];
        net.Backward(dp, dx2);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(dx[i] - dx2[i]) <= 1e-5 + 1e-4 * Math.Abs(dx[i]), $"dx[{i}]: {dx[i]} vs {dx2[i]}");
    }

    [Fact]
    public void Backward_inputGradient_of_a_wrong_length_names_the_size_and_allocates_nothing()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] x = Inputs(Batch * 3);
        int[] labels = { 0, 1 };
        net.Loss(x, labels);
        var e = Assert.Throws<ArgumentException>(() => net.Backward(new float[5]));
        Assert.Equal("inputGradient", e.ParamName);
        Assert.Contains("hold 6 values", e.Message);

        var dx = new float[x.Length];
        net.Loss(x, labels); net.Backward(dx); // warm up
        Assert.Equal(0, Allocations.Least(() => { net.Loss(x, labels); net.Backward(dx); }));
    }

    // ---- 4. Target distributions ----

    [Theory]
    [InlineData(0f, 0f, 0f, 0f, "row 1")]          // all zero
    [InlineData(-0.5f, 0.5f, 0.5f, 0.5f, "row 1")] // a negative entry (sums to 1)
    [InlineData(float.NaN, 1f, 0f, 0f, "row 1")]
    [InlineData(1f, 1f, 0f, 0f, "row 1")]          // sums to 2
    public void Sce_targets_that_are_not_a_distribution_are_rejected_naming_the_row(float a, float b, float c, float d, string row)
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] t = { 0, 1, 0, 0, a, b, c, d };
        var e = Assert.Throws<ArgumentException>(() => net.Loss(Inputs(Batch * 3), t));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains(row, e.Message);
        Assert.Throws<InvalidOperationException>(() => net.Backward());
    }

    [Fact]
    public void Sce_one_hot_and_soft_targets_are_accepted_and_give_the_cross_entropy()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 2);
        float[] x = Inputs(Batch * 3);
        var p = new float[Batch * 4];
        net.Forward(x, p);
        foreach (float[] t in new[] { new float[] { 0, 0, 1, 0, 1, 0, 0, 0 }, new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 0.25f, 0.25f, 0.5f, 0f } })
        {
            double expected = 0; // mean over rows of -Σ t log p, in double from Forward's probabilities
            for (int i = 0; i < t.Length; i++) if (t[i] > 0) expected -= t[i] * Math.Log(p[i]);
            expected /= Batch;
            float loss = net.Loss(x, t);
            Assert.True(Math.Abs(loss - expected) <= 1e-5 * (1 + expected), $"{loss} vs {expected}");
            net.Backward();
        }
    }

    // ---- 5. CheckFinite ----

    [Fact]
    public void CheckFinite_is_off_by_default_and_a_nan_goes_through_forward()
    {
        var net = new HardenMseNet(batchCapacity: 1, seed: 1);
        Assert.False(net.CheckFinite);
        var y = new float[2];
        net.Forward(new[] { 0.1f, float.NaN, 0.2f }, y);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void CheckFinite_rejects_a_non_finite_input_naming_the_index(float bad)
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1) { CheckFinite = true };
        float[] x = Inputs(Batch * 3);
        x[4] = bad;
        var e = Assert.Throws<ArgumentException>(() => net.Forward(x, new float[Batch * 4]));
        Assert.Contains("input[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Loss(x, new[] { 0, 1 }));
        Assert.Contains("input[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Loss(x, new float[] { 1, 0, 0, 0, 0, 1, 0, 0 }));
        Assert.Contains("input[4]", e.Message);
        var mse = new HardenMseNet(batchCapacity: Batch, seed: 1) { CheckFinite = true };
        float[] t = { 0, 0, 0, bad };
        e = Assert.Throws<ArgumentException>(() => mse.Loss(Inputs(Batch * 3), t));
        Assert.Contains("targets[3]", e.Message);
    }

    [Fact]
    public void CheckFinite_turns_an_overflowing_loss_into_an_ArithmeticException()
    {
        var net = new HardenMseNet(batchCapacity: 1, seed: 1);
        net.b2.Fill(3e38f); // y ≈ 3e38, (y - t)² overflows to +∞
        float[] x = Inputs(3);
        float[] t = { 0, 0 };
        Assert.True(float.IsPositiveInfinity(net.Loss(x, t))); // off: the loss is returned as it is
        net.CheckFinite = true;
        Assert.Throws<ArithmeticException>(() => net.Loss(x, t));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
    }

    [Fact]
    public void CheckFinite_rejects_a_nan_output_gradient()
    {
        var net = new HardenMseNet(batchCapacity: 1, seed: 1) { CheckFinite = true };
        float[] x = Inputs(3);
        net.Forward(x, new float[2]);
        var e = Assert.Throws<ArgumentException>(() => net.Backward(new[] { 0.1f, float.NaN }, new float[3]));
        Assert.Contains("outputGradient[1]", e.Message);
    }

    [Fact]
    public void CheckFinite_allocates_nothing()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1) { CheckFinite = true };
        float[] x = Inputs(Batch * 3);
        int[] labels = { 0, 1 };
        float[] t = { 0, 1, 0, 0, 0.5f, 0.5f, 0, 0 };
        var p = new float[Batch * 4];
        var dp = new float[Batch * 4];
        var dx = new float[Batch * 3];
        void Run()
        {
            net.Forward(x, p);
            net.Backward(dp, dx);
            net.Loss(x, labels);
            net.Backward(dx);
            net.Loss(x, t);
            net.Backward();
            net.Loss(x, labels);
            net.BackwardSgd(0.01f);
        }
        Run();
        Assert.Equal(0, Allocations.Least(Run));
    }

    // ---- 6. Concurrent use ----

    // Two real threads overlap only by chance, so a test of them is either flaky or proves nothing. Instead this
    // puts the instance in the state a second caller sees while a first call is running (the private _busy flag
    // set by Enter() and cleared in finally), then makes the second call: deterministic, and it fails on the code
    // before the change, which has no such flag.
    [Fact]
    public void A_call_while_another_is_running_throws()
    {
        var net = new HardenSceNet(batchCapacity: Batch, seed: 1);
        float[] x = Inputs(Batch * 3);
        var p = new float[Batch * 4];
        FieldInfo busy = typeof(HardenSceNet).GetField("_busy", BindingFlags.Instance | BindingFlags.NonPublic)!;
        Assert.NotNull(busy);
        net.Loss(x, new[] { 0, 1 });
        busy.SetValue(net, true);
        var e = Assert.Throws<InvalidOperationException>(() => net.Forward(x, p));
        Assert.Contains("another thread", e.Message);
        Assert.Throws<InvalidOperationException>(() => net.Loss(x, new[] { 0, 1 }));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        Assert.Throws<InvalidOperationException>(() => net.BackwardSgd(0.1f));
        // A rejected second call does not clear the first call's flag...
        Assert.Equal(true, busy.GetValue(net));
        busy.SetValue(net, false);
        // ...and once the first call is over, the instance works again.
        net.Forward(x, p);
        Assert.Equal(false, busy.GetValue(net));
        // A call that throws a validation error still clears the flag.
        Assert.Throws<ArgumentException>(() => net.Forward(x.AsSpan(0, 1), p));
        Assert.Equal(false, busy.GetValue(net));
    }
}
