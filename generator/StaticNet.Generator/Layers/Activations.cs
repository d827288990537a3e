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
}

internal sealed class ReLU : ElementwiseActivation
{
    public static readonly ReLU Instance = new();
    public override string Name => "ReLU";
    protected override string Kernel => "Relu";
    protected override string ForwardMath => "{1} = max(0, {0})";
    protected override string BackwardMath => "{0} = {1} where {2} > 0, else 0 (the book's mask: {2} > 0 exactly where {3} > 0)";
}

internal sealed class Sigmoid : ElementwiseActivation
{
    public static readonly Sigmoid Instance = new();
    public override string Name => "Sigmoid";
    protected override string Kernel => "Sigmoid";
    protected override string ForwardMath => "{1} = 1 / (1 + exp(-{0}))";
    protected override string BackwardMath => "{0} = {1} * {2} * (1 - {2})";
}

internal sealed class Tanh : ElementwiseActivation
{
    public static readonly Tanh Instance = new();
    public override string Name => "Tanh";
    protected override string Kernel => "Tanh";
    protected override string ForwardMath => "{1} = tanh({0})";
    protected override string BackwardMath => "{0} = {1} * (1 - {2}²)";
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
}
