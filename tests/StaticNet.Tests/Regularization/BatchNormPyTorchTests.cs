using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Tests.Interop.SafeTensors;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// BatchNorm against files written by PyTorch (pytorch/make_batchnorm.py: nn.BatchNorm1d and nn.BatchNorm2d in
/// float64): training outputs, gradients and running statistics over several batches, then inference.
/// </summary>
public class BatchNormPyTorchTests
{
    private const double Tolerance = 2e-4;

    private static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(InteropPaths.RepositoryRoot, "tests", "StaticNet.Tests", "Regularization", "pytorch", name))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Fact]
    public void BatchNorm1d_of_PyTorch_gives_what_BatchNorm_after_a_vector_gives() =>
        Check(new BatchNormOnlyNet(batchCapacity: 6), Fixture("batchnorm1d.json"), channels: 7);

    [Fact]
    public void BatchNorm2d_of_PyTorch_gives_what_BatchNorm_after_an_image_gives() =>
        Check(new BatchNorm2DOnlyNet(batchCapacity: 4), Fixture("batchnorm2d.json"), channels: 3);

    private static void Check<TNet>(TNet net, JsonElement fixture, int channels) where TNet : ILossNetwork
    {
        Floats(fixture.GetProperty("gamma")).CopyTo(net.Parameters);
        Floats(fixture.GetProperty("beta")).CopyTo(net.Parameters.Slice(channels));
        foreach (JsonElement batch in fixture.GetProperty("train").EnumerateArray())
        {
            float[] x = Floats(batch.GetProperty("x")), y = Floats(batch.GetProperty("y"));
            // The loss against PyTorch's output is 0 to rounding exactly when the outputs agree.
            float loss = net.Loss(x, y);
            Assert.True(loss < 1e-9, $"batch of {batch.GetProperty("n").GetInt32()}: mean (y − y_torch)² = {loss}");
            BatchNormReference.AssertClose(Doubles(batch.GetProperty("running_mean")), net.State.Slice(0, channels), Tolerance, "running_mean");
            BatchNormReference.AssertClose(Doubles(batch.GetProperty("running_var")), net.State.Slice(channels, channels), Tolerance, "running_var");
            CheckBackward(net, batch, channels, x.Length, "training");
        }
        JsonElement eval = fixture.GetProperty("eval");
        float[] ex = Floats(eval.GetProperty("x"));
        var output = new float[ex.Length];
        net.Forward(ex, output);
        BatchNormReference.AssertClose(Doubles(eval.GetProperty("y")), output, Tolerance, "eval y");
        CheckBackward(net, eval, channels, ex.Length, "eval");
    }

    private static void CheckBackward(INetwork net, JsonElement batch, int channels, int length, string mode)
    {
        var dx = new float[length];
        net.Backward(Floats(batch.GetProperty("dout")), dx);
        BatchNormReference.AssertClose(Doubles(batch.GetProperty("dx")), dx, Tolerance, mode + " dx");
        BatchNormReference.AssertClose(Doubles(batch.GetProperty("dgamma")), net.Gradients.Slice(0, channels), Tolerance, mode + " dgamma");
        BatchNormReference.AssertClose(Doubles(batch.GetProperty("dbeta")), net.Gradients.Slice(channels, channels), Tolerance, mode + " dbeta");
    }
}
