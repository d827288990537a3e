using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;
using StaticNet.Generator.Parsing;

namespace StaticNet.Generator.Layers;

/// <summary>Max or average pooling over square windows, channel by channel, without padding.</summary>
internal abstract class Pooling : LayerKind
{
    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        if (!TryInts(attribute, 1, out int[] v)) return false;
        int? stride = Named(attribute, "Stride");
        arguments = new LayerArguments(0, v[0], stride ?? v[0], 0, stride is not null);
        return true;
    }

    /// <summary><c>MaxPool2D(2)</c>, <c>MaxPool2D(2, Stride = 1)</c>: the spelling StaticNet.Onnx parses.</summary>
    public override string Declaration(LayerArguments a) =>
        Name + "(" + I(a.Kernel) + (a.Stride != a.Kernel ? ", Stride = " + I(a.Stride) : "") + ")";

    public override ShapeResult Resolve(Shape input, LayerArguments a)
    {
        string d = Declaration(a);
        if (a.Kernel <= 0) return ShapeResult.Error(DiagnosticDescriptors.NonPositiveSize, Name, I(a.Kernel));
        if (a.Stride <= 0) return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, d, "Stride", "1 or more", I(a.Stride));
        if (!input.IsImage) return ShapeResult.Error(DiagnosticDescriptors.NeedsImage, d, input.Describe);
        return Window(d, input, input.Channels, a.Kernel, a.Stride, 0, "window");
    }

    /// <summary>
    /// The output shape of windows of <paramref name="kernel"/> at <paramref name="stride"/> over the padded input, or
    /// the diagnostic when the window does not fit, the stride does not divide, or the output is too large. All in longs:
    /// a padding or size near int.MaxValue must not wrap around.
    /// </summary>
    internal static ShapeResult Window(string declaration, Shape input, int channels, int kernel, int stride, int padding, string what)
    {
        string padded = padding == 0 ? "input" : "padded input";
        for (int axis = 0; axis < 2; axis++)
        {
            long size = (axis == 0 ? input.Height : input.Width) + 2L * padding;
            if (kernel > size)
                return ShapeResult.Error(DiagnosticDescriptors.WindowTooLarge, declaration, what, I(kernel), padded,
                    padding == 0 ? I(axis == 0 ? input.Height : input.Width) : $"{I(axis == 0 ? input.Height : input.Width)} + 2·{I(padding)}");
            long span = size - kernel;
            if (span % stride != 0)
                return ShapeResult.Error(DiagnosticDescriptors.OutputNotWhole, declaration, I(stride),
                    padding == 0 ? $"{(axis == 0 ? "height" : "width")} − {what} = {I(axis == 0 ? input.Height : input.Width)} − {I(kernel)} = {span.ToString(CultureInfo.InvariantCulture)}"
                        : $"{(axis == 0 ? "height" : "width")} + 2·padding − {what} = {I(axis == 0 ? input.Height : input.Width)} + 2·{I(padding)} − {I(kernel)} = {span.ToString(CultureInfo.InvariantCulture)}");
        }
        long oh = (input.Height + 2L * padding - kernel) / stride + 1, ow = (input.Width + 2L * padding - kernel) / stride + 1;
        long row = channels * oh * ow; // each factor is below 2³¹, and oh·ow below 2⁶², so check before the last product can overflow
        if (oh * ow > NetworkParser.MaxArrayLength || row > NetworkParser.MaxArrayLength)
            return ShapeResult.Error(DiagnosticDescriptors.RowTooLarge, declaration,
                (oh * ow > NetworkParser.MaxArrayLength ? "more than " + NetworkParser.MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture) : row.ToString("N0", CultureInfo.InvariantCulture)),
                NetworkParser.MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
        return ShapeResult.Of(Shape.Image(channels, (int)oh, (int)ow));
    }

    protected string Sizes(LayerSpec l)
    {
        Shape s = l.InputShape;
        return $"batch, channels: {I(s.Channels)}, height: {I(s.Height)}, width: {I(s.Width)}, poolSize: {I(l.Arguments.Kernel)}, stride: {I(l.Arguments.Stride)}";
    }

    protected static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    // ---- the reference pass ----------------------------------------------------------------

    /// <summary>The loops over every window of every channel, <paramref name="body"/> inside (it sees n, c, oy, ox).</summary>
    protected static List<string> ReferenceWindows(LayerSpec l, params string[] body)
    {
        var lines = new List<string>
        {
            "for (int n = 0; n < batch; n++)",
            $"    for (int c = 0; c < {I(l.InputShape.Channels)}; c++)",
            $"        for (int oy = 0; oy < {I(l.OutputShape.Height)}; oy++)",
            $"            for (int ox = 0; ox < {I(l.OutputShape.Width)}; ox++)",
            "            {",
        };
        foreach (string line in body) lines.Add("                " + line);
        lines.Add("            }");
        return lines;
    }

    /// <summary>The index of the window's pixel (ky, kx) in the input: <c>n·CHW + c·HW + (oy·S + ky)·W + ox·S + kx</c>.</summary>
    protected static string ReferenceInputIndex(LayerSpec l)
    {
        string stride = l.Arguments.Stride == 1 ? "" : " * " + I(l.Arguments.Stride);
        return $"n * {I((int)l.InputShape.Size)} + c * {I(l.InputShape.Height * l.InputShape.Width)} + (oy{stride} + ky) * {I(l.InputShape.Width)} + ox{stride} + kx";
    }

    /// <summary>The index of output pixel (oy, ox) of channel c: <c>n·C·OH·OW + c·OH·OW + oy·OW + ox</c>.</summary>
    protected static string ReferenceOutputIndex(LayerSpec l) =>
        $"n * {I((int)l.OutputShape.Size)} + c * {I(l.OutputShape.Height * l.OutputShape.Width)} + oy * {I(l.OutputShape.Width)} + ox";

    /// <summary>The two loops over the window's pixels, one statement inside.</summary>
    protected static string[] ReferenceWindowLoop(LayerSpec l, string statement) => new[]
    {
        $"for (int ky = 0; ky < {I(l.Arguments.Kernel)}; ky++)",
        $"    for (int kx = 0; kx < {I(l.Arguments.Kernel)}; kx++) {statement}",
    };
}

