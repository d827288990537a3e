using System;
using System.Buffers.Binary;
using System.IO;
using Samples.Mnist;
using StaticNet;
using Xunit;

namespace StaticNet.Tests.Samples;

/// <summary>Runs tests that replace <see cref="Console.Out"/> and <see cref="Console.Error"/> one at a time.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>The MNIST sample's <c>Program.Main</c>, run in this process with the console captured (tests of <see cref="ConsoleCollection"/>).</summary>
internal static class SampleConsole
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        TextWriter oldOut = Console.Out, oldError = Console.Error;
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = Program.Main(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}

/// <summary>
/// The MNIST sample's messages for a wrong data path: each names the file (or folder) and the option that
/// gave it, and says what is wrong. The sample's <c>Program.Main</c> runs in this process, with the console
/// captured; every case fails before any training starts.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class MnistSampleMessageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-sample-messages-" + Guid.NewGuid().ToString("N"));

    public MnistSampleMessageTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>Runs the sample with <paramref name="args"/> (plus a --save into the test folder) and returns its exit code and standard error.</summary>
    private (int ExitCode, string Error) Run(params string[] args)
    {
        var (code, output, error) = SampleConsole.Run([.. args, "--save", PathOf("weights.snet")]);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal); // it stopped before training
        return (code, error);
    }

    private static void AssertMessage((int ExitCode, string Error) result, params string[] fragments)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        foreach (string fragment in fragments)
            Assert.Contains(fragment, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal); // no stack trace
    }

    /// <summary>Writes a valid pair of IDX files (raw) of <paramref name="count"/> images of <paramref name="size"/> x <paramref name="size"/>.</summary>
    private (string Images, string Labels) WriteIdx(string prefix, int count, int size)
    {
        var images = new byte[16 + count * size * size];
        BinaryPrimitives.WriteUInt32BigEndian(images, 0x00000803);
        BinaryPrimitives.WriteUInt32BigEndian(images.AsSpan(4), (uint)count);
        BinaryPrimitives.WriteUInt32BigEndian(images.AsSpan(8), (uint)size);
        BinaryPrimitives.WriteUInt32BigEndian(images.AsSpan(12), (uint)size);
        var labels = new byte[8 + count];
        BinaryPrimitives.WriteUInt32BigEndian(labels, 0x00000801);
        BinaryPrimitives.WriteUInt32BigEndian(labels.AsSpan(4), (uint)count);
        for (int i = 0; i < count; i++)
            labels[8 + i] = (byte)(i % 10);
        string imagesPath = PathOf($"{prefix}-images-idx3-ubyte");
        string labelsPath = PathOf($"{prefix}-labels-idx1-ubyte");
        File.WriteAllBytes(imagesPath, images);
        File.WriteAllBytes(labelsPath, labels);
        return (imagesPath, labelsPath);
    }

    [Fact]
    public void AMissingTrainingFileIsNamedWithItsOption()
    {
        (_, string labels) = WriteIdx("train", 20, 28);
        string missing = PathOf("no-such-images.gz");
        AssertMessage(Run("--train-images", missing, "--train-labels", labels), $"--train-images {missing}: there is no such file");

        (string images, _) = WriteIdx("train", 20, 28);
        string missingLabels = PathOf("no-such-labels.gz");
        AssertMessage(Run("--train-images", images, "--train-labels", missingLabels), $"--train-labels {missingLabels}: there is no such file");
    }

    [Fact]
    public void AFolderGivenAsAnImagesFileIsNamed()
    {
        (_, string labels) = WriteIdx("test", 20, 28);
        AssertMessage(Run("--test-images", _folder, "--test-labels", labels), $"--test-images {_folder}: it is a folder");
    }

    [Fact]
    public void ImagesOfAnotherSizeAreNamedWithBothSizes()
    {
        (string images, string labels) = WriteIdx("train", 20, 20);
        AssertMessage(Run("--train-images", images, "--train-labels", labels),
            $"'{images}'", "its images are 20x20 = 400 pixels each, but 784 pixels per image are expected (28x28, as in MNIST)");

        (string testImages, string testLabels) = WriteIdx("t10k", 5, 14);
        AssertMessage(Run("--test-images", testImages, "--test-labels", testLabels),
            $"'{testImages}'", "14x14 = 196 pixels each, but 784");
    }

    [Fact]
    public void MnistDirGivenAFileSaysItIsAFile()
    {
        string file = PathOf("train-images-idx3-ubyte.gz");
        File.WriteAllText(file, "not a folder");
        AssertMessage(Run("--mnist-dir", file), $"--mnist-dir {file}: it is a file, not a folder");
    }

    [Fact]
    public void MnistDirThatDoesNotExistSaysSo()
    {
        string folder = PathOf("no-such-folder");
        AssertMessage(Run("--mnist-dir", folder), $"--mnist-dir {folder}: there is no such folder");
    }

    [Fact]
    public void MnistDirWithoutTheOfficialFilesNamesTheFolderAndTheFile()
    {
        WriteIdx("train", 20, 28); // train-images-idx3-ubyte and train-labels-idx1-ubyte, but no t10k files
        AssertMessage(Run("--mnist-dir", _folder), $"'{_folder}' has no t10k-images-idx3-ubyte[.gz]");
    }

    [Fact]
    public void MissingWeightsAndAMissingImageAreNamed()
    {
        string weights = PathOf("no-such-weights.snet");
        AssertMessage(Run("--load", weights), $"Cannot load network parameters from '{weights}': there is no such file");

        string saved = PathOf("saved.snet");
        NetworkFile.Save(new MnistNet(), saved);
        string image = PathOf("no-such-digit.pgm");
        AssertMessage(Run("--load", saved, "--classify", image), $"Cannot classify '{image}': there is no such file");
    }
}
