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
        arguments = new LayerArguments(v[0], v[1], stride ?? 1, padding ?? 0, stride is not null, padding is not null);
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

    /// <summary>One sample's colᵀ, <c>C·K·K · OH·OW</c> floats: the batch does not change it.</summary>
    public static long ColumnsLength(LayerSpec l) =>
        (long)l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel * l.OutputShape.Height * l.OutputShape.Width;

    public static string Columns(LayerSpec l) => "col" + l.Number;

    public override IEnumerable<Workspace> Workspaces(LayerSpec l)
    {
        yield return new Workspace(Columns(l), "float", ColumnsLength(l), PerRow: false,
            $"{l.DisplayName}'s im2col columns of one sample, colᵀ [C·K·K, OH·OW] = [{I(l.InputShape.Channels * l.Arguments.Kernel * l.Arguments.Kernel)}, {I(l.OutputShape.Height * l.OutputShape.Width)}]");
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
        w.Step($"Convolution backward with the SGD step ({l.DisplayName}): {dxPart}{W} ← {W} − lr·{dout}ᵀ·col, {b} ← {b} − lr·Σ {dout}",
            $"{Kernels}Conv2D.SgdStep({l.Input}, {dout}, {W}, {b}, {(dxNeeded ? dx : Span + ".Empty")}, {Columns(l)}, learningRate, {Sizes(l)});");
    }

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);
}
