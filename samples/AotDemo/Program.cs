using System;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using StaticNet;
using StaticNet.Kernels;

namespace Samples.AotDemo;

/// <summary>XOR: the smallest problem a network without a hidden layer cannot learn.</summary>
[Network]
[Input(2)]
[Dense(8)] [Tanh]
[Dense(1)] [Sigmoid]
[MeanSquaredError]
public partial class XorNet;

/// <summary>
/// Trains <see cref="XorNet"/> with Adam, saves and reloads its weights, and prints the predictions
/// and what this binary sees of the CPU. Under NativeAOT the instruction set is fixed when the
/// binary is published (IlcInstructionSet), so the SIMD lines show what was chosen then.
/// </summary>
public static class Program
{
    private static readonly float[] Inputs = [0, 0, 0, 1, 1, 0, 1, 1];
    private static readonly float[] Targets = [0, 1, 1, 0];

    public static int Main()
    {
        Console.WriteLine($"Runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
                          $"NativeAOT: {!RuntimeFeature.IsDynamicCodeSupported}");
        Console.WriteLine($"Avx2.IsSupported: {Avx2.IsSupported}");
        Console.WriteLine($"Avx512F.IsSupported: {Avx512F.IsSupported}");
        Console.WriteLine($"Vector256.IsHardwareAccelerated: {Vector256.IsHardwareAccelerated}");
        Console.WriteLine($"Vector512.IsHardwareAccelerated: {Vector512.IsHardwareAccelerated}");
        Console.WriteLine($"StaticNet.Kernels.Simd.MaxVectorBits: {Simd.MaxVectorBits}");
        Console.WriteLine();
        Console.WriteLine(XorNet.Summary);

        var net = new XorNet(batchCapacity: 4, seed: 7);
        var adam = new Adam(XorNet.ParameterCount, learningRate: 0.05f);
        float loss = 0;
        for (int epoch = 1; epoch <= 500; epoch++)
        {
            loss = net.Loss(Inputs, Targets);
            net.Backward();
            adam.Step(net);
            if (epoch % 100 == 0) Console.WriteLine(Invariant($"epoch {epoch,3}: loss {loss:F6}"));
        }

        // The weights survive a round trip through the network file format.
        var copy = new XorNet(batchCapacity: 4, seed: 1);
        using (var file = new MemoryStream())
        {
            NetworkFile.Save(net, file);
            file.Position = 0;
            NetworkFile.Load(copy, file, "xor.snet");
        }

        Span<float> output = stackalloc float[4];
        copy.Forward(Inputs, output);
        int correct = 0;
        for (int i = 0; i < 4; i++)
        {
            int predicted = output[i] >= 0.5f ? 1 : 0;
            if (predicted == (int)Targets[i]) correct++;
            Console.WriteLine(Invariant($"{Inputs[2 * i]:0} xor {Inputs[2 * i + 1]:0} = {output[i]:F4} -> {predicted}"));
        }
        Console.WriteLine($"correct: {correct}/4");
        return correct == 4 ? 0 : 1;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
