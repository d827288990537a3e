using System;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// A learning rate per epoch, for <see cref="Trainer.Fit{TNet}(TNet, IOptimizer, float[], int[], FitOptions)"/>:
/// the trainer sets <see cref="IOptimizer.LearningRate"/> to <see cref="LearningRate(int)"/> before each epoch.
/// Epochs are counted from 0 here. Derive from this class for a schedule of your own.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for epoch <paramref name="epoch"/> (0 for the first); must be finite and greater than 0.</summary>
    public abstract float LearningRate(int epoch);

    /// <summary>The same learning rate in every epoch.</summary>
    /// <param name="learningRate">Finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is out of range.</exception>
    public static LearningRateSchedule Constant(float learningRate)
    {
        Guard.LearningRate(learningRate);
        return new StepSchedule(learningRate, int.MaxValue, 1);
    }

    /// <summary>
    /// Step decay, as PyTorch's <c>StepLR</c>: <c>lr(e) = initial · γ^⌊e / stepEpochs⌋</c>, so the rate is multiplied by γ
    /// every <paramref name="stepEpochs"/> epochs. (Computed in double precision, then rounded to float.)
    /// </summary>
    /// <param name="initial">The rate of the first <paramref name="stepEpochs"/> epochs; finite and greater than 0.</param>
    /// <param name="stepEpochs">Epochs between decays; at least 1.</param>
    /// <param name="gamma">The factor of each decay, in (0, 1]; PyTorch's default is 0.1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static LearningRateSchedule Step(float initial, int stepEpochs, float gamma = 0.1f)
    {
        Guard.LearningRate(initial, nameof(initial));
        if (stepEpochs < 1)
            throw new ArgumentOutOfRangeException(nameof(stepEpochs), stepEpochs, $"Expected stepEpochs to be at least 1; got {stepEpochs}.");
        if (!(gamma > 0 && gamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"Expected gamma to be in (0, 1]; got {gamma}.");
        return new StepSchedule(initial, stepEpochs, gamma);
    }

    /// <summary>
    /// Cosine annealing, as PyTorch's <c>CosineAnnealingLR(T_max = epochs, eta_min = minimum)</c>:
    /// <c>lr(e) = minimum + (initial − minimum) · (1 + cos(π · e / epochs)) / 2</c> for <c>e &lt; epochs</c>, and
    /// <c>minimum</c> from epoch <paramref name="epochs"/> on (where PyTorch's closed form would rise again).
    /// lr(0) is <paramref name="initial"/>; the rate falls to <paramref name="minimum"/> at <c>e = epochs</c>, so the
    /// last epoch of a run of <paramref name="epochs"/> epochs still has a rate above it.
    /// </summary>
    /// <param name="initial">The rate of the first epoch; finite and greater than 0.</param>
    /// <param name="epochs">The length of the half cosine, in epochs; at least 1.</param>
    /// <param name="minimum">The rate it falls to; finite, at least 0 and less than <paramref name="initial"/>. With 0 (the default),
    /// a run longer than <paramref name="epochs"/> epochs fails at epoch <paramref name="epochs"/>, since a learning rate must be greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static LearningRateSchedule Cosine(float initial, int epochs, float minimum = 0)
    {
        Guard.LearningRate(initial, nameof(initial));
        if (epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"Expected epochs to be at least 1; got {epochs}.");
        if (!(minimum >= 0 && minimum < initial))
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, $"Expected minimum to be at least 0 and less than the initial rate {initial}; got {minimum}.");
        return new CosineSchedule(initial, epochs, minimum);
    }

    private sealed class StepSchedule(float initial, int stepEpochs, float gamma) : LearningRateSchedule
    {
        public override float LearningRate(int epoch)
        {
            CheckEpoch(epoch);
            return gamma == 1 ? initial : (float)(initial * Math.Pow(gamma, epoch / stepEpochs));
        }
    }

    private sealed class CosineSchedule(float initial, int epochs, float minimum) : LearningRateSchedule
    {
        public override float LearningRate(int epoch)
        {
            CheckEpoch(epoch);
            if (epoch >= epochs) return minimum;
            return (float)(minimum + (initial - (double)minimum) * (1 + Math.Cos(Math.PI * epoch / epochs)) / 2);
        }
    }

    private static void CheckEpoch(int epoch)
    {
        if (epoch < 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"Expected an epoch of at least 0; got {epoch}.");
    }
}
