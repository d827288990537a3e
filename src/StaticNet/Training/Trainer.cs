using System;
using System.Collections.Generic;
using System.Globalization;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// The training loop Keras' <c>fit</c> gives, for any network that ends in a loss layer: seeded shuffling,
/// mini-batches copied from arrays, epochs, a validation split with loss and accuracy per epoch, a learning-rate
/// schedule, early stopping, a progress callback, and an error naming the epoch and step when the loss stops
/// being finite.
/// </summary>
/// <remarks>
/// <para>
/// Every buffer (the batch, the shuffled order, the best weights for early stopping, the history) is allocated
/// when <c>Fit</c> starts; a training step (copy a batch, <c>Loss</c>, <c>Backward</c>, the optimizer's <c>Step</c>,
/// the progress callback) allocates nothing.
/// </para>
/// <para>
/// The loss check: after each <c>Loss</c>, before <c>Backward</c> and the optimizer step, the batch loss is tested
/// with <see cref="float.IsFinite(float)"/>, one comparison per step. A NaN or infinite loss throws
/// <see cref="NonFiniteLossException"/> naming the epoch and step (and the first non-finite input value of the
/// batch, if there is one); the parameters are then those after the previous step, so one NaN pixel can no
/// longer silently turn the weights into NaN. The validation loss is checked the same way after each epoch.
/// </para>
/// </remarks>
public static class Trainer
{
    /// <summary>Trains a classifier on <paramref name="inputs"/> with class <paramref name="labels"/> (one-hot targets are built per batch).</summary>
    /// <typeparam name="TNet">The generated network class.</typeparam>
    /// <param name="network">The network; its parameters are trained in place.</param>
    /// <param name="optimizer">Steps the parameters after each batch; a schedule sets its <see cref="IOptimizer.LearningRate"/>.</param>
    /// <param name="inputs">The rows, <c>InputSize</c> floats each, one after the other.</param>
    /// <param name="labels">One class per row, 0 to <c>OutputSize − 1</c>.</param>
    /// <param name="options">Epochs, batch size, shuffling, validation, schedule, early stopping, callbacks; <see langword="null"/> for the defaults.</param>
    /// <returns>The loss (and validation loss and accuracy) of each epoch.</returns>
    /// <exception cref="ArgumentException">The arrays do not hold whole rows, do not match each other, or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NonFiniteLossException">A training or validation loss was NaN or infinite.</exception>
    public static TrainingHistory Fit<TNet>(TNet network, IOptimizer optimizer, float[] inputs, int[] labels, FitOptions? options = null)
        where TNet : ILossNetwork
    {
        ArgumentNullException.ThrowIfNull(labels);
        int rows = CheckCommon(network, optimizer, inputs);
        if (labels.Length != rows)
            throw new ArgumentException($"Expected one label per input row, {rows}; got {labels.Length}.", nameof(labels));
        int classes = network.OutputSize;
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"Expected labels from 0 to {classes - 1} (the network's OutputSize is {classes}); labels[{i}] is {labels[i]}.", nameof(labels));
        }
        return new Loop<TNet>(network, optimizer, inputs, labels, null, rows, options ?? new FitOptions()).Run();
    }

    /// <summary>Trains on <paramref name="inputs"/> with target rows (one-hot or probability rows for a classifier, values for a regression).</summary>
    /// <typeparam name="TNet">The generated network class.</typeparam>
    /// <param name="network">The network; its parameters are trained in place.</param>
    /// <param name="optimizer">Steps the parameters after each batch; a schedule sets its <see cref="IOptimizer.LearningRate"/>.</param>
    /// <param name="inputs">The rows, <c>InputSize</c> floats each, one after the other.</param>
    /// <param name="targets">One row of <c>OutputSize</c> floats per input row. The accuracy compares the arg-max of output and target (NaN when <c>OutputSize</c> is 1).</param>
    /// <param name="options">Epochs, batch size, shuffling, validation, schedule, early stopping, callbacks; <see langword="null"/> for the defaults.</param>
    /// <returns>The loss (and validation loss and accuracy) of each epoch.</returns>
    /// <exception cref="ArgumentException">The arrays do not hold whole rows or do not match each other.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NonFiniteLossException">A training or validation loss was NaN or infinite.</exception>
    public static TrainingHistory Fit<TNet>(TNet network, IOptimizer optimizer, float[] inputs, float[] targets, FitOptions? options = null)
        where TNet : ILossNetwork
    {
        ArgumentNullException.ThrowIfNull(targets);
        int rows = CheckCommon(network, optimizer, inputs);
        if (targets.Length != (long)rows * network.OutputSize)
            throw new ArgumentException($"Expected {rows} target rows of {network.OutputSize} floats (the network's OutputSize), {(long)rows * network.OutputSize} in all; got {targets.Length}.", nameof(targets));
        return new Loop<TNet>(network, optimizer, inputs, null, targets, rows, options ?? new FitOptions()).Run();
    }

    private static int CheckCommon<TNet>(TNet network, IOptimizer optimizer, float[] inputs) where TNet : ILossNetwork
    {
        if (network is null) throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(inputs);
        int size = network.InputSize;
        if (inputs.Length == 0 || inputs.Length % size != 0)
            throw new ArgumentException($"Expected inputs to hold whole rows of {size} floats (the network's InputSize), at least one; got {inputs.Length} floats.", nameof(inputs));
        return inputs.Length / size;
    }

    /// <summary>One run of Fit: its buffers and its state.</summary>
    private sealed class Loop<TNet> where TNet : ILossNetwork
    {
        private readonly TNet _net;
        private readonly IOptimizer _optimizer;
        private readonly float[] _inputs;
        private readonly int[]? _labels;
        private readonly float[]? _targets;
        private readonly FitOptions _options;
        private readonly int _inputSize, _outputSize, _batchSize, _trainRows, _validationRows;
        private readonly int[] _order;
        private readonly float[] _batchInputs, _batchTargets, _output;
        private readonly float[]? _best;

        public Loop(TNet net, IOptimizer optimizer, float[] inputs, int[]? labels, float[]? targets, int rows, FitOptions options)
        {
            _net = net;
            _optimizer = optimizer;
            _inputs = inputs;
            _labels = labels;
            _targets = targets;
            _options = options;
            _inputSize = net.InputSize;
            _outputSize = net.OutputSize;

            if (options.Epochs < 1)
                throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, $"Expected options.Epochs to be at least 1; got {options.Epochs}.");
            _batchSize = options.BatchSize ?? net.BatchCapacity;
            if (_batchSize < 1 || _batchSize > net.BatchCapacity)
                throw new ArgumentOutOfRangeException(nameof(options), _batchSize, $"Expected options.BatchSize to be from 1 to the network's BatchCapacity, {net.BatchCapacity}; got {_batchSize}.");
            double split = options.ValidationSplit;
            if (!(split >= 0 && split < 1))
                throw new ArgumentOutOfRangeException(nameof(options), split, $"Expected options.ValidationSplit to be in [0, 1); got {split}.");
            _validationRows = (int)(rows * split);
            _trainRows = rows - _validationRows;
            if (split > 0 && _validationRows == 0)
                throw new ArgumentException($"A validation split of {split} of {rows} rows leaves no row for validation.", nameof(options));
            if (options.Schedule is { } schedule)
            {
                for (int e = 0; e < options.Epochs; e++)
                {
                    float rate = schedule.LearningRate(e);
                    if (!(rate > 0) || !float.IsFinite(rate))
                        throw new ArgumentOutOfRangeException(nameof(options), rate, $"The learning-rate schedule gives {rate.ToString(CultureInfo.InvariantCulture)} for epoch {e + 1} of {options.Epochs}; a learning rate must be finite and greater than 0.");
                }
            }
            options.EarlyStopping?.Check();

            _order = new int[_trainRows];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _batchInputs = new float[_batchSize * _inputSize];
            _batchTargets = new float[_batchSize * _outputSize];
            _output = new float[net.BatchCapacity * _outputSize];
            if (options.EarlyStopping is { RestoreBestWeights: true })
                _best = new float[net.ParameterCount];
        }

        public TrainingHistory Run()
        {
            FitOptions o = _options;
            var history = new List<EpochResult>(o.Epochs);
            var random = new Random64(o.Seed);
            int steps = (_trainRows + _batchSize - 1) / _batchSize;
            EarlyStopping? early = o.EarlyStopping;
            float best = float.PositiveInfinity;
            int bestEpoch = 0, sinceBest = 0;
            bool stopped = false;

            for (int epoch = 1; epoch <= o.Epochs && !stopped; epoch++)
            {
                if (o.Schedule is { } schedule) _optimizer.LearningRate = schedule.LearningRate(epoch - 1);
                float rate = _optimizer.LearningRate;
                if (o.Shuffle) random.Shuffle<int>(_order);

                double lossSum = 0;
                for (int step = 1; step <= steps; step++)
                {
                    int start = (step - 1) * _batchSize;
                    int n = Math.Min(_batchSize, _trainRows - start);
                    Span<float> x = _batchInputs.AsSpan(0, n * _inputSize);
                    Span<float> t = _batchTargets.AsSpan(0, n * _outputSize);
                    CopyBatch(_order.AsSpan(start, n), x, t);
                    o.AugmentBatch?.Invoke(x);

                    float loss = _net.Loss(x, t);
                    if (!float.IsFinite(loss)) ThrowNonFinite(loss, epoch, step, steps, _order.AsSpan(start, n), rate, validation: false);
                    _net.Backward();
                    _optimizer.Step(_net.Parameters, _net.Gradients);

                    lossSum += (double)loss * n;
                    o.Progress?.Invoke(new TrainingProgress(epoch, o.Epochs, step, steps, loss, rate));
                }
                float trainLoss = (float)(lossSum / _trainRows);

                float validationLoss = float.NaN, validationAccuracy = float.NaN;
                if (_validationRows > 0)
                {
                    (validationLoss, validationAccuracy) = Validate();
                    if (!float.IsFinite(validationLoss)) ThrowNonFinite(validationLoss, epoch, steps, steps, default, rate, validation: true);
                }
                var result = new EpochResult(epoch, rate, trainLoss, validationLoss, validationAccuracy);
                history.Add(result);
                o.EpochEnd?.Invoke(result);

                if (early is not null)
                {
                    float monitored = _validationRows > 0 ? validationLoss : trainLoss;
                    if (monitored < best - early.MinDelta)
                    {
                        best = monitored;
                        bestEpoch = epoch;
                        sinceBest = 0;
                        if (_best is not null) _net.Parameters.CopyTo(_best);
                    }
                    else if (++sinceBest >= early.Patience)
                    {
                        stopped = true;
                    }
                }
            }

            if (_best is not null && bestEpoch > 0)
                _best.AsSpan().CopyTo(_net.Parameters);
            return new TrainingHistory(history.ToArray(), stopped, early is null ? 0 : bestEpoch);
        }

        /// <summary>Copies the rows <paramref name="indices"/> of the training part into the batch, with their targets.</summary>
        private void CopyBatch(ReadOnlySpan<int> indices, Span<float> x, Span<float> t)
        {
            int inputSize = _inputSize, outputSize = _outputSize;
            if (_labels is not null) t.Clear();
            for (int i = 0; i < indices.Length; i++)
            {
                int row = indices[i];
                _inputs.AsSpan(row * inputSize, inputSize).CopyTo(x.Slice(i * inputSize, inputSize));
                if (_labels is not null) t[i * outputSize + _labels[row]] = 1;
                else _targets.AsSpan(row * outputSize, outputSize).CopyTo(t.Slice(i * outputSize, outputSize));
            }
        }

        /// <summary>
        /// Mean loss and accuracy over the validation rows (the last ones), in batches of the network's capacity, in
        /// inference mode (<see cref="INetwork.Training"/> off meanwhile): no dropout, BatchNorm's running statistics
        /// used and left as they are.
        /// </summary>
        private (float Loss, float Accuracy) Validate()
        {
            bool training = _net.Training;
            _net.Training = false;
            try
            {
                return ValidateInInferenceMode();
            }
            finally
            {
                _net.Training = training;
            }
        }

        private (float Loss, float Accuracy) ValidateInInferenceMode()
        {
            int capacity = _net.BatchCapacity, inputSize = _inputSize, outputSize = _outputSize;
            double lossSum = 0;
            int correct = 0;
            for (int start = _trainRows; start < _trainRows + _validationRows; start += capacity)
            {
                int n = Math.Min(capacity, _trainRows + _validationRows - start);
                ReadOnlySpan<float> x = _inputs.AsSpan(start * inputSize, n * inputSize);
                ReadOnlySpan<float> targets;
                if (_labels is not null)
                {
                    // One-hot rows in the output buffer, which Forward overwrites only after Loss has used them.
                    Span<float> oneHot = _output.AsSpan(0, n * outputSize);
                    oneHot.Clear();
                    for (int i = 0; i < n; i++) oneHot[i * outputSize + _labels[start + i]] = 1;
                    targets = oneHot;
                }
                else
                {
                    targets = _targets.AsSpan(start * outputSize, n * outputSize);
                }
                lossSum += (double)_net.Loss(x, targets) * n;

                Span<float> output = _output.AsSpan(0, n * outputSize);
                _net.Forward(x, output);
                for (int i = 0; i < n; i++)
                {
                    int predicted = ArgMax(output.Slice(i * outputSize, outputSize));
                    int expected = _labels is not null ? _labels[start + i] : ArgMax(_targets.AsSpan((start + i) * outputSize, outputSize));
                    if (predicted == expected) correct++;
                }
            }
            float accuracy = _labels is null && outputSize == 1 ? float.NaN : (float)correct / _validationRows;
            return ((float)(lossSum / _validationRows), accuracy);
        }

        private static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++)
            {
                if (values[i] > values[best]) best = i;
            }
            return best;
        }

        private void ThrowNonFinite(float loss, int epoch, int step, int steps, ReadOnlySpan<int> rows, float rate, bool validation)
        {
            string value = float.IsNaN(loss) ? "NaN" : loss > 0 ? "+infinity" : "-infinity";
            string where;
            string? culprit = null;
            if (validation)
            {
                where = $"The validation loss is {value} after epoch {epoch} of {_options.Epochs} (step {step} of {steps})";
                culprit = FindNonFinite(_trainRows, _validationRows);
            }
            else
            {
                where = $"The training loss is {value} at epoch {epoch} of {_options.Epochs}, step {step} of {steps}";
                foreach (int row in rows)
                {
                    culprit = FindNonFinite(row, 1);
                    if (culprit is not null) break;
                }
            }
            string cause = culprit ?? $"the inputs of the batch are finite, so the weights or the targets are not, or the learning rate ({rate.ToString(CultureInfo.InvariantCulture)}) is too high for this data";
            string stoppedAt = validation ? "Training stopped after the epoch's last step" : "Training stopped before this step's update, so the parameters are those after the previous step";
            throw new NonFiniteLossException($"{where}: {cause}. {stoppedAt}.", epoch, validation ? 0 : step, loss);
        }

        /// <summary>The first non-finite input value among <paramref name="count"/> rows from <paramref name="row"/>, described; null if there is none.</summary>
        private string? FindNonFinite(int row, int count)
        {
            int size = _inputSize;
            for (int r = row; r < row + count; r++)
            {
                ReadOnlySpan<float> values = _inputs.AsSpan(r * size, size);
                for (int c = 0; c < size; c++)
                {
                    if (!float.IsFinite(values[c]))
                        return $"input row {r} (counting from 0 in the arrays given to Fit) holds {values[c].ToString(CultureInfo.InvariantCulture)} at column {c}";
                }
            }
            return null;
        }
    }
}

