using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using StaticNet;
using StaticNet.Data;

namespace Samples.Mnist;

/// <summary>
/// What the program does with a network, whichever it is: train and save, evaluate saved weights, or
/// classify one image. Generic over the generated class, so one copy serves <see cref="MnistNet"/> and
/// <see cref="TwoLayerNet"/>.
/// </summary>
/// <typeparam name="TNet">The generated network class.</typeparam>
public sealed class App<TNet>
    where TNet : ILossNetwork
{
    private const string BuiltInImages = "mnist-10k-images-idx3-ubyte.gz";
    private const string BuiltInLabels = "mnist-10k-labels-idx1-ubyte.gz";

    private readonly TNet _net;
    private readonly string _summary;
    private readonly string _name;
    private readonly Options _options;
    private readonly TrainingDefaults _defaults;

    /// <summary>Wraps a freshly created network.</summary>
    /// <param name="net">The network, with a batch capacity of at least <see cref="Options.BatchSize"/>.</param>
    /// <param name="summary">Its generated <c>Summary</c> table.</param>
    /// <param name="name">Its class name, which names the generated source file.</param>
    /// <param name="options">The command line.</param>
    /// <param name="defaults">The network's defaults for what the command line leaves open.</param>
    public App(TNet net, string summary, string name, Options options, TrainingDefaults defaults)
    {
        _defaults = defaults;
        _net = net;
        _summary = summary;
        _name = name;
        _options = options;
    }

    private static CultureInfo Invariant => CultureInfo.InvariantCulture;

    /// <summary>Whether this run reports the accuracy on digits held out of the training data (<c>--validation</c>) instead of the test digits.</summary>
    private bool Validating => _options.Validation is not null && _options.LoadPath is null && _options.ClassifyPath is null;

    /// <summary>Does what the options ask; returns the exit code.</summary>
    public int Run()
    {
        if (_options.ClassifyPath is string image)
            return Classify(image);
        if (_options.LoadPath is string weights)
            return Evaluate(weights);
        return Train();
    }

    private int Train()
    {
        Options o = _options;
        CheckSavePath(o.SavePath);
        (MnistDataSet train, MnistDataSet test, string trainName, string testName) = LoadData(forTraining: true);
        (IOptimizer optimizer, string optimizerName) = CreateOptimizer();
        if (o.BatchSize > _net.BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(o.BatchSize), o.BatchSize, $"Must be between 1 and the network's batch capacity, {_net.BatchCapacity}.");
        int batchesPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        int epochs = o.Epochs ?? _defaults.EpochsFor(batchesPerEpoch);
        bool augment = o.Augment is null ? _defaults.Augment : o.Augment == "shift";
        bool cosine = o.Schedule is null ? _defaults.Cosine : o.Schedule == "cosine";
        // Its own stream of Random64: the weights are drawn from the seed, the shuffling from its complement.
        ImageAugmentation? augmentation = augment ? new ImageAugmentation(1, train.Rows, train.Columns, o.MaxShift, seed: o.Seed + (1L << 32)) : null;
        if (!augment && o.MaxShiftGiven)
            Console.Error.WriteLine("warning: --max-shift is ignored: the training images are not augmented (add --augment shift).");
        LearningRateSchedule? schedule = cosine ? LearningRateSchedule.Cosine(optimizer.LearningRate, epochs) : null;
        string evaluated = Validating ? "valid" : "test";

        Console.WriteLine($"Network {_name}: {_net.Architecture}");
        Console.WriteLine(Indent(_summary.TrimEnd('\n')));
        Console.WriteLine($"Training on {trainName}");
        Console.WriteLine(Validating ? $"Validating on {testName}" : $"Testing on  {testName}");
        int totalUpdates = epochs * batchesPerEpoch;
        string updates = o.Epochs is not null || _defaults.Updates == 0 ? ""
            : totalUpdates == _defaults.Updates ? string.Create(Invariant, $" ({totalUpdates:N0} updates, as in the book)")
            : string.Create(Invariant, $" ({totalUpdates:N0} updates: the book's {_defaults.Updates:N0}, rounded up to whole epochs)");
        string falling = cosine ? string.Create(Invariant, $" falling to 0 along a cosine over the {epochs} epochs") : "";
        Console.WriteLine(string.Create(Invariant, $"{optimizerName}{falling}, batches of {o.BatchSize}, {epochs} epoch{(epochs == 1 ? "" : "s")}{updates}, seed {o.Seed}"));
        if (augmentation is not null)
            Console.WriteLine(string.Create(Invariant, $"Augmentation: each training image moved by a random shift of up to {o.MaxShift} pixel{(o.MaxShift == 1 ? "" : "s")} in x and in y, new at every draw"));
        Console.WriteLine();

        FitLoop.WarmUp(_net, CreateOptimizer().Optimizer, train, o.BatchSize);
        var evaluator = new Evaluator<TNet>(_net);
        var progress = new ProgressBar(enabled: !Console.IsOutputRedirected);
        long allocatedInLoops = 0, allocatedBefore = 0, started = 0;
        double trainingSeconds = 0, testAccuracy = 0;
        int width = epochs.ToString(Invariant).Length;

        // The loop is Trainer.Fit's: seeded shuffling (the seed's complement, the stream the weights were not drawn
        // from), mini-batches, Loss, Backward, optimizer step. The callbacks draw the bar and print each epoch; the
        // time and the allocations of an epoch are measured between them, so the accuracy passes and the printing
        // (which allocate) are left out; epoch 1's allocations are counted from its first step on, after Fit's one-time set-up.
        var fit = new FitOptions
        {
            Epochs = epochs,
            BatchSize = o.BatchSize,
            Seed = ~o.Seed,
            AugmentBatch = augmentation is null ? null : augmentation.Apply,
            Schedule = schedule,
            Progress = p =>
            {
                if (p.Epoch == 1 && p.Step == 1)
                    allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                progress.Report(p.Step, p.Steps);
            },
            EpochEnd = e =>
            {
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                progress.Clear();
                allocatedInLoops += allocated;
                trainingSeconds += seconds;

                double trainAccuracy = evaluator.Accuracy(train);
                testAccuracy = evaluator.Accuracy(test);
                string line = string.Create(Invariant,
                    $"epoch {e.Epoch.ToString(Invariant).PadLeft(width)}/{epochs}  loss {e.Loss:F4}  train {Percent(trainAccuracy)}  {evaluated} {Percent(testAccuracy)}  {seconds,5:F2} s");
                if (o.CheckAllocations)
                    line += $"  allocated {allocated} bytes";
                Console.WriteLine(line);
                progress.Start(e.Epoch + 1, epochs);
                allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                started = Stopwatch.GetTimestamp();
            },
        };
        progress.Start(1, epochs);
        started = Stopwatch.GetTimestamp();
        try
        {
            Trainer.Fit(_net, optimizer, train.Images, FitLoop.Labels(train), fit);
        }
        catch (NonFiniteLossException e)
        {
            progress.Clear();
            Console.Error.WriteLine($"error: {e.Message} Training diverged; try a smaller --learning-rate.");
            return 1;
        }

        Console.WriteLine();
        Console.WriteLine(Validating
            ? string.Create(Invariant, $"Validation accuracy: {Percent(testAccuracy).Trim()} ({evaluator.CountCorrect(test)} of {test.Count} validation digits; the test digits were not used)")
            : string.Create(Invariant, $"Test accuracy: {Percent(testAccuracy).Trim()} ({evaluator.CountCorrect(test)} of {test.Count} test digits)"));
        Console.WriteLine(string.Create(Invariant, $"Training time: {trainingSeconds:F1} s for {epochs} epoch{(epochs == 1 ? "" : "s")} ({trainingSeconds / epochs:F2} s per epoch, not counting the accuracy passes)"));

        NetworkFile.Save(_net, o.SavePath);
        Console.WriteLine($"Weights saved to {Path.GetFullPath(o.SavePath)}");
        Console.WriteLine($"  evaluate them:       dotnet run -c Release --project samples/Mnist -- {NetworkOption()}{TestDataOptions()}--load {Quote(o.SavePath)}");
        Console.WriteLine($"  classify an image:   dotnet run -c Release --project samples/Mnist -- {NetworkOption()}--load {Quote(o.SavePath)} --classify samples/Mnist/examples/seven.pgm");

        PrintGeneratedSource();

        if (o.CheckAllocations)
        {
            if (allocatedInLoops != 0)
            {
                Console.Error.WriteLine($"error: --check-allocations: the training loops allocated {allocatedInLoops} bytes in all; expected 0.");
                return 2;
            }
            Console.WriteLine(string.Create(Invariant, $"Allocation check passed: the training loop allocated 0 bytes ({epochs} epoch{(epochs == 1 ? "" : "s")}, {totalUpdates:N0} batches)."));
        }
        return 0;
    }

    private int Evaluate(string weights)
    {
        LoadWeights(weights);
        (MnistDataSet _, MnistDataSet test, string _, string testName) = LoadData(forTraining: false);
        var evaluator = new Evaluator<TNet>(_net);
        long started = Stopwatch.GetTimestamp();
        int correct = evaluator.CountCorrect(test);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"Network {_name}: {_net.Architecture}, weights from {Path.GetFullPath(weights)}");
        Console.WriteLine($"Testing on {testName}");
        Console.WriteLine(string.Create(Invariant, $"Test accuracy: {Percent((double)correct / test.Count).Trim()} ({correct} of {test.Count}) in {seconds * 1000:F0} ms"));
        return 0;
    }

    private int Classify(string imagePath)
    {
        string weights = _options.LoadPath ?? _options.SavePath;
        if (!File.Exists(weights))
        {
            Console.Error.WriteLine($"error: no weights to classify with: '{weights}' does not exist. Train first (run without --classify), or name a weights file with --load.");
            return 1;
        }
        LoadWeights(weights);
        float[] pixels = DigitImage.Read(imagePath, out string format, out bool inverted);

        var probabilities = new float[_net.OutputSize];
        _net.Forward(pixels, probabilities);
        int digit = Evaluator<TNet>.ArgMax(probabilities);

        Console.WriteLine($"{Path.GetFullPath(imagePath)}: {format}{(inverted ? ", inverted to light-on-dark as in MNIST" : "")}");
        Console.Write(DigitImage.ToText(pixels));
        Console.WriteLine();
        Console.WriteLine($"Predicted digit: {digit}");
        for (int d = 0; d < probabilities.Length; d++)
        {
            float p = probabilities[d];
            string bar = new('#', (int)MathF.Round(p * 40));
            Console.WriteLine(string.Create(Invariant, $"  {d}  {Percent(p)}  {bar}").TrimEnd());
        }
        return 0;
    }

    /// <summary>Fails before training, rather than after, when the weights could not be saved where asked.</summary>
    private static void CheckSavePath(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new IOException($"--save {path}: it is a folder; name a file, e.g. {Path.Combine(path, "mnist-weights.snet")}.");
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"--save {path}: the folder '{folder}' does not exist.");
    }

    /// <summary>Loads saved weights; NetworkFile checks the architecture and parameter count against the network.</summary>
    private void LoadWeights(string path)
    {
        try
        {
            NetworkFile.Load(_net, path);
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("this network is", StringComparison.Ordinal))
        {
            // Saved from the other network of this sample? Say which option loads it.
            string? hint = ex.Message.Contains($"'{MnistNet.Architecture}' but", StringComparison.Ordinal) ? "relu"
                : ex.Message.Contains($"'{TwoLayerNet.Architecture}' but", StringComparison.Ordinal) ? "book"
                : ex.Message.Contains($"'{SimpleConvNet.Architecture}' but", StringComparison.Ordinal) ? "convnet"
                : null;
            if (hint is null)
                throw;
            throw new InvalidDataException($"{ex.Message} Use --network {hint} for weights of that network.", ex);
        }
    }

    /// <summary>The training and test sets, with a description of each.</summary>
    private (MnistDataSet Train, MnistDataSet Test, string TrainName, string TestName) LoadData(bool forTraining)
    {
        Options o = _options;
        string? trainImages = o.TrainImages, trainLabels = o.TrainLabels, testImages = o.TestImages, testLabels = o.TestLabels;
        string trainImagesOption = "--train-images", trainLabelsOption = "--train-labels", testImagesOption = "--test-images", testLabelsOption = "--test-labels";
        if (o.MnistDir is string folder)
        {
            if (File.Exists(folder))
                throw new IOException($"--mnist-dir {folder}: it is a file, not a folder; give the folder that holds the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).");
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"--mnist-dir {folder}: there is no such folder.");
            // Evaluating saved weights needs only the test files.
            if (trainImages is null && forTraining)
                (trainImages, trainLabels, trainImagesOption, trainLabelsOption) = (FindMnistFile(folder, "train", "images", "idx3"), FindMnistFile(folder, "train", "labels", "idx1"), "--mnist-dir", "--mnist-dir");
            if (testImages is null)
                (testImages, testLabels, testImagesOption, testLabelsOption) = (FindMnistFile(folder, "t10k", "images", "idx3"), FindMnistFile(folder, "t10k", "labels", "idx1"), "--mnist-dir", "--mnist-dir");
        }

        MnistDataSet? test = null;
        string testName = "";
        if (testImages is not null && testLabels is not null)
        {
            test = LoadSet(testImagesOption, testImages, testLabelsOption, testLabels);
            testName = $"{test.Count:N0} digits from {testImages}";
            if (o.HoldOutGiven)
                Console.Error.WriteLine("warning: --hold-out is ignored: the test set comes from --test-images.");
            // Only the test set is needed to evaluate saved weights.
            if (!forTraining)
                return (test, test, testName, testName);
        }

        MnistDataSet all;
        string allName;
        if (trainImages is not null && trainLabels is not null)
        {
            all = LoadSet(trainImagesOption, trainImages, trainLabelsOption, trainLabels);
            allName = $"{all.Count:N0} digits from {trainImages}";
        }
        else
        {
            string data = Path.Combine(AppContext.BaseDirectory, "data");
            all = LoadSet("the built-in digits", Path.Combine(data, BuiltInImages), "the built-in digits", Path.Combine(data, BuiltInLabels));
            allName = $"{all.Count:N0} built-in digits";
        }

        MnistDataSet train;
        string trainName;
        if (test is not null)
        {
            (train, trainName) = (all, allName);
        }
        else
        {
            if (o.HoldOut >= all.Count)
                throw new ArgumentException($"--hold-out {o.HoldOut} leaves nothing to train on: the training data hold {all.Count} digits.");
            train = all.Split(o.HoldOut, o.Seed, out test);
            trainName = $"{train.Count:N0} of the {allName}";
            testName = $"the other {test.Count:N0} (held out with seed {o.Seed}, never trained on)";
        }
        if (!forTraining || o.Validation is not int validation)
            return (train, test, trainName, testName);

        // Digits carved from the training part; the test set is set aside unused, so settings chosen here do not fit it.
        if (validation >= train.Count)
            throw new ArgumentException($"--validation {validation} leaves nothing to train on: the training part holds {train.Count} digits.");
        MnistDataSet rest = train.Split(validation, o.Seed, out MnistDataSet validationSet);
        return (rest,
                validationSet,
                $"{rest.Count:N0} of the {train.Count:N0} training digits ({trainName})",
                $"the other {validationSet.Count:N0} training digits (held out with seed {o.Seed}); the test digits are not used");
    }

    /// <summary>
    /// Loads a pair of IDX files whose images must fit the network's input. A missing file or a folder is
    /// named with the option that gave it; a file that is not valid IDX, or holds images of another size, is
    /// named by <see cref="MnistDataSet.Load(string, string, int)"/>'s message.
    /// </summary>
    private MnistDataSet LoadSet(string imagesOption, string images, string labelsOption, string labels)
    {
        CheckIsFile(imagesOption, images, "IDX images");
        CheckIsFile(labelsOption, labels, "IDX labels");
        return MnistDataSet.Load(images, labels, _net.InputSize);
    }

    private static void CheckIsFile(string option, string path, string what)
    {
        // A relative path is also shown in full: it is relative to the current folder, which may surprise.
        string shown = Path.IsPathFullyQualified(path) ? path : $"{path} ({Path.GetFullPath(path)})";
        if (Directory.Exists(path))
            throw new IOException($"{option} {shown}: it is a folder; expected an {what} file.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{option} {shown}: there is no such file (expected an {what} file, .gz or raw).", path);
    }

    /// <summary>Finds e.g. <c>train-images-idx3-ubyte.gz</c>, or the same without <c>.gz</c> or with a dot before <c>idx3</c>.</summary>
    private static string FindMnistFile(string folder, string set, string kind, string idx)
    {
        foreach (string separator in new[] { "-", "." })
        {
            foreach (string extension in new[] { ".gz", "" })
            {
                string path = Path.Combine(folder, $"{set}-{kind}{separator}{idx}-ubyte{extension}");
                if (File.Exists(path))
                    return path;
            }
        }
        throw new FileNotFoundException($"--mnist-dir: '{folder}' has no {set}-{kind}-{idx}-ubyte[.gz] (the official MNIST file names).");
    }

    private (IOptimizer Optimizer, string Description) CreateOptimizer()
    {
        float? rate = _options.LearningRate;
        int count = _net.ParameterCount;
        return _options.Optimizer switch
        {
            "momentum" => Describe(new Momentum(count, rate ?? TrainingDefaults.MomentumLearningRate), "Momentum (0.9)", rate ?? TrainingDefaults.MomentumLearningRate),
            "adam" => Describe(new Adam(count, rate ?? TrainingDefaults.AdamLearningRate), "Adam", rate ?? TrainingDefaults.AdamLearningRate),
            _ => Describe(new Sgd(rate ?? _defaults.SgdLearningRate), "SGD", rate ?? _defaults.SgdLearningRate),
        };
    }

    private static (IOptimizer, string) Describe(IOptimizer optimizer, string name, float rate) =>
        (optimizer, string.Create(Invariant, $"{name}, learning rate {rate}"));

    /// <summary>Prints where the generated Forward/Loss/Backward of this network can be read.</summary>
    private void PrintGeneratedSource()
    {
        string? folder = null;
        foreach (AssemblyMetadataAttribute attribute in typeof(App<>).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (attribute.Key == "StaticNet.GeneratedFilesPath")
                folder = attribute.Value;
        }
        if (folder is null)
            return;
        string file = Path.Combine(folder, "StaticNet.Generator", "StaticNet.Generator.NetworkGenerator", $"Samples.Mnist.{_name}.g.cs");
        if (File.Exists(file))
            Console.WriteLine($"Generated code (Forward, Loss, Backward) of {_name}: {Relative(file)}");
        else
            Console.WriteLine($"Generated code: under {Relative(folder)} once the sample is built with EmitCompilerGeneratedFiles.");
    }

    /// <summary>The --network option of this run, when it is not the default.</summary>
    private string NetworkOption() => _options.Network == "relu" ? "" : $"--network {_options.Network} ";

    /// <summary>The options that make --load test on the same data as this run.</summary>
    private string TestDataOptions()
    {
        Options o = _options;
        string text = "";
        if (o.TestImages is null && o.MnistDir is null)
        {
            if (o.TrainImages is not null)
                text += $"--train-images {Quote(o.TrainImages)} --train-labels {Quote(o.TrainLabels!)} ";
            if (o.Seed != 1)
                text += string.Create(Invariant, $"--seed {o.Seed} ");
            if (o.HoldOutGiven)
                text += string.Create(Invariant, $"--hold-out {o.HoldOut} ");
        }
        else if (o.TestImages is not null)
        {
            text += $"--test-images {Quote(o.TestImages)} --test-labels {Quote(o.TestLabels!)} ";
        }
        else
        {
            text += $"--mnist-dir {Quote(o.MnistDir!)} ";
        }
        return text;
    }

    private static string Relative(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    /// <summary>A fraction as a percentage with two decimals, right-aligned in 7 characters: <c>" 93.45%"</c>.</summary>
    private static string Percent(double fraction) => (fraction * 100).ToString("F2", CultureInfo.InvariantCulture).PadLeft(6) + "%";

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

    private static string Indent(string text) => "  " + text.Replace("\n", "\n  ", StringComparison.Ordinal);
}
