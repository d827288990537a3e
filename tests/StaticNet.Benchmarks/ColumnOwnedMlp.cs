using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using StaticNet.Kernels;

namespace StaticNet.Benchmarks;

/// <summary>
/// A probe, written by hand: the reference 784-100-10 network's training step (<c>Loss</c> + <c>BackwardSgd</c>) with
/// one owner per weight instead of the generated plan's split by rows of the batch. Each part owns a block of
/// Dense1's outputs (<see cref="Partition.Columns"/>: columns 0-47 and 48-99 for two parts): it computes those columns
/// of a1 and h1 for the whole batch, their gradients, the step of W1's columns and b1's, and the step of W2's matching
/// rows; Dense2's forward, the loss and its gradient (batch × 10) run on the calling thread. So each core reads and
/// writes only its own block of W1 from one step to the next, where the generated plan has every core read all of W1
/// after each core wrote half of it. The kernels are the generated network's, restricted to the block
/// (<see cref="Affine.ForwardColumns"/>, <see cref="Affine.SgdStepColumns"/>, <see cref="Affine.BackwardInputColumns"/>):
/// <see cref="ColumnOwnershipBenchmarks"/> checks, before it times anything, that the probe's losses and weights are
/// the generated network's, bit for bit.
/// </summary>
/// <remarks>
/// <para>Where the input goes: <see cref="PerPartInput"/> true gives every part its own copy of the whole input (each core
/// copies all of it and reads only its copy); false has the forward pass read the caller's span and each part copy
/// its rows to one shared copy, which the step then reads whole (half of it written by the other core).</para>
/// <para><see cref="PrivateLines"/>, for timing only (its numbers are wrong): every part writes into arrays of its own
/// (W1, b1, W2, b2 and the hidden activations and their gradients) and the calling thread reads only part 0's, so
/// almost nothing a core writes is read by the other: the same work with next to no lines crossing between the cores.
/// The exact probe has two kinds of crossing lines: those around column 48 of W1's and the hidden arrays' 400-byte
/// rows, which hold both blocks' columns in three rows of four (<see cref="PaddedColumnOwnedMlp"/> removes them), and
/// the data handed over (the worker's half of h1 for Dense2, W2's rows it steps).</para>
/// </remarks>
public sealed class ColumnOwnedMlp : IPartitioned
{
    private const int In = 784, Hidden = 100, Out = 10;
    private const int W1At = 0, B1At = In * Hidden, W2At = B1At + Hidden, B2At = W2At + Hidden * Out, Count = B2At + Out;
    private const int Forward1 = 0, Step1 = 1;

    private readonly int _capacity, _parts;
    private readonly float[][] _params; // [0] the parameters; one array a part with PrivateLines
    private readonly float[][] _x; // one per part when PerPartInput, else [0] only
    private readonly float[][] _a1, _h1, _dh1, _da1; // [0]; one a part with PrivateLines
    private readonly float[] _a2, _y, _t, _da2, _step2, _scratch;
    private int _batch;
    private float _rate;

    public ColumnOwnedMlp(int batchCapacity, ReadOnlySpan<float> parameters, int parts, bool perPartInput, bool privateLines = false)
    {
        _capacity = batchCapacity;
        _parts = Math.Min(parts, Partition.ColumnParts(parts, Hidden));
        PerPartInput = perPartInput;
        PrivateLines = privateLines;
        float[][] PerPart(int length)
        {
            var arrays = new float[privateLines ? _parts : 1][];
            for (int i = 0; i < arrays.Length; i++) arrays[i] = new float[length];
            return arrays;
        }
        _params = PerPart(Count);
        foreach (float[] p in _params) parameters.CopyTo(p);
        _x = new float[perPartInput ? _parts : 1][];
        for (int i = 0; i < _x.Length; i++) _x[i] = new float[batchCapacity * In];
        _a1 = PerPart(batchCapacity * Hidden); _h1 = PerPart(batchCapacity * Hidden);
        _dh1 = PerPart(batchCapacity * Hidden); _da1 = PerPart(batchCapacity * Hidden);
        _a2 = new float[batchCapacity * Out]; _y = new float[batchCapacity * Out]; _t = new float[batchCapacity * Out];
        _da2 = new float[batchCapacity * Out]; _step2 = new float[batchCapacity * Out];
        _scratch = new float[batchCapacity * (2 * Hidden + Out)];
        if (_parts > 1) WorkerTeam.EnsureDegree(_parts);
    }

    public bool PerPartInput { get; }
    public bool PrivateLines { get; }
    public ReadOnlySpan<float> Parameters => _params[0];

