using System;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.IO;
using StaticNet;

namespace Samples.Mnist;

/// <summary>The command line: options, defaults, and the choice of network.</summary>
public static class Program
{
    /// <summary>
    /// The defaults of the default network: 20 epochs of SGD with learning rate 0.5, measured to reach
    /// 95.10% on the 2,000 held-out built-in digits (95.10% to 96.60% over seeds 1 to 5). With only 8,000
    /// training digits an epoch is just 80 updates; at the book's 0.1 it is still below 94% after 40 epochs.
    /// </summary>
    public static readonly TrainingDefaults Relu = new(Epochs: 20, Updates: 0, SgdLearningRate: 0.5f);

    /// <summary>
    /// The defaults of <c>--network book</c>, as in the book's ch. 4 experiment (<c>ch04/train_neuralnet.py</c>,
    /// which ch. 5 repeats with its ReLU network): SGD with learning rate 0.1 for 10,000 updates of batches of 100 (125 epochs of the 8,000 built-in training digits, 17 of the
    /// official 60,000).
    /// </summary>
    public static readonly TrainingDefaults Book = new(Epochs: 0, Updates: 10_000, SgdLearningRate: 0.1f);

    /// <summary>
    /// The defaults of <c>--network convnet</c>: the book's ch. 7 training (<c>ch07/train_convnet.py</c>: Adam, learning rate
    /// 0.001, batches of 100) with two additions chosen on a validation part of the training digits (<c>--validation 2000</c>):
    /// each training image shifted at random by up to 1 pixel, and the learning rate falling along a cosine over 30 epochs.
    /// Without them the network fits all 8,000 training digits by epoch 11 and stays near 97% on the held-out ones; the
    /// measurements are in the sample's README.
    /// </summary>
    public static readonly TrainingDefaults ConvNet = new(Epochs: 30, Updates: 0, SgdLearningRate: 0.1f, Augment: true, Cosine: true);

    /// <summary>Runs the program.</summary>
    public static int Main(string[] args)
    {
        ParseResult parse = BuildCommand().Parse(args);
        if (parse.Action is ParseErrorAction error)
        {
            // A mistyped option gets its error and a pointer to --help, not the whole help text.
            error.ShowHelp = false;
            int code = parse.Invoke();
            Console.Error.WriteLine("Run with --help to see the options.");
            return code;
        }
        return parse.Invoke();
    }

