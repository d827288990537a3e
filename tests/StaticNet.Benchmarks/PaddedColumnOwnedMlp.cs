using System;
using System.Runtime.CompilerServices;
using StaticNet.Kernels;

namespace StaticNet.Benchmarks;

/// <summary>
/// <see cref="ColumnOwnedMlp"/> with the rows of W1, b1 and the hidden activations and their gradients padded from 100
/// to 112 floats (448 bytes, 7 cache lines) and every array starting on a line: the column blocks 0-47 and 48-99 then
/// meet on a line boundary in every row, so no line is written by both cores. The padding is never computed
/// (<see cref="Gemm.RunColumns"/> with row strides), so the numbers are the generated network's, bit for bit; only the
/// layout differs, and <see cref="Parameters"/> packs it back to <c>[784, 100]</c> row-major for the comparison.
/// </summary>
public sealed class PaddedColumnOwnedMlp : IPartitioned
{
    private const int In = 784, Hidden = 100, Stride = 112, Out = 10;
    private const int Forward1 = 0, Step1 = 1;

    private readonly int _capacity, _parts;
    private readonly Aligned _W1, _b1, _W2, _b2, _a1, _h1, _dh1, _da1;
    private readonly Aligned[] _x; // one whole copy of the input a part
    private readonly float[] _a2, _y, _t, _da2, _step2, _packed = new float[In * Hidden + Hidden + Hidden * Out + Out];
    private int _batch;
    private float _rate;

    public PaddedColumnOwnedMlp(int batchCapacity, ReadOnlySpan<float> parameters, int parts)
    {
        _capacity = batchCapacity;
        _parts = Math.Min(parts, Partition.ColumnParts(parts, Hidden));
        _W1 = new Aligned(In * Stride); _b1 = new Aligned(Stride); _W2 = new Aligned(Hidden * Out); _b2 = new Aligned(Out);
        for (int i = 0; i < In; i++) parameters.Slice(i * Hidden, Hidden).CopyTo(_W1.Span.Slice(i * Stride));
        parameters.Slice(In * Hidden, Hidden).CopyTo(_b1.Span);
        parameters.Slice(In * Hidden + Hidden, Hidden * Out).CopyTo(_W2.Span);
        parameters.Slice(In * Hidden + Hidden + Hidden * Out, Out).CopyTo(_b2.Span);
        _x = new Aligned[_parts];
        for (int i = 0; i < _parts; i++) _x[i] = new Aligned(batchCapacity * In);
        _a1 = new Aligned(batchCapacity * Stride); _h1 = new Aligned(batchCapacity * Stride);
        _dh1 = new Aligned(batchCapacity * Stride); _da1 = new Aligned(batchCapacity * Stride);
        _a2 = new float[batchCapacity * Out]; _y = new float[batchCapacity * Out]; _t = new float[batchCapacity * Out];
        _da2 = new float[batchCapacity * Out]; _step2 = new float[batchCapacity * Out];
        if (_parts > 1) WorkerTeam.EnsureDegree(_parts);
    }

    /// <summary>The parameters packed as the generated network lays them out (allocates nothing; a view of one buffer).</summary>
    public ReadOnlySpan<float> Parameters
    {
        get
        {
            for (int i = 0; i < In; i++) _W1.Span.Slice(i * Stride, Hidden).CopyTo(_packed.AsSpan(i * Hidden));
            _b1.Span.Slice(0, Hidden).CopyTo(_packed.AsSpan(In * Hidden));
            _W2.Span.CopyTo(_packed.AsSpan(In * Hidden + Hidden));
            _b2.Span.CopyTo(_packed.AsSpan(In * Hidden + Hidden + Hidden * Out));
            return _packed;
        }
    }

