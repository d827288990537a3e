using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StaticNet;

/// <summary>
/// Compares a network's fast pass (float32, SIMD kernels) with its generated reference pass (the book's loops in
/// double, see <see cref="IReferenceNetwork"/>) on one input: the outputs, the loss, every parameter block of the
/// gradient and the input gradient, each reported as its largest difference. The fast pass computes in float32, so
/// expect relative differences around 1e-6 to 1e-5, growing with the size of the sums; a difference near 1 means the
/// two passes compute different things. Judge a result with <see cref="ReferenceCheckResult.Passed"/>.
/// </summary>
/// <remarks>
/// <para>Two forms, as <see cref="GradientCheck"/>'s: <see cref="Run"/> compares <c>Loss</c> then
/// <c>Backward(inputGradient)</c> with <c>ReferenceLoss</c> then <c>ReferenceBackward</c> on a network with a loss layer;
/// <see cref="RunWithOutputGradient"/> compares <c>Forward</c> then <c>Backward(outputGradient, inputGradient)</c> on any
/// network. Both compare <c>Forward</c>'s output too.</para>
/// <para>With BatchNorm, <see cref="Run"/> also compares the running statistics a training <c>Loss</c> leaves in
/// <see cref="INetwork.State"/> with the reference's (<see cref="IReferenceNetwork.ReferenceState"/>), both moved from the
/// same <see cref="INetwork.State"/>; with Dropout, the reference drops what the fast <c>Loss</c> dropped.</para>
/// <para>The parameters and <see cref="INetwork.State"/> are not changed (a training <c>Loss</c> moves the running statistics;
/// the check puts them back). Afterwards <see cref="INetwork.Gradients"/> holds the fast pass's gradient of this input, as
/// after a backward pass, and a training <c>Loss</c> has drawn new dropout masks. The check allocates its arrays: it is a
/// test, not a training step.</para>
/// </remarks>
public static class ReferenceCheck
{
    /// <summary>
    /// Runs both passes of a network with a loss layer on <paramref name="input"/> and <paramref name="targets"/> and
    /// compares the output of <c>Forward</c>, the loss, each parameter block's gradient and the input gradient.
    /// </summary>
    /// <param name="network">The network, declared with <c>[Network(Reference = true)]</c>.</param>
    /// <param name="input">Whole rows of <see cref="INetwork.InputSize"/> floats, 1 to <see cref="INetwork.BatchCapacity"/> of them.</param>
    /// <param name="targets">One row of <see cref="INetwork.OutputSize"/> targets per input row.</param>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not whole rows, or <paramref name="targets"/> does not hold one row per input row.</exception>
    public static ReferenceCheckResult Run<TNet>(TNet network, ReadOnlySpan<float> input, ReadOnlySpan<float> targets)
        where TNet : IReferenceLossNetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        int rows = Rows(network, input);
        if (targets.Length != rows * network.OutputSize)
            throw new ArgumentException($"The targets must hold {rows * network.OutputSize} values ({rows} rows of {network.OutputSize}); got {targets.Length}.", nameof(targets));

        var entries = new List<ReferenceCheckEntry>();
        entries.Add(CompareOutputs(network, input, rows));

        var fastInputGradient = new float[rows * network.InputSize];
        float[] stateBefore = network.State.ToArray();
        float fastLoss = network.Loss(input, targets);
        network.Backward(fastInputGradient);
        float[] fastGradients = network.Gradients.ToArray();
        float[] fastState = network.State.ToArray();
        stateBefore.CopyTo(network.State); // the reference starts from the same running statistics, and the check changes none

        var referenceGradients = new double[network.ParameterCount];
        var referenceInputGradient = new double[rows * network.InputSize];
        double referenceLoss = network.ReferenceLoss(input, targets);
        network.ReferenceBackward(referenceGradients, referenceInputGradient);

