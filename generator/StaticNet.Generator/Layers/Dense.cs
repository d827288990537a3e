using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>Dense (the book's Affine): <c>a = x·W + b</c>, with <c>W [inputs, units]</c>.</summary>
internal sealed class Dense : LayerKind
{
    public static readonly Dense Instance = new();

    public override string Name => "Dense";

    public override bool HasUnits => true;

    public override int OutputSize(int inputSize, int units) => units;

    public override int ParameterCount(int inputSize, int outputSize) => inputSize * outputSize + outputSize;

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
                sgd);
        else
            w.Step($"Affine backward with the SGD step ({l.DisplayName}): {W} ← {W} − lr·{l.Input}ᵀ·{dout}, {b} ← {b} − lr·Σ {dout}", sgd);
    }

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string dout = "d" + l.Output;
        string wanted = dxWanted is null ? "" : " (when asked for)";
        w.Step($"Affine backward ({l.DisplayName}): d{Weights(l)} = {l.Input}ᵀ·{dout}, d{Bias(l)} = Σ {dout}, {dx} = {dout}·{Weights(l)}ᵀ{wanted}",
            $"{Kernels}Affine.BackwardWeights({l.Input}, {dout}, d{Weights(l)}, d{Bias(l)}, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});",
            When(dxWanted, $"{Kernels}Affine.BackwardInput({dout}, {Weights(l)}, {dx}, _scratch, batch, inputs: {l.InputSize}, outputs: {l.OutputSize});"));
    }
}