/// <summary>Changes a batch of input rows in place; see <see cref="FitOptions.AugmentBatch"/>.</summary>
/// <param name="inputs">The batch's input rows, one after the other.</param>
public delegate void BatchAugmentation(Span<float> inputs);

/// <summary>What <see cref="Trainer"/>'s <c>Fit</c> does; every property has a default.</summary>
public sealed class FitOptions
{
    /// <summary>Passes over the training rows; at least 1. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per step, from 1 to the network's <see cref="INetwork.BatchCapacity"/>; <see langword="null"/> (the default) for the capacity. The last batch of an epoch may be smaller.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Whether the training rows are shuffled before each epoch (default <see langword="true"/>). The order depends on <see cref="Seed"/> only: the same seed gives the same batches and, from the same weights, the same trained weights.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>The seed of the shuffling (<see cref="Random64"/>, the same on every platform). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The fraction of the rows held out for validation, in [0, 1) (default 0, none). As in Keras, they are the
    /// last <c>⌊rows · split⌋</c> rows of the arrays, taken before any shuffling, and never trained on; their mean
    /// loss and accuracy are reported after each epoch.
    /// </summary>
    public double ValidationSplit { get; init; }

    /// <summary>Sets the optimizer's learning rate before each epoch; <see langword="null"/> (the default) leaves it alone.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Stops when the monitored loss stops improving; <see langword="null"/> (the default) trains every epoch.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>
    /// Changes each training batch in place after it is copied from the arrays and before <c>Loss</c>: data augmentation,
    /// such as <see cref="Data.ImageAugmentation.Apply"/>. It gets the batch's rows (<c>InputSize</c> floats each; the
    /// last batch of an epoch may hold fewer); the targets and the arrays given to Fit are not touched, and the validation
    /// rows are never augmented. <see langword="null"/> (the default) trains on the rows as they are. Keep it
    /// allocation-free: it runs in the training loop.
    /// </summary>
    public BatchAugmentation? AugmentBatch { get; init; }

