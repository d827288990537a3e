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

    /// <summary>The backward pass through the gates, one comment line each.</summary>
    protected abstract string[] BackwardMath(LayerSpec l, string dx);

    /// <summary>The call of the forward kernel for one step: <paramref name="hPrev"/>, <paramref name="cPrev"/> (LSTM) → <paramref name="h"/>.</summary>
    protected abstract string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h);

    /// <summary>The call of the backward kernel for one step.</summary>
    protected abstract string BackwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string dOut, string dx);

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

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        int H = l.Units, n = l.InputSize, gw = GateWidth(H);
        string dOut = "d" + l.Output;
        w.Line($"// {Name} backward through time ({l.DisplayName}), for each sequence from its last step to its first; dh₋₁ (and dc₋₁)");
        w.Line("// carry the gradient to the step before, zero after the last step:");
        foreach (string line in BackwardMath(l, dx)) w.Line("//   " + line);
        if (dxWanted is not null) w.Line($"// ({dx} only when asked for: no parameters lie below {l.DisplayName})");
        w.Open();
        w.Line($"d{Wih(l)}.Clear(); d{Whh(l)}.Clear(); d{Bih(l)}.Clear(); d{Bhh(l)}.Clear(); // the steps add into them");
        w.Line($"global::System.Span<float> dhCarry = new(_dhCarry, 0, {I(H)});");
        if (HasCell) w.Line($"global::System.Span<float> dcCarry = new(_dcCarry, 0, {I(H)});");
        w.Open("for (int s = 0; s < sequences; s++)");
        w.Line(HasCell ? "dhCarry.Clear(); dcCarry.Clear();" : "dhCarry.Clear();");
        w.Open("for (int step = steps - 1; step >= 0; step--)");
        w.Line("int row = s * steps + step;");
        w.Line($"global::System.ReadOnlySpan<float> hPrev = step > 0 ? {l.Output}.Slice((row - 1) * {I(H)}, {I(H)}) : zeros.Slice(0, {I(H)});");
        if (HasCell)
            w.Line($"global::System.ReadOnlySpan<float> cPrev = step > 0 ? {GatesName(l)}.Slice((row - 1) * {I(gw)} + {I(4 * H)}, {I(H)}) : zeros.Slice(0, {I(H)});");
        string dxRow = dxWanted is null
            ? $"{dx}.Slice(row * {I(n)}, {I(n)})"
            : $"{dxWanted} ? {dx}.Slice(row * {I(n)}, {I(n)}) : default";
        w.Line($"global::System.Span<float> dxRow = {dxRow};");
        w.Line(BackwardCall(l, $"{l.Input}.Slice(row * {I(n)}, {I(n)})", "hPrev", "cPrev", $"{GatesName(l)}.Slice(row * {I(gw)}, {I(gw)})",
            $"{dOut}.Slice(row * {I(H)}, {I(H)})", "dxRow"));
        w.Close();
        w.Close();
        w.Close();
    }

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

    protected override string[] BackwardMath(LayerSpec l, string dx)
    {
        string k = l.Number.ToString(CultureInfo.InvariantCulture);
        return new[]
        {
            $"dh  = d{l.Output}[s, t] + dh₋₁ of step t + 1",
            "dn  = dh ⊙ (1 − z)              dz  = dh ⊙ (h₋₁ − n)",
            "dan = dn ⊙ (1 − n²)             dr  = dan ⊙ (W_hn·h₋₁ + b_hn)     (an: n before its tanh)",
            "dar = dr ⊙ r ⊙ (1 − r)          daz = dz ⊙ z ⊙ (1 − z)            (ar, az: r, z before their σ)",
            $"dW_ih{k} += [dar, daz, dan] ⊗ {l.Input}             db_ih{k} += [dar, daz, dan]",
            $"dW_hh{k} += [dar, daz, dan ⊙ r] ⊗ h₋₁       db_hh{k} += [dar, daz, dan ⊙ r]",
            $"{dx}[s, t] = W_ih{k}ᵀ·[dar, daz, dan]        dh₋₁ = dh ⊙ z + W_hh{k}ᵀ·[dar, daz, dan ⊙ r]",
        };
    }

    protected override string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h) =>
        $"{Kernel}GruForward({x}, {hPrev}, {Wih(l)}, {Whh(l)}, {Bih(l)}, {Bhh(l)}, {gates}, {h}, cellScratch, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";

    protected override string BackwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string dOut, string dx) =>
        $"{Kernel}GruBackward({x}, {hPrev}, {gates}, {dOut}, dhCarry, {dx}, {Wih(l)}, {Whh(l)}, d{Wih(l)}, d{Whh(l)}, d{Bih(l)}, d{Bhh(l)}, cellScratch, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";
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

    protected override string[] BackwardMath(LayerSpec l, string dx)
    {
        string k = l.Number.ToString(CultureInfo.InvariantCulture);
        return new[]
        {
            $"dh = d{l.Output}[s, t] + dh₋₁ of step t + 1",
            "do = dh ⊙ tanh(c)               dc = dc₋₁ of step t + 1 + dh ⊙ o ⊙ (1 − tanh²(c))",
            "di = dc ⊙ g     df = dc ⊙ c₋₁     dg = dc ⊙ i     dc₋₁ = dc ⊙ f",
            "da = [di ⊙ i(1 − i), df ⊙ f(1 − f), dg ⊙ (1 − g²), do ⊙ o(1 − o)]   (a: the gates before σ, tanh)",
            $"dW_ih{k} += da ⊗ {l.Input}     db_ih{k} += da     dW_hh{k} += da ⊗ h₋₁     db_hh{k} += da",
            $"{dx}[s, t] = W_ih{k}ᵀ·da      dh₋₁ = W_hh{k}ᵀ·da",
        };
    }

    protected override string ForwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string h) =>
        $"{Kernel}LstmForward({x}, {hPrev}, {cPrev}, {Wih(l)}, {Whh(l)}, {Bih(l)}, {Bhh(l)}, {gates}, {h}, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";

    protected override string BackwardCall(LayerSpec l, string x, string hPrev, string cPrev, string gates, string dOut, string dx) =>
        $"{Kernel}LstmBackward({x}, {hPrev}, {cPrev}, {gates}, {dOut}, dhCarry, dcCarry, {dx}, {Wih(l)}, {Whh(l)}, d{Wih(l)}, d{Whh(l)}, d{Bih(l)}, d{Bhh(l)}, cellScratch, inputs: {I(l.InputSize)}, hidden: {I(l.Units)});";
}
