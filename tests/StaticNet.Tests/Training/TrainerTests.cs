using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Training;

/// <summary>Trainer.Fit: the documented loop, checked against the same loop written out by hand and against independent numbers.</summary>
public class TrainerTests
{
    private const int In = Net7x17x3Sce.InputSize, Out = Net7x17x3Sce.OutputSize;

    /// <summary>Rows whose class is the arg-max of a fixed linear map of the row: learnable, deterministic.</summary>
    private static (float[] X, int[] Labels) Data(int rows, long seed = 1)
    {
        var random = new Random64(seed);
        float[] w = new float[In * Out];
        for (int i = 0; i < w.Length; i++) w[i] = (float)random.NextGaussian();
        float[] x = new float[rows * In];
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < In; i++) x[r * In + i] = (float)random.NextGaussian();
            double best = double.NegativeInfinity;
            for (int k = 0; k < Out; k++)
            {
                double s = 0;
                for (int i = 0; i < In; i++) s += x[r * In + i] * w[i * Out + k];
                if (s > best) { best = s; labels[r] = k; }
            }
        }
        return (x, labels);
    }

    private static float[] OneHot(int[] labels)
    {
        float[] t = new float[labels.Length * Out];
        for (int i = 0; i < labels.Length; i++) t[i * Out + labels[i]] = 1;
        return t;
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        int[] bits = new int[values.Length];
        for (int i = 0; i < bits.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    /// <summary>The loop as documented, written out: Random64(seed) Fisher–Yates before each epoch, batches in order, Loss, Backward, Step.</summary>
    private static void ByHand(Net7x17x3Sce net, IOptimizer optimizer, float[] x, int[] labels, int rows, int batch, int epochs, int seed, bool shuffle)
    {
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        var random = new Random64(seed);
        float[] bx = new float[batch * In], bt = new float[batch * Out];
        for (int e = 0; e < epochs; e++)
        {
            if (shuffle) random.Shuffle<int>(order);
            for (int start = 0; start < rows; start += batch)
            {
                int n = Math.Min(batch, rows - start);
                Array.Clear(bt);
                for (int i = 0; i < n; i++)
                {
                    Array.Copy(x, order[start + i] * In, bx, i * In, In);
                    bt[i * Out + labels[order[start + i]]] = 1;
                }
                net.Loss(bx.AsSpan(0, n * In), bt.AsSpan(0, n * Out));
                net.Backward();
                optimizer.Step(net.Parameters, net.Gradients);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fit_is_the_documented_loop_bit_for_bit(bool shuffle)
    {
        (float[] x, int[] labels) = Data(53); // 53 rows in batches of 8: a last batch of 5
        var fitted = new Net7x17x3Sce(batchCapacity: 8, seed: 4);
        Trainer.Fit(fitted, new Adam(Net7x17x3Sce.ParameterCount, 0.01f), x, labels, new FitOptions { Epochs = 3, Seed = 9, Shuffle = shuffle });

        var manual = new Net7x17x3Sce(batchCapacity: 8, seed: 4);
        ByHand(manual, new Adam(Net7x17x3Sce.ParameterCount, 0.01f), x, labels, 53, 8, 3, 9, shuffle);

        Assert.Equal(Bits(manual.Parameters), Bits(fitted.Parameters));
    }

    [Fact]
    public void Shuffling_is_seeded_same_seed_same_weights_other_seed_other_weights()
    {
        (float[] x, int[] labels) = Data(64);
        int[] Train(int seed)
        {
            var net = new Net7x17x3Sce(batchCapacity: 8, seed: 1);
            Trainer.Fit(net, new Sgd(0.1f), x, labels, new FitOptions { Epochs = 2, Seed = seed });
            return Bits(net.Parameters);
        }
        Assert.Equal(Train(5), Train(5));
        Assert.NotEqual(Train(5), Train(6));
    }

    [Fact]
    public void Labels_and_their_one_hot_targets_train_the_same_weights()
    {
        (float[] x, int[] labels) = Data(40);
        var a = new Net7x17x3Sce(batchCapacity: 8, seed: 2);
        var b = new Net7x17x3Sce(batchCapacity: 8, seed: 2);
        var options = new FitOptions { Epochs = 2, Seed = 3, ValidationSplit = 0.25 };
        TrainingHistory ha = Trainer.Fit(a, new Momentum(Net7x17x3Sce.ParameterCount, 0.05f), x, labels, options);
        TrainingHistory hb = Trainer.Fit(b, new Momentum(Net7x17x3Sce.ParameterCount, 0.05f), x, OneHot(labels), options);
        Assert.Equal(Bits(a.Parameters), Bits(b.Parameters));
        Assert.Equal(ha.Epochs, hb.Epochs);
    }

    [Fact]
    public void The_validation_rows_are_the_last_ones_never_trained_on_and_their_loss_and_accuracy_are_reported()
    {
        (float[] x, int[] labels) = Data(100);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        TrainingHistory history = Trainer.Fit(net, new Adam(Net7x17x3Sce.ParameterCount, 0.02f), x, labels,
            new FitOptions { Epochs = 4, ValidationSplit = 0.3, Seed = 1, BatchSize = 5 });

        // Trained on the first 70 rows only: the same weights as Fit on those rows without a split.
        var alone = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        Trainer.Fit(alone, new Adam(Net7x17x3Sce.ParameterCount, 0.02f), x[..(70 * In)], labels[..70], new FitOptions { Epochs = 4, Seed = 1, BatchSize = 5 });
        Assert.Equal(Bits(alone.Parameters), Bits(net.Parameters));

        // The last epoch's validation numbers, recomputed here in double from Forward's probabilities.
        float[] p = new float[30 * Out];
        var inference = new Net7x17x3Sce(batchCapacity: 30, seed: 0);
        net.Parameters.CopyTo(inference.Parameters);
        inference.Forward(x.AsSpan(70 * In, 30 * In), p);
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < 30; i++)
        {
            loss -= Math.Log(p[i * Out + labels[70 + i]]);
            int best = 0;
            for (int k = 1; k < Out; k++) if (p[i * Out + k] > p[i * Out + best]) best = k;
            if (best == labels[70 + i]) correct++;
        }
        EpochResult last = history.Epochs[^1];
        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(loss / 30, last.ValidationLoss, 1e-5);
        Assert.Equal(correct / 30.0, last.ValidationAccuracy, 1e-6);
        Assert.True(last.ValidationAccuracy > 0.6, $"validation accuracy {last.ValidationAccuracy}");
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss);
    }

    [Fact]
    public void The_epoch_loss_is_the_row_weighted_mean_of_the_batch_losses()
    {
        (float[] x, int[] labels) = Data(21);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        double sum = 0;
        TrainingHistory history = Trainer.Fit(net, new Sgd(0.1f), x, labels, new FitOptions
        {
            Epochs = 1,
            Progress = p => sum += p.Loss * (p.Step < p.Steps ? 8 : 5),
        });
        Assert.Equal(sum / 21, history.Epochs[0].Loss, 1e-6);
        Assert.True(float.IsNaN(history.Epochs[0].ValidationLoss));
    }

    [Fact]
    public void Schedules_give_the_documented_learning_rates_and_Fit_applies_them()
    {
        LearningRateSchedule step = LearningRateSchedule.Step(0.1f, stepEpochs: 3, gamma: 0.5f);
        float[] expectedStep = { 0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.025f };
        for (int e = 0; e < expectedStep.Length; e++) Assert.Equal(expectedStep[e], step.LearningRate(e), 7);

        LearningRateSchedule cosine = LearningRateSchedule.Cosine(1f, epochs: 4, minimum: 0.2f);
        double[] expectedCosine = { 1, 0.2 + 0.8 * (1 + Math.Sqrt(0.5)) / 2, 0.6, 0.2 + 0.8 * (1 - Math.Sqrt(0.5)) / 2, 0.2, 0.2 };
        for (int e = 0; e < expectedCosine.Length; e++) Assert.Equal(expectedCosine[e], cosine.LearningRate(e), 6);
        Assert.Equal(0.3f, LearningRateSchedule.Constant(0.3f).LearningRate(1000));

        (float[] x, int[] labels) = Data(16);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        var sgd = new Sgd(5f);
        float[] seen = new float[12];
        int steps = 0;
        TrainingHistory history = Trainer.Fit(net, sgd, x, labels, new FitOptions
        {
            Epochs = 6,
            Schedule = cosine,
            Progress = p => seen[steps++] = p.LearningRate,
        });
        for (int e = 0; e < 6; e++)
        {
            Assert.Equal((float)expectedCosine[e], history.Epochs[e].LearningRate, 6);
            Assert.Equal(history.Epochs[e].LearningRate, seen[2 * e]);
            Assert.Equal(history.Epochs[e].LearningRate, seen[2 * e + 1]);
        }
        Assert.Equal(0.2f, sgd.LearningRate);
    }

    [Fact]
    public void Bad_schedules_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0.1f, 1, 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0.1f, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(float.NaN, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0.1f, 3, 0.2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0.1f, 3, -0.1f));

        // A cosine to 0 over 3 epochs cannot run a fourth: Fit says so before training.
        (float[] x, int[] labels) = Data(8);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        float[] before = net.Parameters.ToArray();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, new Sgd(), x, labels,
            new FitOptions { Epochs = 4, Schedule = LearningRateSchedule.Cosine(0.1f, 3) }));
        Assert.Contains("gives 0 for epoch 4 of 4", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void Early_stopping_stops_after_patience_epochs_without_improvement_and_can_restore_the_best_weights()
    {
        (float[] x, int[] labels) = Data(32);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        float[]? afterFirst = null;
        // No later epoch can beat the first by 1000: the first is the best, and patience 2 stops after epoch 3.
        TrainingHistory history = Trainer.Fit(net, new Sgd(0.1f), x, labels, new FitOptions
        {
            Epochs = 10,
            ValidationSplit = 0.25,
            EarlyStopping = new EarlyStopping { Patience = 2, MinDelta = 1000, RestoreBestWeights = true },
            EpochEnd = r => { if (r.Epoch == 1) afterFirst = net.Parameters.ToArray(); },
        });
        Assert.True(history.StoppedEarly);
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(1, history.BestEpoch);
        Assert.Equal(Bits(afterFirst), Bits(net.Parameters));

        // With room to improve it trains every epoch; without RestoreBestWeights the last weights stay.
        var other = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        float[]? last = null;
        TrainingHistory full = Trainer.Fit(other, new Sgd(0.1f), x, labels, new FitOptions
        {
            Epochs = 5,
            EarlyStopping = new EarlyStopping { Patience = 5 },
            EpochEnd = r => last = other.Parameters.ToArray(),
        });
        Assert.False(full.StoppedEarly);
        Assert.Equal(5, full.Epochs.Count);
        Assert.Equal(Bits(last), Bits(other.Parameters));
        Assert.InRange(full.BestEpoch, 1, 5);
    }

    [Fact]
    public void A_NaN_input_stops_training_with_an_error_naming_epoch_step_and_input_before_any_weight_turns_NaN()
    {
        (float[] x, int[] labels) = Data(40);
        x[21 * In + 2] = float.NaN; // row 21: with batches of 8 in order, the third step of the first epoch
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        var e = Assert.Throws<NonFiniteLossException>(() =>
            Trainer.Fit(net, new Sgd(0.1f), x, labels, new FitOptions { Epochs = 3, Shuffle = false }));

        Assert.Equal(1, e.Epoch);
        Assert.Equal(3, e.Step);
        Assert.True(float.IsNaN(e.Loss));
        Assert.StartsWith("The training loss is NaN at epoch 1 of 3, step 3 of 5: input row 21 (counting from 0 in the arrays given to Fit) holds NaN at column 2.", e.Message);
        foreach (float p in net.Parameters) Assert.True(float.IsFinite(p));

        // The parameters are those after the two good steps.
        var manual = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        ByHand(manual, new Sgd(0.1f), x, labels, 16, 8, 1, 0, shuffle: false);
        Assert.Equal(Bits(manual.Parameters), Bits(net.Parameters));
    }

    [Fact]
    public void A_diverging_learning_rate_is_reported_at_the_step_where_the_loss_stops_being_finite()
    {
        (float[] x, int[] labels) = Data(40);
        for (int i = 0; i < x.Length; i++) x[i] *= 1e3f;
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        int lastEpoch = 0, lastStep = 0;
        var e = Assert.Throws<NonFiniteLossException>(() => Trainer.Fit(net, new Sgd(1e30f), x, labels, new FitOptions
        {
            Epochs = 50,
            Progress = p => { lastEpoch = p.Epoch; lastStep = p.Step; },
        }));
        // The step after the last one that reported progress.
        (int epoch, int step) = lastStep == 5 ? (lastEpoch + 1, 1) : (Math.Max(lastEpoch, 1), lastStep + 1);
        Assert.Equal(epoch, e.Epoch);
        Assert.Equal(step, e.Step);
        Assert.Contains($"at epoch {epoch} of 50, step {step} of 5: the inputs of the batch are finite", e.Message);
        Assert.Contains("the learning rate (1E+30) is too high", e.Message);
    }

    [Fact]
    public void A_training_step_allocates_nothing()
    {
        (float[] x, int[] labels) = Data(64);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        var adam = new Adam(Net7x17x3Sce.ParameterCount, 0.01f);
        long[] allocated = new long[3 * 7];
        int count = 0;
        var options = new FitOptions
        {
            Epochs = 3,
            ValidationSplit = 0.125, // 56 training rows: 7 steps per epoch
            Schedule = LearningRateSchedule.Cosine(0.01f, 3, 0.001f),
            EarlyStopping = new EarlyStopping { Patience = 3, RestoreBestWeights = true },
            Progress = p => allocated[count++] = GC.GetAllocatedBytesForCurrentThread(),
        };
        Trainer.Fit(net, adam, x, labels, options); // warm up
        count = 0;
        Trainer.Fit(net, adam, x, labels, options);
        Assert.Equal(21, count);
        // From the first step's callback to the last one: 20 steps, two epoch ends with validation, schedule and early stopping.
        Assert.Equal(0, allocated[20] - allocated[0]);
    }

    [Fact]
    public void Bad_arguments_are_rejected_naming_what_is_wrong()
    {
        (float[] x, int[] labels) = Data(10);
        var net = new Net7x17x3Sce(batchCapacity: 8, seed: 3);
        var sgd = new Sgd();
        Assert.Contains("whole rows of 7 floats", Assert.Throws<ArgumentException>(() => Trainer.Fit(net, sgd, new float[15], labels)).Message);
        Assert.Contains("one label per input row, 10; got 9", Assert.Throws<ArgumentException>(() => Trainer.Fit(net, sgd, x, labels[..9])).Message);
        Assert.Contains("30 in all; got 29", Assert.Throws<ArgumentException>(() => Trainer.Fit(net, sgd, x, new float[29])).Message);
        labels[4] = 3;
        Assert.Contains("labels[4] is 3", Assert.Throws<ArgumentException>(() => Trainer.Fit(net, sgd, x, labels)).Message);
        labels[4] = 0;
        Assert.Contains("BatchCapacity, 8; got 9", Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { BatchSize = 9 })).Message);
        Assert.Contains("Epochs to be at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { Epochs = 0 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { ValidationSplit = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { ValidationSplit = double.NaN }));
        Assert.Contains("leaves no row", Assert.Throws<ArgumentException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { ValidationSplit = 0.05 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { EarlyStopping = new EarlyStopping { Patience = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(net, sgd, x, labels, new FitOptions { EarlyStopping = new EarlyStopping { MinDelta = float.NaN } }));
    }
}