    private static RootCommand BuildCommand()
    {
        var epochs = new Option<int?>("--epochs", "-e")
        {
            Description = $"Passes over the training data [default: {Relu.Epochs}; with --network book, enough for the book's {Book.Updates:N0} updates; with --network convnet, {ConvNet.Epochs}]",
            HelpName = "count",
        };
        epochs.Validators.Add(r => Positive(r, r.GetValueOrDefault<int?>()));

        var batchSize = new Option<int>("--batch-size", "-b")
        {
            Description = "Images per mini-batch (one optimizer step each)",
            DefaultValueFactory = _ => 100,
            HelpName = "count",
        };
        batchSize.Validators.Add(r => Positive(r, r.GetValueOrDefault<int>()));

        var learningRate = new Option<float?>("--learning-rate", "--lr")
        {
            Description = $"Step size of the optimizer [default: {Relu.SgdLearningRate} for sgd ({Book.SgdLearningRate} with --network book), {TrainingDefaults.MomentumLearningRate} for momentum, {TrainingDefaults.AdamLearningRate} for adam]",
            HelpName = "rate",
        };
        learningRate.Validators.Add(r =>
        {
            float? value = r.GetValueOrDefault<float?>();
            if (value is float v && !(v > 0 && float.IsFinite(v)))
                r.AddError($"--learning-rate must be a positive number, not {v}.");
        });

        var seed = new Option<int>("--seed", "-s")
        {
            Description = "Seed of the weights, the test split, the shuffling and the augmentation; the same seed gives the same run",
            DefaultValueFactory = _ => 1,
        };

        var holdOut = new Option<int>("--hold-out")
        {
            Description = "Digits of the training data held out (seeded) as the test set when no --test-images are given",
            DefaultValueFactory = _ => 2000,
            HelpName = "count",
        };
        holdOut.Validators.Add(r => Positive(r, r.GetValueOrDefault<int>()));

        var mnistDir = new Option<DirectoryInfo?>("--mnist-dir")
        {
            Description = "A folder with the official MNIST files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]): train on the 60,000, test on the 10,000",
            HelpName = "folder",
        };
        var trainImages = FileOption("--train-images", "IDX images to train on (.gz or raw) instead of the built-in 10,000 digits");
        var trainLabels = FileOption("--train-labels", "IDX labels of --train-images");
        var testImages = FileOption("--test-images", "IDX images to test on (e.g. the official t10k-images-idx3-ubyte.gz) instead of a held-out part of the training data");
        var testLabels = FileOption("--test-labels", "IDX labels of --test-images");

        var network = new Option<string>("--network", "-n")
        {
            Description = "relu: Input(784) Dense(100) ReLU Dense(10); book: the book's TwoLayerNet, Input(784) Dense(50) Sigmoid Dense(10), weights normal with std 0.01; convnet: the book's SimpleConvNet, Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten Dense(100) ReLU Dense(10), trained with Adam",
            DefaultValueFactory = _ => "relu",
        };
        network.AcceptOnlyFromAmong("relu", "book", "convnet");

        var augment = new Option<string?>("--augment")
        {
            Description = "Data augmentation of the training batches: shift moves each training image by a random shift of up to --max-shift pixels in x and in y (new each time it is drawn, seeded), none trains on the images as they are; the test digits are never changed [default: shift with --network convnet, else none]",
        };
        augment.AcceptOnlyFromAmong("none", "shift");

        var maxShift = new Option<int>("--max-shift")
        {
            Description = "The largest shift of --augment shift, in pixels, each way",
            DefaultValueFactory = _ => 1,
            HelpName = "pixels",
        };
        maxShift.Validators.Add(r =>
        {
            int value = r.GetValueOrDefault<int>();
            if (value < 1 || value > 4)
                r.AddError($"--max-shift must be from 1 to 4 pixels (MNIST digits have a margin of about 4), not {value}.");
        });

        var schedule = new Option<string?>("--schedule")
        {
            Description = "Learning rate over the epochs: constant, or cosine (falls from --learning-rate to 0 along half a cosine, PyTorch's CosineAnnealingLR) [default: cosine with --network convnet, else constant]",
        };
        schedule.AcceptOnlyFromAmong("constant", "cosine");

        var validation = new Option<int?>("--validation")
        {
            Description = "Hold this many of the training digits out (seeded) and report the accuracy on them instead of on the test digits, which are then not used at all: for choosing settings without looking at the test set",
            HelpName = "count",
        };
        validation.Validators.Add(r => Positive(r, r.GetValueOrDefault<int?>()));

        var optimizer = new Option<string?>("--optimizer", "-o")
        {
            Description = "sgd, momentum (0.9) or adam [default: sgd; adam with --network convnet]",
        };
        optimizer.AcceptOnlyFromAmong("sgd", "momentum", "adam");

        var save = new Option<string>("--save")
        {
            Description = "Where to save the trained weights",
            DefaultValueFactory = _ => "mnist-weights.snet",
            HelpName = "path",
        };
        var load = FileOption("--load", "Load weights saved by --save and evaluate them on the test set, without training");
        var classify = FileOption("--classify", "Classify one 28x28 image: a 28x28 PGM (P5 or P2) or a raw file of 784 bytes, row-major, 0 = background; uses the weights of --load, else of --save");

        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Threads a training or test batch may use (the network's DegreeOfParallelism): the same weights and accuracies, bit for bit, at any count; the optimizer's step stays on one thread",
            DefaultValueFactory = _ => 1,
        };
        threads.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 1 || v > StaticNet.Kernels.WorkerTeam.MaxDegree)
                r.AddError($"--threads must be from 1 to {StaticNet.Kernels.WorkerTeam.MaxDegree}, not {v}.");
        });

        var checkAllocations = new Option<bool>("--check-allocations")
        {
            Description = "Measure the bytes each epoch's training loop allocates (GC.GetAllocatedBytesForCurrentThread) and fail unless it is 0",
        };

        var root = new RootCommand(
            "Trains a StaticNet network on MNIST handwritten digits. With no options it trains the default network " +
            "on 8,000 of the 10,000 built-in digits, tests it on the other 2,000, and saves the weights.")
        {
            epochs, batchSize, learningRate, seed, holdOut, mnistDir, trainImages, trainLabels, testImages, testLabels,
            network, optimizer, augment, maxShift, schedule, validation, save, load, classify, checkAllocations, threads,
        };

        root.Validators.Add(r =>
        {
            if ((r.GetResult(trainImages) is null) != (r.GetResult(trainLabels) is null))
                r.AddError("--train-images and --train-labels go together: give both or neither.");
            if ((r.GetResult(testImages) is null) != (r.GetResult(testLabels) is null))
                r.AddError("--test-images and --test-labels go together: give both or neither.");
        });

        root.SetAction(parse =>
        {
            var options = new Options
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                Seed = parse.GetValue(seed),
                HoldOut = parse.GetValue(holdOut),
                HoldOutGiven = parse.GetResult(holdOut) is { Implicit: false },
                MnistDir = parse.GetValue(mnistDir)?.FullName,
                TrainImages = parse.GetValue(trainImages),
                TrainLabels = parse.GetValue(trainLabels),
                TestImages = parse.GetValue(testImages),
                TestLabels = parse.GetValue(testLabels),
                Network = parse.GetValue(network)!,
                Optimizer = parse.GetValue(optimizer) ?? (parse.GetValue(network) == "convnet" ? "adam" : "sgd"),
                Augment = parse.GetValue(augment),
                MaxShift = parse.GetValue(maxShift),
                MaxShiftGiven = parse.GetResult(maxShift) is { Implicit: false },
                Schedule = parse.GetValue(schedule),
                Validation = parse.GetValue(validation),
                SavePath = parse.GetValue(save)!,
                LoadPath = parse.GetValue(load),
                ClassifyPath = parse.GetValue(classify),
                CheckAllocations = parse.GetValue(checkAllocations),
                Threads = parse.GetValue(threads),
            };
            return Run(options);
        });
        return root;
    }

    private static Option<string?> FileOption(string name, string description) =>
        new(name) { Description = description, HelpName = "file" };

    private static void Positive(OptionResult result, int? value)
    {
        if (value is int v && v < 1)
            result.AddError($"{result.Option.Name} must be at least 1, not {v}.");
    }

    /// <summary>Creates the chosen network and hands it to the code shared by both, <see cref="App{TNet}"/>.</summary>
    private static int Run(Options options)
    {
        try
        {
            // The batch capacity covers training batches and evaluation batches (both options.BatchSize).
            int capacity = options.BatchSize;
            switch (options.Network)
            {
                case "convnet":
                {
                    var net = new SimpleConvNet(capacity, options.Seed) { DegreeOfParallelism = options.Threads };
                    return new App<SimpleConvNet>(net, SimpleConvNet.Summary, "SimpleConvNet", options, ConvNet).Run();
                }
                case "book":
                {
                    var net = new TwoLayerNet(capacity, options.Seed) { DegreeOfParallelism = options.Threads };
                    // As the book's TwoLayerNet: W = 0.01 * randn(...), b = 0. (The generated constructor
                    // would use Xavier, std sqrt(1/fanIn), for a sigmoid layer.)
                    var random = new Random64(options.Seed);
                    Initializers.Normal(net.W1, 0.01f, ref random);
                    Initializers.Normal(net.W2, 0.01f, ref random);
                    return new App<TwoLayerNet>(net, TwoLayerNet.Summary, "TwoLayerNet", options, Book).Run();
                }
                default:
                {
                    var net = new MnistNet(capacity, options.Seed) { DegreeOfParallelism = options.Threads };
                    return new App<MnistNet>(net, MnistNet.Summary, "MnistNet", options, Relu).Run();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            // IdxFormatException is an IOException; a mismatched weights file is an InvalidDataException.
            // Their messages name the file and the problem; a stack trace would add nothing.
            Console.Out.Flush();
            // An ArgumentException's message ends in " (Parameter 'name')", which names a variable of this
            // program, not anything the user gave; the message itself says what is wrong.
            string message = ex is ArgumentException { ParamName: string name } argument
                ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
                : ex.Message;
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }
    }
}

/// <summary>A network's training defaults.</summary>
/// <param name="Epochs">Passes over the training data, when <paramref name="Updates"/> is 0.</param>
/// <param name="Updates">When not 0, train for this many batches (rounded up to whole epochs) instead.</param>
/// <param name="SgdLearningRate">The learning rate of plain SGD.</param>
/// <param name="Augment">Whether the training images are shifted at random (<c>--augment shift</c>) unless the command line says otherwise.</param>
/// <param name="Cosine">Whether the learning rate follows a cosine schedule (<c>--schedule cosine</c>) unless the command line says otherwise.</param>
public sealed record TrainingDefaults(int Epochs, int Updates, float SgdLearningRate, bool Augment = false, bool Cosine = false)
{
    /// <summary>The learning rate of SGD with momentum (coefficient 0.9): 0.05, a step of about 0.5 once the velocity builds up.</summary>
    public const float MomentumLearningRate = 0.05f;

    /// <summary>The learning rate of Adam: 0.001, Kingma and Ba's (and the book's) default.</summary>
    public const float AdamLearningRate = 0.001f;

    /// <summary>The epochs to train for, given the number of batches in an epoch.</summary>
    public int EpochsFor(int batchesPerEpoch) => Updates == 0 ? Epochs : (Updates + batchesPerEpoch - 1) / batchesPerEpoch;
}

/// <summary>The parsed command line.</summary>
public sealed record Options
{
    /// <summary>Passes over the training data; null for the network's default.</summary>
    public int? Epochs { get; init; }
    /// <summary>Images per mini-batch.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>The optimizer's step size; null for the optimizer's default.</summary>
    public float? LearningRate { get; init; }
    /// <summary>Seed of weights, split and shuffling.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Digits held out as the test set when there are no test files.</summary>
    public int HoldOut { get; init; } = 2000;
    /// <summary>Whether --hold-out was given on the command line.</summary>
    public bool HoldOutGiven { get; init; }
    /// <summary>A folder with the official MNIST files.</summary>
    public string? MnistDir { get; init; }
    /// <summary>IDX training images.</summary>
    public string? TrainImages { get; init; }
    /// <summary>IDX training labels.</summary>
    public string? TrainLabels { get; init; }
    /// <summary>IDX test images.</summary>
    public string? TestImages { get; init; }
    /// <summary>IDX test labels.</summary>
    public string? TestLabels { get; init; }
    /// <summary>relu, book or convnet.</summary>
    public string Network { get; init; } = "relu";
    /// <summary>sgd, momentum or adam.</summary>
    public string Optimizer { get; init; } = "sgd";
    /// <summary>none or shift; null for the network's default.</summary>
    public string? Augment { get; init; }
    /// <summary>The largest shift of --augment shift, in pixels.</summary>
    public int MaxShift { get; init; } = 1;
    /// <summary>Whether --max-shift was given on the command line.</summary>
    public bool MaxShiftGiven { get; init; }
    /// <summary>constant or cosine; null for the network's default.</summary>
    public string? Schedule { get; init; }
    /// <summary>Training digits to validate on instead of testing; null for none.</summary>
    public int? Validation { get; init; }
    /// <summary>Where to save the weights.</summary>
    public string SavePath { get; init; } = "mnist-weights.snet";
    /// <summary>Weights to load instead of training.</summary>
    public string? LoadPath { get; init; }
    /// <summary>An image to classify.</summary>
    public string? ClassifyPath { get; init; }
    /// <summary>The network's DegreeOfParallelism.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Whether to measure and assert zero allocation in the training loop.</summary>
    public bool CheckAllocations { get; init; }
}
