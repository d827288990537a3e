using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Samples.Mnist;
using StaticNet.Data;
using Xunit;

namespace StaticNet.Tests.Samples;

/// <summary>
/// The MNIST sample's <c>--network convnet</c> run end to end, in this process (<c>Program.Main</c>, console captured):
/// on official-format IDX files written here (there are no official files on this machine), with the augmentation, the
/// schedule and <c>--validation</c>. Each run trains for one or two short epochs on a few hundred real digits (the built-in
/// ones, written out as IDX files), so the class takes seconds; the accuracies printed are checked against the saved
/// weights evaluated here, not against numbers typed in.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ConvMnistSampleTests : IDisposable
{
    private const int TrainCount = 600, TestCount = 200;
    private static readonly Lazy<MnistDataSet> s_builtIn = new(LoadBuiltIn);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-convnet-sample-" + Guid.NewGuid().ToString("N"));

    public ConvMnistSampleTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static MnistDataSet LoadBuiltIn()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data");
        return MnistDataSet.Load(Path.Combine(data, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(data, "mnist-10k-labels-idx1-ubyte.gz"));
    }

    /// <summary>Writes <paramref name="count"/> built-in digits from <paramref name="first"/> as an IDX pair in the official layout (big-endian header, then bytes), gzip or raw.</summary>
    private (string Images, string Labels) WriteIdx(string imagesName, string labelsName, int first, int count)
    {
        MnistDataSet all = s_builtIn.Value;
        var images = new byte[16 + count * 784];
        BinaryPrimitives.WriteInt32BigEndian(images, Idx.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 28);
        for (int i = 0; i < count * 784; i++)
            images[16 + i] = (byte)MathF.Round(all.Images[first * 784 + i] * 255);
        var labels = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(labels, Idx.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
        all.Labels.AsSpan(first, count).CopyTo(labels.AsSpan(8));
        Write(PathOf(imagesName), images);
        Write(PathOf(labelsName), labels);
        return (PathOf(imagesName), PathOf(labelsName));
    }

    private static void Write(string path, byte[] bytes)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    /// <summary>Runs the sample with <paramref name="args"/> and a --save into the test folder; returns exit code, output and error.</summary>
    private (int ExitCode, string Output, string Error) Run(params string[] args) =>
        SampleConsole.Run([.. args, "--save", PathOf("convnet.snet")]);

    /// <summary>The accuracy of the saved weights on <paramref name="data"/>, computed here with the sample's network class.</summary>
    private int CountCorrectWithSavedWeights(MnistDataSet data)
    {
        var net = new SimpleConvNet(batchCapacity: 100);
        NetworkFile.Load(net, PathOf("convnet.snet"));
        var output = new float[100 * 10];
        int correct = 0;
        for (int start = 0; start < data.Count; start += 100)
        {
            int n = Math.Min(100, data.Count - start);
            net.Forward(data.Images.AsSpan(start * 784, n * 784), output.AsSpan(0, n * 10));
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int k = 1; k < 10; k++)
                    if (output[i * 10 + k] > output[i * 10 + best]) best = k;
                if (best == data.Labels[start + i]) correct++;
            }
        }
        return correct;
    }

    private static int Printed(string output, string pattern)
    {
        Match match = Regex.Match(output, pattern);
        Assert.True(match.Success, $"No match for /{pattern}/ in:\n{output}");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Convnet_trains_on_the_official_files_of_an_mnist_dir_and_tests_on_its_t10k_files()
    {
        // Gzip training files and raw test files, under the official names.
        (string trainImages, _) = WriteIdx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", first: 0, TrainCount);
        (string testImages, string testLabels) = WriteIdx("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", first: TrainCount, TestCount);

        (int code, string output, string error) = Run("--network", "convnet", "--mnist-dir", _folder, "--epochs", "2", "--batch-size", "50", "--check-allocations");

        Assert.True(code == 0, $"exit code {code}\n{error}\n{output}");
        Assert.Contains($"Training on {TrainCount} digits from {trainImages}", output, StringComparison.Ordinal);
        Assert.Contains($"Testing on  {TestCount} digits from {testImages}", output, StringComparison.Ordinal);
        Assert.Contains("Adam, learning rate 0.001 falling to 0 along a cosine over the 2 epochs", output, StringComparison.Ordinal);
        Assert.Contains("Augmentation: each training image moved by a random shift of up to 1 pixel in x and in y", output, StringComparison.Ordinal);
        Assert.Contains("Allocation check passed: the training loop allocated 0 bytes (2 epochs, 24 batches)", output, StringComparison.Ordinal);

        // The printed test accuracy is that of the saved weights on the t10k files, counted here.
        int printed = Printed(output, $@"Test accuracy: [0-9.]+% \(([0-9]+) of {TestCount} test digits\)");
        MnistDataSet test = MnistDataSet.Load(testImages, testLabels);
        Assert.Equal(CountCorrectWithSavedWeights(test), printed);
        Assert.True(printed > TestCount * 0.4, $"{printed} of {TestCount} after 24 steps; chance is about 10%."); // measured: 156 of 200 (78.0%)
    }

    [Fact]
    public void Convnet_trains_on_train_images_with_the_dotted_official_names_and_holds_out_a_test_part()
    {
        (string images, string labels) = WriteIdx("train-images.idx3-ubyte", "train-labels.idx1-ubyte", first: 1000, TrainCount);

        (int code, string output, string error) = Run("--network", "convnet", "--train-images", images, "--train-labels", labels,
            "--hold-out", "100", "--epochs", "1", "--batch-size", "50", "--augment", "none", "--schedule", "constant", "--max-shift", "3");

        Assert.True(code == 0, $"exit code {code}\n{error}\n{output}");
        Assert.Contains($"Training on {TrainCount - 100} of the {TrainCount} digits from {images}", output, StringComparison.Ordinal);
        Assert.Contains("Testing on  the other 100 (held out with seed 1, never trained on)", output, StringComparison.Ordinal);
        Assert.Contains("Adam, learning rate 0.001, batches of 50, 1 epoch, seed 1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Augmentation", output, StringComparison.Ordinal);
        Assert.Contains("warning: --max-shift is ignored: the training images are not augmented (add --augment shift).", error, StringComparison.Ordinal);

        MnistDataSet all = MnistDataSet.Load(images, labels);
        all.Split(100, seed: 1, out MnistDataSet heldOut);
        Assert.Equal(CountCorrectWithSavedWeights(heldOut), Printed(output, @"Test accuracy: [0-9.]+% \(([0-9]+) of 100 test digits\)"));
    }

    [Fact]
    public void Validation_reports_digits_carved_from_the_training_part_and_leaves_the_test_files_unused()
    {
        (string images, string labels) = WriteIdx("train-images-idx3-ubyte", "train-labels-idx1-ubyte", first: 2000, TrainCount);
        WriteIdx("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", first: 3000, TestCount);

        (int code, string output, string error) = Run("--network", "convnet", "--mnist-dir", _folder, "--validation", "150",
            "--epochs", "1", "--batch-size", "50", "--max-shift", "2");

        Assert.True(code == 0, $"exit code {code}\n{error}\n{output}");
        Assert.Contains($"Training on {TrainCount - 150} of the {TrainCount} training digits", output, StringComparison.Ordinal);
        Assert.Contains("Validating on the other 150 training digits (held out with seed 1); the test digits are not used", output, StringComparison.Ordinal);
        Assert.Contains("up to 2 pixels", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Test accuracy", output, StringComparison.Ordinal);
        Assert.Matches(@"epoch 1/1  loss [0-9.]+  train +[0-9.]+%  valid +[0-9.]+%", output);

        MnistDataSet all = MnistDataSet.Load(images, labels);
        all.Split(150, seed: 1, out MnistDataSet validation);
        Assert.Equal(CountCorrectWithSavedWeights(validation), Printed(output, @"Validation accuracy: [0-9.]+% \(([0-9]+) of 150 validation digits; the test digits were not used\)"));
    }

    [Theory]
    [InlineData("--max-shift", "0", "--max-shift must be from 1 to 4 pixels")]
    [InlineData("--max-shift", "5", "--max-shift must be from 1 to 4 pixels")]
    [InlineData("--augment", "rotate", "Argument 'rotate' not recognized. Must be one of:\n\t'none'\n\t'shift'")]
    [InlineData("--schedule", "step", "Argument 'step' not recognized. Must be one of:\n\t'constant'\n\t'cosine'")]
    [InlineData("--validation", "0", "--validation must be at least 1")]
    public void Bad_augmentation_schedule_and_validation_values_are_named(string option, string value, string fragment)
    {
        (int code, string output, string error) = Run("--network", "convnet", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(fragment, error, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_validation_part_as_large_as_the_training_part_is_an_error()
    {
        (int code, _, string error) = Run("--network", "convnet", "--validation", "8000");
        Assert.Equal(1, code);
        Assert.Contains("--validation 8000 leaves nothing to train on: the training part holds 8000 digits.", error, StringComparison.Ordinal);
    }
}
