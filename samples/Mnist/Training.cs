using System;
using System.Diagnostics;
using StaticNet;
using StaticNet.Data;

namespace Samples.Mnist;

/// <summary>
/// Mini-batch training of any network that ends in a loss layer: shuffle, copy a batch, Loss, Backward,
/// optimizer step. Every buffer is allocated in the constructor; <see cref="RunEpoch"/> allocates nothing.
/// </summary>
/// <typeparam name="TNet">The generated network class.</typeparam>
public sealed class Trainer<TNet>
    where TNet : ILossNetwork
{
    private readonly TNet _net;
    private readonly IOptimizer _optimizer;
    private readonly MnistDataSet _data;
    private readonly int _batchSize;
    private readonly int[] _order;     // the permutation of the training items for the current epoch
    private readonly float[] _images;  // [batchSize, 784]
    private readonly float[] _targets; // [batchSize, 10], one-hot
    private Random64 _random;          // mutable struct: not readonly, so Shuffle advances it

    /// <summary>Allocates the batch buffers.</summary>
    /// <param name="net">The network; its <see cref="INetwork.BatchCapacity"/> must be at least <paramref name="batchSize"/>.</param>
    /// <param name="optimizer">Updates the parameters after each batch.</param>
    /// <param name="data">The training data.</param>
    /// <param name="batchSize">Images per batch; the last batch of an epoch may be smaller.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    public Trainer(TNet net, IOptimizer optimizer, MnistDataSet data, int batchSize, int seed)
    {
        if (data.PixelsPerImage != net.InputSize)
            throw new ArgumentException($"The images have {data.PixelsPerImage} pixels ({data.Rows}x{data.Columns}), but the network takes {net.InputSize}.", nameof(data));
        if (net.OutputSize != MnistDataSet.ClassCount)
            throw new ArgumentException($"The network has {net.OutputSize} outputs, but there are {MnistDataSet.ClassCount} classes.", nameof(net));
        if (batchSize < 1 || batchSize > net.BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Must be between 1 and the network's batch capacity, {net.BatchCapacity}.");

        _net = net;
        _optimizer = optimizer;
        _data = data;
        _batchSize = batchSize;
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++)
            _order[i] = i;
        _images = new float[batchSize * data.PixelsPerImage];
        _targets = new float[batchSize * MnistDataSet.ClassCount];
        // A stream of its own: the network's weights were drawn from Random64(seed).
        _random = new Random64(~(long)seed);
    }

    /// <summary>
    /// Runs one batch through Loss, Backward and an optimizer step without changing the network or the
    /// training optimizer: the step goes to <paramref name="scratchOptimizer"/> (a fresh optimizer of the
    /// same kind) and a scratch copy of the parameters. It lets the runtime do its one-time work for the
    /// calls of the loop (compiling them and initialising what they use, a few kilobytes on the first
    /// call) during set-up, so that <see cref="RunEpoch"/> allocates nothing from its first batch on.
    /// </summary>
    public void WarmUp(IOptimizer scratchOptimizer)
    {
        int n = Math.Min(_batchSize, _data.Count);
        Span<float> images = _images.AsSpan(0, n * _data.PixelsPerImage);
        Span<float> targets = _targets.AsSpan(0, n * MnistDataSet.ClassCount);
        _data.CopyBatchOneHot(_order.AsSpan(0, n), images, targets);
        _net.Loss(images, targets);
        _net.Backward(); // writes only Gradients, which every batch overwrites
        float[] parameters = _net.Parameters.ToArray();
        scratchOptimizer.Step(parameters, _net.Gradients);
    }

    /// <summary>Number of batches per epoch.</summary>
    public int BatchesPerEpoch => (_data.Count + _batchSize - 1) / _batchSize;

    /// <summary>One pass over the training data in a new random order. Allocates nothing.</summary>
    /// <param name="progress">Told after each batch; may draw a progress bar.</param>
    /// <returns>The mean loss over the epoch's images.</returns>
    public float RunEpoch(ProgressBar progress)
    {
        _random.Shuffle<int>(_order);
        int count = _data.Count, pixels = _data.PixelsPerImage, batches = BatchesPerEpoch;
        double lossSum = 0;
        for (int b = 0; b < batches; b++)
        {
            int start = b * _batchSize;
            int n = Math.Min(_batchSize, count - start);
            Span<float> images = _images.AsSpan(0, n * pixels);
            Span<float> targets = _targets.AsSpan(0, n * MnistDataSet.ClassCount);
            _data.CopyBatchOneHot(_order.AsSpan(start, n), images, targets);

            float loss = _net.Loss(images, targets);     // forward pass and softmax cross-entropy
            _net.Backward();                              // dLoss/dParameters into _net.Gradients
            _optimizer.Step(_net.Parameters, _net.Gradients);

            lossSum += (double)loss * n;                  // Loss is the batch mean
            progress.Report(b + 1, batches);
        }
        return (float)(lossSum / count);
    }
}