        entries.Add(Compare("", "loss", new[] { fastLoss }, new[] { referenceLoss }));
        AddBlocks(network, entries, fastGradients, referenceGradients);
        entries.Add(Compare("", "inputGradient", fastInputGradient, referenceInputGradient));
        if (fastState.Length > 0 && network.ReferenceState.Length == fastState.Length)
            entries.Add(Compare("", "state", fastState, network.ReferenceState));
        return new ReferenceCheckResult(entries);
    }

    /// <summary>
    /// Runs both passes of any network, with or without a loss layer, on <paramref name="input"/> and compares the output
    /// of <c>Forward</c>, then, for the backward pass from <paramref name="outputGradient"/>, each parameter block's
    /// gradient and the input gradient.
    /// </summary>
    /// <param name="network">The network, declared with <c>[Network(Reference = true)]</c>.</param>
    /// <param name="input">Whole rows of <see cref="INetwork.InputSize"/> floats, 1 to <see cref="INetwork.BatchCapacity"/> of them.</param>
    /// <param name="outputGradient">dL/d output: one row of <see cref="INetwork.OutputSize"/> floats per input row.</param>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not whole rows, or <paramref name="outputGradient"/> does not hold one output row per input row.</exception>
    public static ReferenceCheckResult RunWithOutputGradient<TNet>(TNet network, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient)
        where TNet : IReferenceNetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        int rows = Rows(network, input);
        if (outputGradient.Length != rows * network.OutputSize)
            throw new ArgumentException($"The output gradient must hold {rows * network.OutputSize} values ({rows} rows of {network.OutputSize}); got {outputGradient.Length}.", nameof(outputGradient));

        var entries = new List<ReferenceCheckEntry>();
        entries.Add(CompareOutputs(network, input, rows)); // leaves both passes after a forward pass of this input

        var fastInputGradient = new float[rows * network.InputSize];
        network.Backward(outputGradient, fastInputGradient);
        float[] fastGradients = network.Gradients.ToArray();
        var referenceGradients = new double[network.ParameterCount];
        var referenceInputGradient = new double[rows * network.InputSize];
        network.ReferenceBackward(outputGradient, referenceGradients, referenceInputGradient);

        AddBlocks(network, entries, fastGradients, referenceGradients);
        entries.Add(Compare("", "inputGradient", fastInputGradient, referenceInputGradient));
        return new ReferenceCheckResult(entries);
    }

    private static int Rows(INetwork network, ReadOnlySpan<float> input)
    {
        if (input.Length == 0 || input.Length % network.InputSize != 0)
            throw new ArgumentException($"The input must be whole rows of {network.InputSize} floats; got {input.Length}.", nameof(input));
        return input.Length / network.InputSize;
    }

    private static ReferenceCheckEntry CompareOutputs<TNet>(TNet network, ReadOnlySpan<float> input, int rows) where TNet : IReferenceNetwork
    {
        var fast = new float[rows * network.OutputSize];
        var reference = new double[rows * network.OutputSize];
        network.Forward(input, fast);
        network.ReferenceForward(input, reference);
        return Compare("", "output", fast, reference);
    }

    private static void AddBlocks(INetwork network, List<ReferenceCheckEntry> entries, float[] fast, double[] reference)
    {
        foreach (ParameterBlock block in network.ParameterBlocks)
            entries.Add(Compare(block.Layer, "d" + block.Name,
                fast.AsSpan(block.Offset, block.Length), reference.AsSpan(block.Offset, block.Length)));
    }

    private static ReferenceCheckEntry Compare(string layer, string name, ReadOnlySpan<float> fast, ReadOnlySpan<double> reference)
    {
        double maxDifference = 0, maxMagnitude = 0;
        for (int i = 0; i < fast.Length; i++)
        {
            double difference = Math.Abs(fast[i] - reference[i]);
            // NaN is the largest difference of all: Math.Max keeps it, so a NaN on either side cannot pass.
            maxDifference = double.IsNaN(difference) ? double.NaN : Math.Max(maxDifference, difference);
            maxMagnitude = Math.Max(maxMagnitude, Math.Max(Math.Abs(fast[i]), Math.Abs(reference[i])));
        }
        double relative = maxMagnitude > 0 ? maxDifference / maxMagnitude : maxDifference;
        return new ReferenceCheckEntry(layer, name, fast.Length, maxDifference, relative);
    }
}

