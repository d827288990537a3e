using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace Samples.Chapter6;

/// <summary>
/// Reruns the book's ch. 6 experiments on the built-in digits and writes optimizers.png, weight_init.png,
/// overfit_weight_decay.png, batch_norm.png, overfit_dropout.png and results.md into the output folder.
/// Usage: <c>dotnet run -c Release --project samples/Chapter6 -- [--steps 2000] [--epochs 201] [--seed 1] [--out chapter6-output]</c>.
/// </summary>
public static class Program
{
    /// <summary>Runs the experiments; returns the exit code.</summary>
    public static int Main(string[] args)
    {
        int steps = 2000, epochs = 201, seed = 1;
        string output = "chapter6-output";
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--steps" when int.TryParse(value, CultureInfo.InvariantCulture, out steps) && steps > 0: i++; break;
                case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out epochs) && epochs > 0: i++; break;
                case "--seed" when int.TryParse(value, CultureInfo.InvariantCulture, out seed): i++; break;
                case "--out" when value.Length > 0: output = value; i++; break;
                default:
                    Console.Error.WriteLine($"error: unexpected '{args[i]}' {(value.Length > 0 ? "'" + value + "'" : "")}; usage: [--steps N (positive)] [--epochs N (positive)] [--seed N] [--out folder]");
                    return 1;
            }
        }

        var (train, test) = Experiments.BuiltIn(seed);
        var experiments = new Experiments(train, test, output, steps, seed, Console.Out);
        var report = new StringBuilder($"# Chapter 6 experiments\n\n{train.Count} training and {test.Count} test digits (the built-in set), seed {seed}.\n\n");
        var clock = Stopwatch.StartNew();

        Console.WriteLine($"(a) Optimizers: {steps} steps of 128 digits each");
        report.Append($"## Optimizers ({steps} steps of 128)\n\n").Append(Experiments.Table("optimizer", experiments.CompareOptimizers())).Append('\n');
        Console.WriteLine($"(b) Weight initialisation: {steps} steps of SGD (lr 0.01)");
        report.Append($"## Weight initialisation ({steps} steps of SGD, lr 0.01)\n\n").Append(Experiments.Table("init", experiments.CompareInitialisations())).Append('\n');
        Console.WriteLine($"(c) Overfitting on 300 digits, {epochs} epochs, without and with weight decay λ = 0.1");
        report.Append($"## Overfitting: 300 training digits, {epochs} epochs\n\n").Append(Experiments.Table("weight decay", experiments.Overfit(epochs))).Append('\n');
        int bnEpochs = Math.Min(epochs, 20);
        Console.WriteLine($"(d) BatchNorm against none over weight scales: 1,000 digits, {bnEpochs} epochs; then Dropout(0.2) on 300 digits, {epochs} epochs");
        report.Append($"## BatchNorm: 1,000 training digits, {bnEpochs} epochs of SGD (lr 0.01)\n\n").Append(Experiments.Table("weights", experiments.CompareBatchNorm(bnEpochs))).Append('\n');
        report.Append($"## Overfitting and Dropout(0.2): 300 training digits, {epochs} epochs\n\n").Append(Experiments.Table("dropout", experiments.OverfitDropout(epochs))).Append('\n');

        string results = Path.Combine(output, "results.md");
        File.WriteAllText(results, report.ToString());
        Console.WriteLine();
        Console.Write(report.ToString());
        Console.WriteLine($"Plots and results.md written to {Path.GetFullPath(output)} in {clock.Elapsed.TotalSeconds:F0} s.");
        return 0;
    }
}
