using System;
using Microsoft.ML.OnnxRuntime;

namespace StaticNet.Onnx.Tests;

/// <summary>Runs an ONNX model in ONNX Runtime: the independent implementation the exported graphs are checked with.</summary>
internal static class OrtRunner
{
    /// <summary>Runs <paramref name="model"/> on <paramref name="batch"/> rows of <paramref name="input"/>; returns the output and its shape.</summary>
    public static (float[] Output, long[] Shape) Run(byte[] model, float[] input, int batch, int inputSize, string inputName = "input")
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        // The model's input shape with the dynamic batch filled in: [batch, n], or [batch, C, H, W] for images.
        int[] dims = session.InputMetadata[inputName].Dimensions;
        long[] shape = Array.ConvertAll(dims, d => (long)d);
        shape[0] = batch;
        long size = 1;
        for (int i = 1; i < shape.Length; i++)
            size *= shape[i];
        Xunit.Assert.Equal(inputSize, size);
        return Run(model, input, shape, inputName);
    }

    /// <summary>Runs <paramref name="model"/> on <paramref name="input"/> of the given <paramref name="shape"/> (e.g. [batch, steps, features]).</summary>
    public static (float[] Output, long[] Shape) Run(byte[] model, float[] input, long[] shape, string inputName = "input", int threads = 1)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        string outputName = session.OutputNames[0];
        using var results = session.Run(runOptions, [inputName], [value], [outputName]);
        OrtValue output = results[0];
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }
}
