using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;
using StaticNet.Generator.Parsing;

namespace StaticNet.Generator.Layers;

/// <summary>
/// Conv2D (the book's Convolution): <c>y = col·Wᵀ + b</c> with <c>col = im2col(x)</c>, <c>W [F, C, K, K]</c>
/// (seen as <c>[F, C·K·K]</c>) then <c>b [F]</c>, over NCHW activations.
/// </summary>
internal sealed class Conv2D : LayerKind
{
    public static readonly Conv2D Instance = new();

    public override string Name => "Conv2D";

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        if (!TryInts(attribute, 2, out int[] v)) return false;
        int? stride = Named(attribute, "Stride"), padding = Named(attribute, "Padding");
        arguments = Initialisation.Read(attribute, new LayerArguments(v[0], v[1], stride ?? 1, padding ?? 0, stride is not null, padding is not null));
        return true;
    }

    /// <summary><c>Conv2D(30, 5)</c>, <c>Conv2D(30, 5, Stride = 2, Padding = 1)</c>: the spelling StaticNet.Onnx parses.</summary>
    public override string Declaration(LayerArguments a)
    {
        string s = "Conv2D(" + I(a.Units) + ", " + I(a.Kernel);
        if (a.Stride != 1) s += ", Stride = " + I(a.Stride);
        if (a.Padding != 0) s += ", Padding = " + I(a.Padding);
        return s + ")";
    }

    public override ShapeResult Resolve(Shape input, LayerArguments a)
    {
        string d = Declaration(a);
        if (a.Units <= 0) return ShapeResult.Error(DiagnosticDescriptors.NonPositiveSize, Name, I(a.Units));
        if (a.Kernel <= 0) return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, d, "the kernel size", "1 or more", I(a.Kernel));
        if (a.Stride <= 0) return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, d, "Stride", "1 or more", I(a.Stride));
        if (a.Padding < 0) return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, d, "Padding", "0 or more", I(a.Padding));
        if (Initialisation.Check(d, a) is { } bad) return bad;
        if (!input.IsImage) return ShapeResult.Error(DiagnosticDescriptors.NeedsImage, d, input.Describe);
        return Pooling.Window(d, input, a.Units, a.Kernel, a.Stride, a.Padding, "kernel");
    }

    public override long ParameterCount(Shape input, Shape output, LayerArguments a) =>
        (long)a.Units * input.Channels * a.Kernel * a.Kernel + a.Units;

    public override (int Rows, int Columns, int FanIn) WeightShape(LayerSpec l)
    {
        int fanIn = l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel;
        return (l.Units, fanIn, fanIn);
    }

    public override int[]? WeightDimensions(LayerSpec l) => new[] { l.Units, l.InputShape.Channels, l.Arguments.Kernel, l.Arguments.Kernel };

    public override int BiasLength(LayerSpec l) => l.Units;

    public override string WeightDisplay(LayerSpec l) =>
        "[" + I(l.Units) + ", " + I(l.InputShape.Channels) + ", " + I(l.Arguments.Kernel) + ", " + I(l.Arguments.Kernel) + "]";

    /// <summary>
    /// One sample's colᵀ with a row of ones under it, and <c>[W | b]</c>: <c>(C·K·K + 1)·(OH·OW + F)</c> floats, the runtime's
    /// <c>Conv2D.ColumnsLength</c> with filters (the forward pass folds the bias into the product); the batch does not change it.
    /// </summary>
    public static long ColumnsLength(LayerSpec l) =>
        ((long)l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel + 1) * ((long)l.OutputShape.Height * l.OutputShape.Width + l.Units);

    public static string Columns(LayerSpec l) => "col" + l.Number;

    public override IEnumerable<Workspace> Workspaces(LayerSpec l)
    {
        yield return new Workspace(Columns(l), "float", ColumnsLength(l), PerRow: false,
            $"{l.DisplayName}'s im2col columns of one sample and a row of ones, [colᵀ; 1] [C·K·K + 1, OH·OW] = [{I(l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel + 1)}, {I(l.OutputShape.Height * l.OutputShape.Width)}], then [W | b] [{I(l.Units)}, {I(l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel + 1)}]");
    }

    private static string Sizes(LayerSpec l)
    {
        Shape s = l.InputShape;
        LayerArguments a = l.Arguments;
        return $"batch, channels: {I(s.Channels)}, height: {I(s.Height)}, width: {I(s.Width)}, filters: {I(a.Units)}, kernelSize: {I(a.Kernel)}, stride: {I(a.Stride)}, padding: {I(a.Padding)}";
    }

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Convolution forward ({l.DisplayName}): col = im2col({l.Input}), {l.Output} = col·{Dense.Weights(l)}ᵀ + {Dense.Bias(l)}, read as {l.OutputShape.Display}",
            $"{Kernels}Conv2D.Forward({l.Input}, {Dense.Weights(l)}, {Dense.Bias(l)}, {l.Output}, {Columns(l)}, {Sizes(l)});");

    private static string Call(LayerSpec l, string dW, string db, string dx, string? dxWanted)
    {
        string target = dxWanted is null ? dx : $"{dxWanted} ? {dx} : default({Span})";
        return $"{Kernels}Conv2D.Backward({l.Input}, {Dense.Weights(l)}, d{l.Output}, {dW}, {db}, {target}, {Columns(l)}, {Sizes(l)});";
    }

    private const string Span = "global::System.Span<float>";

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string wanted = dxWanted is null ? "" : " (when asked for)";
        string W = Dense.Weights(l), b = Dense.Bias(l), dout = "d" + l.Output;
        w.Step($"Convolution backward ({l.DisplayName}): d{W} = {dout}ᵀ·col, d{b} = Σ {dout}, {dx} = col2im({dout}·{W}){wanted}",
            Call(l, "d" + W, "d" + b, dx, dxWanted));
    }

    public override void EmitBackwardSgd(CodeWriter w, LayerSpec l, string dx, bool dxNeeded)
    {
        string W = Dense.Weights(l), b = Dense.Bias(l), dout = "d" + l.Output;
        string dxPart = dxNeeded ? $"{dx} = col2im({dout}·{W}) with {W} before the step, then " : "";
        w.Step($"Convolution backward with the SGD step ({l.DisplayName}): {dxPart}{W} ← {W} − lr·({dout}ᵀ·col + λ·{W}), {b} ← {b} − lr·Σ {dout}",
            $"{Kernels}Conv2D.SgdStep({l.Input}, {dout}, {W}, {b}, {(dxNeeded ? dx : Span + ".Empty")}, {Columns(l)}, learningRate, _weightDecay, {Sizes(l)});");
    }

    // ---- the parallel form: dx by samples, dW (a sum over every sample) whole, by one part ----

    private static long Work(LayerSpec l) =>
        (long)l.Units * l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel * l.OutputShape.Height * l.OutputShape.Width;

    public override long WorkPerRow(LayerSpec l) => Work(l);

    public override bool SplitsBackward => true;

    public override long ParameterWork(LayerSpec l) => Work(l);

    public override void EmitBackwardInput(CodeWriter w, LayerSpec l, string? dx, string? dxWanted, bool sgd)
    {
        if (dx is null) return;
        string wanted = dxWanted is null ? "" : " (when asked for)";
        string W = Dense.Weights(l), dout = "d" + l.Output;
        w.Step($"Convolution backward, these samples ({l.DisplayName}): {dx} = col2im({dout}·{W}){wanted}{(sgd ? $" with {W} before the step" : "")}",
            When(dxWanted, $"{Kernels}Conv2D.BackwardInput({W}, {dout}, {dx}, {Columns(l)}, {Sizes(l)});"));
    }

    public override void EmitParameterPart(CodeWriter w, LayerSpec l, bool sgd, long offset, long total)
    {
        string W = Dense.Weights(l), b = Dense.Bias(l), dout = "d" + l.Output;
        string owns = $"if ({Kernels}Partition.Owns({offset.ToString(CultureInfo.InvariantCulture)}, {Work(l).ToString(CultureInfo.InvariantCulture)}, {total.ToString(CultureInfo.InvariantCulture)}, part, parts)) ";
        if (sgd)
            w.Step($"Convolution SGD step, whole, by the part whose share holds it ({l.DisplayName}): {W} ← {W} − lr·({dout}ᵀ·col + λ·{W}), {b} ← {b} − lr·Σ {dout}",
                owns + $"{Kernels}Conv2D.SgdStep({l.Input}, {dout}, {W}, {b}, {Span}.Empty, {Columns(l)}, _stepRate, _weightDecay, {Sizes(l)});");
        else
            w.Step($"Convolution backward, whole, by the part whose share holds it ({l.DisplayName}): d{W} = {dout}ᵀ·col, d{b} = Σ {dout}",
                owns + $"{Kernels}Conv2D.Backward({l.Input}, {W}, {dout}, d{W}, d{b}, default, {Columns(l)}, {Sizes(l)});");
    }

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    // ---- the reference pass: the direct convolution, no im2col -----------------------------

    public override bool HasReferenceForm => true;

    /// <summary>The loops over one output pixel's window: the input pixel (iy, ix) it sees, skipped in the zero padding.</summary>
    private static string[] ReferenceWindow(LayerSpec l, params string[] body)
    {
        LayerArguments a = l.Arguments;
        Shape s = l.InputShape;
        string iy = "oy" + (a.Stride == 1 ? "" : " * " + I(a.Stride)) + " + ky" + (a.Padding == 0 ? "" : " - " + I(a.Padding));
        string ix = "ox" + (a.Stride == 1 ? "" : " * " + I(a.Stride)) + " + kx" + (a.Padding == 0 ? "" : " - " + I(a.Padding));
        var lines = new List<string>
        {
            $"for (int c = 0; c < {I(s.Channels)}; c++)",
            $"    for (int ky = 0; ky < {I(a.Kernel)}; ky++)",
            $"        for (int kx = 0; kx < {I(a.Kernel)}; kx++)",
            "        {",
            $"            int iy = {iy}, ix = {ix};",
        };
        if (a.Padding > 0)
            lines.Add($"            if (iy < 0 || iy >= {I(s.Height)} || ix < 0 || ix >= {I(s.Width)}) continue; // the zero padding adds nothing");
        foreach (string line in body) lines.Add("            " + line);
        lines.Add("        }");
        return lines.ToArray();
    }

    private static string InputAt(LayerSpec l, string x) =>
        $"{x}[n * {I((int)l.InputShape.Size)} + c * {I(l.InputShape.Height * l.InputShape.Width)} + iy * {I(l.InputShape.Width)} + ix]";

    private static string WeightAt(LayerSpec l, string W)
    {
        int k = l.Arguments.Kernel;
        return $"{W}[f * {I(l.InputShape.Channels * k * k)} + c * {I(k * k)} + ky * {I(k)} + kx]";
    }

    private static string OutputAt(LayerSpec l, string y) =>
        $"{y}[n * {I((int)l.OutputShape.Size)} + f * {I(l.OutputShape.Height * l.OutputShape.Width)} + oy * {I(l.OutputShape.Width)} + ox]";

    private static string Direct(LayerSpec l)
    {
        LayerArguments a = l.Arguments;
        string at = (a.Stride == 1 ? "oy + ky" : "oy·" + I(a.Stride) + " + ky") + (a.Padding == 0 ? "" : " − " + I(a.Padding)) + ", "
            + (a.Stride == 1 ? "ox + kx" : "ox·" + I(a.Stride) + " + kx") + (a.Padding == 0 ? "" : " − " + I(a.Padding));
        return $"{l.Output}[n, f, oy, ox] = {Dense.Bias(l)}[f] + Σ over c, ky, kx of {Dense.Weights(l)}[f, c, ky, kx] · {l.Input}[n, c, {at}]" +
            (a.Padding == 0 ? "" : " (0 in the padding)");
    }

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        string W = Dense.Weights(l), b = Dense.Bias(l);
        w.Line($"// Convolution forward ({l.DisplayName}): col = im2col({l.Input}), {l.Output} = col·{W}ᵀ + {b}, reshaped to [N, {I(l.Units)}, {I(l.OutputShape.Height)}, {I(l.OutputShape.Width)}]");
        var lines = new List<string>
        {
            "for (int n = 0; n < batch; n++)",
            $"    for (int f = 0; f < {I(l.Units)}; f++)",
            $"        for (int oy = 0; oy < {I(l.OutputShape.Height)}; oy++)",
            $"            for (int ox = 0; ox < {I(l.OutputShape.Width)}; ox++)",
            "            {",
            $"                double s = {b}[f];",
        };
        foreach (string line in ReferenceWindow(l, $"s += {WeightAt(l, W)} * {InputAt(l, l.Input)};")) lines.Add("                " + line);
        lines.Add($"                {OutputAt(l, l.Output)} = s;");
        lines.Add("            }");
        w.Step("written out as the direct convolution: " + Direct(l), lines.ToArray());
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string wanted = dxWanted is null ? "" : " (when asked for)";
        string W = Dense.Weights(l), b = Dense.Bias(l), dout = "d" + l.Output;
        w.Line($"// Convolution backward ({l.DisplayName}): d{W} = {dout}ᵀ·col, d{b} = Σ {dout}, {dx} = col2im({dout}·{W}){wanted}");
        var lines = new List<string> { $"d{W}.Clear();", $"d{b}.Clear();" };
        if (dxWanted is not null) lines.Add($"if ({dxWanted}) {dx}.Clear();");
        else lines.Add($"{dx}.Clear();");
        lines.AddRange(new[]
        {
            "for (int n = 0; n < batch; n++)",
            $"    for (int f = 0; f < {I(l.Units)}; f++)",
            $"        for (int oy = 0; oy < {I(l.OutputShape.Height)}; oy++)",
            $"            for (int ox = 0; ox < {I(l.OutputShape.Width)}; ox++)",
            "            {",
            $"                double g = {OutputAt(l, dout)};",
            $"                d{b}[f] += g;",
        });
        foreach (string line in ReferenceWindow(l,
            $"d{W}[f * {I(l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel)} + c * {I(l.Arguments.Kernel * l.Arguments.Kernel)} + ky * {I(l.Arguments.Kernel)} + kx] += g * {InputAt(l, l.Input)};",
            LayerKind.When(dxWanted, $"{InputAt(l, dx)} += g * {WeightAt(l, W)};")))
            lines.Add("                " + line);
        lines.Add("            }");
        w.Step($"written out: each {dout}[n, f, oy, ox] adds to d{b}[f], to d{W}[f, c, ky, kx] times the input pixel that weight saw, and to {dx} at that pixel times the weight",
            lines.ToArray());
    }
}
