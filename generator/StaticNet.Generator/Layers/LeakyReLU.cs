using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>LeakyReLU(slope): <c>y = x</c> where <c>x &gt; 0</c>, else <c>slope·x</c>, element-wise (PyTorch's LeakyReLU).</summary>
internal sealed class LeakyReLU : LayerKind
{
    public static readonly LeakyReLU Instance = new();

    public override string Name => "LeakyReLU";

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not float slope) return false;
        arguments = new LayerArguments(0, Slope: slope);
        return true;
    }

    /// <summary><c>LeakyReLU(0.01)</c>: the spelling StaticNet.Onnx parses (its first positional argument is the slope).</summary>
    public override string Declaration(LayerArguments a) => "LeakyReLU(" + Initialisation.Float(a.Slope) + ")";

    public override ShapeResult Resolve(Shape input, LayerArguments a) =>
        a.Slope > 0 && a.Slope < 1
            ? ShapeResult.Of(input)
            : ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, Declaration(a), "the slope", "greater than 0 and less than 1", Initialisation.Float(a.Slope));

    private static string Slope(LayerSpec l) => Initialisation.Float(l.Arguments.Slope) + "f";

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"LeakyReLU forward: {l.Output} = {l.Input} where {l.Input} > 0, else {Initialisation.Float(l.Arguments.Slope)}·{l.Input}",
            $"{Kernels}Activation.LeakyReluForward({l.Input}, {l.Output}, slope: {Slope(l)});");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        string dout = "d" + l.Output;
        w.Step($"LeakyReLU backward: {dx} = {dout} where {l.Output} > 0, else {Initialisation.Float(l.Arguments.Slope)}·{dout} (the book's ReLU mask, with the slope where it is 0: {l.Output} > 0 exactly where {l.Input} > 0)",
            When(dxWanted, $"{Kernels}Activation.LeakyReluBackward({l.Output}, {dout}, {dx}, slope: {Slope(l)});"));
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    private static string SlopeDouble(LayerSpec l) => Initialisation.Float(l.Arguments.Slope);

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) =>
        w.Step($"LeakyReLU forward: {l.Output} = {l.Input} where {l.Input} > 0, else {SlopeDouble(l)}·{l.Input}",
            $"for (int k = 0; k < batch * {l.OutputSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}; k++) {l.Output}[k] = {l.Input}[k] > 0 ? {l.Input}[k] : (double){Slope(l)} * {l.Input}[k];");

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        string dout = "d" + l.Output;
        w.Step($"LeakyReLU backward: {dx} = {dout} where {l.Output} > 0, else {SlopeDouble(l)}·{dout}",
            ReferenceWhen(dxWanted,
                $"for (int k = 0; k < batch * {l.OutputSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}; k++) {dx}[k] = {l.Output}[k] > 0 ? {dout}[k] : (double){Slope(l)} * {dout}[k];"));
    }
}
