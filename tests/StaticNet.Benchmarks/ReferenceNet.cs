using System;

namespace StaticNet.Benchmarks;

/// <summary>
/// The reference network of issue 4, 784 → Dense(100) → ReLU → Dense(10) → softmax cross-entropy,
/// float32, as every implementation in this project computes it.
/// </summary>
/// <remarks>
/// Parameters travel between implementations in one canonical flat layout, the order of the book's
/// <c>params</c> dictionary: <c>W1 [784,100]</c> row-major (so <c>h = x·W1 + b1</c>), <c>b1 [100]</c>,
/// <c>W2 [100,10]</c>, <c>b2 [10]</c>. An implementation may store them however it likes (padded,
/// transposed, ...) as long as <see cref="IReferenceNet.SetParameters"/> and
/// <see cref="IReferenceNet.GetParameters"/> convert.
/// </remarks>
public static class RefShape
{
    public const int Input = 784;
    public const int Hidden = 100;
    public const int Output = 10;

    public const int W1Size = Input * Hidden;
    public const int B1Size = Hidden;
    public const int W2Size = Hidden * Output;
    public const int B2Size = Output;

    public const int W1Offset = 0;
    public const int B1Offset = W1Offset + W1Size;
    public const int W2Offset = B1Offset + B1Size;
    public const int B2Offset = W2Offset + W2Size;
    public const int ParameterCount = B2Offset + B2Size; // 79,510

    /// <summary>Bytes of all parameters: 318,040 (the "318 KB of weights" of issue 4).</summary>
    public const int ParameterBytes = ParameterCount * sizeof(float);

    /// <summary>The largest batch any benchmark or check uses.</summary>
    public const int MaxBatch = 100;

    /// <summary>The cross-entropy guard of the book's <c>cross_entropy_error</c>: <c>-log(y + 1e-7)</c>.</summary>
    public const float LogEpsilon = 1e-7f;
}

/// <summary>
/// One implementation of the reference network. Adding an implementation to the benchmarks is: a
/// class implementing this (or an adapter over a generated StaticNet network), one line in
/// <see cref="ReferenceNets.All"/> (so <c>--verify</c> checks it), and two methods in
/// <see cref="NetworkBenchmarks"/>.
/// </summary>
public interface IReferenceNet
{
    /// <summary>The batch size the implementation was built for; inputs may hold fewer rows.</summary>
    int BatchCapacity { get; }

    /// <summary>Loads parameters from the canonical flat layout of <see cref="RefShape"/>.</summary>
    void SetParameters(ReadOnlySpan<float> parameters);

    /// <summary>Copies the parameters out in the canonical flat layout of <see cref="RefShape"/>.</summary>
    void GetParameters(Span<float> parameters);

    /// <summary>
    /// Inference: <paramref name="y"/> (batch × 10) receives the softmax probabilities for
    /// <paramref name="x"/> (batch × 784, row-major); batch = <c>x.Length / 784</c>.
    /// </summary>
    void Forward(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>
    /// One training step: forward, mean cross-entropy loss against <paramref name="labels"/>
    /// (class indices), backward, and the SGD update <c>p -= lr * dL/dp</c> on every parameter.
    /// Returns the loss computed before the update.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr);
}

/// <summary>An entry of <see cref="ReferenceNets.All"/>.</summary>
/// <param name="Name">Shown by <c>--verify</c>; use the benchmark's description.</param>
/// <param name="Create">Builds the implementation for a batch capacity.</param>
/// <param name="ZeroAllocation">Whether <c>--verify</c> should insist that Forward and TrainStep allocate nothing.</param>
/// <param name="ExactLoss">Whether the loss is -log y exactly (PyTorch, StaticNet) rather than the book's -log(y + 1e-7); they differ only where a probability is below ~1e-7.</param>
public sealed record ReferenceNetInfo(string Name, Func<int, IReferenceNet> Create, bool ZeroAllocation, bool ExactLoss = false);

/// <summary>Every implementation, in the order <c>--verify</c> reports them.</summary>
public static class ReferenceNets
{
    public static readonly ReferenceNetInfo[] All =
    [
        new("TensorPrimitives", capacity => new TensorPrimitivesNet(capacity), ZeroAllocation: true),
        new("BookPort", _ => new BookPortNet(), ZeroAllocation: false),
        new("StaticNet", capacity => new StaticNetReference(capacity), ZeroAllocation: true, ExactLoss: true),
        new("StaticNet (fused SGD)", capacity => new StaticNetReference(capacity, fused: true), ZeroAllocation: true, ExactLoss: true),
        new("StaticNet (Workspace)", capacity => new StaticNetReference(capacity, workspace: true), ZeroAllocation: true, ExactLoss: true),
        new("StaticNet (2 threads, fused SGD)", capacity => new StaticNetReference(capacity, fused: true, degree: 2), ZeroAllocation: true, ExactLoss: true),
        // libtorch allocates in native memory, which GC.GetAllocatedBytesForCurrentThread does not see: no claim either way.
        .. LibTorchNet.IsAvailable ? [new ReferenceNetInfo("libtorch", capacity => new LibTorchNet(capacity), ZeroAllocation: false, ExactLoss: true)] : Array.Empty<ReferenceNetInfo>(),
    ];
}

/// <summary>Seeded parameters and data shared by the benchmarks and <c>--verify</c>.</summary>
public static class ReferenceData
{
    /// <summary>
    /// Parameters in the canonical layout: He-initialised weights (std √(2/fan-in)) and small random
    /// biases. Non-zero biases (the book starts them at 0) make <c>--verify</c> exercise the bias paths.
    /// </summary>
    public static float[] CreateParameters(int seed)
    {
        var random = new Random(seed);
        var p = new float[RefShape.ParameterCount];
        Fill(random, p.AsSpan(RefShape.W1Offset, RefShape.W1Size), MathF.Sqrt(2f / RefShape.Input));
        Fill(random, p.AsSpan(RefShape.B1Offset, RefShape.B1Size), 0.1f);
        Fill(random, p.AsSpan(RefShape.W2Offset, RefShape.W2Size), MathF.Sqrt(2f / RefShape.Hidden));
        Fill(random, p.AsSpan(RefShape.B2Offset, RefShape.B2Size), 0.1f);
        return p;
    }

    /// <summary>
    /// A dense batch of inputs uniform in [0, 1) (MNIST's pixel range). Dense on purpose: real MNIST
    /// is ~80% zeros, and a kernel that skipped zeros would look faster here than the bound allows
    /// for; the bounds assume every multiply is done.
    /// </summary>
    public static float[] CreateInputs(int seed, int batch)
    {
        var random = new Random(seed);
        var x = new float[batch * RefShape.Input];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextSingle();
        }

        return x;
    }

    public static int[] CreateLabels(int seed, int batch)
    {
        var random = new Random(seed);
        var t = new int[batch];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = random.Next(RefShape.Output);
        }

        return t;
    }

    private static void Fill(Random random, Span<float> destination, float std)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            // Box-Muller: a normal sample from two uniform ones.
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            destination[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
    }
}