/// <summary>Max pooling: the maximum of each window; the backward pass routes dout to where it was.</summary>
internal sealed class MaxPool2D : Pooling
{
    public static readonly MaxPool2D Instance = new();

    public override string Name => "MaxPool2D";

    public static string Argmax(LayerSpec l) => "argmax" + l.Index;

    public override IEnumerable<Workspace> Workspaces(LayerSpec l)
    {
        yield return new Workspace(Argmax(l), "int", l.OutputShape.Size, PerRow: true,
            $"where each maximum of {l.Declaration} was, an index into {l.Input}");
    }

    public override long RowWidth(LayerSpec l) => l.OutputShape.Size;

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Pooling forward ({l.Declaration}): {l.Output} = the maximum of each {I(l.Arguments.Kernel)}×{I(l.Arguments.Kernel)} window of {l.Input}, remembering where it was",
            $"{Kernels}Pool2D.MaxForward({l.Input}, {l.Output}, {Argmax(l)}, {Sizes(l)}{Origin(w, l)});");

    // In a part of the batch, the argmax indices are the whole batch's: the part's first float of the input added.
    private static string Origin(CodeWriter w, LayerSpec l) =>
        w.FirstRow is null ? "" : $", origin: {w.FirstRow} * {I((int)l.InputShape.Size)}";

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        w.Step($"Pooling backward ({l.Declaration}): {dx} = d{l.Output} at the argmax of each window, else 0",
            When(dxWanted, $"{Kernels}Pool2D.MaxBackward(d{l.Output}, {Argmax(l)}, {dx}, {Sizes(l)}{Origin(w, l)});"));
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        var body = new List<string> { "double max = double.NegativeInfinity;" };
        body.AddRange(ReferenceWindowLoop(l, $"max = global::System.Math.Max(max, {l.Input}[{ReferenceInputIndex(l)}]);"));
        body.Add($"{l.Output}[{ReferenceOutputIndex(l)}] = max;");
        w.Step($"Pooling forward ({l.Declaration}): {l.Output} = the maximum of each {I(l.Arguments.Kernel)}×{I(l.Arguments.Kernel)} window of {l.Input}, remembering where it was",
            ReferenceWindows(l, body.ToArray()).ToArray());
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        // The argmax is found again from the input, the first maximum in row-major window order (as np.argmax).
        var body = new List<string> { "int at = -1;", "double max = double.NegativeInfinity;" };
        body.Add($"for (int ky = 0; ky < {I(l.Arguments.Kernel)}; ky++)");
        body.Add($"    for (int kx = 0; kx < {I(l.Arguments.Kernel)}; kx++)");
        body.Add("    {");
        body.Add($"        int i = {ReferenceInputIndex(l)};");
        body.Add($"        if (at < 0 || {l.Input}[i] > max) {{ at = i; max = {l.Input}[i]; }}");
        body.Add("    }");
        body.Add($"{dx}[at] += d{l.Output}[{ReferenceOutputIndex(l)}]; // where the maximum was, found again: the first in the window");
        var lines = new List<string> { $"{dx}.Clear();" };
        lines.AddRange(ReferenceWindows(l, body.ToArray()));
        w.Step($"Pooling backward ({l.Declaration}): {dx} = d{l.Output} at the argmax of each window, else 0",
            dxWanted is null ? lines.ToArray() : Wrap(dxWanted, lines));
    }

    /// <summary>Several statements under one <c>if</c>, in braces.</summary>
    private static string[] Wrap(string condition, List<string> lines)
    {
        var all = new List<string> { "if (" + condition + ")", "{" };
        foreach (string line in lines) all.Add("    " + line);
        all.Add("}");
        return all.ToArray();
    }
}

