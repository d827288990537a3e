using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using StaticNet;
using StaticNet.Data;

namespace Samples.Chapter6;

/// <summary>The result of one training run: its name, the loss of every step, and the final accuracies.</summary>
public sealed record Run(string Name, float[] Losses, double TrainAccuracy, double TestAccuracy, double[]? TrainCurve = null, double[]? TestCurve = null);

/// <summary>
/// The book's ch. 6 experiments (ch06/optimizer_compare_mnist.py, weight_init_compare.py, overfit_weight_decay.py) on
/// the built-in digits: each trains fresh networks, records the loss of every mini-batch step, and plots.
/// </summary>
public sealed class Experiments
{
    private readonly MnistDataSet _train, _test;
    private readonly string _output;
    private readonly int _steps, _seed;
    private readonly TextWriter _log;

    /// <param name="train">Training digits.</param>
    /// <param name="test">Held-out digits.</param>
    /// <param name="output">The folder the PNGs go to.</param>
    /// <param name="steps">Mini-batch steps of the optimizer and initialisation experiments (the book's 2000).</param>
    /// <param name="seed">Seed of the weights and of the batches.</param>
    /// <param name="log">Where the progress lines go.</param>
    public Experiments(MnistDataSet train, MnistDataSet test, string output, int steps, int seed, TextWriter log)
    {
        _train = train;
        _test = test;
        _output = output;
        _steps = steps;
        _seed = seed;
        _log = log;
        Directory.CreateDirectory(output);
    }

    /// <summary>Loads the MNIST sample's built-in 10,000 digits and splits off 2,000 (seeded) for testing.</summary>
    public static (MnistDataSet Train, MnistDataSet Test) BuiltIn(int seed)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data");
        MnistDataSet all = MnistDataSet.Load(Path.Combine(data, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(data, "mnist-10k-labels-idx1-ubyte.gz"));
        MnistDataSet train = all.Split(2000, seed, out MnistDataSet test);
        return (train, test);
    }

    // ---- (a) optimizers -------------------------------------------------------------------------

    /// <summary>
    /// ch06/optimizer_compare_mnist.py: the same He-initialised network trained by each optimizer for the given number of
    /// steps of 128 digits, at the book's learning rates (0.01, Adam 0.001; the ones it does not have at their usual ones).
    /// </summary>
    public List<Run> CompareOptimizers(IReadOnlyList<string>? only = null)
    {
        int n = OptimizerNet.ParameterCount;
        var all = new (string Name, Func<IOptimizer> Create)[]
        {
            ("SGD", () => new Sgd(0.01f)),
            ("Momentum", () => new Momentum(n, 0.01f)),
            ("AdaGrad", () => new AdaGrad(n, 0.01f)),
            ("Adam", () => new Adam(n, 0.001f)),
            ("RMSProp", () => new RMSProp(n, 0.001f)),
            ("Nesterov", () => new Nesterov(n, 0.01f)),
            ("AdamW", () => new AdamW(n, 0.001f)),
        };
        var runs = new List<Run>();
        foreach (var (name, create) in all)
        {
            if (only is not null && !only.Contains(name)) continue;
            var net = new OptimizerNet(batchCapacity: 128, seed: _seed);
            runs.Add(Train(name, net, create(), _train, _steps, 128));
        }
        Save("optimizers.png", "OPTIMIZERS ON MNIST (SMOOTHED)", runs, 2.5);
        return runs;
    }

    // ---- (b) weight initialisation ---------------------------------------------------------------

    /// <summary>ch06/weight_init_compare.py: std 0.01, Xavier and He on the same ReLU network, SGD at 0.01, batches of 128.</summary>
    public List<Run> CompareInitialisations()
    {
        var runs = new List<Run>
        {
            Train("STD = 0.01", new Std001Net(128, _seed), new Sgd(0.01f), _train, _steps, 128),
            Train("XAVIER", new XavierNet(128, _seed), new Sgd(0.01f), _train, _steps, 128),
            Train("HE", new HeNet(128, _seed), new Sgd(0.01f), _train, _steps, 128),
        };
        Save("weight_init.png", "WEIGHT INITIALISATION (RELU, SGD)", runs, 2.5);
        return runs;
    }

    // ---- (c) overfitting and weight decay ----------------------------------------------------------

