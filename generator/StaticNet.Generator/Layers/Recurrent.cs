using System;
using System.Linq;
using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>
/// A recurrent layer (GRU, LSTM) as PyTorch declares it: <c>W_ih [gates·H, in]</c>, <c>W_hh [gates·H, H]</c>, <c>b_ih</c>,
/// <c>b_hh [gates·H]</c>, in that order in the parameter block. A network holding one is written by
/// <see cref="RecurrentEmitter"/>: these methods write one layer's blocks of its sequence forward pass, its streaming
/// step and its backward pass through time. Per row the layer's input is one time step of a sequence.
/// </summary>
internal abstract class RecurrentKind : LayerKind
{
    /// <summary>The largest hidden size: far above what runs in real time, and W_hh stays a few hundred MB at most.</summary>
    public const int MaxHidden = 4096;

    /// <summary>Gate blocks in the weights: 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o).</summary>
    public abstract int Gates { get; }

    /// <summary>Floats kept per time step for the backward pass (the gates and what else the cell needs).</summary>
    public abstract int GateWidth(int hidden);

    /// <summary>Whether the layer has a cell state besides h (LSTM).</summary>
    public virtual bool HasCell => false;

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        bool ok = TryInts(attribute, 1, out int[] v);
        arguments = ok ? new LayerArguments(v[0]) : default;
        return ok;
    }

    public override string Declaration(LayerArguments a) => Name + "(" + I(a.Units) + ")";

    public override ShapeResult Resolve(Shape input, LayerArguments a)
    {
        if (a.Units < 1 || a.Units > MaxHidden)
            return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, Declaration(a), "the hidden size", "from 1 to " + I(MaxHidden), I(a.Units));
        if (input.IsImage)
            return ShapeResult.Error(DiagnosticDescriptors.RecurrentNeedsVector, Declaration(a), input.Describe);
        return ShapeResult.Of(Shape.Vector(a.Units));
    }

    public override long ParameterCount(Shape input, Shape output, LayerArguments a) =>
        (long)Gates * a.Units * (input.Size + a.Units + 2);

    public override string WeightDisplay(LayerSpec l) => "[" + I(Gates * l.Units) + ", " + I(l.InputSize) + "]";

    // The names of the layer's tensors, numbered as the book numbers W1, b1.
    public static string Wih(LayerSpec l) => "W_ih" + l.Number;
    public static string Whh(LayerSpec l) => "W_hh" + l.Number;
    public static string Bih(LayerSpec l) => "b_ih" + l.Number;
    public static string Bhh(LayerSpec l) => "b_hh" + l.Number;
    public static string GatesName(LayerSpec l) => "gates" + l.Number;
    public static string State(LayerSpec l) => "_" + l.Output + "State";
    public static string CellState(LayerSpec l) => "_c" + l.Number + "State";
    public static string StepGates(LayerSpec l) => "_stepGates" + l.Number;

    /// <summary>The four parameter blocks: name, offset, length, rows, columns.</summary>
    public (string Name, int Offset, int Length, int Rows, int Columns)[] Blocks(LayerSpec l)
    {
        int G = Gates * l.Units, H = l.Units, n = l.InputSize, o = l.ParameterOffset;
        return new[]
        {
            (Wih(l), o, G * n, G, n),
            (Whh(l), o + G * n, G * H, G, H),
            (Bih(l), o + G * n + G * H, G, 1, G),
            (Bhh(l), o + G * n + G * H + G, G, 1, G),
        };
    }

    /// <summary>The cell's equations, one comment line each.</summary>
    protected abstract string[] ForwardMath(LayerSpec l);

    /// <summary>
    /// The backward pass through the gates, one comment line each: with <paramref name="perStep"/>, the weight gradients
    /// added to at every step (the reference pass); without, the gate gradients each step keeps for them.
    /// </summary>
    protected abstract string[] BackwardMath(LayerSpec l, string dx, bool perStep);

    /// <summary>The call of the forward kernel for one step: <paramref name="hPrev"/>, <paramref name="cPrev"/> (LSTM) → <paramref name="h"/>.</summary>
    protected abstract string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h);

    /// <summary>The call of the backward kernel for one step: the gate gradients into <paramref name="dgi"/> (and <paramref name="dgh"/>).</summary>
    protected abstract string BackwardStepCall(LayerSpec l, string gates, string dOut, string dx, string dgi, string dgh);

    public override void EmitForward(CodeWriter w, LayerSpec l)
    {
        int H = l.Units, n = l.InputSize, gw = GateWidth(H);
        w.Line($"// {Name} forward ({l.DisplayName}), for each sequence s and step t (PyTorch's nn.{Name}; {l.Input}[s, t] is the step's input):");
        foreach (string line in ForwardMath(l)) w.Line("//   " + line);
        w.Line(HasCell ? "// with h₋₁ = 0 and c₋₁ = 0 at the first step. Each step keeps its gates (and c) for the backward pass."
                       : "// with h₋₁ = 0 at the first step. Each step keeps its gates for the backward pass.");
        w.Open("for (int s = 0; s < sequences; s++)");
        w.Line($"global::System.ReadOnlySpan<float> hPrev = zeros.Slice(0, {I(H)});");
        if (HasCell) w.Line($"global::System.ReadOnlySpan<float> cPrev = zeros.Slice(0, {I(H)});");
        w.Open("for (int step = 0; step < steps; step++)");
        w.Line("int row = s * steps + step;");
        w.Line($"global::System.Span<float> h = {l.Output}.Slice(row * {I(H)}, {I(H)});");
        w.Line($"global::System.Span<float> g = {GatesName(l)}.Slice(row * {I(gw)}, {I(gw)});");
        w.Line(ForwardCall(l, $"{l.Input}.Slice(row * {I(n)}, {I(n)})", "hPrev", "cPrev", "g", "h"));
        w.Line("hPrev = h;");
        if (HasCell) w.Line($"cPrev = g.Slice({I(4 * H)}, {I(H)}); // c");
        w.Close();
        w.Close();
    }

    /// <summary>
    /// Writes one streaming step: the kept state is h₋₁ (and c₋₁) and becomes the new h (and c). The step's gates and the
    /// cell state are fields of <paramref name="state"/> (the caller's workspace, <c>state.</c>).
    /// </summary>
    public void EmitStep(CodeWriter w, LayerSpec l, string x, string state)
    {
        int H = l.Units;
        w.Line($"// {Name} step ({l.DisplayName}): the state {l.Output} (h₋₁ before this step) becomes h:");
        foreach (string line in ForwardMath(l)) w.Line("//   " + line);
        w.Open();
        w.Line($"global::System.Span<float> g = {state}{StepGates(l)};");
        if (HasCell)
        {
            w.Line($"global::System.Span<float> c = {state}{CellState(l)};");
            w.Line(ForwardCall(l, x, l.Output, "c", "g", l.Output));
            w.Line($"g.Slice({I(4 * H)}, {I(H)}).CopyTo(c); // c₋₁ of the next step");
        }
        else
        {
            w.Line(ForwardCall(l, x, l.Output, "", "g", l.Output));
        }
        w.Close();
    }

    /// <summary>
    /// The per-row buffers the backward pass keeps the gate gradients of every step in, until the weight gradients sum
    /// them: name, floats per row (GRU: the input and the hidden side, 3H each; LSTM: one, 4H).
    /// </summary>
    public (string Name, int Width)[] GateGradientBuffers(LayerSpec l)
    {
        var (input, hidden) = GateGradients(l);
        return input == hidden
            ? new[] { (input, Gates * l.Units) }
            : new[] { (input, Gates * l.Units), (hidden, Gates * l.Units) };
    }

    /// <summary>
    /// The serial backward pass: back through time over every sequence (<see cref="EmitBackwardThroughTime"/>), then the
    /// weight gradients over every step at once (<see cref="EmitWeightGradients"/>). The parallel form runs the first
    /// by sequences and the second by gate rows of the weights, with the same sums.
    /// </summary>
    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        EmitBackwardThroughTime(w, l, dx, dxWanted);
        w.Line();
        EmitWeightGradients(w, l, "0", I(Gates * l.Units), whole: true);
    }

    /// <summary>
    /// Writes the loop back through time over <c>sequences</c> (the views' sequences: all of them, or a part's): each step's
    /// gate gradients into the per-row buffers of <see cref="GateGradientBuffers"/>, its dx, and dh₋₁ (and dc₋₁) carried
    /// to the step before in <c>dhCarry</c> (and <c>dcCarry</c>), the caller's (or the part's) own.
    /// </summary>
    public void EmitBackwardThroughTime(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        int H = l.Units, n = l.InputSize, gw = GateWidth(H), G = Gates * H;
        string dOut = "d" + l.Output;
        var (gi, gh) = GateGradients(l);
        w.Line($"// {Name} backward through time ({l.DisplayName}), for each sequence from its last step to its first; dh₋₁ (and dc₋₁)");
        w.Line("// carry the gradient to the step before, zero after the last step:");
        foreach (string line in BackwardMath(l, dx, perStep: false)) w.Line("//   " + line);
        if (dxWanted is not null) w.Line($"// ({dx} only when asked for: no parameters lie below {l.DisplayName})");
        w.Open();
        w.Line($"global::System.Span<float> carry = dhCarry.Slice(0, {I(H)}); // dh₋₁, to the step before");
        if (HasCell) w.Line($"global::System.Span<float> cellCarry = dcCarry.Slice(0, {I(H)}); // dc₋₁, to the step before");
        w.Open("for (int s = 0; s < sequences; s++)");
        w.Line(HasCell ? "carry.Clear(); cellCarry.Clear();" : "carry.Clear();");
        w.Open("for (int step = steps - 1; step >= 0; step--)");
        w.Line("int row = s * steps + step;");
        if (HasCell)
            w.Line($"global::System.ReadOnlySpan<float> cPrev = step > 0 ? {GatesName(l)}.Slice((row - 1) * {I(gw)} + {I(4 * H)}, {I(H)}) : zeros.Slice(0, {I(H)});");
        else
            w.Line($"global::System.ReadOnlySpan<float> hPrev = step > 0 ? {l.Output}.Slice((row - 1) * {I(H)}, {I(H)}) : zeros.Slice(0, {I(H)});");
        string dxRow = dxWanted is null
            ? $"{dx}.Slice(row * {I(n)}, {I(n)})"
            : $"{dxWanted} ? {dx}.Slice(row * {I(n)}, {I(n)}) : default";
        w.Line($"global::System.Span<float> dxRow = {dxRow};");
        w.Line(BackwardStepCall(l, $"{GatesName(l)}.Slice(row * {I(gw)}, {I(gw)})", $"{dOut}.Slice(row * {I(H)}, {I(H)})", "dxRow",
            $"{gi}.Slice(row * {I(G)}, {I(G)})", $"{gh}.Slice(row * {I(G)}, {I(G)})"));
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>
    /// Writes the weight gradients of gate rows <c>[start, end)</c>, each summed over every step of every sequence:
    /// <c>dW_ih = Σ dgᵢ ⊗ x</c>, <c>db_ih = Σ dgᵢ</c>, <c>dW_hh = Σ dgₕ ⊗ h₋₁</c>, <c>db_hh = Σ dgₕ</c>.
    /// </summary>
    public void EmitWeightGradients(CodeWriter w, LayerSpec l, string start, string end, bool whole, Action<CodeWriter>? share = null)
    {
        int H = l.Units, n = l.InputSize, G = Gates * H;
        var (gi, gh) = GateGradients(l);
        string k = I(l.Number);
        string rows = whole ? "" : $", this part's gate rows [{start}, {end})";
        w.Line($"// The weight gradients of {l.DisplayName}{rows}, each summed over every step of every sequence:");
        w.Line($"//   dW_ih{k} = Σ {gi}[s, t] ⊗ {l.Input}[s, t]     db_ih{k} = Σ {gi}[s, t]");
        w.Line($"//   dW_hh{k} = Σ {gh}[s, t] ⊗ {l.Output}[s, t − 1] (h₋₁ = 0 at t = 0)     db_hh{k} = Σ {gh}[s, t]");
        w.Open();
        share?.Invoke(w);
        w.Line($"{Kernel}InputWeightGradientRows({gi}, {l.Input}, d{Wih(l)}, d{Bih(l)}, batch, gates: {I(G)}, inputs: {I(n)}, {start}, {end});");
        w.Line($"{Kernel}HiddenWeightGradientRows({gh}, {l.Output}, d{Whh(l)}, d{Bhh(l)}, sequences, steps, gates: {I(G)}, hidden: {I(H)}, {start}, {end});");
        w.Close();
    }

    // ---- the parallel form ------------------------------------------------------------------

    /// <summary>Multiply-adds per row (one step of one sequence): W_ih·x and W_hh·h₋₁.</summary>
    public override long WorkPerRow(LayerSpec l) => (long)Gates * l.Units * (l.InputSize + l.Units);

    /// <summary>The work of the weight gradients per row: the same products as the forward pass's.</summary>
    public override long ParameterWork(LayerSpec l) => WorkPerRow(l);

    public override void EmitParameterPart(CodeWriter w, LayerSpec l, bool sgd, long offset, long total)
    {
        string k = I(l.Number);
        EmitWeightGradients(w, l, "start" + k, "end" + k, whole: false, share: b =>
            b.Line($"var (start{k}, end{k}) = global::StaticNet.Kernels.Partition.Share({offset.ToString(CultureInfo.InvariantCulture)}, {ParameterWork(l).ToString(CultureInfo.InvariantCulture)}, {total.ToString(CultureInfo.InvariantCulture)}, {I(Gates * l.Units)}, part, parts);"));
    }

    // ---- the reference pass: the gate equations as plain loops in double --------------------------------

    public override bool HasReferenceForm => true;

    /// <summary>
    /// The fixed-size temporaries of the reference backward pass (one time step's worth, not per row): the gradient carried
    /// to the step before (dh₋₁, and dc₋₁ for LSTM) and the gate gradients of the step.
    /// </summary>
    public abstract (string Name, int Length)[] ReferenceTemporaries(LayerSpec l);

    public static string DhCarry(LayerSpec l) => "dhCarry" + l.Number;

    /// <summary>Writes the body of the reference forward loop over the hidden units <c>j</c> of one step (<c>row</c>, <c>step</c>).</summary>
    protected abstract void EmitReferenceCell(CodeWriter w, LayerSpec l);

    /// <summary>
    /// Writes the body of the reference backward loop over the hidden units <c>j</c> of one step: dh from the layer above
    /// and the step after, the gate gradients into the temporaries, the direct part of dh₋₁ (and dc₋₁) into the carries.
    /// </summary>
    protected abstract void EmitReferenceCellBackward(CodeWriter w, LayerSpec l);

    /// <summary>The gate gradients on the input side and on the hidden side (the same array for LSTM).</summary>
    public abstract (string Input, string Hidden) GateGradients(LayerSpec l);

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        w.Line($"// {Name} forward ({l.DisplayName}), for each sequence s and step t (PyTorch's nn.{Name}; {l.Input}[s, t] is the step's input):");
        foreach (string line in ForwardMath(l)) w.Line("//   " + line);
        w.Line(HasCell ? "// with h₋₁ = 0 and c₋₁ = 0 at the first step. Each step keeps its gates (and c) for the backward pass."
                       : "// with h₋₁ = 0 at the first step. Each step keeps its gates for the backward pass.");
        w.Open("for (int s = 0; s < sequences; s++)");
        w.Open("for (int step = 0; step < steps; step++)");
        w.Line("int row = s * steps + step; // the row of (s, t) in every buffer; row − 1 is the step before");
        w.Open($"for (int j = 0; j < {I(l.Units)}; j++)");
        EmitReferenceCell(w, l);
        w.Close();
        w.Close();
        w.Close();
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        int H = l.Units, n = l.InputSize, G = Gates * H;
        var (gi, gh) = GateGradients(l);
        string x = l.Input, h = l.Output, carry = DhCarry(l);
        w.Line($"// {Name} backward through time ({l.DisplayName}), for each sequence from its last step to its first; dh₋₁ (and dc₋₁)");
        w.Line("// carry the gradient to the step before, zero after the last step:");
        foreach (string line in BackwardMath(l, dx, perStep: true)) w.Line("//   " + line);
        if (dxWanted is not null) w.Line($"// ({dx} only when asked for: no parameters lie below {l.DisplayName})");
        w.Open();
        w.Line($"d{Wih(l)}.Clear(); d{Whh(l)}.Clear(); d{Bih(l)}.Clear(); d{Bhh(l)}.Clear(); // the steps add into them");
        w.Open("for (int s = 0; s < sequences; s++)");
        w.Line(HasCell ? $"{carry}.Clear(); dcCarry{l.Number}.Clear(); // nothing flows back from after the last step" : $"{carry}.Clear(); // nothing flows back from after the last step");
        w.Open("for (int step = steps - 1; step >= 0; step--)");
        w.Line("int row = s * steps + step;");
        w.Open($"for (int j = 0; j < {I(H)}; j++)");
        EmitReferenceCellBackward(w, l);
        w.Close();
        w.Line($"// The weight gradients of this step: dW_ih{l.Number} += {gi} ⊗ {x}[s, t], dW_hh{l.Number} += {gh} ⊗ h₋₁ (h₋₁ = 0 at the first step)");
        w.Open($"for (int g = 0; g < {I(G)}; g++)");
        w.Line($"for (int i = 0; i < {I(n)}; i++) d{Wih(l)}[g * {I(n)} + i] += {gi}[g] * {x}[row * {I(n)} + i];");
        w.Line($"d{Bih(l)}[g] += {gi}[g];");
        w.Line($"if (step > 0) for (int i = 0; i < {I(H)}; i++) d{Whh(l)}[g * {I(H)} + i] += {gh}[g] * {h}[(row - 1) * {I(H)} + i];");
        w.Line($"d{Bhh(l)}[g] += {gh}[g];");
        w.Close();
        w.Line($"// {dx}[s, t] = W_ih{l.Number}ᵀ·{gi}");
        w.Line(LayerKind.When(dxWanted, $"for (int i = 0; i < {I(n)}; i++)"));
        w.Line("{");
        w.Line("    double sum = 0;");
        w.Line($"    for (int g = 0; g < {I(G)}; g++) sum += {Wih(l)}[g * {I(n)} + i] * {gi}[g];");
        w.Line($"    {dx}[row * {I(n)} + i] = sum;");
        w.Line("}");
        w.Line($"// dh₋₁ += W_hh{l.Number}ᵀ·{gh}: the path through the recurrent weights, to the step before");
        w.Line($"for (int i = 0; i < {I(H)}; i++)");
        w.Line("{");
        w.Line("    double sum = 0;");
        w.Line($"    for (int g = 0; g < {I(G)}; g++) sum += {Whh(l)}[g * {I(H)} + i] * {gh}[g];");
        w.Line($"    {carry}[i] += sum;");
        w.Line("}");
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>A literal offset plus <c>j</c>: <c>j</c>, <c>11 + j</c>.</summary>
    protected static string Plus(int offset, string j = "j") => offset == 0 ? j : I(offset) + " + " + j;

    protected const string Kernel = "global::StaticNet.Kernels.Recurrent.";

    protected static string I(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>PyTorch's <c>nn.GRU</c>: gates r, z, n; <c>n = tanh(W_in·x + b_in + r ⊙ (W_hn·h₋₁ + b_hn))</c>.</summary>
internal sealed class GRU : RecurrentKind
{
    public static readonly GRU Instance = new();

    public override string Name => "GRU";

    public override int Gates => 3;

    public override int GateWidth(int hidden) => 4 * hidden;

    protected override string[] ForwardMath(LayerSpec l)
    {
        string x = l.Input, k = l.Number.ToString(CultureInfo.InvariantCulture);
        return new[]
        {
            $"r = σ(W_ir{k}·{x} + b_ir{k} + W_hr{k}·h₋₁ + b_hr{k})          (rows [0, H) of {Wih(l)}, {Whh(l)}, {Bih(l)}, {Bhh(l)})",
            $"z = σ(W_iz{k}·{x} + b_iz{k} + W_hz{k}·h₋₁ + b_hz{k})          (rows [H, 2H))",
            $"n = tanh(W_in{k}·{x} + b_in{k} + r ⊙ (W_hn{k}·h₋₁ + b_hn{k}))  (rows [2H, 3H))",
            $"h = (1 − z) ⊙ n + z ⊙ h₋₁",
        };
    }

    protected override string[] BackwardMath(LayerSpec l, string dx, bool perStep)
    {
        string k = l.Number.ToString(CultureInfo.InvariantCulture);
        var (gi, gh) = GateGradients(l);
        string[] weights = perStep
            ? new[] { $"dW_ih{k} += [dar, daz, dan] ⊗ {l.Input}             db_ih{k} += [dar, daz, dan]", $"dW_hh{k} += [dar, daz, dan ⊙ r] ⊗ h₋₁       db_hh{k} += [dar, daz, dan ⊙ r]" }
            : new[] { $"{gi}[s, t] = [dar, daz, dan]        {gh}[s, t] = [dar, daz, dan ⊙ r]   (kept: the weight gradients sum them afterwards)" };
        return new[]
        {
            $"dh  = d{l.Output}[s, t] + dh₋₁ of step t + 1",
            "dn  = dh ⊙ (1 − z)              dz  = dh ⊙ (h₋₁ − n)",
            "dan = dn ⊙ (1 − n²)             dr  = dan ⊙ (W_hn·h₋₁ + b_hn)     (an: n before its tanh)",
            "dar = dr ⊙ r ⊙ (1 − r)          daz = dz ⊙ z ⊙ (1 − z)            (ar, az: r, z before their σ)",
        }.Concat(weights).Concat(new[]
        {
            $"{dx}[s, t] = W_ih{k}ᵀ·[dar, daz, dan]        dh₋₁ = dh ⊙ z + W_hh{k}ᵀ·[dar, daz, dan ⊙ r]",
        }).ToArray();
    }

    public override (string Name, int Length)[] ReferenceTemporaries(LayerSpec l) =>
        new[] { (DhCarry(l), l.Units), ("dgi" + l.Number, 3 * l.Units), ("dgh" + l.Number, 3 * l.Units) };

    public override (string Input, string Hidden) GateGradients(LayerSpec l) => ("dgi" + l.Number, "dgh" + l.Number);

    protected override void EmitReferenceCell(CodeWriter w, LayerSpec l)
    {
        int H = l.Units, n = l.InputSize;
        string x = l.Input, h = l.Output, k = I(l.Number), gates = GatesName(l);
        w.Line($"// Row j of each gate block: ai* = W_i*{k}·{x} + b_i*{k} (input side), ah* = W_h*{k}·h₋₁ + b_h*{k} (hidden side)");
        w.Line($"double air = {Bih(l)}[j], aiz = {Bih(l)}[{Plus(H)}], ain = {Bih(l)}[{Plus(2 * H)}];");
        w.Line($"double ahr = {Bhh(l)}[j], ahz = {Bhh(l)}[{Plus(H)}], ahn = {Bhh(l)}[{Plus(2 * H)}];");
        w.Open($"for (int i = 0; i < {I(n)}; i++)");
        w.Line($"double xi = {x}[row * {I(n)} + i];");
        w.Line($"air += {Wih(l)}[j * {I(n)} + i] * xi;");
        w.Line($"aiz += {Wih(l)}[({Plus(H)}) * {I(n)} + i] * xi;");
        w.Line($"ain += {Wih(l)}[({Plus(2 * H)}) * {I(n)} + i] * xi;");
        w.Close();
        w.Open($"if (step > 0) for (int i = 0; i < {I(H)}; i++) // h₋₁ = 0 at the first step");
        w.Line($"double hi = {h}[(row - 1) * {I(H)} + i];");
        w.Line($"ahr += {Whh(l)}[j * {I(H)} + i] * hi;");
        w.Line($"ahz += {Whh(l)}[({Plus(H)}) * {I(H)} + i] * hi;");
        w.Line($"ahn += {Whh(l)}[({Plus(2 * H)}) * {I(H)} + i] * hi;");
        w.Close();
        w.Line("double r_t = 1 / (1 + global::System.Math.Exp(-(air + ahr)));   // r = σ(W_ir·x + b_ir + W_hr·h₋₁ + b_hr)");
        w.Line("double z_t = 1 / (1 + global::System.Math.Exp(-(aiz + ahz)));   // z = σ(W_iz·x + b_iz + W_hz·h₋₁ + b_hz)");
        w.Line("double n_t = global::System.Math.Tanh(ain + r_t * ahn);          // n = tanh(W_in·x + b_in + r ⊙ (W_hn·h₋₁ + b_hn))");
        w.Line($"double hPrev = step > 0 ? {h}[(row - 1) * {I(H)} + j] : 0;");
        w.Line($"{h}[row * {I(H)} + j] = (1 - z_t) * n_t + z_t * hPrev;      // h = (1 − z) ⊙ n + z ⊙ h₋₁");
        w.Line($"{gates}[row * {I(4 * H)} + j] = r_t; // kept for the backward pass: r, z, n, W_hn·h₋₁ + b_hn");
        w.Line($"{gates}[row * {I(4 * H)} + {Plus(H)}] = z_t;");
        w.Line($"{gates}[row * {I(4 * H)} + {Plus(2 * H)}] = n_t;");
        w.Line($"{gates}[row * {I(4 * H)} + {Plus(3 * H)}] = ahn;");
    }

    protected override void EmitReferenceCellBackward(CodeWriter w, LayerSpec l)
    {
        int H = l.Units;
        string h = l.Output, k = I(l.Number), gates = GatesName(l), carry = DhCarry(l);
        w.Line($"double r_t = {gates}[row * {I(4 * H)} + j], z_t = {gates}[row * {I(4 * H)} + {Plus(H)}];");
        w.Line($"double n_t = {gates}[row * {I(4 * H)} + {Plus(2 * H)}], ahn = {gates}[row * {I(4 * H)} + {Plus(3 * H)}];");
        w.Line($"double hPrev = step > 0 ? {h}[(row - 1) * {I(H)} + j] : 0;");
        w.Line($"double dh = d{h}[row * {I(H)} + j] + {carry}[j]; // dh = d{h}[s, t] + dh₋₁ of step t + 1");
        w.Line("double dn = dh * (1 - z_t), dz = dh * (hPrev - n_t);");
        w.Line("double dan = dn * (1 - n_t * n_t), dr = dan * ahn;");
        w.Line("double dar = dr * r_t * (1 - r_t), daz = dz * z_t * (1 - z_t);");
        w.Line($"dgi{k}[j] = dar; dgi{k}[{Plus(H)}] = daz; dgi{k}[{Plus(2 * H)}] = dan;         // [dar, daz, dan]");
        w.Line($"dgh{k}[j] = dar; dgh{k}[{Plus(H)}] = daz; dgh{k}[{Plus(2 * H)}] = dan * r_t;   // [dar, daz, dan ⊙ r]");
        w.Line($"{carry}[j] = dh * z_t; // dh₋₁ = dh ⊙ z + ... (the W_hh part is added below)");
    }

    protected override string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h) =>
        $"{Kernel}GruForward({x}, {hPrev}, {Wih(l)}, {Whh(l)}, {Bih(l)}, {Bhh(l)}, {gates}, {h}, cellScratch, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";

    protected override string BackwardStepCall(LayerSpec l, string gates, string dOut, string dx, string dgi, string dgh) =>
        $"{Kernel}GruBackwardStep(hPrev, {gates}, {dOut}, carry, {dx}, {Wih(l)}, {Whh(l)}, {dgi}, {dgh}, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";
}

/// <summary>PyTorch's <c>nn.LSTM</c>: gates i, f, g, o; <c>c = f ⊙ c₋₁ + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.</summary>
internal sealed class LSTM : RecurrentKind
{
    public static readonly LSTM Instance = new();

    public override string Name => "LSTM";

    public override int Gates => 4;

    public override bool HasCell => true;

    public override int GateWidth(int hidden) => 6 * hidden;

    protected override string[] ForwardMath(LayerSpec l)
    {
        string x = l.Input, k = l.Number.ToString(CultureInfo.InvariantCulture);
        return new[]
        {
            $"a = W_ih{k}·{x} + b_ih{k} + W_hh{k}·h₋₁ + b_hh{k}   (4H: blocks i, f, g, o)",
            "i = σ(a_i)    f = σ(a_f)    g = tanh(a_g)    o = σ(a_o)",
            "c = f ⊙ c₋₁ + i ⊙ g",
            "h = o ⊙ tanh(c)",
        };
    }

    protected override string[] BackwardMath(LayerSpec l, string dx, bool perStep)
    {
        string k = l.Number.ToString(CultureInfo.InvariantCulture);
        string weights = perStep
            ? $"dW_ih{k} += da ⊗ {l.Input}     db_ih{k} += da     dW_hh{k} += da ⊗ h₋₁     db_hh{k} += da"
            : $"{GateGradients(l).Input}[s, t] = da   (kept: the weight gradients sum it afterwards)";
        return new[]
        {
            $"dh = d{l.Output}[s, t] + dh₋₁ of step t + 1",
            "do = dh ⊙ tanh(c)               dc = dc₋₁ of step t + 1 + dh ⊙ o ⊙ (1 − tanh²(c))",
            "di = dc ⊙ g     df = dc ⊙ c₋₁     dg = dc ⊙ i     dc₋₁ = dc ⊙ f",
            "da = [di ⊙ i(1 − i), df ⊙ f(1 − f), dg ⊙ (1 − g²), do ⊙ o(1 − o)]   (a: the gates before σ, tanh)",
            weights,
            $"{dx}[s, t] = W_ih{k}ᵀ·da      dh₋₁ = W_hh{k}ᵀ·da",
        };
    }

    public override (string Name, int Length)[] ReferenceTemporaries(LayerSpec l) =>
        new[] { (DhCarry(l), l.Units), ("dcCarry" + l.Number, l.Units), ("dgates" + l.Number, 4 * l.Units) };

    public override (string Input, string Hidden) GateGradients(LayerSpec l) => ("dgates" + l.Number, "dgates" + l.Number);

    protected override void EmitReferenceCell(CodeWriter w, LayerSpec l)
    {
        int H = l.Units, n = l.InputSize;
        string x = l.Input, h = l.Output, k = I(l.Number), gates = GatesName(l);
        w.Line($"// Row j of each gate block of a = W_ih{k}·{x} + b_ih{k} + W_hh{k}·h₋₁ + b_hh{k}");
        w.Line($"double ai = {Bih(l)}[j] + {Bhh(l)}[j], af = {Bih(l)}[{Plus(H)}] + {Bhh(l)}[{Plus(H)}];");
        w.Line($"double ag = {Bih(l)}[{Plus(2 * H)}] + {Bhh(l)}[{Plus(2 * H)}], ao = {Bih(l)}[{Plus(3 * H)}] + {Bhh(l)}[{Plus(3 * H)}];");
        w.Open($"for (int i = 0; i < {I(n)}; i++)");
        w.Line($"double xi = {x}[row * {I(n)} + i];");
        w.Line($"ai += {Wih(l)}[j * {I(n)} + i] * xi;");
        w.Line($"af += {Wih(l)}[({Plus(H)}) * {I(n)} + i] * xi;");
        w.Line($"ag += {Wih(l)}[({Plus(2 * H)}) * {I(n)} + i] * xi;");
        w.Line($"ao += {Wih(l)}[({Plus(3 * H)}) * {I(n)} + i] * xi;");
        w.Close();
        w.Open($"if (step > 0) for (int i = 0; i < {I(H)}; i++) // h₋₁ = 0 at the first step");
        w.Line($"double hi = {h}[(row - 1) * {I(H)} + i];");
        w.Line($"ai += {Whh(l)}[j * {I(H)} + i] * hi;");
        w.Line($"af += {Whh(l)}[({Plus(H)}) * {I(H)} + i] * hi;");
        w.Line($"ag += {Whh(l)}[({Plus(2 * H)}) * {I(H)} + i] * hi;");
        w.Line($"ao += {Whh(l)}[({Plus(3 * H)}) * {I(H)} + i] * hi;");
        w.Close();
        w.Line("double i_t = 1 / (1 + global::System.Math.Exp(-ai)); // i = σ(a_i)");
        w.Line("double f_t = 1 / (1 + global::System.Math.Exp(-af)); // f = σ(a_f)");
        w.Line("double g_t = global::System.Math.Tanh(ag);           // g = tanh(a_g)");
        w.Line("double o_t = 1 / (1 + global::System.Math.Exp(-ao)); // o = σ(a_o)");
        w.Line($"double cPrev = step > 0 ? {gates}[(row - 1) * {I(6 * H)} + {Plus(4 * H)}] : 0;");
        w.Line("double c_t = f_t * cPrev + i_t * g_t;                // c = f ⊙ c₋₁ + i ⊙ g");
        w.Line($"{h}[row * {I(H)} + j] = o_t * global::System.Math.Tanh(c_t); // h = o ⊙ tanh(c)");
        w.Line($"{gates}[row * {I(6 * H)} + j] = i_t; // kept for the backward pass: i, f, g, o, c, tanh(c)");
        w.Line($"{gates}[row * {I(6 * H)} + {Plus(H)}] = f_t;");
        w.Line($"{gates}[row * {I(6 * H)} + {Plus(2 * H)}] = g_t;");
        w.Line($"{gates}[row * {I(6 * H)} + {Plus(3 * H)}] = o_t;");
        w.Line($"{gates}[row * {I(6 * H)} + {Plus(4 * H)}] = c_t;");
        w.Line($"{gates}[row * {I(6 * H)} + {Plus(5 * H)}] = global::System.Math.Tanh(c_t);");
    }

    protected override void EmitReferenceCellBackward(CodeWriter w, LayerSpec l)
    {
        int H = l.Units, W = 6 * H;
        string h = l.Output, k = I(l.Number), gates = GatesName(l), carry = DhCarry(l);
        w.Line($"double i_t = {gates}[row * {I(W)} + j], f_t = {gates}[row * {I(W)} + {Plus(H)}], g_t = {gates}[row * {I(W)} + {Plus(2 * H)}];");
        w.Line($"double o_t = {gates}[row * {I(W)} + {Plus(3 * H)}], tanh_c = {gates}[row * {I(W)} + {Plus(5 * H)}];");
        w.Line($"double cPrev = step > 0 ? {gates}[(row - 1) * {I(W)} + {Plus(4 * H)}] : 0;");
        w.Line($"double dh = d{h}[row * {I(H)} + j] + {carry}[j]; // dh = d{h}[s, t] + dh₋₁ of step t + 1");
        w.Line("double do_t = dh * tanh_c;");
        w.Line($"double dc = dcCarry{k}[j] + dh * o_t * (1 - tanh_c * tanh_c); // dc = dc₋₁ of step t + 1 + dh ⊙ o ⊙ (1 − tanh²(c))");
        w.Line("double di = dc * g_t, df = dc * cPrev, dg = dc * i_t;");
        w.Line($"dcCarry{k}[j] = dc * f_t; // dc₋₁ = dc ⊙ f");
        w.Line($"dgates{k}[j] = di * i_t * (1 - i_t);                 // da = [di ⊙ i(1 − i), df ⊙ f(1 − f), dg ⊙ (1 − g²), do ⊙ o(1 − o)]");
        w.Line($"dgates{k}[{Plus(H)}] = df * f_t * (1 - f_t);");
        w.Line($"dgates{k}[{Plus(2 * H)}] = dg * (1 - g_t * g_t);");
        w.Line($"dgates{k}[{Plus(3 * H)}] = do_t * o_t * (1 - o_t);");
        w.Line($"{carry}[j] = 0; // dh₋₁ = W_hh{k}ᵀ·da only (added below): h₋₁ reaches h only through the gates");
    }

    protected override string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h) =>
        $"{Kernel}LstmForward({x}, {hPrev}, {cPrev}, {Wih(l)}, {Whh(l)}, {Bih(l)}, {Bhh(l)}, {gates}, {h}, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";

    protected override string BackwardStepCall(LayerSpec l, string gates, string dOut, string dx, string dgi, string dgh) =>
        $"{Kernel}LstmBackwardStep(cPrev, {gates}, {dOut}, carry, cellCarry, {dx}, {Wih(l)}, {Whh(l)}, {dgi}, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";
}