/// <summary>Accuracy of a network on a data set: Forward in batches, argmax, compare. Allocates nothing after construction.</summary>
/// <typeparam name="TNet">The generated network class.</typeparam>
public sealed class Evaluator<TNet>
    where TNet : INetwork
{
    private readonly TNet _net;
    private readonly float[] _output; // [BatchCapacity, OutputSize]

    /// <summary>Allocates the output buffer for batches of the network's capacity.</summary>
    public Evaluator(TNet net)
    {
        _net = net;
        _output = new float[net.BatchCapacity * net.OutputSize];
    }

    /// <summary>The number of images of <paramref name="data"/> whose most probable class is their label.</summary>
    public int CountCorrect(MnistDataSet data)
    {
        int inputSize = _net.InputSize, outputSize = _net.OutputSize, capacity = _net.BatchCapacity;
        if (data.PixelsPerImage != inputSize)
            throw new ArgumentException($"The images have {data.PixelsPerImage} pixels ({data.Rows}x{data.Columns}), but the network takes {inputSize}.", nameof(data));

        // The images are contiguous, so each batch is a slice: nothing to copy.
        ReadOnlySpan<float> images = data.Images;
        ReadOnlySpan<byte> labels = data.Labels;
        int correct = 0;
        for (int start = 0; start < data.Count; start += capacity)
        {
            int n = Math.Min(capacity, data.Count - start);
            Span<float> output = _output.AsSpan(0, n * outputSize);
            _net.Forward(images.Slice(start * inputSize, n * inputSize), output);
            for (int i = 0; i < n; i++)
            {
                if (ArgMax(output.Slice(i * outputSize, outputSize)) == labels[start + i])
                    correct++;
            }
        }
        return correct;
    }

    /// <summary>The fraction of <paramref name="data"/> classified correctly, 0 to 1.</summary>
    public double Accuracy(MnistDataSet data) => (double)CountCorrect(data) / data.Count;

    /// <summary>The index of the largest value (the first one on a tie).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }
}

/// <summary>
/// A progress bar for one epoch, drawn on the terminal only (never when the output is redirected) and only
/// once the epoch has run for half a second, so short epochs print nothing but their summary line.
/// Allocates nothing after construction: the line is formatted into a reused char buffer.
/// </summary>
public sealed class ProgressBar
{
    private const int BarWidth = 30;
    private static readonly long s_showAfter = Stopwatch.Frequency / 2;  // 0.5 s
    private static readonly long s_redrawEvery = Stopwatch.Frequency / 10; // 0.1 s

    private readonly bool _enabled;
    private readonly char[] _line = new char[96];
    private long _nextDraw;
    private int _epoch, _epochs, _drawnLength;

    /// <summary>Creates a bar that draws when <paramref name="enabled"/> (e.g. <c>!Console.IsOutputRedirected</c>).</summary>
    public ProgressBar(bool enabled) => _enabled = enabled;

    /// <summary>A bar that never draws.</summary>
    public static ProgressBar None { get; } = new(false);

    /// <summary>Starts timing epoch <paramref name="epoch"/> of <paramref name="epochs"/>.</summary>
    public void Start(int epoch, int epochs)
    {
        _epoch = epoch;
        _epochs = epochs;
        _drawnLength = 0;
        _nextDraw = Stopwatch.GetTimestamp() + s_showAfter;
    }

    /// <summary>Reports that <paramref name="done"/> of <paramref name="total"/> batches are done; redraws at most every 0.1 s.</summary>
    public void Report(int done, int total)
    {
        if (!_enabled)
            return;
        long now = Stopwatch.GetTimestamp();
        if (now < _nextDraw || done >= total)
            return;
        _nextDraw = now + s_redrawEvery;

        // "\r  epoch 3/15 [##########--------------------]  33%"
        Span<char> line = _line;
        int length = 0;
        Append(line, ref length, "\r  epoch ");
        AppendInt(line, ref length, _epoch);
        Append(line, ref length, "/");
        AppendInt(line, ref length, _epochs);
        Append(line, ref length, " [");
        int filled = (int)((long)done * BarWidth / total);
        for (int i = 0; i < BarWidth; i++)
            line[length++] = i < filled ? '#' : '-';
        Append(line, ref length, "] ");
        int percent = (int)((long)done * 100 / total);
        if (percent < 10) line[length++] = ' ';
        AppendInt(line, ref length, percent);
        line[length++] = '%';
        Console.Out.Write(_line, 0, length);
        _drawnLength = length;
    }

    /// <summary>Erases the bar, if it was drawn, so the epoch's summary line takes its place.</summary>
    public void Clear()
    {
        if (_drawnLength == 0)
            return;
        Span<char> line = _line;
        line[0] = '\r';
        line.Slice(1, _drawnLength - 1).Fill(' ');
        line[_drawnLength] = '\r';
        Console.Out.Write(_line, 0, _drawnLength + 1);
        _drawnLength = 0;
    }

    private static void Append(Span<char> line, ref int length, string text)
    {
        text.AsSpan().CopyTo(line.Slice(length));
        length += text.Length;
    }

    private static void AppendInt(Span<char> line, ref int length, int value)
    {
        value.TryFormat(line.Slice(length), out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        length += written;
    }
}