    /// <summary>
    /// ch06/overfit_weight_decay.py: the seven-layer network on only 300 training digits, SGD at 0.01, batches of 100,
    /// for the given epochs (the book's 201), without and with weight decay λ = 0.1; train and test accuracy every epoch.
    /// </summary>
    public List<Run> Overfit(int epochs)
    {
        MnistDataSet small = _train.Split(_train.Count - 300, _seed, out _);
        var runs = new List<Run>
        {
            TrainEpochs("NO DECAY", new OverfitNet(100, _seed), small, epochs),
            TrainEpochs("DECAY 0.1", new OverfitNet(100, _seed) { WeightDecay = 0.1f }, small, epochs),
        };
        var series = new List<Series>();
        for (int i = 0; i < runs.Count; i++)
        {
            series.Add(new Series(runs[i].Name + " TRAIN", Plot.Palette[i], runs[i].TrainCurve!));
            series.Add(new Series(runs[i].Name + " TEST", Plot.Palette[i], runs[i].TestCurve!, Dashed: true));
        }
        Plot.Save(Path.Combine(_output, "overfit_weight_decay.png"), "300 TRAINING DIGITS: ACCURACY", "EPOCHS", "ACCURACY", series, 0, 1);
        return runs;
    }

    // ---- (d) BatchNorm and Dropout -----------------------------------------------------------------

    /// <summary>
    /// ch06/batch_norm_test.py: five hidden layers of 100 with weights of std 1, 0.1 and 0.01 (the book sweeps 16 scales),
    /// each without and with BatchNorm, trained on 1,000 digits by SGD (lr 0.01, batches of 100) for the given epochs
    /// (the book's 20); the training accuracy after every epoch.
    /// </summary>
    public List<Run> CompareBatchNorm(int epochs)
    {
        MnistDataSet small = _train.Split(_train.Count - 1000, _seed, out _);
        var runs = new List<Run>
        {
            TrainEpochs("STD 1", new Std1Net(100, _seed), small, epochs),
            TrainEpochs("STD 1 + BN", new Std1BatchNormNet(100, _seed), small, epochs),
            TrainEpochs("STD 0.1", new Std01Net(100, _seed), small, epochs),
            TrainEpochs("STD 0.1 + BN", new Std01BatchNormNet(100, _seed), small, epochs),
            TrainEpochs("STD 0.01", new Std001DeepNet(100, _seed), small, epochs),
            TrainEpochs("STD 0.01 + BN", new Std001BatchNormNet(100, _seed), small, epochs),
        };
        var series = new List<Series>();
        for (int i = 0; i < runs.Count; i++)
            series.Add(new Series(runs[i].Name, Plot.Palette[(i / 2) % Plot.Palette.Length], runs[i].TrainCurve!, Dashed: i % 2 == 0));
        Plot.Save(Path.Combine(_output, "batch_norm.png"), "1,000 DIGITS: TRAIN ACCURACY, DASHED WITHOUT BATCHNORM", "EPOCHS", "ACCURACY", series, 0, 1);
        return runs;
    }

    /// <summary>
    /// ch06/overfit_dropout.py: the seven-layer network on 300 digits, as <see cref="Overfit"/>, with Dropout(0.2) after every
    /// hidden ReLU (inverted dropout: scaled in training, the identity when the accuracy is measured).
    /// </summary>
    public List<Run> OverfitDropout(int epochs)
    {
        MnistDataSet small = _train.Split(_train.Count - 300, _seed, out _);
        var runs = new List<Run>
        {
            TrainEpochs("NO DROPOUT", new OverfitNet(100, _seed), small, epochs),
            TrainEpochs("DROPOUT 0.2", new OverfitDropoutNet(100, _seed), small, epochs),
        };
        var series = new List<Series>();
        for (int i = 0; i < runs.Count; i++)
        {
            series.Add(new Series(runs[i].Name + " TRAIN", Plot.Palette[i], runs[i].TrainCurve!));
            series.Add(new Series(runs[i].Name + " TEST", Plot.Palette[i], runs[i].TestCurve!, Dashed: true));
        }
        Plot.Save(Path.Combine(_output, "overfit_dropout.png"), "300 TRAINING DIGITS: ACCURACY WITH DROPOUT", "EPOCHS", "ACCURACY", series, 0, 1);
        return runs;
    }

    // ---- training ----------------------------------------------------------------------------------