/// <summary>One compared tensor of a <see cref="ReferenceCheck"/>.</summary>
/// <param name="Layer">The layer of a parameter block (<c>Dense1</c>); empty for the output, the loss and the input gradient.</param>
/// <param name="Name">What was compared: <c>output</c>, <c>loss</c>, a parameter block's gradient (<c>dW1</c>, <c>db1</c>), <c>inputGradient</c> or <c>state</c> (the running statistics).</param>
/// <param name="Length">How many values were compared.</param>
/// <param name="MaxAbsoluteDifference">The largest |fast − reference|; NaN when either side had a NaN.</param>
/// <param name="RelativeDifference">That difference relative to the largest magnitude of either side (the difference itself when both are all zero).</param>
public readonly record struct ReferenceCheckEntry(string Layer, string Name, int Length, double MaxAbsoluteDifference, double RelativeDifference);

/// <summary>The result of a <see cref="ReferenceCheck"/>: the output, the loss (when the network has one), one entry per parameter block, the input gradient.</summary>
public sealed class ReferenceCheckResult
{
    internal ReferenceCheckResult(IReadOnlyList<ReferenceCheckEntry> entries)
    {
        Entries = entries;
        var blocks = new List<ReferenceCheckEntry>();
        foreach (ReferenceCheckEntry e in entries)
        {
            if (e.Name == "output") Output = e;
            else if (e.Name == "loss") Loss = e;
            else if (e.Name == "inputGradient") InputGradient = e;
            else if (e.Name == "state") State = e;
            else blocks.Add(e);
        }
        Blocks = blocks;
    }

    /// <summary>Everything compared, in order: output, loss, the parameter blocks, the input gradient, the state (with BatchNorm).</summary>
    public IReadOnlyList<ReferenceCheckEntry> Entries { get; }

    /// <summary>The parameter blocks' gradients, in parameter order.</summary>
    public IReadOnlyList<ReferenceCheckEntry> Blocks { get; }

    /// <summary>The output of <c>Forward</c> against <c>ReferenceForward</c>.</summary>
    public ReferenceCheckEntry Output { get; }

    /// <summary>The loss against the reference loss; null for <see cref="ReferenceCheck.RunWithOutputGradient"/>.</summary>
    public ReferenceCheckEntry? Loss { get; }

    /// <summary>The input gradient of the fast backward pass against the reference's.</summary>
    public ReferenceCheckEntry InputGradient { get; }

    /// <summary>
    /// The running statistics (<see cref="INetwork.State"/>) after the fast training <c>Loss</c> against the reference's
    /// (<see cref="IReferenceNetwork.ReferenceState"/>); null for a network without state and for
    /// <see cref="ReferenceCheck.RunWithOutputGradient"/>, whose forward pass moves none.
    /// </summary>
    public ReferenceCheckEntry? State { get; }

    /// <summary>The largest relative difference over all entries (NaN when any is).</summary>
    public double MaxRelativeDifference
    {
        get
        {
            double max = 0;
            foreach (ReferenceCheckEntry e in Entries) max = double.IsNaN(e.RelativeDifference) ? double.NaN : Math.Max(max, e.RelativeDifference);
            return max;
        }
    }

    /// <summary>True when every entry's relative difference is at most <paramref name="tolerance"/> (a NaN never is).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or NaN.</exception>
    public bool Passed(double tolerance)
    {
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be zero or positive.");
        if (Entries.Count == 0) return false;
        foreach (ReferenceCheckEntry e in Entries)
            if (!(e.RelativeDifference <= tolerance)) return false;
        return true;
    }

    /// <summary>A table: layer, what, values, max absolute difference, relative difference.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine("layer      what            values   max |diff|   relative");
        foreach (ReferenceCheckEntry e in Entries)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,-10} {1,-14} {2,7}   {3,10:E2}   {4,8:E2}", e.Layer, e.Name, e.Length, e.MaxAbsoluteDifference, e.RelativeDifference));
        return s.ToString();
    }
}