/// <summary>Average pooling: the mean of each window; the backward pass spreads dout evenly over it.</summary>
internal sealed class AvgPool2D : Pooling
{
    public static readonly AvgPool2D Instance = new();

    public override string Name => "AvgPool2D";

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Pooling forward ({l.Declaration}): {l.Output} = the mean of each {I(l.Arguments.Kernel)}×{I(l.Arguments.Kernel)} window of {l.Input}",
            $"{Kernels}Pool2D.AvgForward({l.Input}, {l.Output}, {Sizes(l)});");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        w.Step($"Pooling backward ({l.Declaration}): {dx} = d{l.Output} / {I(l.Arguments.Kernel * l.Arguments.Kernel)} spread evenly over each window, summed where windows overlap",
            When(dxWanted, $"{Kernels}Pool2D.AvgBackward(d{l.Output}, {dx}, {Sizes(l)});"));
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        var body = new List<string> { "double s = 0;" };
        body.AddRange(ReferenceWindowLoop(l, $"s += {l.Input}[{ReferenceInputIndex(l)}];"));
        body.Add($"{l.Output}[{ReferenceOutputIndex(l)}] = s / {I(l.Arguments.Kernel * l.Arguments.Kernel)};");
        w.Step($"Pooling forward ({l.Declaration}): {l.Output} = the mean of each {I(l.Arguments.Kernel)}×{I(l.Arguments.Kernel)} window of {l.Input}",
            ReferenceWindows(l, body.ToArray()).ToArray());
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        var body = new List<string> { $"double g = d{l.Output}[{ReferenceOutputIndex(l)}] / {I(l.Arguments.Kernel * l.Arguments.Kernel)};" };
        body.AddRange(ReferenceWindowLoop(l, $"{dx}[{ReferenceInputIndex(l)}] += g;"));
        var lines = new List<string> { (dxWanted is null ? "" : "if (" + dxWanted + ") ") + $"{dx}.Clear();" };
        List<string> windows = ReferenceWindows(l, body.ToArray());
        if (dxWanted is not null)
        {
            lines.Add("if (" + dxWanted + ")");
            foreach (string line in windows) lines.Add("    " + line);
        }
        else lines.AddRange(windows);
        w.Step($"Pooling backward ({l.Declaration}): {dx} = Σ over the windows holding each pixel of d{l.Output} / {I(l.Arguments.Kernel * l.Arguments.Kernel)}",
            lines.ToArray());
    }
}

/// <summary>Flatten: (C, H, W) → C·H·W in CHW order, which is already the data's order: the output is the input's buffer.</summary>
internal sealed class Flatten : LayerKind
{
    public static readonly Flatten Instance = new();

    public override string Name => "Flatten";

    public override ShapeResult Resolve(Shape input, LayerArguments arguments) =>
        ShapeResult.Of(Shape.Vector((int)input.Size));

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Line($"// Flatten: {l.Input} {l.InputShape.Display} read as {l.OutputShape.Display} in CHW order: the same buffer, nothing to copy.");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Line($"// Flatten backward: {dx} {l.OutputShape.Display} read back as {l.InputShape.Display}: the same buffer, nothing to copy.");

    // ---- the reference pass: the same as the fast one, a reshape ---------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) => EmitForward(w, l);

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) => EmitBackward(w, l, dx, dxWanted);
}
