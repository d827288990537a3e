using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StaticNet;

/// <summary>
/// Compares a network's <c>Backward</c> against central differences of its <c>Loss</c>, block by
/// block (the book's gradient check, ch. 5.7): <c>(L(θ + h) - L(θ - h)) / 2h</c> for each checked
/// parameter. The network computes in float32, so expect relative errors around 1e-3, not the
/// 1e-8 of the book's float64 numpy; an error near 1 means a wrong gradient.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Checks up to <paramref name="maxPerBlock"/> parameters of every block (evenly spread over the
    /// block) and returns the error per block. The parameters are left as they were; the gradients
    /// hold the analytic gradient afterwards.
    /// </summary>
    public static GradientCheckResult Run<TNet>(TNet network, ReadOnlySpan<float> input, ReadOnlySpan<float> targets,
        float step = 1e-2f, int maxPerBlock = 50)
        where TNet : ILossNetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        if (!(step > 0)) throw new ArgumentOutOfRangeException(nameof(step), step, "Must be positive.");
        if (maxPerBlock <= 0) throw new ArgumentOutOfRangeException(nameof(maxPerBlock), maxPerBlock, "Must be positive.");

        double center = network.Loss(input, targets);
        network.Backward();
        float[] analytic = network.Gradients.ToArray();

        var blocks = new List<GradientCheckBlock>();
        foreach (ParameterBlock block in network.ParameterBlocks)
        {
            int count = Math.Min(block.Length, maxPerBlock), kinks = 0;
            double maxDifference = 0, maxMagnitude = 0;
            for (int s = 0; s < count; s++)
            {
                int i = block.Offset + (int)((long)s * block.Length / count);
                float saved = network.Parameters[i];
                network.Parameters[i] = saved + step;
                double plus = network.Loss(input, targets);
                network.Parameters[i] = saved - step;
                double minus = network.Loss(input, targets);
                network.Parameters[i] = saved;
                // A kink (ReLU at 0) between θ - h and θ + h makes the one-sided slopes disagree; the
                // central difference is then meaningless, so the point is counted as a kink and skipped.
                double right = (plus - center) / step, left = (center - minus) / step;
                if (Math.Abs(right - left) > 1e-4 && Math.Abs(right - left) > 0.2 * Math.Max(Math.Abs(right), Math.Abs(left)))
                {
                    kinks++;
                    continue;
                }
                double numeric = (plus - minus) / (2.0 * step);
                maxDifference = Math.Max(maxDifference, Math.Abs(numeric - analytic[i]));
                maxMagnitude = Math.Max(maxMagnitude, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            }
            double relative = maxMagnitude > 0 ? maxDifference / maxMagnitude : maxDifference;
            blocks.Add(new GradientCheckBlock(block.Layer, block.Name, count - kinks, kinks, maxDifference, relative));
        }
        // Leave the network as a Backward after this input would: gradients = analytic.
        network.Loss(input, targets);
        network.Backward();
        return new GradientCheckResult(blocks);
    }
}

/// <summary>The gradient check of one parameter block.</summary>
/// <param name="Layer">The layer (<c>Dense1</c>).</param>
/// <param name="Block">The block (<c>W1</c>).</param>
/// <param name="Checked">How many of its parameters were compared.</param>
/// <param name="Kinks">How many sampled parameters were skipped because the loss has a kink there (ReLU at 0), where no derivative exists.</param>
/// <param name="MaxAbsoluteError">The largest |analytic - numeric|.</param>
/// <param name="RelativeError">That error relative to the block's largest gradient magnitude.</param>
public readonly record struct GradientCheckBlock(string Layer, string Block, int Checked, int Kinks, double MaxAbsoluteError, double RelativeError);

/// <summary>The result of <see cref="GradientCheck.Run"/>: one entry per parameter block.</summary>
public sealed class GradientCheckResult
{
    internal GradientCheckResult(IReadOnlyList<GradientCheckBlock> blocks) => Blocks = blocks;

    /// <summary>The blocks, in parameter order.</summary>
    public IReadOnlyList<GradientCheckBlock> Blocks { get; }

    /// <summary>The largest relative error over all blocks.</summary>
    public double MaxRelativeError
    {
        get
        {
            double max = 0;
            foreach (GradientCheckBlock b in Blocks) max = Math.Max(max, b.RelativeError);
            return max;
        }
    }

    /// <summary>A table: layer, block, checked, max absolute error, relative error.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine("layer      block   checked   kinks   max |error|   relative");
        foreach (GradientCheckBlock b in Blocks)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,-10} {1,-7} {2,7}   {3,5}   {4,11:E2}   {5,8:E2}", b.Layer, b.Block, b.Checked, b.Kinks, b.MaxAbsoluteError, b.RelativeError));
        return s.ToString();
    }
}