    public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<int> labels)
    {
        int batch = input.Length / In;
        if (batch * In != input.Length || batch > _capacity || labels.Length != batch) throw new ArgumentException("Wrong batch.");
        _batch = batch;
        StaticNet.Kernels.Loss.OneHot(labels, _t.AsSpan(0, batch * Out), Out);
        WorkerTeam.Shared.Run(this, Forward1, _parts, input);
        // On this thread: Dense2 (1,000 multiply-adds a row) and the loss, over the whole batch.
        Affine.Forward(_h1[0].AsSpan(0, batch * Hidden), _params[0].AsSpan(W2At, Hidden * Out), _params[0].AsSpan(B2At, Out), _a2.AsSpan(0, batch * Out), batch, Hidden, Out);
        return StaticNet.Kernels.Loss.SoftmaxCrossEntropy(_a2.AsSpan(0, batch * Out), _t.AsSpan(0, batch * Out), _y.AsSpan(0, batch * Out), batch, Out);
    }

    public void BackwardSgd(float learningRate)
    {
        int batch = _batch;
        Span<float> da2 = _da2.AsSpan(0, batch * Out);
        StaticNet.Kernels.Loss.SoftmaxCrossEntropyBackward(_y.AsSpan(0, batch * Out), _t.AsSpan(0, batch * Out), da2, batch);
        // −lr·da2, apart from da2: every part still reads da2 itself for dh1 while others step W2 with this.
        da2.CopyTo(_step2);
        Affine.ScaleStep(_step2.AsSpan(0, batch * Out), learningRate);
        _rate = learningRate;
        WorkerTeam.Shared.Run(this, Step1, _parts);
    }

    void IPartitioned.RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = _batch;
        (int from, int to) = Partition.Columns(Hidden, part, parts);
        Span<float> x = _x[PerPartInput ? part : 0].AsSpan(0, batch * In);
        int own = PrivateLines ? part : 0;
        float[] parameters = _params[own];
        Span<float> W1 = parameters.AsSpan(W1At, In * Hidden), b1 = parameters.AsSpan(B1At, Hidden);
        Span<float> W2 = parameters.AsSpan(W2At, Hidden * Out), b2 = parameters.AsSpan(B2At, Out);
        Span<float> a1 = _a1[own].AsSpan(0, batch * Hidden), h1 = _h1[own].AsSpan(0, batch * Hidden);
        if (stage == Forward1)
        {
            ReadOnlySpan<float> source;
            if (PerPartInput)
            {
                input.CopyTo(x);
                source = x;
            }
            else
            {
                var (row0, end) = Partition.Rows(batch, part, parts);
                input.Slice(row0 * In, (end - row0) * In).CopyTo(x.Slice(row0 * In));
                source = input;
            }
            Affine.ForwardColumns(source, W1, b1, a1, batch, In, Hidden, from, to);
            for (int r = 0; r < batch; r++)
                Activation.ReluForward(a1.Slice(r * Hidden + from, to - from), h1.Slice(r * Hidden + from, to - from));
            return;
        }
        Span<float> dh1 = _dh1[own].AsSpan(0, batch * Hidden), da1 = _da1[own].AsSpan(0, batch * Hidden);
        // dh1[:, J] = da2·W2[J, :]ᵀ, with W2 before its step (this part steps those rows of W2 itself, below).
        Affine.BackwardInputColumns(_da2.AsSpan(0, batch * Out), W2, dh1, _scratch, batch, Hidden, Out, from, to);
        for (int r = 0; r < batch; r++)
        {
            Span<float> mask = h1.Slice(r * Hidden + from, to - from), d = da1.Slice(r * Hidden + from, to - from);
            Activation.ReluBackward(mask, dh1.Slice(r * Hidden + from, to - from), d);
            Affine.ScaleStep(d, _rate);
        }
        Affine.SgdStepRows(h1, _step2.AsSpan(0, batch * Out), W2, b2, _rate, 0f, batch, Hidden, Out, from, to);
        Affine.SgdStepColumns(x, da1, W1, b1, _rate, 0f, batch, In, Hidden, from, to);
    }
}

