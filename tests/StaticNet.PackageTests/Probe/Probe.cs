using System;
using System.Globalization;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text;
using StaticNet;
using StaticNet.Kernels;

// This file is compiled twice: here, with the in-repo generator and runtime, and into a consumer
// project that gets StaticNet from the packed package (PackageTests copies it there). Both print
// Probe.Run(); the lines that do not start with '#' must agree.
namespace PackageProbe;

/// <summary>The network of the issue: small, one hidden layer of tanh, a regression loss.</summary>
[Network] [Input(4)] [Dense(3)] [Tanh] [Dense(2)] [MeanSquaredError]
public partial class TanhNet;

/// <summary>Wide enough that sigmoid and softmax run through every SIMD width and a scalar tail.</summary>
[Network] [Input(5)] [Dense(29)] [Sigmoid] [Dense(10)] [SoftmaxCrossEntropy]
public partial class SoftmaxNet;

/// <summary>Runs both networks with fixed seeds and inputs and prints every number they produce.</summary>
public static class Probe
{
    public static string Run()
    {
        var text = new StringBuilder();
        // Informational lines: which build of StaticNet ran, on what.
        Assembly library = typeof(INetwork).Assembly;
        text.Append("# StaticNet build: ").AppendLine(library.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName);
        text.Append("# runtime: ").AppendLine(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
        text.Append("# vector bits: ").AppendLine(Simd.MaxVectorBits.ToString(CultureInfo.InvariantCulture));

        // 18 floats of activations at batch 6: a 16-wide vector, then a scalar tail of 2.
        Exercise(text, "TanhNet", new TanhNet(batchCapacity: 6, seed: 42), batch: 6, classes: false);
        Exercise(text, "SoftmaxNet", new SoftmaxNet(batchCapacity: 7, seed: 7), batch: 7, classes: true);
        return text.ToString();
    }

    private static void Exercise<TNet>(StringBuilder text, string name, TNet net, int batch, bool classes)
        where TNet : ILossNetwork
    {
        // Inputs and targets from integer arithmetic, so they are exactly the same everywhere.
        var input = new float[batch * net.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (i * 37 % 19 - 9) / 8f;
        var targets = new float[batch * net.OutputSize];
        for (int row = 0; row < batch; row++)
        {
            if (classes) targets[row * net.OutputSize + row * 3 % net.OutputSize] = 1;
            else for (int j = 0; j < net.OutputSize; j++) targets[row * net.OutputSize + j] = (row - j) / 4f;
        }

        Line(text, name + ".initial", net.Parameters);
        var output = new float[batch * net.OutputSize];
        net.Forward(input, output);
        Line(text, name + ".forward", output);
        Line(text, name + ".loss", [net.Loss(input, targets)]);
        net.Backward();
        Line(text, name + ".gradients", net.Gradients);

        // Backward from a given output gradient, with the input gradient (for chaining).
        var outputGradient = new float[output.Length];
        for (int i = 0; i < outputGradient.Length; i++) outputGradient[i] = (i % 5 - 2) / 3f;
        var inputGradient = new float[input.Length];
        net.Forward(input, output);
        net.Backward(outputGradient, inputGradient);
        Line(text, name + ".input-gradient", inputGradient);

        // Twenty steps of plain SGD (Adam would magnify rounding: its step does not shrink with a gradient near zero).
        var sgd = new Sgd(learningRate: 0.1f);
        for (int step = 0; step < 20; step++)
        {
            net.Loss(input, targets);
            net.Backward();
            sgd.Step(net);
        }
        Line(text, name + ".trained-loss", [net.Loss(input, targets)]);
        Line(text, name + ".trained", net.Parameters);
    }

    private static void Line(StringBuilder text, string label, ReadOnlySpan<float> values)
    {
        text.Append(label).Append(':');
        foreach (float v in values) text.Append(' ').Append(v.ToString("R", CultureInfo.InvariantCulture));
        text.AppendLine();
    }
}
