using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>
/// Inverted dropout, as PyTorch: in training a value is dropped with probability p and a kept one scaled by 1/(1 − p);
/// in inference the identity. The mask (0 or 1/(1 − p) per value) is kept for the backward pass, as the book's
/// <c>self.mask</c>. Any shape.
/// </summary>
internal sealed class Dropout : LayerKind
{
    public static readonly Dropout Instance = new();

    public override string Name => "Dropout";

    public override bool HasTrainingForm => true;

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not double ratio) return false;
        arguments = new LayerArguments(0, Ratio: ratio);
        return true;
    }

    public override string Declaration(LayerArguments a) => "Dropout(" + Real(a.Ratio) + ")";

    public override ShapeResult Resolve(Shape input, LayerArguments a) =>
        a.Ratio >= 0 && a.Ratio < 1 && (float)a.Ratio < 1f
            ? ShapeResult.Of(input)
            : ShapeResult.Error(DiagnosticDescriptors.DropoutRatioOutOfRange, Declaration(a), Real(a.Ratio));

    public static string Mask(LayerSpec l) => "mask" + l.Index;

    public override IEnumerable<Workspace> Workspaces(LayerSpec l)
    {
        yield return new Workspace(Mask(l), "float", l.OutputShape.Size, PerRow: true,
            $"{l.Declaration}'s mask: 0 where a value was dropped, 1/(1 − p) where it was kept", TrainingOnly: true);
    }

    private static string P(LayerSpec l) => FloatLiteral(l.Arguments.Ratio);

    public override void EmitForward(CodeWriter w, LayerSpec l)
    {
        if (l.OwnsOutput)
            w.Step($"Dropout forward, inference ({l.Declaration}): {l.Output} = {l.Input} (inverted dropout scales in training instead;" +
                   $" the book's Dropout multiplies by (1 − p) here)",
                $"{l.Input}.CopyTo({l.Output});");
    }

    public override void EmitForwardTraining(CodeWriter w, LayerSpec l)
    {
        w.Line($"// Dropout forward, training ({l.Declaration}): mask = 1/(1 − p) where a uniform draw u ≥ p (kept), else 0 (dropped);");
        w.Line($"// {l.Output} = {l.Input} ⊙ mask. Inverted dropout, as PyTorch: the expected output is the input, so inference is the identity");
        w.Line("// (the book's Dropout keeps values unscaled here and multiplies by (1 − p) at test time).");
        w.Step("A new mask from the network's seeded generator, unless KeepDropoutMasks keeps the latest one",
            $"global::System.Span<float> {Mask(l)}Rows = {Mask(l)}.Slice(0, batch * {I(l.OutputSize)});",
            $"if (_drawDropoutMasks) {Kernels}Dropout.DrawMask({Mask(l)}Rows, p: {P(l)}, ref _dropoutRandom);",
            $"{Kernels}Dropout.Apply({l.Input}, {Mask(l)}Rows, {l.Output});");
    }

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        w.Line($"// Dropout backward ({l.Declaration}): training, {dx} = d{l.Output} ⊙ mask (mask = 0 where dropped, 1/(1 − p) where kept);");
        w.Line($"// inference (the identity), {dx} = d{l.Output}");
        w.Open();
        w.Line(When(dxWanted, $"{Kernels}Dropout.Backward(d{l.Output}, {Mask(l)}.Slice(0, batch * {I(l.OutputSize)}), {dx}, training: _trainingForward);"));
        w.Close();
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    /// <summary>The reference pass's copy of the mask, in double: the fast pass's mask of the latest training <c>Loss</c>.</summary>
    private static string ReferenceMask(LayerSpec l) => "mask" + l.Index;

    public override IEnumerable<(string Name, int Length, bool PerRow, string Comment)> ReferenceTensors(LayerSpec l)
    {
        yield return (ReferenceMask(l), l.OutputSize, true, $"{l.Declaration}'s mask as the latest training Loss drew it (0 dropped, 1/(1 − p) kept)");
    }

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        if (l.OwnsOutput)
            w.Step($"Dropout forward, inference ({l.Declaration}): {l.Output} = {l.Input} (inverted dropout scales in training instead;" +
                   $" the book's Dropout multiplies by (1 − p) here)",
                $"for (int k = 0; k < batch * {I(l.OutputSize)}; k++) {l.Output}[k] = {l.Input}[k];");
    }

    public override void EmitReferenceForwardTraining(CodeWriter w, LayerSpec l)
    {
        string mask = ReferenceMask(l);
        w.Line($"// Dropout forward, training ({l.Declaration}): {l.Output} = {l.Input} ⊙ mask, mask = 1/(1 − p) where kept, 0 where dropped.");
        w.Line("// The mask is the one the latest training Loss drew (the fast pass's _" + Mask(l) + "): the reference draws none, so both");
        w.Line("// passes drop the same values; it keeps a copy for its backward pass.");
        w.Step("Inverted dropout, as PyTorch: the expected output is the input, so inference is the identity",
            $"for (int k = 0; k < batch * {I(l.OutputSize)}; k++)",
            "{",
            $"    {mask}[k] = _{Mask(l)}[k];",
            $"    {l.Output}[k] = {l.Input}[k] * {mask}[k];",
            "}");
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string n = I(l.OutputSize), dout = "d" + l.Output;
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        w.Line($"// Dropout backward ({l.Declaration}): training, {dx} = d{l.Output} ⊙ mask (mask = 0 where dropped, 1/(1 − p) where kept);");
        w.Line($"// inference (the identity), {dx} = d{l.Output}");
        w.Open();
        if (dxWanted is not null) w.Open("if (" + dxWanted + ")");
        w.Line($"if (r.training) for (int k = 0; k < batch * {n}; k++) {dx}[k] = {dout}[k] * {ReferenceMask(l)}[k];");
        w.Line($"else for (int k = 0; k < batch * {n}; k++) {dx}[k] = {dout}[k];");
        if (dxWanted is not null) w.Close();
        w.Close();
    }

    internal static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A double as the declaration spells it, in the shortest form that reads back the same: <c>0.5</c>, <c>1E-05</c>. A value
    /// that is exactly a float (a float literal, <c>Momentum = 0.1f</c>, arrives as the double 0.10000000149011612) is
    /// spelled as that float, <c>0.1</c>: the kernels compute with the float, which reads back from it exactly.
    /// </summary>
    internal static string Real(double v)
    {
        float f = (float)v;
        return (double)f == v && !float.IsInfinity(f)
            ? f.ToString("R", CultureInfo.InvariantCulture)
            : v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>A C# float literal of <paramref name="v"/>: <c>0.5f</c>.</summary>
    internal static string FloatLiteral(double v) => ((float)v).ToString("R", CultureInfo.InvariantCulture) + "f";
}
