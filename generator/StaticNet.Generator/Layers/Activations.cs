using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>An element-wise activation whose backward pass needs only its output <c>y</c>.</summary>
internal abstract class ElementwiseActivation : LayerKind
{
    /// <summary>The forward math with <c>{0}</c> for the input and <c>{1}</c> for the output.</summary>
    protected abstract string ForwardMath { get; }

    /// <summary>The backward math with <c>{0}</c> for dx, <c>{1}</c> for dout, <c>{2}</c> for y and <c>{3}</c> for x.</summary>
    protected abstract string BackwardMath { get; }

    /// <summary>The kernel method pair's stem in <c>StaticNet.Kernels.Activation</c>: <c>Relu</c> → ReluForward, ReluBackward.</summary>
    protected abstract string Kernel { get; }

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"{Name} forward: " + string.Format(ForwardMath, l.Input, l.Output),
            $"{Kernels}Activation.{Kernel}Forward({l.Input}, {l.Output});");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        w.Step($"{Name} backward: " + string.Format(BackwardMath, dx, "d" + l.Output, l.Output, l.Input),
            When(dxWanted, $"{Kernels}Activation.{Kernel}Backward({l.Output}, d{l.Output}, {dx});"));
    }

    // ---- the reference pass ----------------------------------------------------------------

    /// <summary>The reference forward of one element in double, <c>{0}</c> for <c>x[k]</c>; null: no reference form yet.</summary>
    protected virtual string? ReferenceForwardMath => null;

    /// <summary>The reference backward of one element, <c>{0}</c> for <c>dout[k]</c>, <c>{1}</c> for <c>y[k]</c>; null: no reference form yet.</summary>
    protected virtual string? ReferenceBackwardMath => null;

    public override bool HasReferenceForm => ReferenceForwardMath is not null && ReferenceBackwardMath is not null;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) =>
        w.Step($"{Name} forward: " + string.Format(ForwardMath, l.Input, l.Output),
            $"for (int k = 0; k < batch * {l.OutputSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}; k++) {l.Output}[k] = " +
            string.Format(ReferenceForwardMath!, l.Input + "[k]") + ";");

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        w.Step($"{Name} backward: " + string.Format(BackwardMath, dx, "d" + l.Output, l.Output, l.Input),
            ReferenceWhen(dxWanted,
                $"for (int k = 0; k < batch * {l.OutputSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}; k++) {dx}[k] = " +
                string.Format(ReferenceBackwardMath!, "d" + l.Output + "[k]", l.Output + "[k]") + ";"));
    }
}

internal sealed class ReLU : ElementwiseActivation
{
    public static readonly ReLU Instance = new();
    public override string Name => "ReLU";
    protected override string Kernel => "Relu";
    protected override string ForwardMath => "{1} = max(0, {0})";
    protected override string BackwardMath => "{0} = {1} where {2} > 0, else 0 (the book's mask: {2} > 0 exactly where {3} > 0)";
    protected override string? ReferenceForwardMath => "{0} > 0 ? {0} : 0";
    protected override string? ReferenceBackwardMath => "{1} > 0 ? {0} : 0";
}

internal sealed class Sigmoid : ElementwiseActivation
{
    public static readonly Sigmoid Instance = new();
    public override string Name => "Sigmoid";
    protected override string Kernel => "Sigmoid";
    protected override string ForwardMath => "{1} = 1 / (1 + exp(-{0}))";
    protected override string BackwardMath => "{0} = {1} * {2} * (1 - {2})";
    protected override string? ReferenceForwardMath => "1 / (1 + global::System.Math.Exp(-{0}))";
    protected override string? ReferenceBackwardMath => "{0} * {1} * (1 - {1})";
}

internal sealed class Tanh : ElementwiseActivation
{
    public static readonly Tanh Instance = new();
    public override string Name => "Tanh";
    protected override string Kernel => "Tanh";
    protected override string ForwardMath => "{1} = tanh({0})";
    protected override string BackwardMath => "{0} = {1} * (1 - {2}²)";
    protected override string? ReferenceForwardMath => "global::System.Math.Tanh({0})";
    protected override string? ReferenceBackwardMath => "{0} * (1 - {1} * {1})";
}

/// <summary>Softmax over each row.</summary>
internal sealed class Softmax : LayerKind
{
    public static readonly Softmax Instance = new();
    public override string Name => "Softmax";

    public override ShapeResult Resolve(Shape input, LayerArguments arguments) => input.IsImage ? NeedsVector(input) : ShapeResult.Of(input);

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Softmax forward: {l.Output} = exp({l.Input}) / Σ exp({l.Input}), row by row",
            $"{Kernels}Activation.SoftmaxForward({l.Input}, {l.Output}, batch, {l.OutputSize});");

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        w.Step($"Softmax backward: {dx} = {l.Output} * (d{l.Output} - Σ d{l.Output} * {l.Output}), row by row",
            When(dxWanted, $"{Kernels}Activation.SoftmaxBackward({l.Output}, d{l.Output}, {dx}, batch, {l.OutputSize});"));
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Softmax forward: {l.Output} = exp({l.Input}) / Σ exp({l.Input}), row by row", ReferenceRows(l.Input, l.Output, l.OutputSize));

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        if (dxWanted is not null)
            w.Line($"// (only when the input gradient is asked for: no parameters lie below {l.DisplayName})");
        w.Step($"Softmax backward: {dx} = {l.Output} * (d{l.Output} - Σ d{l.Output} * {l.Output}), row by row",
            ReferenceWhen(dxWanted, ReferenceBackwardRows(l.Output, "d" + l.Output, dx, l.OutputSize)));
    }

    /// <summary>Softmax of each row of <paramref name="x"/> into <paramref name="y"/>, shifted by the row's maximum (which cancels) so exp cannot overflow.</summary>
    internal static string[] ReferenceRows(string x, string y, int width)
    {
        string J = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new[]
        {
            "for (int n = 0; n < batch; n++)",
            "{",
            $"    double max = {x}[n * {J}]; // exp({x} - max) / Σ exp({x} - max) is the same ratio, and exp cannot overflow",
            $"    for (int j = 1; j < {J}; j++) max = global::System.Math.Max(max, {x}[n * {J} + j]);",
            "    double sum = 0;",
            $"    for (int j = 0; j < {J}; j++)",
            "    {",
            $"        {y}[n * {J} + j] = global::System.Math.Exp({x}[n * {J} + j] - max);",
            $"        sum += {y}[n * {J} + j];",
            "    }",
            $"    for (int j = 0; j < {J}; j++) {y}[n * {J} + j] /= sum;",
            "}",
        };
    }

    /// <summary>Softmax backward of each row: <c>dx = y * (dy - Σ dy * y)</c>.</summary>
    internal static string[] ReferenceBackwardRows(string y, string dy, string dx, int width)
    {
        string J = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new[]
        {
            "for (int n = 0; n < batch; n++)",
            "{",
            "    double dot = 0;",
            $"    for (int j = 0; j < {J}; j++) dot += {dy}[n * {J} + j] * {y}[n * {J} + j];",
            $"    for (int j = 0; j < {J}; j++) {dx}[n * {J} + j] = {y}[n * {J} + j] * ({dy}[n * {J} + j] - dot);",
            "}",
        };
    }
}