    /// <summary>Called after every training step, with the batch loss. Keep it cheap and allocation-free: it runs in the training loop.</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>Called after each epoch with its result.</summary>
    public Action<EpochResult>? EpochEnd { get; init; }
}

/// <summary>
/// Early stopping, as Keras' <c>EarlyStopping</c> callback: monitors the validation loss (the training loss when
/// there is no validation split) and stops after <see cref="Patience"/> epochs in a row without an improvement of
/// more than <see cref="MinDelta"/> over the best so far.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Epochs without improvement before training stops; at least 1. Default 5.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>The smallest decrease of the monitored loss that counts as an improvement; finite and at least 0. Default 0.</summary>
    public float MinDelta { get; init; }

    /// <summary>
    /// When <see langword="true"/>, Fit ends by copying back the parameters of the best epoch (whether it stopped
    /// early or not). The optimizer's state is not restored. Default <see langword="false"/>: the parameters of the last epoch.
    /// </summary>
    public bool RestoreBestWeights { get; init; }

    internal void Check()
    {
        if (Patience < 1)
            throw new ArgumentOutOfRangeException(nameof(Patience), Patience, $"Expected EarlyStopping.Patience to be at least 1; got {Patience}.");
        if (!(MinDelta >= 0) || !float.IsFinite(MinDelta))
            throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, $"Expected EarlyStopping.MinDelta to be finite and at least 0; got {MinDelta}.");
    }
}

