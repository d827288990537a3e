using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// The Affine (Dense) layer's three products, as the book derives them (ch. 5.6):
/// forward <c>y = x·W + b</c>; backward <c>dx = dout·Wᵀ</c>, <c>dW = xᵀ·dout</c>, <c>db = Σ dout</c>.
/// Shapes: <c>x [batch, inputs]</c>, <c>W [inputs, outputs]</c> row-major, <c>b [outputs]</c>,
/// <c>y [batch, outputs]</c>. Called by generated code with constant sizes; public so that
/// generated code in other assemblies can call it, not meant to be called by hand.
/// </summary>
public static class Affine
{
    /// <summary><c>y = x·W + b</c>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, Span<float> y, int batch, int inputs, int outputs)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(b, outputs, nameof(b));
        Check.Length(y, batch * outputs, nameof(y));
        Gemm.Run(ref MemoryMarshal.GetReference(x), inputs, 1, ref MemoryMarshal.GetReference(W), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(b), hasBias: true, m: batch, n: outputs, k: inputs);
    }

    /// <summary><c>dW = xᵀ·dout</c> and <c>db = Σ dout</c> (over the batch); both overwritten.</summary>
    public static void BackwardWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, int batch, int inputs, int outputs)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(dW, inputs * outputs, nameof(dW));
        Check.Length(db, outputs, nameof(db));
        // A = xᵀ: element [i, p] is x[p * inputs + i].
        Gemm.Run(ref MemoryMarshal.GetReference(x), 1, inputs, ref MemoryMarshal.GetReference(dout), ref MemoryMarshal.GetReference(dW),
            ref Unsafe.NullRef<float>(), hasBias: false, m: inputs, n: outputs, k: batch);
        ColumnSums(dout, db, batch, outputs);
    }

    /// <summary>
    /// Plain SGD fused into the weight gradient: <c>W ← W − lr·xᵀ·dout</c> and <c>b ← b − lr·Σ dout</c>,
    /// one pass over W instead of writing dW and then reading W and dW again. The step is the product
    /// itself, accumulated onto W: <c>W += xᵀ·(−lr·dout)</c>, with <c>−lr·dout</c> in
    /// <paramref name="scratch"/> (<c>batch * outputs</c> floats).
    /// </summary>
    public static void SgdStep(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> scratch, float learningRate, int batch, int inputs, int outputs)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(b, outputs, nameof(b));
        Check.AtLeast(scratch, batch * outputs, nameof(scratch));
        Span<float> step = scratch.Slice(0, batch * outputs);
        Elementwise.Scale(dout, -learningRate, step);
        Gemm.Run(ref MemoryMarshal.GetReference(x), 1, inputs, ref MemoryMarshal.GetReference(step), ref MemoryMarshal.GetReference(W),
            ref Unsafe.NullRef<float>(), hasBias: false, m: inputs, n: outputs, k: batch, addToC: true);
        StepBias(step, b, batch, outputs);
    }

    // The bias step is summed over the batch first and added once, so b is rounded once, not per row
    // (row after row, as ColumnSums adds them: the same sums as a scalar loop over the rows). Columns
    // [from, to) of b only, when given (a part's block: the same sums for those columns).
    private static void StepBias(ReadOnlySpan<float> step, Span<float> b, int batch, int outputs, int from = 0, int to = -1)
    {
        if (to < 0) to = outputs;
        int width = to - from;
        if (width <= MaxStackFloats)
        {
            Span<float> sums = stackalloc float[width];
            ColumnSums(step, sums, batch, outputs, from);
            Elementwise.AddInPlace(b.Slice(from, width), sums);
            return;
        }
        for (int j = from; j < to; j++)
        {
            float sum = 0;
            for (int r = 0; r < batch; r++) sum += step[r * outputs + j];
            b[j] += sum;
        }
    }

    // sums[j] = Σ_r m[r, from + j] for the columns of sums, row after row (ColumnSums over a block of columns): each sum
    // starts at 0 and adds the rows in order, whatever vector holds its column, so every blocking gives the same bits.
    // The sums stay in registers down the rows, up to four vectors at a time. Adding each row into sums in memory, a call
    // per row, took 0.38 µs for 100 columns at batch 32 and 0.17 µs for 10 (Zen 5, the bias steps of a 784-100-10
    // network); this takes 0.20-0.29 of that time at 10 and 100 columns, batch 32 and 100.
    private static void ColumnSums(ReadOnlySpan<float> m, Span<float> sums, int rows, int columns, int from)
    {
        Check.AtLeast(m, rows == 0 ? 0 : (rows - 1) * columns + from + sums.Length, nameof(m));
        ref float first = ref Unsafe.Add(ref MemoryMarshal.GetReference(m), from);
        ref float s = ref MemoryMarshal.GetReference(sums);
        int n = sums.Length, j = 0;
        if (Simd.Use512) j = ColumnSumVectors<W512, Vector512<float>>(ref first, ref s, rows, columns, n, j);
        if (Simd.Use256) j = ColumnSumVectors<W256, Vector256<float>>(ref first, ref s, rows, columns, n, j);
        j = ColumnSumVectors<W128, Vector128<float>>(ref first, ref s, rows, columns, n, j);
        for (; j < n; j++)
        {
            float sum = 0;
            for (int r = 0; r < rows; r++) sum += Unsafe.Add(ref first, (nint)r * columns + j);
            Unsafe.Add(ref s, j) = sum;
        }
    }

    // ColumnSums' columns j to n in vectors of TW, four at a time while they last; returns the first column not summed.
    private static int ColumnSumVectors<TW, TV>(ref float first, ref float sums, int rows, int columns, int n, int j)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int w = TW.Count;
        for (; j + 4 * w <= n; j += 4 * w)
        {
            TV s0 = TW.Zero, s1 = TW.Zero, s2 = TW.Zero, s3 = TW.Zero;
            for (int r = 0; r < rows; r++)
            {
                nint o = (nint)r * columns + j;
                s0 = TW.Add(s0, TW.Load(ref first, o));
                s1 = TW.Add(s1, TW.Load(ref first, o + w));
                s2 = TW.Add(s2, TW.Load(ref first, o + 2 * w));
                s3 = TW.Add(s3, TW.Load(ref first, o + 3 * w));
            }
            TW.Store(s0, ref sums, j);
            TW.Store(s1, ref sums, j + w);
            TW.Store(s2, ref sums, j + 2 * w);
            TW.Store(s3, ref sums, j + 3 * w);
        }
        for (; j + w <= n; j += w)
        {
            TV s0 = TW.Zero;
            for (int r = 0; r < rows; r++) s0 = TW.Add(s0, TW.Load(ref first, (nint)r * columns + j));
            TW.Store(s0, ref sums, j);
        }
        return j;
    }

    // ---- the parallel forms: one part's rows of W (see Partition) ------------------------------------------

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> of <c>dW = xᵀ·dout</c> (input features <c>rowStart</c> to <c>rowEnd</c>, each summed
    /// over the whole batch), and <c>db = Σ dout</c> too when <paramref name="rowStart"/> is 0 and the range is not empty:
    /// every element the very sum <see cref="BackwardWeights"/> gives it, so parts on other threads add up to it exactly.
    /// </summary>
    public static void BackwardWeightRows(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, int batch, int inputs, int outputs, int rowStart, int rowEnd)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(dW, inputs * outputs, nameof(dW));
        Check.Length(db, outputs, nameof(db));
        CheckRows(rowStart, rowEnd, inputs);
        if (rowEnd <= rowStart) return;
        Gemm.Run(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), rowStart), 1, inputs, ref MemoryMarshal.GetReference(dout),
            ref dW[rowStart * outputs], ref Unsafe.NullRef<float>(), hasBias: false, m: rowEnd - rowStart, n: outputs, k: batch);
        if (rowStart == 0) ColumnSums(dout, db, batch, outputs);
    }

    /// <summary>
    /// <c>dout ← −lr·dout</c>, in place: the step <see cref="SgdStepRows"/> adds, made once by the rows that own
    /// <paramref name="dout"/> (the same values <see cref="SgdStep"/> writes to its scratch).
    /// </summary>
    public static void ScaleStep(Span<float> dout, float learningRate) => Elementwise.Scale(dout, -learningRate, dout);

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> of <see cref="SgdStep"/> with the step already made (<paramref name="step"/> =
    /// <c>−lr·dout</c>, by <see cref="ScaleStep"/>): those rows of W shrunk by <c>1 − lr·λ</c> when
    /// <paramref name="weightDecay"/> λ is not 0, then <c>W += xᵀ·step</c> on them; and <c>b += Σ step</c> when
    /// <paramref name="rowStart"/> is 0 and the range is not empty. Each weight gets exactly what the whole call gives it.
    /// </summary>
    public static void SgdStepRows(ReadOnlySpan<float> x, ReadOnlySpan<float> step, Span<float> W, Span<float> b, float learningRate, float weightDecay,
        int batch, int inputs, int outputs, int rowStart, int rowEnd)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(step, batch * outputs, nameof(step));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(b, outputs, nameof(b));
        CheckRows(rowStart, rowEnd, inputs);
        if (rowEnd <= rowStart) return;
        if (weightDecay != 0f) L2.Shrink(W.Slice(rowStart * outputs, (rowEnd - rowStart) * outputs), 1f - learningRate * weightDecay);
        Gemm.Run(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), rowStart), 1, inputs, ref MemoryMarshal.GetReference(step),
            ref W[rowStart * outputs], ref Unsafe.NullRef<float>(), hasBias: false, m: rowEnd - rowStart, n: outputs, k: batch, addToC: true);
        if (rowStart == 0) StepBias(step, b, batch, outputs);
    }

    // ---- one owner per output column: a part's block of y, W's columns and b (see Partition.Columns) ----------

    /// <summary>
    /// Columns <c>[columnStart, columnEnd)</c> of <c>y = x·W + b</c>, every row of the batch: each element the very sum
    /// <see cref="Forward"/> gives it (<see cref="Gemm.RunColumns"/>), nothing else of y written.
    /// </summary>
    public static void ForwardColumns(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, Span<float> y, int batch, int inputs, int outputs,
        int columnStart, int columnEnd)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(b, outputs, nameof(b));
        Check.Length(y, batch * outputs, nameof(y));
        Gemm.RunColumns(ref MemoryMarshal.GetReference(x), inputs, 1, ref MemoryMarshal.GetReference(W), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(b), hasBias: true, m: batch, n: outputs, k: inputs, columnStart, columnEnd);
    }

    /// <summary>
    /// Columns <c>[columnStart, columnEnd)</c> of <c>dW = xᵀ·dout</c> and of <c>db = Σ dout</c>: the very sums of
    /// <see cref="BackwardWeights"/>, nothing else of dW or db written.
    /// </summary>
    public static void BackwardWeightColumns(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, int batch, int inputs, int outputs,
        int columnStart, int columnEnd)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(dW, inputs * outputs, nameof(dW));
        Check.Length(db, outputs, nameof(db));
        Gemm.RunColumns(ref MemoryMarshal.GetReference(x), 1, inputs, ref MemoryMarshal.GetReference(dout), ref MemoryMarshal.GetReference(dW),
            ref Unsafe.NullRef<float>(), hasBias: false, m: inputs, n: outputs, k: batch, columnStart, columnEnd);
        ColumnSums(dout, db.Slice(columnStart, columnEnd - columnStart), batch, outputs, columnStart);
    }

    /// <summary>
    /// Columns <c>[columnStart, columnEnd)</c> of <see cref="SgdStepRows"/>'s step over all of W's rows (<paramref name="step"/>
    /// = <c>−lr·dout</c>, by <see cref="ScaleStep"/>): those columns of W shrunk by <c>1 − lr·λ</c> when
    /// <paramref name="weightDecay"/> λ is not 0, then <c>W += xᵀ·step</c> on them, and <c>b += Σ step</c> on them. Each
    /// weight gets exactly what the whole call gives it; no other weight is read or written.
    /// </summary>
    public static void SgdStepColumns(ReadOnlySpan<float> x, ReadOnlySpan<float> step, Span<float> W, Span<float> b, float learningRate, float weightDecay,
        int batch, int inputs, int outputs, int columnStart, int columnEnd)
    {
        Check.Length(x, batch * inputs, nameof(x));
        Check.Length(step, batch * outputs, nameof(step));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(b, outputs, nameof(b));
        Gemm.CheckColumns(outputs, columnStart, columnEnd);
        int width = columnEnd - columnStart;
        if (weightDecay != 0f)
            for (int i = 0; i < inputs; i++) L2.Shrink(W.Slice(i * outputs + columnStart, width), 1f - learningRate * weightDecay);
        Gemm.RunColumns(ref MemoryMarshal.GetReference(x), 1, inputs, ref MemoryMarshal.GetReference(step), ref MemoryMarshal.GetReference(W),
            ref Unsafe.NullRef<float>(), hasBias: false, m: inputs, n: outputs, k: batch, columnStart, columnEnd, addToC: true);
        StepBias(step, b, batch, outputs, columnStart, columnEnd);
    }

    /// <summary>
    /// Columns <c>[columnStart, columnEnd)</c> of <c>dx = dout·Wᵀ</c> (input features of the layer, every row of the batch):
    /// the very values <see cref="BackwardInput"/> writes there, nothing else of dx written. For a small W (the case
    /// of a layer after a column-owned one: 100 → 10) at a batch above 1, the columns of the same product; otherwise the
    /// whole product into <paramref name="scratch"/> (<c>batch · (2·inputs + outputs)</c> floats) and those columns copied.
    /// </summary>
    public static void BackwardInputColumns(ReadOnlySpan<float> dout, ReadOnlySpan<float> W, Span<float> dx, Span<float> scratch, int batch, int inputs, int outputs,
        int columnStart, int columnEnd)
    {
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(dx, batch * inputs, nameof(dx));
        Gemm.CheckColumns(inputs, columnStart, columnEnd);
        bool rowDots = batch == 1 && outputs <= 16 && Simd.Use512;
        if (!rowDots && inputs * outputs <= MaxStackFloats)
        {
            // BackwardInput's small-W form, restricted to the columns.
            Span<float> Wt = stackalloc float[inputs * outputs];
            Transpose(W, Wt, inputs, outputs);
            Gemm.RunColumns(ref MemoryMarshal.GetReference(dout), outputs, 1, ref MemoryMarshal.GetReference(Wt), ref MemoryMarshal.GetReference(dx),
                ref Unsafe.NullRef<float>(), hasBias: false, m: batch, n: inputs, k: outputs, columnStart, columnEnd);
            return;
        }
        Check.AtLeast(scratch, batch * (2 * inputs + outputs), nameof(scratch));
        Span<float> whole = scratch.Slice(0, batch * inputs);
        BackwardInput(dout, W, whole, scratch.Slice(batch * inputs), batch, inputs, outputs);
        for (int r = 0; r < batch; r++)
            whole.Slice(r * inputs + columnStart, columnEnd - columnStart).CopyTo(dx.Slice(r * inputs + columnStart));
    }

    private static void CheckRows(int rowStart, int rowEnd, int inputs)
    {
        if (rowStart < 0 || rowEnd > inputs || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"Expected rows within [0, {inputs}), got [{rowStart}, {rowEnd}).");
    }

    /// <summary>The most floats a kernel here takes on the stack (32 KiB).</summary>
    private const int MaxStackFloats = 8 * 1024;

    /// <summary>
    /// <c>dx = dout·Wᵀ</c>. At batch 1, a layer of at most 16 outputs takes one dot product per row of W (a vector
    /// each, with AVX-512). Otherwise a small W (up to 8,192 weights, as a layer of 100 → 10) is transposed once, on the stack,
    /// and <c>dx = dout·(Wᵀ)</c> is one product reading the rows of <c>Wᵀ</c>. A larger one, at a batch of up to
    /// <see cref="MaxDotRowsBatch"/>, is dot products of the rows of W and dout (<see cref="Gemm.RunTransposedB"/>); at a larger batch it is computed as
    /// <c>dxᵀ = W·doutᵀ</c> so that the weights are read row by row like in the forward pass; <paramref name="scratch"/>
    /// holds the two transposes (<c>batch * (inputs + outputs)</c> floats; unused when the batch or W is small).
    /// </summary>
    public static void BackwardInput(ReadOnlySpan<float> dout, ReadOnlySpan<float> W, Span<float> dx, Span<float> scratch, int batch, int inputs, int outputs)
    {
        Check.Length(dout, batch * outputs, nameof(dout));
        Check.Length(W, inputs * outputs, nameof(W));
        Check.Length(dx, batch * inputs, nameof(dx));
        if (batch == 1 && outputs <= 16 && Simd.Use512)
        {
            // One row, a narrow layer (100 → 10): each dx[i] is a dot product of W's row i (one vector) with dout.
            // Measured 0.57 → about 0.1 µs at 100 → 10 on Zen 5, where transposing W first cost more than the product.
            RowDots(dout, W, dx, inputs, outputs);
            return;
        }
        if (inputs * outputs <= MaxStackFloats)
        {
            // Measured at 100 → 10 (per kernel, Zen 5): 6.2 → about 1.5 µs at batch 100, 0.83 → about 0.3 µs at batch 1,
            // where the product over a single column was a scalar chain of dependent multiply-adds per input.
            Span<float> Wt = stackalloc float[inputs * outputs];
            Transpose(W, Wt, inputs, outputs);
            Gemm.Run(ref MemoryMarshal.GetReference(dout), outputs, 1, ref MemoryMarshal.GetReference(Wt), ref MemoryMarshal.GetReference(dx),
                ref Unsafe.NullRef<float>(), hasBias: false, m: batch, n: inputs, k: outputs);
            return;
        }
        if (batch <= MaxDotRowsBatch)
        {
            // A few rows: each dx[r, i] the dot product of dout's row r with W's row i, tiles of 5 rows of W against
            // the batch. Through W·doutᵀ instead, C is only `batch` columns wide: at batch 1 to 3 the product ran as
            // scalar chains of dependent multiply-adds, 438 µs for 4,320 → 100 at batch 1 and 1,333 µs at batch 3
            // (Zen 5), more than the rest of SimpleConvNet's training step together; this takes 26 and 45 µs.
            Gemm.RunTransposedB(ref MemoryMarshal.GetReference(dout), outputs, ref MemoryMarshal.GetReference(W), outputs,
                ref MemoryMarshal.GetReference(dx), m: batch, n: inputs, k: outputs);
            return;
        }
        Check.AtLeast(scratch, batch * (inputs + outputs), nameof(scratch));
        Span<float> doutT = scratch.Slice(0, batch * outputs);
        Span<float> dxT = scratch.Slice(batch * outputs, batch * inputs);
        Transpose(dout, doutT, batch, outputs);
        Gemm.Run(ref MemoryMarshal.GetReference(W), outputs, 1, ref MemoryMarshal.GetReference(doutT), ref MemoryMarshal.GetReference(dxT),
            ref Unsafe.NullRef<float>(), hasBias: false, m: inputs, n: batch, k: outputs);
        Transpose(dxT, dx, inputs, batch);
    }

    /// <summary>
    /// <c>dx[i] = Σ_j W[i, j]·dout[j]</c> for one row of dout and at most 16 outputs: row i of W loaded as one 512-bit
    /// vector, the lanes past its end masked to zero (so a neighbour row's values, even a non-finite one, count for
    /// nothing), multiplied by dout and summed across. The last rows, whose vector would read past W, are scalar.
    /// </summary>
    private static void RowDots(ReadOnlySpan<float> dout, ReadOnlySpan<float> W, Span<float> dx, int inputs, int outputs)
    {
        Span<float> padded = stackalloc float[16];
        padded.Clear();
        dout.CopyTo(padded);
        var d = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(padded));
        var mask = Vector512.LessThan(
            Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            Vector512.Create((float)outputs));
        ref float w = ref MemoryMarshal.GetReference(W);
        int vectorRows = Math.Min(inputs, W.Length >= 16 ? (W.Length - 16) / outputs + 1 : 0);
        int i = 0;
        for (; i < vectorRows; i++)
        {
            var row = Vector512.ConditionalSelect(mask, Vector512.LoadUnsafe(ref w, (nuint)(i * outputs)), default);
            dx[i] = Vector512.Sum(row * d);
        }
        for (; i < inputs; i++)
        {
            float sum = 0;
            for (int j = 0; j < outputs; j++) sum += W[i * outputs + j] * dout[j];
            dx[i] = sum;
        }
    }

    /// <summary>
    /// The largest batch <see cref="BackwardInput"/> computes as dot products of rows (<see cref="Gemm.RunTransposedB"/>).
    /// Measured on Zen 5 against <c>W·doutᵀ</c> between the transposes, at batch 1 to 8, for 4,320 × 100, 784 × 100,
    /// 256 × 128, 1,000 × 1,000 and 512 × 33: 10 to 60 times faster at batch 1 to 3, where that product is under 4
    /// columns wide and all scalar chains; 1.3 to 3 times faster at 4 to 7 for rows of 100 or more outputs, 0.75 to 0.95
    /// for the 33 (a few µs either way); slower from 8, where the product has whole 256-bit vectors. Below
    /// <see cref="Partition.Granule"/>, so that no part of a split batch takes another kernel than the whole batch would
    /// (a batch this small is never split), and the rows do not depend on the number of threads.
    /// </summary>
    internal const int MaxDotRowsBatch = 7;

    /// <summary><c>sums[j] = Σ_r m[r, j]</c> for <c>m [rows, columns]</c>.</summary>
    public static void ColumnSums(ReadOnlySpan<float> m, Span<float> sums, int rows, int columns)
    {
        Check.Length(m, rows * columns, nameof(m));
        Check.Length(sums, columns, nameof(sums));
        ColumnSums(m, sums, rows, columns, from: 0);
    }

    /// <summary><c>t[j, i] = m[i, j]</c> for <c>m [rows, columns]</c>.</summary>
    public static void Transpose(ReadOnlySpan<float> m, Span<float> t, int rows, int columns)
    {
        Check.Length(m, rows * columns, nameof(m));
        Check.AtLeast(t, rows * columns, nameof(t));
        // Row j of t is column j of m: written in order, read down the column four rows at a time, without bounds checks
        // (the lengths are checked above). Row by row with checks, W2ᵀ of a 100 → 10 layer took 0.5 µs on Zen 5, this
        // 0.53 of that; for 32 × 784 and 100 × 784 it took 0.54-0.56 of the time, for 784 × 32 and 784 × 100 0.85-1.02.
        ref float source = ref MemoryMarshal.GetReference(m);
        ref float target = ref MemoryMarshal.GetReference(t);
        for (int j = 0; j < columns; j++)
        {
            ref float row = ref Unsafe.Add(ref target, (nint)j * rows);
            ref float column = ref Unsafe.Add(ref source, j);
            int i = 0;
            for (; i + 4 <= rows; i += 4)
            {
                float a = Unsafe.Add(ref column, (nint)i * columns);
                float b = Unsafe.Add(ref column, (nint)(i + 1) * columns);
                float c = Unsafe.Add(ref column, (nint)(i + 2) * columns);
                float d = Unsafe.Add(ref column, (nint)(i + 3) * columns);
                Unsafe.Add(ref row, i) = a;
                Unsafe.Add(ref row, i + 1) = b;
                Unsafe.Add(ref row, i + 2) = c;
                Unsafe.Add(ref row, i + 3) = d;
            }
            for (; i < rows; i++) Unsafe.Add(ref row, i) = Unsafe.Add(ref column, (nint)i * columns);
        }
    }
}

internal static class Check
{
    public static void Length(ReadOnlySpan<float> span, int expected, string name)
    {
        if (span.Length != expected) Throw(name, expected, span.Length);
    }

    public static void AtLeast(ReadOnlySpan<float> span, int expected, string name)
    {
        if (span.Length < expected) Throw(name, expected, span.Length);
    }

    public static void SameLength(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"Expected as many gradients as parameters ({parameters.Length}), got {gradients.Length}.", nameof(gradients));
    }

    public static void StateLength(int state, int parameters)
    {
        if (state != parameters)
            throw new ArgumentException($"This optimizer was created for {state} parameters, not {parameters}.", nameof(parameters));
    }

    public static void Positive(float value, string name)
    {
        if (!(value > 0) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, "Must be a positive finite number.");
    }

    private static void Throw(string name, int expected, int actual) =>
        throw new ArgumentException($"Expected {expected} floats, got {actual}.", name);
}
