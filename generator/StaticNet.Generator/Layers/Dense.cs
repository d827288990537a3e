using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>Dense (the book's Affine): <c>a = x·W + b</c>, with <c>W [inputs, units]</c>.</summary>
internal sealed class Dense : LayerKind
{
    public static readonly Dense Instance = new();

    public override string Name => "Dense";

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        bool ok = TryInts(attribute, 1, out int[] v);
        arguments = ok ? Initialisation.Read(attribute, new LayerArguments(v[0])) : default;
        return ok;
    }

    public override string Declaration(LayerArguments a) => "Dense(" + a.Units.ToString(CultureInfo.InvariantCulture) + ")";

    public override ShapeResult Resolve(Shape input, LayerArguments a)
    {
        if (a.Units <= 0) return ShapeResult.Error(DiagnosticDescriptors.NonPositiveSize, Name, a.Units.ToString(CultureInfo.InvariantCulture));
        if (Initialisation.Check(Declaration(a), a) is { } bad) return bad;
        if (input.IsImage) return NeedsVector(input);
        return ShapeResult.Of(Shape.Vector(a.Units));
    }

    public override long ParameterCount(Shape input, Shape output, LayerArguments a) => input.Size * output.Size + output.Size;

    public override (int Rows, int Columns, int FanIn) WeightShape(LayerSpec l) => (l.InputSize, l.OutputSize, l.InputSize);

    public override int BiasLength(LayerSpec l) => l.OutputSize;

    public override string WeightDisplay(LayerSpec l) =>
        "[" + l.InputSize.ToString(CultureInfo.InvariantCulture) + ", " + l.OutputSize.ToString(CultureInfo.InvariantCulture) + "]";

    public override long RowWidth(LayerSpec l) => (long)l.InputSize + l.OutputSize;

    public static string Weights(LayerSpec l) => "W" + l.Number;

    public static string Bias(LayerSpec l) => "b" + l.Number;

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Affine forward ({l.DisplayName}): {l.Output} = {l.Input}·{Weights(l)} + {Bias(l)}",
            $"{Kernels}Affine.Forward({l.Input}, {Weights(l)}, {Bias(l)}, {l.Output}, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});");

    public override void EmitBackwardSgd(CodeWriter w, LayerSpec l, string dx, bool dxNeeded)
    {
        string dout = "d" + l.Output;
        string W = Weights(l), b = Bias(l);
        string sgd = $"{Kernels}Affine.SgdStep({l.Input}, {dout}, {W}, {b}, _scratch, learningRate, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});";
        if (dxNeeded)
            w.Step($"Affine backward with the SGD step ({l.DisplayName}): {dx} = {dout}·{W}ᵀ with {W} before the step, then {W} ← {W} − lr·{l.Input}ᵀ·{dout}, {b} ← {b} − lr·Σ {dout}",
                $"{Kernels}Affine.BackwardInput({dout}, {W}, {dx}, _scratch, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});",
                WeightDecayEmitter.SgdShrink(l),
                sgd);
        else
            w.Step($"Affine backward with the SGD step ({l.DisplayName}): {W} ← {W} − lr·{l.Input}ᵀ·{dout}, {b} ← {b} − lr·Σ {dout}", WeightDecayEmitter.SgdShrink(l), sgd);
    }

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string dout = "d" + l.Output;
        string wanted = dxWanted is null ? "" : " (when asked for)";
        w.Step($"Affine backward ({l.DisplayName}): d{Weights(l)} = {l.Input}ᵀ·{dout}, d{Bias(l)} = Σ {dout}, {dx} = {dout}·{Weights(l)}ᵀ{wanted}",
            $"{Kernels}Affine.BackwardWeights({l.Input}, {dout}, d{Weights(l)}, d{Bias(l)}, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});",
            When(dxWanted, $"{Kernels}Affine.BackwardInput({dout}, {Weights(l)}, {dx}, _scratch, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});"));
    }

    // ---- the parallel form ------------------------------------------------------------------

    public override long WorkPerRow(LayerSpec l) => (long)l.InputSize * l.OutputSize;

    public override bool SplitsBackward => true;

    public override long ParameterWork(LayerSpec l) => (long)l.InputSize * l.OutputSize;

    public override void EmitBackwardInput(CodeWriter w, LayerSpec l, string? dx, string? dxWanted, bool sgd)
    {
        if (dx is null && !sgd) return;
        string dout = "d" + l.Output, W = Weights(l), b = Bias(l);
        string wanted = dxWanted is null ? "" : " (when asked for)";
        string input = dx is null ? "" : When(dxWanted, $"{Kernels}Affine.BackwardInput({dout}, {W}, {dx}, scratch, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});");
        string scale = $"{Kernels}Affine.ScaleStep({dout}, _stepRate);";
        if (!sgd)
            w.Step($"Affine backward, these rows ({l.DisplayName}): {dx} = {dout}·{W}ᵀ{wanted}", input);
        else if (dx is null)
            w.Step($"Affine backward, these rows ({l.DisplayName}): {dout} ← −lr·{dout}, their share of the step of {W} and {b}", scale);
        else
            w.Step($"Affine backward, these rows ({l.DisplayName}): {dx} = {dout}·{W}ᵀ with {W} before the step, then {dout} ← −lr·{dout}, their share of the step of {W} and {b}",
                input, scale);
    }

    public override void EmitParameterPart(CodeWriter w, LayerSpec l, bool sgd, long offset, long total)
    {
        string dout = "d" + l.Output, W = Weights(l), b = Bias(l), n = N(l.Number);
        string share = $"var (start{n}, end{n}) = {Kernels}Partition.Share({offset.ToString(CultureInfo.InvariantCulture)}, {ParameterWork(l).ToString(CultureInfo.InvariantCulture)}, {total.ToString(CultureInfo.InvariantCulture)}, {l.InputSize}, part, parts);";
        if (sgd)
            w.Step($"Affine SGD step, this part's rows of {W} ({l.DisplayName}): {W} ← {W} − lr·({l.Input}ᵀ·{dout} + λ·{W}) over inputs [start{n}, end{n}); {b} ← {b} − lr·Σ {dout} by the part that starts at row 0",
                share,
                $"{Kernels}Affine.SgdStepRows({l.Input}, {dout}, {W}, {b}, _stepRate, _weightDecay, batch, inputs: {l.InputSize}, outputs: {l.OutputSize}, start{n}, end{n});");
        else
            w.Step($"Affine backward, this part's rows of d{W} ({l.DisplayName}): d{W} = {l.Input}ᵀ·{dout} over inputs [start{n}, end{n}), each summed over the whole batch; d{b} = Σ {dout} by the part that starts at row 0",
                share,
                $"{Kernels}Affine.BackwardWeightRows({l.Input}, {dout}, d{W}, d{b}, batch, inputs: {l.InputSize}, outputs: {l.OutputSize}, start{n}, end{n});");
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        string I = N(l.InputSize), J = N(l.OutputSize), W = Weights(l), b = Bias(l), x = l.Input, a = l.Output;
        w.Step($"Affine forward ({l.DisplayName}): {a} = {x}·{W} + {b}",
            "for (int n = 0; n < batch; n++)",
            $"    for (int j = 0; j < {J}; j++)",
            "    {",
            $"        double s = {b}[j];",
            $"        for (int i = 0; i < {I}; i++) s += {x}[n * {I} + i] * {W}[i * {J} + j];",
            $"        {a}[n * {J} + j] = s;",
            "    }");
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string I = N(l.InputSize), J = N(l.OutputSize), W = Weights(l), b = Bias(l), x = l.Input, dout = "d" + l.Output;
        string wanted = dxWanted is null ? "" : " (when asked for)";
        var lines = new System.Collections.Generic.List<string>
        {
            $"d{W}.Clear();",
            $"d{b}.Clear();",
            "for (int n = 0; n < batch; n++)",
            "{",
            $"    for (int j = 0; j < {J}; j++) d{b}[j] += {dout}[n * {J} + j];",
            $"    for (int i = 0; i < {I}; i++) for (int j = 0; j < {J}; j++) d{W}[i * {J} + j] += {x}[n * {I} + i] * {dout}[n * {J} + j];",
            "}",
        };
        lines.AddRange(ReferenceWhen(dxWanted,
            "for (int n = 0; n < batch; n++)",
            $"    for (int i = 0; i < {I}; i++)",
            "    {",
            "        double s = 0;",
            $"        for (int j = 0; j < {J}; j++) s += {dout}[n * {J} + j] * {W}[i * {J} + j];",
            $"        {dx}[n * {I} + i] = s;",
            "    }"));
        w.Step($"Affine backward ({l.DisplayName}): d{W} = {x}ᵀ·{dout}, d{b} = Σ {dout}, {dx} = {dout}·{W}ᵀ{wanted}", lines.ToArray());
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