/// <summary>
/// The generated 784-100-10 network's training step with one thread and two (its plan: rows of the batch, then rows of
/// the weights) against <see cref="ColumnOwnedMlp"/> (one owner per column block of Dense1) with one part and two, side
/// by side in one run. Setup first trains each probe a few steps beside a generated network and refuses to run unless
/// the losses and weights are the same bits.
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --no-verify --job short --filter *ColumnOwnershipBenchmarks*</code>
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class ColumnOwnershipBenchmarks
{
    private ReferenceMlp _mlp1 = null!, _mlp2 = null!;
    private ColumnOwnedMlp _own1 = null!, _own2 = null!, _own2Shared = null!, _own2Private = null!;
    private PaddedColumnOwnedMlp _pad1 = null!, _pad2 = null!;
    private float[] _x = null!;
    private int[] _labels = null!;
    private const float Rate = 1e-4f;

    [Params(32, 100)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _mlp1 = new ReferenceMlp(Batch, seed: 1);
        _mlp2 = new ReferenceMlp(Batch, seed: 1) { DegreeOfParallelism = 2 };
        float[] p0 = _mlp1.Parameters.ToArray();
        _own1 = new ColumnOwnedMlp(Batch, p0, parts: 1, perPartInput: true);
        _own2 = new ColumnOwnedMlp(Batch, p0, parts: 2, perPartInput: true);
        _own2Shared = new ColumnOwnedMlp(Batch, p0, parts: 2, perPartInput: false);
        _own2Private = new ColumnOwnedMlp(Batch, p0, parts: 2, perPartInput: true, privateLines: true);
        _pad1 = new PaddedColumnOwnedMlp(Batch, p0, parts: 1);
        _pad2 = new PaddedColumnOwnedMlp(Batch, p0, parts: 2);
        var random = new Random(7);
        _x = new float[Batch * ReferenceMlp.InputSize];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)random.NextDouble();
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = random.Next(10);
        SameBits(Batch);
    }

    /// <summary>Five steps of a large rate on fresh copies: the probe must give the generated network's bits.</summary>
    private static void SameBits(int batch)
    {
        var reference = new ReferenceMlp(batch, seed: 3);
        float[] p0 = reference.Parameters.ToArray();
        var exact = new[] { new ColumnOwnedMlp(batch, p0, 1, true), new ColumnOwnedMlp(batch, p0, 2, true), new ColumnOwnedMlp(batch, p0, 2, false) };
        var padded = new[] { new PaddedColumnOwnedMlp(batch, p0, 1), new PaddedColumnOwnedMlp(batch, p0, 2) };
        var probes = new (string Name, Func<float[], int[], float> Loss, Action<float> Step, Func<float[]> Parameters)[exact.Length + padded.Length];
        for (int i = 0; i < exact.Length; i++)
        {
            ColumnOwnedMlp e = exact[i];
            probes[i] = ($"column-owned #{i}", (x, l) => e.Loss(x, l), e.BackwardSgd, () => e.Parameters.ToArray());
        }
        for (int i = 0; i < padded.Length; i++)
        {
            PaddedColumnOwnedMlp q = padded[i];
            probes[exact.Length + i] = ($"padded #{i}", (x, l) => q.Loss(x, l), q.BackwardSgd, () => q.Parameters.ToArray());
        }
        var random = new Random(batch);
        float[] x = new float[batch * ReferenceMlp.InputSize];
        int[] labels = new int[batch];
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble();
            for (int i = 0; i < batch; i++) labels[i] = random.Next(10);
            float expected = reference.Loss(x, labels);
            reference.BackwardSgd(0.1f);
            foreach (var probe in probes)
            {
                float loss = probe.Loss(x, labels);
                probe.Step(0.1f);
                if (BitConverter.SingleToInt32Bits(loss) != BitConverter.SingleToInt32Bits(expected))
                    throw new InvalidOperationException($"The {probe.Name} probe's loss at step {step}, batch {batch}: {loss:R}, the generated network's {expected:R}.");
            }
        }
        float[] want = reference.Parameters.ToArray();
        foreach (var probe in probes)
        {
            float[] got = probe.Parameters();
            for (int i = 0; i < want.Length; i++)
                if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(want[i]))
                    throw new InvalidOperationException($"The {probe.Name} probe's parameter {i} at batch {batch}: {got[i]:R}, the generated network's {want[i]:R}.");
        }
    }

    [Benchmark(Baseline = true, Description = "generated, 1 thread")]
    public void Generated1() { _mlp1.Loss(_x, _labels); _mlp1.BackwardSgd(Rate); }

    [Benchmark(Description = "generated, 2 threads")]
    public void Generated2() { _mlp2.Loss(_x, _labels); _mlp2.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, 1 part")]
    public void Owned1() { _own1.Loss(_x, _labels); _own1.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, 2 parts")]
    public void Owned2() { _own2.Loss(_x, _labels); _own2.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, 2 parts, shared input copy")]
    public void Owned2Shared() { _own2Shared.Loss(_x, _labels); _own2Shared.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, 2 parts, no shared lines (timing only)")]
    public void Owned2Private() { _own2Private.Loss(_x, _labels); _own2Private.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, rows padded to 112, 1 part")]
    public void Padded1() { _pad1.Loss(_x, _labels); _pad1.BackwardSgd(Rate); }

    [Benchmark(Description = "column-owned, rows padded to 112, 2 parts")]
    public void Padded2() { _pad2.Loss(_x, _labels); _pad2.BackwardSgd(Rate); }
}
