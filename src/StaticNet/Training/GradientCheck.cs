using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StaticNet;

/// <summary>
/// Compares a network's backward pass against central differences, block by block (the book's
/// gradient check, ch. 5.7): <c>(L(θ + h) - L(θ - h)) / 2h</c> for each checked parameter. The
/// network computes in float32, so expect relative errors around 1e-3, not the 1e-8 of the book's
/// float64 numpy; an error near 1 means a wrong gradient. Judge a result with
/// <see cref="GradientCheckResult.Passed"/>, which also fails a block where nothing was checked.
/// </summary>
/// <remarks>
/// <para>Two forms: <see cref="Run"/> checks <c>Loss</c> against <c>Backward()</c> of a network
/// with a loss layer; <see cref="RunWithOutputGradient"/> checks any network through
/// <c>Backward(outputGradient, Span&lt;float&gt;.Empty)</c>, as the gradient of the scalar
/// <c>L = Σ outputGradient ⊙ Forward(input)</c> (for a custom loss, pass its gradient at the
/// current output).</para>
/// <para>Kinks. Only a network whose <see cref="INetwork.Architecture"/> names a layer with a
/// kink (<c>ReLU</c>, <c>LeakyReLU</c>, <c>MaxPool2D</c>) can have points without a derivative;
/// in any other network every sampled parameter is checked. In a network with one, a sampled
/// parameter is a kink when the one-sided slopes <c>(L(θ+h) − L(θ))/h</c> and
/// <c>(L(θ) − L(θ−h))/h</c> disagree, and the disagreement does not shrink like curvature's:
/// curvature makes it <c>L''·h</c>, so it halves with the step, while a kink within the step
/// leaves a jump that does not. The disagreement is measured at <c>h</c>, <c>h/2</c> and
/// <c>h/4</c>: curvature must halve it twice (each ratio in [0.3, 0.7]); two steps alone cannot tell
/// curvature from a kink at a third of the step, whose disagreement also halves once (and then
/// vanishes). A kink is counted in <see cref="GradientCheckBlock.Kinks"/> and skipped.</para>
/// </remarks>
public static class GradientCheck
{
    // Layers whose output is not differentiable everywhere (Architecture tokens, without arguments).
    private static readonly string[] KinkLayers = { "ReLU", "LeakyReLU", "LeakyRelu", "MaxPool2D" };