    /// <summary>Trains for <paramref name="steps"/> mini-batches (reshuffled every epoch), recording each step's loss.</summary>
    public Run Train<TNet>(string name, TNet net, IOptimizer optimizer, MnistDataSet data, int steps, int batch) where TNet : ILossNetwork
    {
        var losses = new float[steps];
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var images = new float[batch * data.PixelsPerImage];
        var targets = new float[batch * MnistDataSet.ClassCount];
        var random = new Random64(~(long)_seed);
        int position = data.Count; // reshuffle at the first step
        for (int s = 0; s < steps; s++)
        {
            if (position + batch > data.Count) { random.Shuffle<int>(order); position = 0; }
            data.CopyBatchOneHot(order.AsSpan(position, batch), images, targets);
            position += batch;
            losses[s] = net.Loss(images, targets);
            net.Backward();
            optimizer.Step(net.Parameters, net.Gradients);
        }
        var run = new Run(name, losses, Accuracy(net, _train), Accuracy(net, _test));
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-10} loss {Mean(losses, steps - Math.Min(100, steps), steps):F4} (mean of the last 100 steps)  train {run.TrainAccuracy:P1}  test {run.TestAccuracy:P1}"));
        return run;
    }

    /// <summary>Trains whole epochs of SGD (lr 0.01; the network's own <c>WeightDecay</c>), recording the accuracies after each.</summary>
    private Run TrainEpochs<TNet>(string name, TNet net, MnistDataSet data, int epochs) where TNet : ILossNetwork
    {
        var sgd = new Sgd(0.01f);
        int batch = 100, perEpoch = data.Count / batch;
        var losses = new List<float>();
        var train = new double[epochs];
        var test = new double[epochs];
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var images = new float[batch * data.PixelsPerImage];
        var targets = new float[batch * MnistDataSet.ClassCount];
        var random = new Random64(~(long)_seed);
        for (int e = 0; e < epochs; e++)
        {
            random.Shuffle<int>(order);
            for (int b = 0; b < perEpoch; b++)
            {
                data.CopyBatchOneHot(order.AsSpan(b * batch, batch), images, targets);
                losses.Add(net.Loss(images, targets));
                net.Backward();
                sgd.Step(net.Parameters, net.Gradients);
            }
            train[e] = Accuracy(net, data);
            test[e] = Accuracy(net, _test);
        }
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-10} after {epochs} epochs: train {train[^1]:P1}  test {test[^1]:P1}  gap {train[^1] - test[^1]:P1}"));
        return new Run(name, losses.ToArray(), train[^1], test[^1], train, test);
    }

    /// <summary>The fraction of <paramref name="data"/> whose most probable class is the label.</summary>
    public static double Accuracy<TNet>(TNet net, MnistDataSet data) where TNet : INetwork
    {
        int size = net.InputSize, classes = net.OutputSize, capacity = net.BatchCapacity, correct = 0;
        var output = new float[capacity * classes];
        for (int start = 0; start < data.Count; start += capacity)
        {
            int n = Math.Min(capacity, data.Count - start);
            net.Forward(data.Images.AsSpan(start * size, n * size), output.AsSpan(0, n * classes));
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = output.AsSpan(i * classes, classes);
                int best = 0;
                for (int j = 1; j < classes; j++) if (row[j] > row[best]) best = j;
                if (best == data.Labels[start + i]) correct++;
            }
        }
        return (double)correct / data.Count;
    }

    private static double Mean(float[] values, int from, int to)
    {
        double s = 0;
        for (int i = from; i < to; i++) s += values[i];
        return s / Math.Max(1, to - from);
    }

    /// <summary>The book's smooth_curve in spirit: a centred moving average over 2·10 + 1 steps (shorter at the ends).</summary>
    public static double[] Smooth(float[] values, int half = 10)
    {
        var smooth = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int from = Math.Max(0, i - half), to = Math.Min(values.Length, i + half + 1);
            smooth[i] = Mean(values, from, to);
        }
        return smooth;
    }

    private void Save(string file, string title, List<Run> runs, double yMax)
    {
        var series = runs.Select((r, i) => new Series(r.Name, Plot.Palette[i % Plot.Palette.Length], Smooth(r.Losses))).ToList();
        Plot.Save(Path.Combine(_output, file), title, "ITERATIONS", "LOSS", series, 0, yMax);
    }

    /// <summary>A Markdown table of the runs' final numbers.</summary>
    public static string Table(string title, IEnumerable<Run> runs)
    {
        var b = new StringBuilder();
        b.Append("| ").Append(title).Append(" | loss (last 100 steps) | train accuracy | test accuracy |\n| --- | --- | --- | --- |\n");
        foreach (Run r in runs)
            b.Append(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {Mean(r.Losses, r.Losses.Length - Math.Min(100, r.Losses.Length), r.Losses.Length):F4} | {r.TrainAccuracy:P1} | {r.TestAccuracy:P1} |\n"));
        return b.ToString();
    }
}
