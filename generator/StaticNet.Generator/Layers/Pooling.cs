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
            $"{Kernels}Pool2D.MaxForward({l.Input}, {l.Output}, {Argmax(l)}, {Sizes(l)});");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.Declaration})");
        w.Step($"Pooling backward ({l.Declaration}): {dx} = d{l.Output} at the argmax of each window, else 0",
            When(dxWanted, $"{Kernels}Pool2D.MaxBackward(d{l.Output}, {Argmax(l)}, {dx}, {Sizes(l)});"));
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
}