/// <summary>Where training is, passed to <see cref="FitOptions.Progress"/> after each step.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">The number of epochs asked for.</param>
/// <param name="Step">The step within the epoch, from 1.</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="Loss">The loss of this step's batch (its mean over the batch).</param>
/// <param name="LearningRate">The learning rate of this epoch.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int Steps, float Loss, float LearningRate);

/// <summary>The result of one epoch.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="LearningRate">The learning rate it trained with.</param>
/// <param name="Loss">The mean loss over the epoch's training rows (each batch's loss weighted by its rows), as computed during the epoch.</param>
/// <param name="ValidationLoss">The mean loss over the validation rows after the epoch; NaN without a validation split.</param>
/// <param name="ValidationAccuracy">The fraction of validation rows whose arg-max output is their label (or their target's arg-max); NaN without a validation split or for a single output.</param>
public readonly record struct EpochResult(int Epoch, float LearningRate, float Loss, float ValidationLoss, float ValidationAccuracy);

/// <summary>What Fit did.</summary>
/// <param name="Epochs">Each epoch's result, in order.</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the last epoch.</param>
/// <param name="BestEpoch">With early stopping, the epoch with the best monitored loss (from 1); 0 without.</param>
public sealed record TrainingHistory(IReadOnlyList<EpochResult> Epochs, bool StoppedEarly, int BestEpoch);

/// <summary>The loss became NaN or infinite during training; the message names the epoch and step, and the first non-finite input when there is one.</summary>
public sealed class NonFiniteLossException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and where.</param>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <param name="step">The step within the epoch, from 1; 0 for the validation loss.</param>
    /// <param name="loss">The loss value.</param>
    public NonFiniteLossException(string message, int epoch, int step, float loss) : base(message)
    {
        Epoch = epoch;
        Step = step;
        Loss = loss;
    }

    /// <summary>The epoch, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The step within the epoch, from 1; 0 when it was the validation loss after the epoch.</summary>
    public int Step { get; }

    /// <summary>The loss: NaN or an infinity.</summary>
    public float Loss { get; }
}
