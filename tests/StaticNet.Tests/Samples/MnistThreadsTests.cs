using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticNet.Tests.Samples;

/// <summary>
/// The MNIST sample's <c>--threads</c>: training on the built-in digits with 1 and with 2 threads saves the same weight
/// file, byte for byte, and prints the same losses and accuracies; a count out of range is named before anything runs.
/// (Zero allocation of the parallel paths is ParallelTests' and RecurrentParallelTests': they warm both of the team's
/// paths first. Here, beside the other test classes of a full run, the team is sometimes busy and sometimes free.)
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class MnistThreadsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-sample-threads-" + Guid.NewGuid().ToString("N"));

    public MnistThreadsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args) => SampleConsole.Run(args);

    [Theory]
    [InlineData("relu")]
    [InlineData("convnet")]
    public void Two_threads_train_the_same_weights_as_one(string network)
    {
        string[] Train(int threads, string file) =>
            Lines(Run("--network", network, "--epochs", "1", "--hold-out", "500", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--save", Path.Combine(_folder, file)));
        string[] one = Train(1, "one.snet"), two = Train(2, "two.snet");
        Assert.Contains(one, l => l.StartsWith("Test accuracy:", StringComparison.Ordinal));
        Assert.Equal(one, two);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "one.snet")), File.ReadAllBytes(Path.Combine(_folder, "two.snet")));
    }

    // The lines that carry numbers of the training (the epoch's loss and accuracies, the test accuracy), the times cut off.
    private static string[] Lines((int ExitCode, string Output, string Error) run)
    {
        Assert.True(run.ExitCode == 0, run.Error);
        return run.Output.Split('\n')
            .Where(l => l.StartsWith("epoch", StringComparison.Ordinal) || l.StartsWith("Test accuracy", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @"\s+[0-9.]+ s\b.*$", ""))
            .ToArray();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public void A_thread_count_out_of_range_is_named(string value)
    {
        var (code, _, error) = Run("--threads", value, "--save", Path.Combine(_folder, "x.snet"));
        Assert.NotEqual(0, code);
        Assert.Contains($"--threads must be from 1 to 64, not {value}.", error);
        Assert.False(File.Exists(Path.Combine(_folder, "x.snet")));
    }
}