    /// <summary>
    /// Checks up to <paramref name="maxPerBlock"/> parameters of every block (evenly spread over the
    /// block) of a network with a loss layer: <c>Backward()</c> against central differences of
    /// <c>Loss(input, targets)</c>. The parameters are left as they were; the gradients hold the
    /// analytic gradient afterwards.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not positive and finite, or <paramref name="maxPerBlock"/> is not positive.</exception>
    public static GradientCheckResult Run<TNet>(TNet network, ReadOnlySpan<float> input, ReadOnlySpan<float> targets,
        float step = 1e-2f, int maxPerBlock = 50)
        where TNet : ILossNetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        Validate(step, maxPerBlock);
        var objective = new LossObjective<TNet>(network, input.ToArray(), targets.ToArray());
        return Check(network, ref objective, step, maxPerBlock);
    }

    /// <summary>
    /// Checks up to <paramref name="maxPerBlock"/> parameters of every block of any network, with
    /// or without a loss layer: <c>Backward(outputGradient, Span&lt;float&gt;.Empty)</c> against
    /// central differences of <c>L(θ) = Σ outputGradient ⊙ Forward(input)</c>, whose exact gradient
    /// is what that backward pass computes. The parameters are left as they were; the gradients
    /// hold the analytic gradient afterwards.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="input">Whole rows of <see cref="INetwork.InputSize"/> floats, 1 to <see cref="INetwork.BatchCapacity"/> of them.</param>
    /// <param name="outputGradient">dL/d output: one row of <see cref="INetwork.OutputSize"/> floats per input row.</param>
    /// <param name="step">The finite-difference step h.</param>
    /// <param name="maxPerBlock">How many parameters of each block to check at most.</param>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not whole rows, or <paramref name="outputGradient"/> does not hold one output row per input row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not positive and finite, or <paramref name="maxPerBlock"/> is not positive.</exception>
    public static GradientCheckResult RunWithOutputGradient<TNet>(TNet network, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient,
        float step = 1e-2f, int maxPerBlock = 50)
        where TNet : INetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        Validate(step, maxPerBlock);
        if (input.Length == 0 || input.Length % network.InputSize != 0)
            throw new ArgumentException($"The input must be whole rows of {network.InputSize} floats; got {input.Length}.", nameof(input));
        int rows = input.Length / network.InputSize;
        if (outputGradient.Length != rows * network.OutputSize)
            throw new ArgumentException($"The output gradient must hold {rows * network.OutputSize} values ({rows} rows of {network.OutputSize}); got {outputGradient.Length}.", nameof(outputGradient));
        var objective = new OutputGradientObjective<TNet>(network, input.ToArray(), outputGradient.ToArray());
        return Check(network, ref objective, step, maxPerBlock);
    }

    private static void Validate(float step, int maxPerBlock)
    {
        if (!(step > 0) || float.IsInfinity(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be positive and finite.");
        if (maxPerBlock <= 0) throw new ArgumentOutOfRangeException(nameof(maxPerBlock), maxPerBlock, "Must be positive.");
    }

    /// <summary>Whether the architecture names a layer with a kink.</summary>
    internal static bool HasKinks(string architecture)
    {
        foreach (string token in architecture.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int paren = token.IndexOf('(');
            string name = paren < 0 ? token : token.Substring(0, paren);
            foreach (string kink in KinkLayers)
                if (string.Equals(name, kink, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static GradientCheckResult Check<TNet, TObjective>(TNet network, ref TObjective objective, float step, int maxPerBlock)
        where TNet : INetwork
        where TObjective : struct, IObjective
    {
        // Analytic gradient first: taking Parameters forgets the kept activations, so the order is
        // forward (or loss) → backward → read Gradients, before any parameter is perturbed.
        double center = objective.Evaluate();
        objective.Backward();
        float[] analytic = network.Gradients.ToArray();
        bool kinksPossible = HasKinks(network.Architecture);

        var blocks = new List<GradientCheckBlock>();
        foreach (ParameterBlock block in network.ParameterBlocks)
        {
            int count = Math.Min(block.Length, maxPerBlock), kinks = 0;
            double maxDifference = 0, maxMagnitude = 0;
            for (int s = 0; s < count; s++)
            {
                int i = block.Offset + (int)((long)s * block.Length / count);
                (double plus, double minus) = Perturbed(network, ref objective, i, step);
                if (kinksPossible && IsKink(network, ref objective, i, step, center, plus, minus))
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
        // Leave the network as a backward pass after this input would: gradients = analytic.
        objective.Evaluate();
        objective.Backward();
        return new GradientCheckResult(blocks);
    }

    private static (double Plus, double Minus) Perturbed<TNet, TObjective>(TNet network, ref TObjective objective, int i, double step)
        where TNet : INetwork
        where TObjective : struct, IObjective
    {
        float saved = network.Parameters[i];
        network.Parameters[i] = (float)(saved + step);
        double plus = objective.Evaluate();
        network.Parameters[i] = (float)(saved - step);
        double minus = objective.Evaluate();
        network.Parameters[i] = saved;
        return (plus, minus);
    }

    // The one-sided slopes disagree by (plus - 2 center + minus) / h.
    private static double Disagreement(double center, double plus, double minus, double step) =>
        Math.Abs(plus - 2 * center + minus) / step;

    private static bool IsKink<TNet, TObjective>(TNet network, ref TObjective objective, int i, float step, double center, double plus, double minus)
        where TNet : INetwork
        where TObjective : struct, IObjective
    {
        double d1 = Disagreement(center, plus, minus, step);
        double slopes = Math.Max(Math.Abs(plus - center), Math.Abs(center - minus)) / step;
        if (d1 <= 1e-4 || d1 <= 0.2 * slopes) return false; // the slopes agree: smooth enough
        (double plus2, double minus2) = Perturbed(network, ref objective, i, step / 2.0);
        double d2 = Disagreement(center, plus2, minus2, step / 2.0);
        double r1 = d2 / d1;
        if (r1 < 0.3 || r1 > 0.7) return true;
        (double plus4, double minus4) = Perturbed(network, ref objective, i, step / 4.0);
        double d4 = Disagreement(center, plus4, minus4, step / 4.0);
        double r2 = d2 > 0 ? d4 / d2 : 0;
        return r2 < 0.3 || r2 > 0.7;
    }

    private interface IObjective
    {
        double Evaluate();
        void Backward();
    }

    private struct LossObjective<TNet> : IObjective where TNet : ILossNetwork
    {
        private readonly TNet _network;
        private readonly float[] _input, _targets;
        public LossObjective(TNet network, float[] input, float[] targets) => (_network, _input, _targets) = (network, input, targets);
        public double Evaluate() => _network.Loss(_input, _targets);
        public void Backward() => _network.Backward();
    }

    private struct OutputGradientObjective<TNet> : IObjective where TNet : INetwork
    {
        private readonly TNet _network;
        private readonly float[] _input, _outputGradient, _output;
        public OutputGradientObjective(TNet network, float[] input, float[] outputGradient) =>
            (_network, _input, _outputGradient, _output) = (network, input, outputGradient, new float[outputGradient.Length]);
        public double Evaluate()
        {
            _network.Forward(_input, _output);
            double sum = 0;
            for (int k = 0; k < _output.Length; k++) sum += (double)_outputGradient[k] * _output[k];
            return sum;
        }
        public void Backward() => _network.Backward(_outputGradient, Span<float>.Empty);
    }
}

/// <summary>The gradient check of one parameter block.</summary>
/// <param name="Layer">The layer (<c>Dense1</c>).</param>
/// <param name="Block">The block (<c>W1</c>).</param>
/// <param name="Checked">How many of its parameters were compared; 0 means the block was not checked at all.</param>
/// <param name="Kinks">How many sampled parameters were skipped because the function has a kink there (a ReLU input at 0), where no derivative exists; always 0 for a network without a layer that has kinks.</param>
/// <param name="MaxAbsoluteError">The largest |analytic - numeric|.</param>
/// <param name="RelativeError">That error relative to the block's largest gradient magnitude.</param>
public readonly record struct GradientCheckBlock(string Layer, string Block, int Checked, int Kinks, double MaxAbsoluteError, double RelativeError);

/// <summary>The result of a <see cref="GradientCheck"/>: one entry per parameter block.</summary>
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

    /// <summary>How many parameters were compared, over all blocks.</summary>
    public int TotalChecked
    {
        get
        {
            int total = 0;
            foreach (GradientCheckBlock b in Blocks) total += b.Checked;
            return total;
        }
    }

    /// <summary>
    /// True when there is at least one block, every block had at least one parameter compared and
    /// every block's relative error is at most <paramref name="tolerance"/>. A block where nothing
    /// was checked (every sample a kink) proves nothing, so it fails.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or NaN.</exception>
    public bool Passed(double tolerance)
    {
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be zero or positive.");
        if (Blocks.Count == 0) return false;
        foreach (GradientCheckBlock b in Blocks)
            if (b.Checked == 0 || !(b.RelativeError <= tolerance)) return false;
        return true;
    }

    /// <summary>A table: layer, block, checked, kinks, max absolute error, relative error; a block with nothing checked says NOT CHECKED.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine("layer      block   checked   kinks   max |error|   relative");
        foreach (GradientCheckBlock b in Blocks)
        {
            if (b.Checked == 0)
                s.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,-10} {1,-7} {2,7}   {3,5}   NOT CHECKED", b.Layer, b.Block, b.Checked, b.Kinks));
            else
                s.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,-10} {1,-7} {2,7}   {3,5}   {4,11:E2}   {5,8:E2}", b.Layer, b.Block, b.Checked, b.Kinks, b.MaxAbsoluteError, b.RelativeError));
        }
        return s.ToString();
    }
}
