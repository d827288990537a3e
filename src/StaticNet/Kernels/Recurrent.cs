using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNet.Kernels;

/// <summary>
/// The kernels of the recurrent layers: the GRU and LSTM cells of PyTorch's <c>nn.GRU</c> and <c>nn.LSTM</c> (gate
/// order r, z, n and i, f, g, o; weights <c>W_ih [gates·H, in]</c>, <c>W_hh [gates·H, H]</c> row-major, biases
/// <c>b_ih</c>, <c>b_hh</c> of <c>gates·H</c>), one time step of one sequence per call forward and backward through
/// time, and the weight gradients over every step at once. The matrix-vector products and the element-wise gate
/// arithmetic run on <see cref="Vector{T}"/>, the weight gradients as matrix products.
/// Nothing is allocated; the caller passes every buffer.
/// </summary>
public static class Recurrent
{
    /// <summary>Floats a GRU step keeps per time step for its backward pass: r, z, n and <c>W_hn·h₋₁ + b_hn</c>.</summary>
    public static int GruGateWidth(int hidden) => 4 * hidden;

    /// <summary>Floats an LSTM step keeps per time step for its backward pass: i, f, g, o, c and tanh(c).</summary>
    public static int LstmGateWidth(int hidden) => 6 * hidden;

    /// <summary>
    /// One GRU step: <c>r = σ(W_ir·x + b_ir + W_hr·h₋₁ + b_hr)</c>, <c>z = σ(W_iz·x + b_iz + W_hz·h₋₁ + b_hz)</c>,
    /// <c>n = tanh(W_in·x + b_in + r ⊙ (W_hn·h₋₁ + b_hn))</c>, <c>h = (1 − z) ⊙ n + z ⊙ h₋₁</c>.
    /// <paramref name="gates"/> receives r, z, n and <c>W_hn·h₋₁ + b_hn</c> (4H), what <see cref="GruBackward"/> reads.
    /// <paramref name="h"/> may be <paramref name="hPrev"/> itself (a state updated in place).
    /// </summary>
    /// <param name="x">The input of this step [inputs].</param>
    /// <param name="hPrev">The hidden state before this step [hidden].</param>
    /// <param name="W_ih">Input weights [3·hidden, inputs], rows r, z, n.</param>
    /// <param name="W_hh">Recurrent weights [3·hidden, hidden].</param>
    /// <param name="b_ih">Input bias [3·hidden].</param>
    /// <param name="b_hh">Recurrent bias [3·hidden].</param>
    /// <param name="gates">Receives r, z, n, W_hn·h₋₁ + b_hn [4·hidden].</param>
    /// <param name="h">Receives the new hidden state [hidden].</param>
    /// <param name="scratch">Room for W_hh·h₋₁ + b_hh [at least 3·hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void GruForward(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh,
        ReadOnlySpan<float> b_ih, ReadOnlySpan<float> b_hh, Span<float> gates, Span<float> h, Span<float> scratch, int inputs, int hidden)
    {
        int H = hidden, G = 3 * hidden;
        Check.Length(x, inputs, nameof(x));
        Check.Length(hPrev, H, nameof(hPrev));
        Check.Length(W_ih, G * inputs, nameof(W_ih));
        Check.Length(W_hh, G * H, nameof(W_hh));
        Check.Length(b_ih, G, nameof(b_ih));
        Check.Length(b_hh, G, nameof(b_hh));
        Check.Length(gates, 4 * H, nameof(gates));
        Check.Length(h, H, nameof(h));
        Check.AtLeast(scratch, G, nameof(scratch));

        Span<float> gi = gates.Slice(0, G), gh = scratch.Slice(0, G);
        MatVec(W_ih, x, b_ih, gi, G, inputs, accumulate: false);   // gi = W_ih·x + b_ih
        MatVec(W_hh, hPrev, b_hh, gh, G, H, accumulate: false);    // gh = W_hh·h₋₁ + b_hh
        Span<float> rz = gates.Slice(0, 2 * H);
        Elementwise.AddInPlace(rz, gh.Slice(0, 2 * H));
        Activation.SigmoidForward(rz, rz);                          // r, z
        Span<float> n = gates.Slice(2 * H, H), hn = gates.Slice(3 * H, H);
        gh.Slice(2 * H, H).CopyTo(hn);                              // hn = W_hn·h₋₁ + b_hn
        MultiplyAdd(n, gates.Slice(0, H), hn);                      // n ← W_in·x + b_in + r ⊙ hn
        Activation.TanhForward(n, n);
        Blend(n, gates.Slice(H, H), hPrev, h);                      // h = n + z ⊙ (h₋₁ − n)
    }

    /// <summary>
    /// One GRU step backward: from <c>dh = dhCarry + dOut</c>, the gradients through the gates
    /// (<c>dn = dh ⊙ (1 − z)</c>, <c>dz = dh ⊙ (h₋₁ − n)</c>, <c>dr = dn ⊙ (1 − n²) ⊙ hn</c>, ...) are added into
    /// the weight and bias gradients; <paramref name="dx"/> receives dL/dx (unless empty) and
    /// <paramref name="dhCarry"/> becomes dL/dh₋₁, which the step before reads.
    /// </summary>
    /// <param name="x">This step's input [inputs].</param>
    /// <param name="hPrev">The hidden state before this step [hidden].</param>
    /// <param name="gates">What <see cref="GruForward"/> kept: r, z, n, hn [4·hidden].</param>
    /// <param name="dOut">dL/dh from the layer above at this step [hidden], or empty for none.</param>
    /// <param name="dhCarry">In: dL/dh from the next step (zero at the last). Out: dL/dh₋₁ [hidden].</param>
    /// <param name="dx">Receives dL/dx [inputs] (overwritten), or empty to skip it.</param>
    /// <param name="W_ih">Input weights [3·hidden, inputs].</param>
    /// <param name="W_hh">Recurrent weights [3·hidden, hidden].</param>
    /// <param name="dW_ih">dL/dW_ih, added to.</param>
    /// <param name="dW_hh">dL/dW_hh, added to.</param>
    /// <param name="db_ih">dL/db_ih, added to.</param>
    /// <param name="db_hh">dL/db_hh, added to.</param>
    /// <param name="scratch">Room for the pre-activation gradients [at least 6·hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void GruBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> dOut,
        Span<float> dhCarry, Span<float> dx, ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh,
        Span<float> dW_ih, Span<float> dW_hh, Span<float> db_ih, Span<float> db_hh, Span<float> scratch, int inputs, int hidden)
    {
        int G = 3 * hidden;
        Check.Length(x, inputs, nameof(x));
        Check.Length(dW_ih, G * inputs, nameof(dW_ih));
        Check.Length(dW_hh, G * hidden, nameof(dW_hh));
        Check.Length(db_ih, G, nameof(db_ih));
        Check.Length(db_hh, G, nameof(db_hh));
        Check.AtLeast(scratch, 2 * G, nameof(scratch));
        Span<float> dgi = scratch.Slice(0, G), dgh = scratch.Slice(G, G);
        GruBackwardStep(hPrev, gates, dOut, dhCarry, dx, W_ih, W_hh, dgi, dgh, inputs, hidden);
        // dW_ih += dgi ⊗ x, db_ih += dgi; dW_hh += dgh ⊗ h₋₁, db_hh += dgh
        OuterAdd(dgi, x, dW_ih, G, inputs);
        Elementwise.AddInPlace(db_ih, dgi);
        OuterAdd(dgh, hPrev, dW_hh, G, hidden);
        Elementwise.AddInPlace(db_hh, dgh);
    }

    /// <summary>
    /// One LSTM step: <c>i = σ(·)</c>, <c>f = σ(·)</c>, <c>g = tanh(·)</c>, <c>o = σ(·)</c> of
    /// <c>W_ih·x + b_ih + W_hh·h₋₁ + b_hh</c>, <c>c = f ⊙ c₋₁ + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.
    /// <paramref name="gates"/> receives i, f, g, o, c, tanh(c) (6H), what <see cref="LstmBackward"/> reads;
    /// c is there at <c>[4H, 5H)</c>. <paramref name="h"/> may be <paramref name="hPrev"/> itself.
    /// </summary>
    /// <param name="x">The input of this step [inputs].</param>
    /// <param name="hPrev">The hidden state before this step [hidden].</param>
    /// <param name="cPrev">The cell state before this step [hidden].</param>
    /// <param name="W_ih">Input weights [4·hidden, inputs], rows i, f, g, o.</param>
    /// <param name="W_hh">Recurrent weights [4·hidden, hidden].</param>
    /// <param name="b_ih">Input bias [4·hidden].</param>
    /// <param name="b_hh">Recurrent bias [4·hidden].</param>
    /// <param name="gates">Receives i, f, g, o, c, tanh(c) [6·hidden].</param>
    /// <param name="h">Receives the new hidden state [hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void LstmForward(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh,
        ReadOnlySpan<float> b_ih, ReadOnlySpan<float> b_hh, Span<float> gates, Span<float> h, int inputs, int hidden)
    {
        int H = hidden, G = 4 * hidden;
        Check.Length(x, inputs, nameof(x));
        Check.Length(hPrev, H, nameof(hPrev));
        Check.Length(cPrev, H, nameof(cPrev));
        Check.Length(W_ih, G * inputs, nameof(W_ih));
        Check.Length(W_hh, G * H, nameof(W_hh));
        Check.Length(b_ih, G, nameof(b_ih));
        Check.Length(b_hh, G, nameof(b_hh));
        Check.Length(gates, 6 * H, nameof(gates));
        Check.Length(h, H, nameof(h));

        Span<float> a = gates.Slice(0, G);
        MatVec(W_ih, x, b_ih, a, G, inputs, accumulate: false);   // a = W_ih·x + b_ih
        MatVec(W_hh, hPrev, b_hh, a, G, H, accumulate: true);      //   + W_hh·h₋₁ + b_hh
        Span<float> ifg = gates.Slice(0, 2 * H), g = gates.Slice(2 * H, H), o = gates.Slice(3 * H, H);
        Activation.SigmoidForward(ifg, ifg);                       // i, f
        Activation.TanhForward(g, g);                              // g
        Activation.SigmoidForward(o, o);                           // o
        Span<float> c = gates.Slice(4 * H, H), tc = gates.Slice(5 * H, H);
        LstmCell(gates.Slice(0, H), gates.Slice(H, H), g, cPrev, c); // c = f ⊙ c₋₁ + i ⊙ g
        Activation.TanhForward(c, tc);                             // tanh(c)
        Elementwise.Map<MultiplyOp>(o, tc, h);                     // h = o ⊙ tanh(c)
    }

    /// <summary>
    /// One LSTM step backward: from <c>dh = dhCarry + dOut</c> and <c>dc = dcCarry + dh ⊙ o ⊙ (1 − tanh²c)</c>, the
    /// gradients through the gates are added into the weight and bias gradients; <paramref name="dx"/> receives dL/dx
    /// (unless empty), <paramref name="dhCarry"/> becomes dL/dh₋₁ and <paramref name="dcCarry"/> dL/dc₋₁.
    /// </summary>
    /// <param name="x">This step's input [inputs].</param>
    /// <param name="hPrev">The hidden state before this step [hidden].</param>
    /// <param name="cPrev">The cell state before this step [hidden].</param>
    /// <param name="gates">What <see cref="LstmForward"/> kept: i, f, g, o, c, tanh(c) [6·hidden].</param>
    /// <param name="dOut">dL/dh from the layer above at this step [hidden], or empty for none.</param>
    /// <param name="dhCarry">In: dL/dh from the next step. Out: dL/dh₋₁ [hidden].</param>
    /// <param name="dcCarry">In: dL/dc from the next step. Out: dL/dc₋₁ [hidden].</param>
    /// <param name="dx">Receives dL/dx [inputs] (overwritten), or empty to skip it.</param>
    /// <param name="W_ih">Input weights [4·hidden, inputs].</param>
    /// <param name="W_hh">Recurrent weights [4·hidden, hidden].</param>
    /// <param name="dW_ih">dL/dW_ih, added to.</param>
    /// <param name="dW_hh">dL/dW_hh, added to.</param>
    /// <param name="db_ih">dL/db_ih, added to.</param>
    /// <param name="db_hh">dL/db_hh, added to.</param>
    /// <param name="scratch">Room for the pre-activation gradients [at least 4·hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void LstmBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> dOut,
        Span<float> dhCarry, Span<float> dcCarry, Span<float> dx, ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh,
        Span<float> dW_ih, Span<float> dW_hh, Span<float> db_ih, Span<float> db_hh, Span<float> scratch, int inputs, int hidden)
    {
        int G = 4 * hidden;
        Check.Length(x, inputs, nameof(x));
        Check.Length(hPrev, hidden, nameof(hPrev));
        Check.Length(dW_ih, G * inputs, nameof(dW_ih));
        Check.Length(dW_hh, G * hidden, nameof(dW_hh));
        Check.Length(db_ih, G, nameof(db_ih));
        Check.Length(db_hh, G, nameof(db_hh));
        Check.AtLeast(scratch, G, nameof(scratch));
        Span<float> da = scratch.Slice(0, G);
        LstmBackwardStep(cPrev, gates, dOut, dhCarry, dcCarry, dx, W_ih, W_hh, da, inputs, hidden);
        // dW_ih += da ⊗ x, db_ih += da; dW_hh += da ⊗ h₋₁, db_hh += da
        OuterAdd(da, x, dW_ih, G, inputs);
        Elementwise.AddInPlace(db_ih, da);
        OuterAdd(da, hPrev, dW_hh, G, hidden);
        Elementwise.AddInPlace(db_hh, da);
    }

    // ---- backpropagation through time in two passes: the steps, then the weight gradients ----------------

    /// <summary>
    /// One GRU step backward through the gates, as <see cref="GruBackward"/> but with the weight gradients left for
    /// later: <paramref name="dgi"/> and <paramref name="dgh"/> receive this step's pre-activation gradients on the input
    /// side (<c>[dar, daz, dan]</c>) and on the hidden side (<c>[dar, daz, dan ⊙ r]</c>), which
    /// <see cref="InputWeightGradientRows"/> and <see cref="HiddenWeightGradientRows"/> sum over every step afterwards.
    /// <paramref name="dx"/> receives dL/dx (unless empty) and <paramref name="dhCarry"/> becomes dL/dh₋₁.
    /// </summary>
    /// <param name="hPrev">The hidden state before this step [hidden].</param>
    /// <param name="gates">What <see cref="GruForward"/> kept: r, z, n, hn [4·hidden].</param>
    /// <param name="dOut">dL/dh from the layer above at this step [hidden], or empty for none.</param>
    /// <param name="dhCarry">In: dL/dh from the next step (zero at the last). Out: dL/dh₋₁ [hidden].</param>
    /// <param name="dx">Receives dL/dx [inputs] (overwritten), or empty to skip it.</param>
    /// <param name="W_ih">Input weights [3·hidden, inputs].</param>
    /// <param name="W_hh">Recurrent weights [3·hidden, hidden].</param>
    /// <param name="dgi">Receives the input-side gate gradients of this step [3·hidden].</param>
    /// <param name="dgh">Receives the hidden-side gate gradients of this step [3·hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void GruBackwardStep(ReadOnlySpan<float> hPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> dOut, Span<float> dhCarry, Span<float> dx,
        ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh, Span<float> dgi, Span<float> dgh, int inputs, int hidden)
    {
        int H = hidden, G = 3 * hidden;
        Check.Length(hPrev, H, nameof(hPrev));
        Check.Length(gates, 4 * H, nameof(gates));
        if (!dOut.IsEmpty) Check.Length(dOut, H, nameof(dOut));
        Check.Length(dhCarry, H, nameof(dhCarry));
        if (!dx.IsEmpty) Check.Length(dx, inputs, nameof(dx));
        Check.Length(W_ih, G * inputs, nameof(W_ih));
        Check.Length(W_hh, G * H, nameof(W_hh));
        Check.Length(dgi, G, nameof(dgi));
        Check.Length(dgh, G, nameof(dgh));

        GruGateGradients(gates, hPrev, dOut, dhCarry, dgi, dgh, H);
        // dx = W_ihᵀ·dgi; dh₋₁ = dh ⊙ z (already in dhCarry) + W_hhᵀ·dgh
        if (!dx.IsEmpty) TransposedMatVec(W_ih, dgi, dx, G, inputs, accumulate: false);
        TransposedMatVec(W_hh, dgh, dhCarry, G, H, accumulate: true);
    }

    /// <summary>
    /// One LSTM step backward through the gates, as <see cref="LstmBackward"/> but with the weight gradients left for
    /// later: <paramref name="da"/> receives this step's pre-activation gradients (the same on the input and the hidden
    /// side), which <see cref="InputWeightGradientRows"/> and <see cref="HiddenWeightGradientRows"/> sum over every step
    /// afterwards. <paramref name="dx"/> receives dL/dx (unless empty), <paramref name="dhCarry"/> becomes dL/dh₋₁ and
    /// <paramref name="dcCarry"/> dL/dc₋₁.
    /// </summary>
    /// <param name="cPrev">The cell state before this step [hidden].</param>
    /// <param name="gates">What <see cref="LstmForward"/> kept: i, f, g, o, c, tanh(c) [6·hidden].</param>
    /// <param name="dOut">dL/dh from the layer above at this step [hidden], or empty for none.</param>
    /// <param name="dhCarry">In: dL/dh from the next step. Out: dL/dh₋₁ [hidden].</param>
    /// <param name="dcCarry">In: dL/dc from the next step. Out: dL/dc₋₁ [hidden].</param>
    /// <param name="dx">Receives dL/dx [inputs] (overwritten), or empty to skip it.</param>
    /// <param name="W_ih">Input weights [4·hidden, inputs].</param>
    /// <param name="W_hh">Recurrent weights [4·hidden, hidden].</param>
    /// <param name="da">Receives the gate gradients of this step [4·hidden].</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="hidden">The hidden size H.</param>
    public static void LstmBackwardStep(ReadOnlySpan<float> cPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> dOut, Span<float> dhCarry, Span<float> dcCarry,
        Span<float> dx, ReadOnlySpan<float> W_ih, ReadOnlySpan<float> W_hh, Span<float> da, int inputs, int hidden)
    {
        int H = hidden, G = 4 * hidden;
        Check.Length(cPrev, H, nameof(cPrev));
        Check.Length(gates, 6 * H, nameof(gates));
        if (!dOut.IsEmpty) Check.Length(dOut, H, nameof(dOut));
        Check.Length(dhCarry, H, nameof(dhCarry));
        Check.Length(dcCarry, H, nameof(dcCarry));
        if (!dx.IsEmpty) Check.Length(dx, inputs, nameof(dx));
        Check.Length(W_ih, G * inputs, nameof(W_ih));
        Check.Length(W_hh, G * H, nameof(W_hh));
        Check.Length(da, G, nameof(da));

        LstmGateGradients(gates, cPrev, dOut, dhCarry, dcCarry, da, H);
        // dx = W_ihᵀ·da; dh₋₁ = W_hhᵀ·da
        if (!dx.IsEmpty) TransposedMatVec(W_ih, da, dx, G, inputs, accumulate: false);
        TransposedMatVec(W_hh, da, dhCarry, G, H, accumulate: false);
    }

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> (gate rows) of the input-side weight gradients, summed over every time step of every
    /// sequence at once: <c>dW_ih = dGᵀ·x</c>, i.e. <c>dW_ih[g, i] = Σ_r dG[r, g]·x[r, i]</c>, and
    /// <c>db_ih[g] = Σ_r dG[r, g]</c>, both overwritten. One matrix product instead of a rank-1 update per step, and
    /// each element the same sum whatever rows of dW a call takes, so parts on other threads add up to the whole call.
    /// </summary>
    /// <param name="dG">The gate gradients of every step [rows, gates] (from the backward steps).</param>
    /// <param name="x">The layer's input at every step [rows, inputs].</param>
    /// <param name="dW">dL/dW_ih [gates, inputs].</param>
    /// <param name="db">dL/db_ih [gates].</param>
    /// <param name="rows">Sequences × steps.</param>
    /// <param name="gates">Gate rows of the weights (3·hidden for GRU, 4·hidden for LSTM).</param>
    /// <param name="inputs">Floats per input.</param>
    /// <param name="rowStart">The first gate row to write.</param>
    /// <param name="rowEnd">One past the last.</param>
    public static void InputWeightGradientRows(ReadOnlySpan<float> dG, ReadOnlySpan<float> x, Span<float> dW, Span<float> db, int rows, int gates, int inputs, int rowStart, int rowEnd)
    {
        Check.Length(dG, rows * gates, nameof(dG));
        Check.Length(x, rows * inputs, nameof(x));
        Check.Length(dW, gates * inputs, nameof(dW));
        Check.Length(db, gates, nameof(db));
        CheckGateRows(rowStart, rowEnd, gates);
        if (rowEnd <= rowStart) return;
        // A = dGᵀ: element [g, r] is dG[r * gates + g].
        Gemm.Run(ref Unsafe.Add(ref MemoryMarshal.GetReference(dG), rowStart), 1, gates, ref MemoryMarshal.GetReference(x),
            ref dW[rowStart * inputs], ref Unsafe.NullRef<float>(), hasBias: false, m: rowEnd - rowStart, n: inputs, k: rows);
        ColumnSums(dG, db, rows, gates, rowStart, rowEnd);
    }

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> of the hidden-side weight gradients: <c>dW_hh[g, i] = Σ_s Σ_{t ≥ 1} dG[s, t, g]·h[s, t − 1, i]</c>
    /// (h₋₁ is zero at each sequence's first step) and <c>db_hh[g] = Σ_r dG[r, g]</c>, both overwritten; each sequence's
    /// product summed on its own and added in sequence order, the same sums whatever rows of dW a call takes.
    /// </summary>
    /// <param name="dG">The hidden-side gate gradients of every step [sequences·steps, gates].</param>
    /// <param name="h">The layer's output at every step [sequences·steps, hidden]: h₋₁ of the step after.</param>
    /// <param name="dW">dL/dW_hh [gates, hidden].</param>
    /// <param name="db">dL/db_hh [gates].</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">Their time steps.</param>
    /// <param name="gates">Gate rows of the weights.</param>
    /// <param name="hidden">The hidden size H.</param>
    /// <param name="rowStart">The first gate row to write.</param>
    /// <param name="rowEnd">One past the last.</param>
    public static void HiddenWeightGradientRows(ReadOnlySpan<float> dG, ReadOnlySpan<float> h, Span<float> dW, Span<float> db, int sequences, int steps, int gates, int hidden, int rowStart, int rowEnd)
    {
        int rows = sequences * steps;
        Check.Length(dG, rows * gates, nameof(dG));
        Check.Length(h, rows * hidden, nameof(h));
        Check.Length(dW, gates * hidden, nameof(dW));
        Check.Length(db, gates, nameof(db));
        CheckGateRows(rowStart, rowEnd, gates);
        if (rowEnd <= rowStart) return;
        if (steps == 1)
        {
            dW.Slice(rowStart * hidden, (rowEnd - rowStart) * hidden).Clear(); // every step is a first step: h₋₁ = 0
        }
        else
        {
            ref float g = ref MemoryMarshal.GetReference(dG);
            ref float hr = ref MemoryMarshal.GetReference(h);
            for (int s = 0; s < sequences; s++)
            {
                // Steps 1 to steps − 1 of sequence s against h at steps 0 to steps − 2.
                Gemm.Run(ref Unsafe.Add(ref g, (s * steps + 1) * gates + rowStart), 1, gates, ref Unsafe.Add(ref hr, s * steps * hidden),
                    ref dW[rowStart * hidden], ref Unsafe.NullRef<float>(), hasBias: false, m: rowEnd - rowStart, n: hidden, k: steps - 1, addToC: s > 0);
            }
        }
        ColumnSums(dG, db, rows, gates, rowStart, rowEnd);
    }

    // sums[j] = Σ_r m[r, j] for the columns j in [start, end), row after row (the same sums for any range).
    private static void ColumnSums(ReadOnlySpan<float> m, Span<float> sums, int rows, int columns, int start, int end)
    {
        Span<float> part = sums.Slice(start, end - start);
        part.Clear();
        for (int r = 0; r < rows; r++)
            Elementwise.AddInPlace(part, m.Slice(r * columns + start, end - start));
    }

    private static void CheckGateRows(int rowStart, int rowEnd, int gates)
    {
        if (rowStart < 0 || rowEnd > gates || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"Expected gate rows within [0, {gates}), got [{rowStart}, {rowEnd}).");
    }

    /// <summary>
    /// PyTorch's initialisation of <c>nn.GRU</c> and <c>nn.LSTM</c>: every weight and bias drawn from
    /// <c>U(−1/√hidden, 1/√hidden)</c>.
    /// </summary>
    /// <param name="values">The block to fill.</param>
    /// <param name="hidden">The layer's hidden size.</param>
    /// <param name="random">The generator, advanced.</param>
    public static void Uniform(Span<float> values, int hidden, ref Random64 random)
    {
        double bound = 1.0 / Math.Sqrt(hidden);
        for (int i = 0; i < values.Length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * bound);
    }

    /// <summary>
    /// The plain SGD step of a recurrent network's <c>BackwardSgd</c>, θ ← θ − lr·g over the whole block, on
    /// <see cref="Vector{T}"/>: run after the backward pass through time, when every gradient is complete.
    /// </summary>
    /// <param name="parameters">The parameters θ, updated in place.</param>
    /// <param name="gradients">dLoss/dθ, as long as <paramref name="parameters"/>.</param>
    /// <param name="learningRate">lr (checked by the caller).</param>
    public static void SgdStep(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        Check.Length(gradients, parameters.Length, nameof(gradients));
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int i = 0, n = parameters.Length;
        if (Vector.IsHardwareAccelerated)
        {
            var lr = new Vector<float>(learningRate);
            for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref p, (nuint)i) - lr * Vector.LoadUnsafe(ref g, (nuint)i)).StoreUnsafe(ref p, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref p, i) -= learningRate * Unsafe.Add(ref g, i);
    }

    /// <summary>
    /// The constructor's check: an <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ <paramref name="maxSteps"/>,
    /// 1 ≤ <paramref name="batchCapacity"/> and their product (the rows of every buffer) is at most <paramref name="maxRows"/>.
    /// </summary>
    /// <param name="maxSteps">The longest sequence asked for.</param>
    /// <param name="batchCapacity">The most sequences per call asked for.</param>
    /// <param name="maxRows">The most rows (sequences × steps) whose buffers fit in an array.</param>
    public static void Capacity(int maxSteps, int batchCapacity, int maxRows)
    {
        if (maxSteps < 1 || maxSteps > maxRows)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, $"Expected a maximum sequence length from 1 to {maxRows}.");
        if (batchCapacity < 1 || batchCapacity > maxRows / maxSteps)
            throw new ArgumentOutOfRangeException(nameof(batchCapacity), batchCapacity,
                $"Expected a batch capacity from 1 to {maxRows / maxSteps} for sequences of up to {maxSteps} steps.");
    }

    /// <summary>
    /// The number of sequences in <paramref name="length"/> floats of <paramref name="steps"/> steps of
    /// <paramref name="width"/> floats each, or an exception saying what was expected: an
    /// <see cref="ArgumentOutOfRangeException"/> for <paramref name="steps"/> outside [1, <paramref name="maxSteps"/>],
    /// an <see cref="ArgumentException"/> for a length that is not 1 to <paramref name="capacity"/> whole sequences.
    /// </summary>
    /// <param name="length">The span's length.</param>
    /// <param name="steps">Time steps per sequence.</param>
    /// <param name="maxSteps">The network's maximum sequence length.</param>
    /// <param name="width">Floats per time step.</param>
    /// <param name="capacity">The most sequences per call.</param>
    /// <param name="name">The span's parameter name.</param>
    public static int Sequences(int length, int steps, int maxSteps, int width, int capacity, string name)
    {
        if (steps < 1 || steps > maxSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected from 1 to {maxSteps} time steps (the maxSteps the network was created with).");
        int perSequence = steps * width;
        int sequences = length / perSequence;
        if (sequences < 1 || sequences > capacity || sequences * perSequence != length)
            throw new ArgumentException(
                $"Expected 1 to {capacity} sequences of {steps} steps × {width} floats ({perSequence} floats each, batch × steps × features), got {length} floats.", name);
        return sequences;
    }

    // ---- the element-wise parts -------------------------------------------------------------

    /// <summary>
    /// dh = dhCarry + dOut; dn = dh ⊙ (1 − z); dz = dh ⊙ (h₋₁ − n); dan = dn ⊙ (1 − n²); dr = dan ⊙ hn;
    /// dar = dr ⊙ r(1 − r); daz = dz ⊙ z(1 − z); dgi = [dar, daz, dan], dgh = [dar, daz, dan ⊙ r]; dhCarry ← dh ⊙ z.
    /// </summary>
    private static void GruGateGradients(ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dOut,
        Span<float> dhCarry, Span<float> dgi, Span<float> dgh, int H)
    {
        ref float r = ref MemoryMarshal.GetReference(gates);
        ref float z = ref Unsafe.Add(ref r, H);
        ref float n = ref Unsafe.Add(ref r, 2 * H);
        ref float hn = ref Unsafe.Add(ref r, 3 * H);
        ref float hp = ref MemoryMarshal.GetReference(hPrev);
        ref float dc = ref MemoryMarshal.GetReference(dhCarry);
        ref float gi = ref MemoryMarshal.GetReference(dgi);
        ref float gh = ref MemoryMarshal.GetReference(dgh);
        bool hasOut = !dOut.IsEmpty;
        ref float od = ref MemoryMarshal.GetReference(dOut);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; i + Vector<float>.Count <= H; i += Vector<float>.Count)
            {
                nuint k = (nuint)i;
                var dh = Vector.LoadUnsafe(ref dc, k);
                if (hasOut) dh += Vector.LoadUnsafe(ref od, k);
                var vr = Vector.LoadUnsafe(ref r, k);
                var vz = Vector.LoadUnsafe(ref z, k);
                var vn = Vector.LoadUnsafe(ref n, k);
                var dn = dh * (one - vz);
                var dz = dh * (Vector.LoadUnsafe(ref hp, k) - vn);
                var dan = dn * (one - vn * vn);
                var dr = dan * Vector.LoadUnsafe(ref hn, k);
                var dar = dr * vr * (one - vr);
                var daz = dz * vz * (one - vz);
                dar.StoreUnsafe(ref gi, k); dar.StoreUnsafe(ref gh, k);
                daz.StoreUnsafe(ref gi, k + (nuint)H); daz.StoreUnsafe(ref gh, k + (nuint)H);
                dan.StoreUnsafe(ref gi, k + (nuint)(2 * H)); (dan * vr).StoreUnsafe(ref gh, k + (nuint)(2 * H));
                (dh * vz).StoreUnsafe(ref dc, k);
            }
        }
        for (; i < H; i++)
        {
            float dh = Unsafe.Add(ref dc, i) + (hasOut ? Unsafe.Add(ref od, i) : 0f);
            float vr = Unsafe.Add(ref r, i), vz = Unsafe.Add(ref z, i), vn = Unsafe.Add(ref n, i);
            float dn = dh * (1f - vz);
            float dz = dh * (Unsafe.Add(ref hp, i) - vn);
            float dan = dn * (1f - vn * vn);
            float dr = dan * Unsafe.Add(ref hn, i);
            float dar = dr * vr * (1f - vr);
            float daz = dz * vz * (1f - vz);
            Unsafe.Add(ref gi, i) = dar; Unsafe.Add(ref gh, i) = dar;
            Unsafe.Add(ref gi, H + i) = daz; Unsafe.Add(ref gh, H + i) = daz;
            Unsafe.Add(ref gi, 2 * H + i) = dan; Unsafe.Add(ref gh, 2 * H + i) = dan * vr;
            Unsafe.Add(ref dc, i) = dh * vz;
        }
    }

    /// <summary>
    /// dh = dhCarry + dOut; do = dh ⊙ tanh(c); dc = dcCarry + dh ⊙ o ⊙ (1 − tanh²c); di = dc ⊙ g; df = dc ⊙ c₋₁; dg = dc ⊙ i;
    /// da = [di ⊙ i(1 − i), df ⊙ f(1 − f), dg ⊙ (1 − g²), do ⊙ o(1 − o)]; dcCarry ← dc ⊙ f.
    /// </summary>
    private static void LstmGateGradients(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dOut,
        Span<float> dhCarry, Span<float> dcCarry, Span<float> da, int H)
    {
        ref float gi = ref MemoryMarshal.GetReference(gates);
        ref float gf = ref Unsafe.Add(ref gi, H);
        ref float gg = ref Unsafe.Add(ref gi, 2 * H);
        ref float go = ref Unsafe.Add(ref gi, 3 * H);
        ref float tc = ref Unsafe.Add(ref gi, 5 * H);
        ref float cp = ref MemoryMarshal.GetReference(cPrev);
        ref float dhc = ref MemoryMarshal.GetReference(dhCarry);
        ref float dcc = ref MemoryMarshal.GetReference(dcCarry);
        ref float a = ref MemoryMarshal.GetReference(da);
        bool hasOut = !dOut.IsEmpty;
        ref float od = ref MemoryMarshal.GetReference(dOut);
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; j + Vector<float>.Count <= H; j += Vector<float>.Count)
            {
                nuint k = (nuint)j;
                var dh = Vector.LoadUnsafe(ref dhc, k);
                if (hasOut) dh += Vector.LoadUnsafe(ref od, k);
                var vi = Vector.LoadUnsafe(ref gi, k);
                var vf = Vector.LoadUnsafe(ref gf, k);
                var vg = Vector.LoadUnsafe(ref gg, k);
                var vo = Vector.LoadUnsafe(ref go, k);
                var vt = Vector.LoadUnsafe(ref tc, k);
                var dout = dh * vt;
                var dc = Vector.LoadUnsafe(ref dcc, k) + dh * vo * (one - vt * vt);
                (dc * vg * vi * (one - vi)).StoreUnsafe(ref a, k);
                (dc * Vector.LoadUnsafe(ref cp, k) * vf * (one - vf)).StoreUnsafe(ref a, k + (nuint)H);
                (dc * vi * (one - vg * vg)).StoreUnsafe(ref a, k + (nuint)(2 * H));
                (dout * vo * (one - vo)).StoreUnsafe(ref a, k + (nuint)(3 * H));
                (dc * vf).StoreUnsafe(ref dcc, k);
            }
        }
        for (; j < H; j++)
        {
            float dh = Unsafe.Add(ref dhc, j) + (hasOut ? Unsafe.Add(ref od, j) : 0f);
            float vi = Unsafe.Add(ref gi, j), vf = Unsafe.Add(ref gf, j), vg = Unsafe.Add(ref gg, j), vo = Unsafe.Add(ref go, j), vt = Unsafe.Add(ref tc, j);
            float dout = dh * vt;
            float dc = Unsafe.Add(ref dcc, j) + dh * vo * (1f - vt * vt);
            Unsafe.Add(ref a, j) = dc * vg * vi * (1f - vi);
            Unsafe.Add(ref a, H + j) = dc * Unsafe.Add(ref cp, j) * vf * (1f - vf);
            Unsafe.Add(ref a, 2 * H + j) = dc * vi * (1f - vg * vg);
            Unsafe.Add(ref a, 3 * H + j) = dout * vo * (1f - vo);
            Unsafe.Add(ref dcc, j) = dc * vf;
        }
    }

    /// <summary>y ← y + a ⊙ b.</summary>
    private static void MultiplyAdd(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = y.Length, i = 0;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref yr, (nuint)i) + Vector.LoadUnsafe(ref ar, (nuint)i) * Vector.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) += Unsafe.Add(ref ar, i) * Unsafe.Add(ref br, i);
    }

    /// <summary>h = n + z ⊙ (h₋₁ − n), i.e. (1 − z) ⊙ n + z ⊙ h₋₁; <paramref name="h"/> may be <paramref name="hPrev"/>.</summary>
    private static void Blend(ReadOnlySpan<float> n, ReadOnlySpan<float> z, ReadOnlySpan<float> hPrev, Span<float> h)
    {
        int len = h.Length, i = 0;
        ref float nr = ref MemoryMarshal.GetReference(n);
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float pr = ref MemoryMarshal.GetReference(hPrev);
        ref float hr = ref MemoryMarshal.GetReference(h);
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= len; i += Vector<float>.Count)
            {
                var vn = Vector.LoadUnsafe(ref nr, (nuint)i);
                (vn + Vector.LoadUnsafe(ref zr, (nuint)i) * (Vector.LoadUnsafe(ref pr, (nuint)i) - vn)).StoreUnsafe(ref hr, (nuint)i);
            }
        for (; i < len; i++)
        {
            float vn = Unsafe.Add(ref nr, i);
            Unsafe.Add(ref hr, i) = vn + Unsafe.Add(ref zr, i) * (Unsafe.Add(ref pr, i) - vn);
        }
    }

    /// <summary>c = f ⊙ c₋₁ + i ⊙ g.</summary>
    private static void LstmCell(ReadOnlySpan<float> i, ReadOnlySpan<float> f, ReadOnlySpan<float> g, ReadOnlySpan<float> cPrev, Span<float> c)
    {
        int len = c.Length, k = 0;
        ref float ir = ref MemoryMarshal.GetReference(i);
        ref float fr = ref MemoryMarshal.GetReference(f);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float pr = ref MemoryMarshal.GetReference(cPrev);
        ref float cr = ref MemoryMarshal.GetReference(c);
        if (Vector.IsHardwareAccelerated)
            for (; k + Vector<float>.Count <= len; k += Vector<float>.Count)
            {
                nuint u = (nuint)k;
                (Vector.LoadUnsafe(ref fr, u) * Vector.LoadUnsafe(ref pr, u) + Vector.LoadUnsafe(ref ir, u) * Vector.LoadUnsafe(ref gr, u)).StoreUnsafe(ref cr, u);
            }
        for (; k < len; k++)
            Unsafe.Add(ref cr, k) = Unsafe.Add(ref fr, k) * Unsafe.Add(ref pr, k) + Unsafe.Add(ref ir, k) * Unsafe.Add(ref gr, k);
    }

    private readonly struct MultiplyOp : IBinary
    {
        public static TV Invoke<TW, TV>(TV x, TV y) where TW : struct, IWidth<TV> where TV : struct => TW.Multiply(x, y);
        public static float Invoke(float x, float y) => x * y;
    }

    // ---- matrix-vector products -------------------------------------------------------------

    /// <summary>y = W·x + b (or y += W·x + b), W [rows, columns] row-major.</summary>
    internal static void MatVec(ReadOnlySpan<float> W, ReadOnlySpan<float> x, ReadOnlySpan<float> b, Span<float> y, int rows, int columns, bool accumulate)
    {
        ref float w = ref MemoryMarshal.GetReference(W);
        ref float xr = ref MemoryMarshal.GetReference(x);
        for (int i = 0; i < rows; i++)
        {
            float v = b[i] + Dot(ref Unsafe.Add(ref w, i * columns), ref xr, columns);
            if (accumulate) y[i] += v; else y[i] = v;
        }
    }

    /// <summary>dx = Wᵀ·dy (or dx += Wᵀ·dy), W [rows, columns] row-major: the rows of W scaled by dy and summed.</summary>
    internal static void TransposedMatVec(ReadOnlySpan<float> W, ReadOnlySpan<float> dy, Span<float> dx, int rows, int columns, bool accumulate)
    {
        if (!accumulate) dx.Clear();
        ref float w = ref MemoryMarshal.GetReference(W);
        ref float d = ref MemoryMarshal.GetReference(dx);
        for (int i = 0; i < rows; i++)
            Axpy(dy[i], ref Unsafe.Add(ref w, i * columns), ref d, columns);
    }

    /// <summary>dW += dy ⊗ x: row i of dW gains dy[i]·x.</summary>
    internal static void OuterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dW, int rows, int columns)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float w = ref MemoryMarshal.GetReference(dW);
        for (int i = 0; i < rows; i++)
            Axpy(dy[i], ref xr, ref Unsafe.Add(ref w, i * columns), columns);
    }

    private static float Dot(ref float a, ref float b, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var s0 = Vector<float>.Zero;
            var s1 = Vector<float>.Zero;
            int c = Vector<float>.Count;
            for (; i + 2 * c <= n; i += 2 * c)
            {
                s0 += Vector.LoadUnsafe(ref a, (nuint)i) * Vector.LoadUnsafe(ref b, (nuint)i);
                s1 += Vector.LoadUnsafe(ref a, (nuint)(i + c)) * Vector.LoadUnsafe(ref b, (nuint)(i + c));
            }
            for (; i + c <= n; i += c)
                s0 += Vector.LoadUnsafe(ref a, (nuint)i) * Vector.LoadUnsafe(ref b, (nuint)i);
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        return sum;
    }

    private static void Axpy(float alpha, ref float x, ref float y, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(alpha);
            for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref y, (nuint)i) + va * Vector.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref y, i) += alpha * Unsafe.Add(ref x, i);
    }
}
