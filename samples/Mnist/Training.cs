using System;
using System.Diagnostics;
using StaticNet;
using StaticNet.Data;

namespace Samples.Mnist;

/// <summary>
/// What the sample adds to <see cref="Trainer.Fit{TNet}(TNet, IOptimizer, float[], int[], FitOptions?)"/>, which runs
/// its training loop: the labels as Fit takes them, and a warm-up step that leaves the network unchanged.
/// </summary>
public static class FitLoop
{
    /// <summary>The labels of <paramref name="data"/> as class indices.</summary>
    public static int[] Labels(MnistDataSet data)
    {
        var labels = new int[data.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = data.Labels[i];
        return labels;
    }

    /// <summary>
    /// Checks that the images fit the network, then runs one batch through Loss, Backward and an optimizer step without
    /// changing the network or the training optimizer: the step goes to <paramref name="scratchOptimizer"/> (a fresh
    /// optimizer of the same kind) and a copy of the parameters. It lets the runtime do its one-time work for the calls
    /// of the loop (compiling them and initialising what they use, a few kilobytes on the first call) during set-up, so
    /// that the training loop allocates nothing from its first batch on.
    /// </summary>
    public static void WarmUp<TNet>(TNet net, IOptimizer scratchOptimizer, MnistDataSet data, int batchSize)
        where TNet : ILossNetwork
    {
        if (data.PixelsPerImage != net.InputSize)
            throw new ArgumentException($"The images have {data.PixelsPerImage} pixels ({data.Rows}x{data.Columns}), but the network takes {net.InputSize}.", nameof(data));
        if (net.OutputSize != MnistDataSet.ClassCount)
            throw new ArgumentException($"The network has {net.OutputSize} outputs, but there are {MnistDataSet.ClassCount} classes.", nameof(net));
        int n = Math.Min(batchSize, data.Count);
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        var images = new float[n * data.PixelsPerImage];
        var targets = new float[n * MnistDataSet.ClassCount];
        data.CopyBatchOneHot(order, images, targets);
        net.Loss(images, targets);
        net.Backward(); // writes only Gradients, which every batch overwrites
        float[] parameters = net.Parameters.ToArray();
        scratchOptimizer.Step(parameters, net.Gradients);
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
