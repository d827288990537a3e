using System;
using System.IO;
using StaticNet;
using StaticNet.Data;
using Xunit;

namespace StaticNet.Tests.Samples;

/// <summary>A smaller cousin of the MNIST sample's default network (784 → 32 → 10), so that the test trains in about a second.</summary>
[Network]
[Input(784)]
[Dense(32)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public sealed partial class SmallMnistNet;

/// <summary>
/// Learning works end to end: a generated network trained on real MNIST digits (the MNIST sample's built-in
/// data, samples/Mnist/data) classifies digits it never saw, and the training loop allocates nothing.
/// </summary>
public class MnistTrainingTests
{
    private const int TrainCount = 3000;
    private const int TestCount = 1000;
    private const int BatchSize = 20;
    private const int Epochs = 3;
    private const float LearningRate = 0.2f;

    /// <summary>
    /// The lower bar for the held-out accuracy. Measured: 88.9% (88.8% to 90.4% with the seeds 1 to 4 for the
    /// weights and 2 to 5 for the shuffling). The bar leaves room for changes in
    /// the kernels' rounding and still fails when learning is broken: chance is 10%, and a network that only
    /// learned the most common digit would score about 11%.
    /// </summary>
    private const double MinimumAccuracy = 0.85;

    private static readonly Lazy<MnistDataSet> s_builtIn = new(LoadBuiltIn);

    [Fact]
    public void Trained_on_3000_digits_it_classifies_held_out_digits()
    {
        (MnistDataSet train, MnistDataSet test) = Parts();
        var net = new SmallMnistNet(batchCapacity: BatchSize, seed: 1);
        var sgd = new Sgd(LearningRate);

        double before = Accuracy(net, test);
        float firstLoss = 0, lastLoss = 0;
        var random = new Random64(2);
        int[] order = Range(train.Count);
        float[] images = new float[BatchSize * SmallMnistNet.InputSize];
        float[] targets = new float[BatchSize * SmallMnistNet.OutputSize];
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            random.Shuffle<int>(order);
            double lossSum = 0;
            for (int start = 0; start < train.Count; start += BatchSize)
            {
                train.CopyBatchOneHot(order.AsSpan(start, BatchSize), images, targets);
                lossSum += net.Loss(images, targets);
                net.Backward();
                sgd.Step(net.Parameters, net.Gradients);
            }
            float meanLoss = (float)(lossSum / (train.Count / BatchSize));
            if (epoch == 0) firstLoss = meanLoss;
            lastLoss = meanLoss;
        }
        double after = Accuracy(net, test);

        Assert.InRange(before, 0.0, 0.3); // untrained: about chance
        Assert.True(lastLoss < firstLoss, $"The mean loss did not fall: {firstLoss} in epoch 1, {lastLoss} in epoch {Epochs}.");
        Assert.True(after >= MinimumAccuracy,
            $"After {Epochs} epochs on {TrainCount} digits the accuracy on {TestCount} held-out digits is {after:P2}; expected at least {MinimumAccuracy:P0}.");
    }

    [Fact]
    public void Training_and_evaluation_loops_allocate_nothing()
    {
        (MnistDataSet train, MnistDataSet test) = Parts();
        var net = new SmallMnistNet(batchCapacity: BatchSize, seed: 3);
        var sgd = new Sgd(0.1f);
        int[] order = Range(train.Count);
        float[] images = new float[BatchSize * SmallMnistNet.InputSize];
        float[] targets = new float[BatchSize * SmallMnistNet.OutputSize];
        int[] labels = new int[BatchSize];
        float[] output = new float[BatchSize * SmallMnistNet.OutputSize];

        // Warm-up: the first calls compile the code and initialise what it uses (one-time runtime work).
        TrainBatches(net, sgd, train, order, images, targets, labels, batches: 4);
        CountCorrect(net, test, output);

        // The runtime may still allocate once, in a window of its own choosing, when it moves a long loop to optimised
        // code (on-stack replacement; it happens later on a loaded machine). That is one-time, so a window is measured up
        // to three times; an allocation of the library or the loop itself recurs in every window and still fails.
        long training = 0, evaluation = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            TrainBatches(net, sgd, train, order, images, targets, labels, batches: 20);
            long afterTraining = GC.GetAllocatedBytesForCurrentThread();
            CountCorrect(net, test, output);
            long afterEvaluation = GC.GetAllocatedBytesForCurrentThread();
            (training, evaluation) = (afterTraining - before, afterEvaluation - afterTraining);
            if (training == 0 && evaluation == 0) break;
        }

        Assert.Equal(0, training);
        Assert.Equal(0, evaluation);
    }

    /// <summary>Shuffle, batch copy, Loss (with class labels and with one-hot targets, alternately), Backward and an SGD step.</summary>
    private static void TrainBatches(SmallMnistNet net, Sgd sgd, MnistDataSet train, int[] order, float[] images, float[] targets, int[] labels, int batches)
    {
        var random = new Random64(5);
        random.Shuffle<int>(order);
        for (int b = 0; b < batches; b++)
        {
            ReadOnlySpan<int> indices = order.AsSpan(b * BatchSize, BatchSize);
            if (b % 2 == 0)
            {
                train.CopyBatch(indices, images, labels);
                net.Loss(images, labels);
            }
            else
            {
                train.CopyBatchOneHot(indices, images, targets);
                net.Loss(images, targets);
            }
            net.Backward();
            sgd.Step(net.Parameters, net.Gradients);
        }
    }

    private static double Accuracy(SmallMnistNet net, MnistDataSet data) =>
        (double)CountCorrect(net, data, new float[net.BatchCapacity * SmallMnistNet.OutputSize]) / data.Count;

    /// <summary>Forward in batches (slices of the contiguous images: no copy), argmax, compare with the label.</summary>
    private static int CountCorrect(SmallMnistNet net, MnistDataSet data, float[] outputBuffer)
    {
        int correct = 0;
        for (int start = 0; start < data.Count; start += net.BatchCapacity)
        {
            int n = Math.Min(net.BatchCapacity, data.Count - start);
            Span<float> output = outputBuffer.AsSpan(0, n * SmallMnistNet.OutputSize);
            net.Forward(data.Images.AsSpan(start * SmallMnistNet.InputSize, n * SmallMnistNet.InputSize), output);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = output.Slice(i * SmallMnistNet.OutputSize, SmallMnistNet.OutputSize);
                int best = 0;
                for (int j = 1; j < row.Length; j++)
                {
                    if (row[j] > row[best]) best = j;
                }
                if (best == data.Labels[start + i]) correct++;
            }
        }
        return correct;
    }

    /// <summary>Disjoint training and test parts of the built-in data, drawn with fixed seeds.</summary>
    private static (MnistDataSet Train, MnistDataSet Test) Parts()
    {
        MnistDataSet all = s_builtIn.Value;
        MnistDataSet rest = all.Split(TestCount, seed: 1, out MnistDataSet test);
        rest.Split(TrainCount, seed: 2, out MnistDataSet train);
        return (train, test);
    }

    private static int[] Range(int count)
    {
        int[] values = new int[count];
        for (int i = 0; i < count; i++) values[i] = i;
        return values;
    }

    private static MnistDataSet LoadBuiltIn()
    {
        string data = Path.Combine(FindRepositoryRoot(), "samples", "Mnist", "data");
        return MnistDataSet.Load(
            Path.Combine(data, "mnist-10k-images-idx3-ubyte.gz"),
            Path.Combine(data, "mnist-10k-labels-idx1-ubyte.gz"));
    }

    /// <summary>The folder holding StaticNet.sln, found by walking up from the test assembly's folder.</summary>
    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "StaticNet.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No StaticNet.sln in {AppContext.BaseDirectory} or any folder above it.");
    }
}