    public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<int> labels)
    {
        int batch = input.Length / In;
        if (batch * In != input.Length || batch > _capacity || labels.Length != batch) throw new ArgumentException("Wrong batch.");
        _batch = batch;
        StaticNet.Kernels.Loss.OneHot(labels, _t.AsSpan(0, batch * Out), Out);
        WorkerTeam.Shared.Run(this, Forward1, _parts, input);
        // Dense2 on this thread, reading h1's padded rows: a2 = h1·W2 + b2.
        Gemm.Run(ref _h1.Ref, Stride, 1, ref _W2.Ref, ref _a2[0], ref _b2.Ref, hasBias: true, m: batch, n: Out, k: Hidden);
        return StaticNet.Kernels.Loss.SoftmaxCrossEntropy(_a2.AsSpan(0, batch * Out), _t.AsSpan(0, batch * Out), _y.AsSpan(0, batch * Out), batch, Out);
    }

    public void BackwardSgd(float learningRate)
    {
        int batch = _batch;
        Span<float> da2 = _da2.AsSpan(0, batch * Out);
        StaticNet.Kernels.Loss.SoftmaxCrossEntropyBackward(_y.AsSpan(0, batch * Out), _t.AsSpan(0, batch * Out), da2, batch);
        da2.CopyTo(_step2);
        Affine.ScaleStep(_step2.AsSpan(0, batch * Out), learningRate);
        _rate = learningRate;
        WorkerTeam.Shared.Run(this, Step1, _parts);
    }

    [SkipLocalsInit]
    void IPartitioned.RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = _batch;
        (int from, int to) = Partition.Columns(Hidden, part, parts);
        int width = to - from;
        Span<float> x = _x[part].Span.Slice(0, batch * In);
        Span<float> a1 = _a1.Span, h1 = _h1.Span;
        if (stage == Forward1)
        {
            input.CopyTo(x);
            Gemm.RunColumns(ref x[0], In, 1, ref _W1.Ref, ref _a1.Ref, ref _b1.Ref, hasBias: true, m: batch, n: Hidden, k: In, from, to, ldb: Stride, ldc: Stride);
            for (int r = 0; r < batch; r++)
                Activation.ReluForward(a1.Slice(r * Stride + from, width), h1.Slice(r * Stride + from, width));
            return;
        }
        Span<float> dh1 = _dh1.Span, da1 = _da1.Span;
        // dh1[:, J] = da2·W2[J, :]ᵀ through W2ᵀ, as BackwardInput's small-W form, with W2 before its step.
        Span<float> W2t = stackalloc float[Hidden * Out];
        Affine.Transpose(_W2.Span, W2t, Hidden, Out);
        Gemm.RunColumns(ref _da2[0], Out, 1, ref W2t[0], ref _dh1.Ref, ref Unsafe.NullRef<float>(), hasBias: false, m: batch, n: Hidden, k: Out, from, to, ldb: Hidden, ldc: Stride);
        for (int r = 0; r < batch; r++)
        {
            Span<float> d = da1.Slice(r * Stride + from, width);
            Activation.ReluBackward(h1.Slice(r * Stride + from, width), dh1.Slice(r * Stride + from, width), d);
            Affine.ScaleStep(d, _rate);
        }
        // W2's rows J += h1[:, J]ᵀ·(−lr·da2); b2 by part 0. As SgdStepRows, with h1's padded rows.
        Gemm.Run(ref h1[from], 1, Stride, ref _step2[0], ref _W2.Span[from * Out], ref Unsafe.NullRef<float>(), hasBias: false, m: width, n: Out, k: batch, addToC: true);
        if (from == 0) AddColumnSums(_step2, Out, Out, batch, _b2.Span);
        // W1's columns J += xᵀ·(−lr·da1[:, J]); b1's columns J.
        Gemm.RunColumns(ref x[0], 1, In, ref _da1.Ref, ref _W1.Ref, ref Unsafe.NullRef<float>(), hasBias: false, m: In, n: Hidden, k: batch, from, to, addToC: true, ldb: Stride, ldc: Stride);
        AddColumnSums(da1.Slice(from), width, Stride, batch, _b1.Span.Slice(from, width));
    }

    /// <summary><c>b += Σ rows</c> of <paramref name="width"/> columns, rows <paramref name="stride"/> apart: summed first, row after row, then added once (Affine's StepBias).</summary>
    [SkipLocalsInit]
    private static void AddColumnSums(ReadOnlySpan<float> m, int width, int stride, int rows, Span<float> b)
    {
        Span<float> sums = stackalloc float[width];
        sums.Clear();
        for (int r = 0; r < rows; r++) Elementwise.AddInPlace(sums, m.Slice(r * stride, width));
        Elementwise.AddInPlace(b, sums);
    }

    /// <summary>A pinned float array whose span starts on a 64-byte line.</summary>
    private sealed class Aligned
    {
        private readonly float[] _array;
        private readonly int _offset, _length;

        public unsafe Aligned(int length)
        {
            _array = GC.AllocateArray<float>(length + 16, pinned: true);
            fixed (float* p = _array) _offset = (int)((64 - ((nuint)p & 63)) & 63) / sizeof(float);
            _length = length;
        }

        public Span<float> Span => _array.AsSpan(_offset, _length);
        public ref float Ref => ref _array[_offset];
    }
}
