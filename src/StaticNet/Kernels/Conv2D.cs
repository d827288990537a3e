using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// The convolution layer (the book's <c>Convolution</c>, ch. 7.4; PyTorch's <c>Conv2d</c>: a
/// cross-correlation) as im2col and matrix products, as the book derives it:
/// <code>
/// col = im2col(x)            [N·OH·OW, C·K·K]   one row per output pixel, one column per weight of a filter
/// y   = col·Wᵀ + b           [N·OH·OW, F]       reshaped to [N, F, OH, OW]
/// dW  = doutᵀ·col            [F, C·K·K]         db = Σ dout over N, OH, OW
/// dcol = dout·W              [N·OH·OW, C·K·K]   dx = col2im(dcol)
/// </code>
/// and <see cref="SgdStep(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, float, float, int, int, int, int, int, int, int, int)"/>, the backward pass with the SGD step in place of <c>dW</c> and <c>db</c>.
/// with <c>OH = (H + 2P − K)/S + 1</c>, <c>OW = (W + 2P − K)/S + 1</c>, zero padding P on every side.
/// Shapes: <c>x [N, C, H, W]</c>, <c>W [F, C, K, K]</c> row-major (seen as <c>[F, C·K·K]</c>),
/// <c>b [F]</c>, <c>y</c> and <c>dout [N, F, OH, OW]</c>. Called by generated code with constant
/// sizes; public so that generated code in other assemblies can call it, not meant to be called by hand.
/// </summary>
/// <remarks>
/// <para>Layout: the columns are built one sample at a time and transposed, <c>colᵀ [C·K·K, OH·OW]</c>
/// (row <c>(c, i, j)</c> holds <c>x[c, oh·S + i − P, ow·S + j − P]</c> for every output pixel), so that each
/// product is long in the output pixels and lands in NCHW order with no transpose:
/// <c>y[n] = W·colᵀ + b</c> (<c>[F, OH·OW]</c>), <c>dW += dout[n]·(colᵀ)ᵀ</c> (rows of <c>dout[n]</c> dotted with
/// rows of <c>colᵀ</c>), <c>dcolᵀ = Wᵀ·dout[n]</c>. One sample's columns (<see cref="ColumnsLength(int, int, int, int, int, int)"/>) stay in
/// L2 while its products run, where the whole batch's would not; the backward pass rebuilds them from
/// <c>x</c> (for SimpleConvNet's layer 0.9 µs a sample against about 4.4 µs for one product, measured with AVX-512)
/// instead of keeping the batch's. With the workspace of <see cref="ColumnsLength(int, int, int, int, int, int, int)"/>
/// the forward product is <c>[W | b]·[colᵀ; 1]</c>, the bias one more term of each sum.</para>
/// <para>The products are <see cref="Gemm"/>'s register-blocked kernels; im2col and col2im copy whole runs of
/// an image row with vectors when the stride is 1. For stride 1 without padding, output rows a multiple of 8,
/// dW and db skip the columns altogether (<c>Conv2DDirect.cs</c>): row <c>(c, i, j)</c> of
/// <c>colᵀ</c> at 8 pixels of an output row is 8 floats of an input row, read where they lie.</para>
/// </remarks>
public static partial class Conv2D
{
    /// <summary>
    /// The output size along one axis, <c>(size + 2·padding − kernelSize)/stride + 1</c>; an
    /// <see cref="ArgumentOutOfRangeException"/> for a kernel, stride or padding out of range, a kernel larger than
    /// the padded input, or a stride that does not divide <c>size + 2·padding − kernelSize</c>.
    /// </summary>
    public static int OutputSize(int size, int kernelSize, int stride, int padding)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "Expected an input size of at least 1.");
        if (kernelSize < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "Expected a kernel size of at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "Expected a stride of at least 1.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "Expected a padding of 0 or more.");
        int span = size + 2 * padding - kernelSize;
        if (span < 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"The kernel ({kernelSize}) is larger than the padded input ({size} + 2·{padding}).");
        if (span % stride != 0)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The stride ({stride}) does not divide size + 2·padding − kernel = {size} + 2·{padding} − {kernelSize} = {span}.");
        return span / stride + 1;
    }

    /// <summary>
    /// The floats of the workspace <c>columns</c> that <see cref="Forward"/> and <see cref="Backward"/> take:
    /// one sample's <c>colᵀ</c>, <c>C·K·K · OH·OW</c> (the batch size does not matter: samples are done one after
    /// the other). Allocate it once, beside the layer's activations.
    /// </summary>
    public static int ColumnsLength(int channels, int height, int width, int kernelSize, int stride, int padding)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Expected at least 1 channel.");
        long length = (long)channels * kernelSize * kernelSize
            * OutputSize(height, kernelSize, stride, padding) * OutputSize(width, kernelSize, stride, padding);
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"The columns would need {length} floats, more than an array holds.");
        return (int)length;
    }

    /// <summary>
    /// The floats of a workspace with which <see cref="Forward"/> also folds the bias into the product:
    /// <see cref="ColumnsLength(int, int, int, int, int, int)"/>, one more row of colᵀ (all ones) and <c>[W | b]</c>,
    /// <c>[F, C·K·K + 1]</c>: <c>(C·K·K + 1)·(OH·OW + F)</c>. Then <c>y = [W | b]·[colᵀ; 1]</c> is stored once, where with the
    /// shorter workspace y is first filled with the bias and the product added to it (y written, read and written again;
    /// measured 0.7 µs of 5.9 per SimpleConvNet sample). Backward and SgdStep take either length.
    /// </summary>
    public static int ColumnsLength(int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
    {
        if (filters < 1) throw new ArgumentOutOfRangeException(nameof(filters), filters, "Expected at least 1 filter.");
        long rows = (long)channels * kernelSize * kernelSize + 1;
        long length = ColumnsLength(channels, height, width, kernelSize, stride, padding) + (long)OutputSize(height, kernelSize, stride, padding) * OutputSize(width, kernelSize, stride, padding)
            + filters * rows;
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"The columns would need {length} floats, more than an array holds.");
        return (int)length;
    }

    /// <summary>
    /// <c>y = col·Wᵀ + b</c> reshaped to <c>[N, F, OH, OW]</c>, i.e.
    /// <c>y[n, f, oh, ow] = b[f] + Σ_{c,i,j} W[f, c, i, j]·x[n, c, oh·S + i − P, ow·S + j − P]</c> (zero outside x).
    /// <paramref name="columns"/> is the workspace of <see cref="ColumnsLength(int, int, int, int, int, int)"/> floats or more (with
    /// <see cref="ColumnsLength(int, int, int, int, int, int, int)"/>, the bias is folded into the product); y is overwritten.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, Span<float> y, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
    {
        if (Simd.Use512) Forward<W512, Vector512<float>>(x, W, b, y, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else if (Simd.Use256) Forward<W256, Vector256<float>>(x, W, b, y, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else Forward<W128, Vector128<float>>(x, W, b, y, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
    }

    /// <summary>
    /// The gradients of a convolution from <c>dout = ∂L/∂y [N, F, OH, OW]</c>: <c>dW = doutᵀ·col</c> and
    /// <c>db = Σ dout</c> (over the batch and the output pixels), both overwritten; and, unless
    /// <paramref name="dx"/> is empty, <c>dx = col2im(dout·W)</c>, overwritten, where col2im adds each column back
    /// to the input pixel it was copied from, so pixels shared by overlapping windows (stride &lt; kernel) get
    /// the sum of their contributions and padding's get none. <paramref name="x"/> is the forward input;
    /// <paramref name="columns"/> the workspace of <see cref="ColumnsLength(int, int, int, int, int, int)"/> floats (or more).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, Span<float> dx, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
    {
        if (Simd.Use512) Backward<W512, Vector512<float>>(x, W, dout, dW, db, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else if (Simd.Use256) Backward<W256, Vector256<float>>(x, W, dout, dW, db, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else Backward<W128, Vector128<float>>(x, W, dout, dW, db, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
    }

    /// <summary>
    /// The backward pass of a convolution with a plain SGD step fused in, storing no gradient: first, unless
    /// <paramref name="dx"/> is empty, <c>dx = col2im(dout·W)</c> (overwritten) with <c>W</c> before the step; then
    /// <c>W ← W − lr·doutᵀ·col</c> and <c>b ← b − lr·Σ dout</c>. The weight step is added one sample at a time,
    /// <c>W += doutₙ·(−lr·colₙ)ᵀ</c>, by the same product <see cref="Backward"/> uses for <c>dW</c>, with the columns
    /// scaled by <c>−lr</c> in the workspace, so no <c>dW</c> is stored anywhere (W is small: it stays in cache between
    /// samples). The same update, up to rounding, as <see cref="Backward"/> followed by <c>W −= lr·dW</c>, <c>b −= lr·db</c>.
    /// </summary>
    public static void SgdStep(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> dx, Span<float> columns, float learningRate,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding) =>
        SgdStep(x, dout, W, b, dx, columns, learningRate, 0f, batch, channels, height, width, filters, kernelSize, stride, padding);

    /// <summary>
    /// <see cref="SgdStep(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, float, int, int, int, int, int, int, int, int)"/>
    /// with L2 weight decay λ = <paramref name="weightDecay"/> (weights only): <c>dx</c> still from <c>W</c> before the
    /// step, then <c>W ← (1 − lr·λ)·W</c> and the gradient step after it, so that <c>W ← W − lr·(dW + λ·W)</c>.
    /// </summary>
    public static void SgdStep(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> dx, Span<float> columns, float learningRate,
        float weightDecay, int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
    {
        Guard.LearningRate(learningRate);
        float shrink = 1f - learningRate * weightDecay;
        if (Simd.Use512) SgdStep<W512, Vector512<float>>(x, dout, W, b, dx, columns, learningRate, batch, channels, height, width, filters, kernelSize, stride, padding, shrink);
        else if (Simd.Use256) SgdStep<W256, Vector256<float>>(x, dout, W, b, dx, columns, learningRate, batch, channels, height, width, filters, kernelSize, stride, padding, shrink);
        else SgdStep<W128, Vector128<float>>(x, dout, W, b, dx, columns, learningRate, batch, channels, height, width, filters, kernelSize, stride, padding, shrink);
    }

    /// <summary>
    /// Only the input gradient of <see cref="Backward"/>: <c>dx = col2im(dout·W)</c>, overwritten, sample by sample, by the
    /// very code <see cref="Backward"/> and <see cref="SgdStep(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, float, float, int, int, int, int, int, int, int, int)"/>
    /// use for it (so the same numbers): the part of the backward pass a thread can take for its own samples, while the
    /// weight gradient, a sum over every sample, is made whole by one thread.
    /// </summary>
    public static void BackwardInput(ReadOnlySpan<float> W, ReadOnlySpan<float> dout, Span<float> dx, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
    {
        if (Simd.Use512) BackwardInput<W512, Vector512<float>>(W, dout, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else if (Simd.Use256) BackwardInput<W256, Vector256<float>>(W, dout, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        else BackwardInput<W128, Vector128<float>>(W, dout, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
    }

    internal static void BackwardInput<TW, TV>(ReadOnlySpan<float> W, ReadOnlySpan<float> dout, Span<float> dx, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
        where TW : struct, IWidth<TV> where TV : struct
    {
        var g = new Geometry(batch, channels, height, width, filters, kernelSize, stride, padding);
        Check.Length(W, filters * g.Patch, nameof(W));
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(dx, batch * g.InputSize, nameof(dx));
        Check.AtLeast(columns, g.Patch * g.Pixels, nameof(columns));
        ref float col = ref MemoryMarshal.GetReference(columns);
        ref float w = ref MemoryMarshal.GetReference(W);
        for (int n = 0; n < batch; n++)
        {
            Gemm.RunUpTo<TW, TV>(ref w, 1, g.Patch, ref Unsafe.AsRef(in dout[n * g.OutputSize]), ref col, ref Unsafe.NullRef<float>(), hasBias: false,
                m: g.Patch, n: g.Pixels, k: filters);
            Col2Im<TW, TV>(ref col, ref dx[n * g.InputSize], in g);
        }
    }

    /// <summary><see cref="Forward"/> with vectors no wider than <typeparamref name="TW"/> (for tests: every width the machine has).</summary>
    internal static void Forward<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, Span<float> y, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
        where TW : struct, IWidth<TV> where TV : struct
    {
        var g = new Geometry(batch, channels, height, width, filters, kernelSize, stride, padding);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(W, filters * g.Patch, nameof(W));
        Check.Length(b, filters, nameof(b));
        Check.Length(y, batch * g.OutputSize, nameof(y));
        Check.AtLeast(columns, g.Patch * g.Pixels, nameof(columns));
        ref float col = ref MemoryMarshal.GetReference(columns);
        int rows = g.Patch + 1;
        if (columns.Length >= rows * (g.Pixels + filters))
        {
            // y[n] = [W | b]·[colᵀ; 1]: the bias as one more term of each sum, stored with the product.
            Fill<TW, TV>(ref Unsafe.Add(ref col, g.Patch * g.Pixels), g.Pixels, 1f);
            Span<float> wb = columns.Slice(rows * g.Pixels, filters * rows);
            for (int f = 0; f < filters; f++)
            {
                W.Slice(f * g.Patch, g.Patch).CopyTo(wb.Slice(f * rows));
                wb[f * rows + g.Patch] = b[f];
            }
            for (int n = 0; n < batch; n++)
            {
                Im2Col<TW, TV>(ref Unsafe.AsRef(in x[n * g.InputSize]), ref col, in g);
                Gemm.RunUpTo<TW, TV>(ref MemoryMarshal.GetReference(wb), rows, 1, ref col, ref y[n * g.OutputSize], ref Unsafe.NullRef<float>(), hasBias: false,
                    m: filters, n: g.Pixels, k: rows);
            }
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            Im2Col<TW, TV>(ref Unsafe.AsRef(in x[n * g.InputSize]), ref col, in g);
            ref float yn = ref y[n * g.OutputSize];
            // y[n] = b (each filter's row), then y[n] += W·colᵀ: [F, C·K·K]·[C·K·K, OH·OW].
            for (int f = 0; f < filters; f++)
                Fill<TW, TV>(ref Unsafe.Add(ref yn, f * g.Pixels), g.Pixels, b[f]);
            Gemm.RunUpTo<TW, TV>(ref MemoryMarshal.GetReference(W), g.Patch, 1, ref col, ref yn, ref Unsafe.NullRef<float>(), hasBias: false,
                m: filters, n: g.Pixels, k: g.Patch, addToC: true);
        }
    }

    /// <summary><see cref="Backward"/> with vectors no wider than <typeparamref name="TW"/> (for tests: every width the machine has).</summary>
    internal static void Backward<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, Span<float> dx, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
        where TW : struct, IWidth<TV> where TV : struct
    {
        var g = new Geometry(batch, channels, height, width, filters, kernelSize, stride, padding);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(W, filters * g.Patch, nameof(W));
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(dW, filters * g.Patch, nameof(dW));
        Check.Length(db, filters, nameof(db));
        if (!dx.IsEmpty) Check.Length(dx, batch * g.InputSize, nameof(dx));
        Check.AtLeast(columns, g.Patch * g.Pixels, nameof(columns));
        ref float col = ref MemoryMarshal.GetReference(columns);
        ref float w = ref MemoryMarshal.GetReference(W);
        ref float dw = ref MemoryMarshal.GetReference(dW);
        if (DirectApplies<TW, TV>(in g))
        {
            // Stride 1, no padding: dW summed over the whole batch straight from x; then db, and dx sample by sample.
            WeightGradientDirect<TW, TV>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(dout), ref dw, db, batch, in g, 1f, add: false);
            if (!dx.IsEmpty) BackwardInput<TW, TV>(W, dout, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            ref float doutn = ref Unsafe.AsRef(in dout[n * g.OutputSize]);
            // dW (+)= dout[n]·col[n]: rows of dout[n] [F, OH·OW] dotted with rows of colᵀ [C·K·K, OH·OW].
            Im2Col<TW, TV>(ref Unsafe.AsRef(in x[n * g.InputSize]), ref col, in g);
            Gemm.RunTransposedBUpTo<TW, TV>(ref doutn, g.Pixels, ref col, g.Pixels, ref dw, m: filters, n: g.Patch, k: g.Pixels, addToC: n > 0);
            // db (+)= Σ over the output pixels of dout[n].
            for (int f = 0; f < filters; f++)
            {
                float sum = Sum<TW, TV>(ref Unsafe.Add(ref doutn, f * g.Pixels), g.Pixels);
                db[f] = n > 0 ? db[f] + sum : sum;
            }
            if (dx.IsEmpty) continue;
            // dcolᵀ = Wᵀ·dout[n]: [C·K·K, F]·[F, OH·OW], into the columns (this sample's col is no longer needed);
            // Wᵀ is W read with its strides swapped. Then dx[n] = col2im(dcolᵀ).
            Gemm.RunUpTo<TW, TV>(ref w, 1, g.Patch, ref doutn, ref col, ref Unsafe.NullRef<float>(), hasBias: false,
                m: g.Patch, n: g.Pixels, k: filters);
            Col2Im<TW, TV>(ref col, ref dx[n * g.InputSize], in g);
        }
    }

    /// <summary><see cref="SgdStep(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, float, float, int, int, int, int, int, int, int, int)"/> with vectors no wider than <typeparamref name="TW"/> (for tests: every width the machine has).</summary>
    internal static void SgdStep<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> dx, Span<float> columns, float learningRate,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
        where TW : struct, IWidth<TV> where TV : struct =>
        SgdStep<TW, TV>(x, dout, W, b, dx, columns, learningRate, batch, channels, height, width, filters, kernelSize, stride, padding, 1f);

    /// <summary>The same, shrinking W by <paramref name="shrink"/> = 1 − lr·λ after dx and before the gradient step.</summary>
    internal static void SgdStep<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> dx, Span<float> columns, float learningRate,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding, float shrink)
        where TW : struct, IWidth<TV> where TV : struct
    {
        var g = new Geometry(batch, channels, height, width, filters, kernelSize, stride, padding);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(W, filters * g.Patch, nameof(W));
        Check.Length(b, filters, nameof(b));
        if (!dx.IsEmpty) Check.Length(dx, batch * g.InputSize, nameof(dx));
        Check.AtLeast(columns, g.Patch * g.Pixels, nameof(columns));
        ref float col = ref MemoryMarshal.GetReference(columns);
        ref float w = ref MemoryMarshal.GetReference(W);
        // dx[n] = col2im(Wᵀ·dout[n]) for every sample while W is still the W of the forward pass.
        if (!dx.IsEmpty) BackwardInput<TW, TV>(W, dout, dx, columns, batch, channels, height, width, filters, kernelSize, stride, padding);
        // Weight decay: W ← (1 − lr·λ)·W, after dx took W and before the gradient step.
        if (shrink != 1f) L2.Shrink(W, shrink);
        if (DirectApplies<TW, TV>(in g) && filters <= 1024)
        {
            // W += −lr·Σ over blocks of samples of doutᵀ·col, straight from x (stride 1, no padding), with Σ dout summed
            // over the whole batch on the way (on the stack: at most 4 KB), so that b is rounded once.
            Span<float> sums = stackalloc float[filters];
            WeightGradientDirect<TW, TV>(ref MemoryMarshal.GetReference(x), ref Unsafe.AsRef(in MemoryMarshal.GetReference(dout)), ref w, sums, batch, in g, -learningRate, add: true);
            for (int f = 0; f < filters; f++) b[f] += -learningRate * sums[f];
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            // W += dout[n]·(−lr·col[n]): rows of dout[n] [F, OH·OW] dotted with rows of −lr·colᵀ [C·K·K, OH·OW].
            Im2Col<TW, TV>(ref Unsafe.AsRef(in x[n * g.InputSize]), ref col, in g);
            Scale<TW, TV>(ref col, g.Patch * g.Pixels, -learningRate);
            Gemm.RunTransposedBUpTo<TW, TV>(ref Unsafe.AsRef(in dout[n * g.OutputSize]), g.Pixels, ref col, g.Pixels, ref w, m: filters, n: g.Patch, k: g.Pixels, addToC: true);
        }
        // b += −lr·Σ dout, summed over the batch first so that b is rounded once, not per sample.
        for (int f = 0; f < filters; f++)
        {
            float sum = 0;
            for (int n = 0; n < batch; n++)
                sum += Sum<TW, TV>(ref Unsafe.AsRef(in dout[n * g.OutputSize + f * g.Pixels]), g.Pixels);
            b[f] += -learningRate * sum;
        }
    }

    /// <summary>The sizes of one convolution, checked, with the products of them the loops use.</summary>
    internal readonly struct Geometry
    {
        public readonly int Channels, Height, Width, Filters, Kernel, Stride, Padding, OutHeight, OutWidth;

        public Geometry(int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding)
        {
            if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Expected a batch of at least 1.");
            if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Expected at least 1 channel.");
            if (filters < 1) throw new ArgumentOutOfRangeException(nameof(filters), filters, "Expected at least 1 filter.");
            OutHeight = OutputSize(height, kernelSize, stride, padding);
            OutWidth = OutputSize(width, kernelSize, stride, padding);
            Channels = channels; Height = height; Width = width; Filters = filters;
            Kernel = kernelSize; Stride = stride; Padding = padding;
        }

        /// <summary>C·H·W: one sample of x.</summary>
        public int InputSize => Channels * Height * Width;
        /// <summary>OH·OW: one output plane, one row of colᵀ.</summary>
        public int Pixels => OutHeight * OutWidth;
        /// <summary>C·K·K: one filter, one column of col.</summary>
        public int Patch => Channels * Kernel * Kernel;
        /// <summary>F·OH·OW: one sample of y.</summary>
        public int OutputSize => Filters * Pixels;

        /// <summary>
        /// The output columns <c>[first, end)</c> whose input column <c>ow·S + j − P</c> lies inside the image, for
        /// kernel column <paramref name="j"/>; the others read padding.
        /// </summary>
        public (int First, int End) Inside(int j)
        {
            int first = Padding - j > 0 ? Math.Min(OutWidth, (Padding - j + Stride - 1) / Stride) : 0;
            int last = Width - 1 + Padding - j; // ow·S ≤ last
            int end = last < 0 ? 0 : Math.Min(OutWidth, last / Stride + 1);
            return (first, Math.Max(first, end));
        }
    }

    /// <summary>
    /// <c>colᵀ[(c, i, j), (oh, ow)] = x[c, oh·S + i − P, ow·S + j − P]</c>, 0 in the padding, for one sample.
    /// With stride 1 each run of an output row is a contiguous run of an input row, copied with vectors.
    /// </summary>
    internal static void Im2Col<TW, TV>(ref float x, ref float col, in Geometry g)
        where TW : struct, IWidth<TV> where TV : struct
    {
        // The sizes as locals: stores through the column reference would otherwise make the JIT reload them from g.
        int channels = g.Channels, height = g.Height, width = g.Width, K = g.Kernel, S = g.Stride, P = g.Padding;
        int OH = g.OutHeight, OW = g.OutWidth, pixels = g.Pixels;
        ref float row = ref col;
        if (S == 1 && P == 0)
        {
            // Every window inside the image: each row of colᵀ is OH runs of OW floats of x, one input row apart.
            for (int c = 0; c < channels; c++)
            {
                ref float plane = ref Unsafe.Add(ref x, c * height * width);
                for (int i = 0; i < K; i++)
                {
                    for (int j = 0; j < K; j++)
                    {
                        ref float s = ref Unsafe.Add(ref plane, i * width + j);
                        for (int oh = 0; oh < OH; oh++)
                            Copy<TW, TV>(ref Unsafe.Add(ref s, oh * width), ref Unsafe.Add(ref row, oh * OW), OW);
                        row = ref Unsafe.Add(ref row, pixels);
                    }
                }
            }
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            ref float plane = ref Unsafe.Add(ref x, c * height * width);
            for (int i = 0; i < K; i++)
            {
                for (int j = 0; j < K; j++)
                {
                    (int first, int end) = g.Inside(j);
                    int length = end - first, shift = first * S + j - P;
                    for (int oh = 0; oh < OH; oh++)
                    {
                        ref float d = ref Unsafe.Add(ref row, oh * OW);
                        int ih = oh * S + i - P;
                        if ((uint)ih >= (uint)height)
                        {
                            Fill<TW, TV>(ref d, OW, 0f);
                            continue;
                        }
                        for (int ow = 0; ow < first; ow++) Unsafe.Add(ref d, ow) = 0f;
                        for (int ow = end; ow < OW; ow++) Unsafe.Add(ref d, ow) = 0f;
                        ref float s = ref Unsafe.Add(ref plane, ih * width + shift);
                        if (S == 1)
                        {
                            Copy<TW, TV>(ref s, ref Unsafe.Add(ref d, first), length);
                        }
                        else
                        {
                            for (int ow = 0; ow < length; ow++)
                                Unsafe.Add(ref d, first + ow) = Unsafe.Add(ref s, ow * S);
                        }
                    }
                    row = ref Unsafe.Add(ref row, pixels);
                }
            }
        }
    }

    /// <summary>
    /// <c>dx[c, oh·S + i − P, ow·S + j − P] += dcolᵀ[(c, i, j), (oh, ow)]</c> over every window, after clearing dx
    /// (one sample): the adjoint of <see cref="Im2Col"/>. Pixels in several windows get the sum of their
    /// contributions; padding's are dropped.
    /// </summary>
    internal static void Col2Im<TW, TV>(ref float dcol, ref float dx, in Geometry g)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int channels = g.Channels, height = g.Height, width = g.Width, K = g.Kernel, S = g.Stride, P = g.Padding;
        int OH = g.OutHeight, OW = g.OutWidth, pixels = g.Pixels;
        Fill<TW, TV>(ref dx, g.InputSize, 0f);
        ref float row = ref dcol;
        for (int c = 0; c < channels; c++)
        {
            ref float plane = ref Unsafe.Add(ref dx, c * height * width);
            for (int i = 0; i < K; i++)
            {
                for (int j = 0; j < K; j++)
                {
                    (int first, int end) = g.Inside(j);
                    int length = end - first, shift = first * S + j - P;
                    for (int oh = 0; oh < OH; oh++)
                    {
                        int ih = oh * S + i - P;
                        if ((uint)ih >= (uint)height) continue;
                        ref float s = ref Unsafe.Add(ref row, oh * OW + first);
                        ref float d = ref Unsafe.Add(ref plane, ih * width + shift);
                        if (S == 1)
                        {
                            AddTo<TW, TV>(ref d, ref s, length);
                        }
                        else
                        {
                            for (int ow = 0; ow < length; ow++)
                                Unsafe.Add(ref d, ow * S) += Unsafe.Add(ref s, ow);
                        }
                    }
                    row = ref Unsafe.Add(ref row, pixels);
                }
            }
        }
    }

    /// <summary><c>d[0..length) = s[0..length)</c>: whole vectors, the last one ending at length (overlapping is harmless for a copy), narrower vectors or scalars under one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<TW, TV>(ref float s, ref float d, int length)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count, n = length;
        if (n >= w)
        {
            nint i = 0;
            for (; i <= n - w; i += w) TW.Store(TW.Load(ref s, i), ref d, i);
            if (i < n) TW.Store(TW.Load(ref s, n - w), ref d, n - w);
            return;
        }
        if (w > 4 && n >= 4)
        {
            Copy<W128, Vector128<float>>(ref s, ref d, length);
            return;
        }
        for (nint i = 0; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
    }

    /// <summary><c>d[0..length) += s[0..length)</c>: whole vectors, then narrower ones, then scalars (no overlap: adding twice would count twice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TW, TV>(ref float d, ref float s, int length)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count, n = length, i = 0;
        for (; i <= n - w; i += w) TW.Store(TW.Add(TW.Load(ref d, i), TW.Load(ref s, i)), ref d, i);
        if (w > 4)
            for (; i <= n - 4; i += 4) W128.Store(W128.Add(W128.Load(ref d, i), W128.Load(ref s, i)), ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
    }

    /// <summary><c>d[0..length) = value</c>.</summary>
    private static void Fill<TW, TV>(ref float d, int length, float value)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count, n = length;
        if (n >= w)
        {
            TV v = TW.Broadcast(value);
            nint i = 0;
            for (; i <= n - w; i += w) TW.Store(v, ref d, i);
            if (i < n) TW.Store(v, ref d, n - w);
            return;
        }
        for (nint i = 0; i < n; i++) Unsafe.Add(ref d, i) = value;
    }

    /// <summary><c>d[0..length) *= factor</c>: whole vectors, then scalars.</summary>
    private static void Scale<TW, TV>(ref float d, int length, float factor)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count, n = length, i = 0;
        TV v = TW.Broadcast(factor);
        for (; i <= n - w; i += w) TW.Store(TW.Multiply(TW.Load(ref d, i), v), ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) *= factor;
    }

    /// <summary>Σ s[0..length), with vector partial sums.</summary>
    private static float Sum<TW, TV>(ref float s, int length)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count, n = length, i = 0;
        TV acc = TW.Zero;
        for (; i <= n - w; i += w) acc = TW.Add(acc, TW.Load(ref s, i));
        float total = TW.Sum(acc);
        for (; i < n; i++) total += Unsafe.Add(ref s, i);
        return total;
    }
}
