using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>The book's SoftmaxWithLoss: softmax, then cross-entropy against the targets <c>t</c>.</summary>
internal sealed class SoftmaxCrossEntropy : LossKind
{
    public static readonly SoftmaxCrossEntropy Instance = new();
    public override string Name => "SoftmaxCrossEntropy";
    public override bool TakesLabels => true;

    public override ShapeResult Resolve(Shape input, LayerArguments arguments) => input.IsImage ? NeedsVector(input) : ShapeResult.Of(input);

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Softmax (the inference form of SoftmaxCrossEntropy): {l.Output} = exp({l.Input}) / Σ exp({l.Input}), row by row",
            $"{Kernels}Activation.SoftmaxForward({l.Input}, {l.Output}, batch, {l.OutputSize});");

    public override void EmitLoss(CodeWriter w, LayerSpec l) =>
        w.Step($"SoftmaxWithLoss forward: {l.Output} = softmax({l.Input}), loss = -Σ t·log {l.Output} / N",
            $"loss = {Kernels}Loss.SoftmaxCrossEntropy({l.Input}, t, {l.Output}, batch, {l.OutputSize});");

    public override void EmitLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"SoftmaxWithLoss backward: {dx} = ({l.Output} - t) / N",
            When(dxWanted, $"{Kernels}Loss.SoftmaxCrossEntropyBackward({l.Output}, t, {dx}, batch);"));

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"Softmax backward (Forward's output is the softmax): {dx} = {l.Output} * (dy - Σ dy * {l.Output}), row by row",
            When(dxWanted, $"{Kernels}Activation.SoftmaxBackward({l.Output}, outputGradient, {dx}, batch, {l.OutputSize});"));

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Softmax (the inference form of SoftmaxCrossEntropy): {l.Output} = exp({l.Input}) / Σ exp({l.Input}), row by row",
            Softmax.ReferenceRows(l.Input, l.Output, l.OutputSize));

    public override void EmitReferenceLoss(CodeWriter w, LayerSpec l)
    {
        var lines = new System.Collections.Generic.List<string>(Softmax.ReferenceRows(l.Input, l.Output, l.OutputSize))
        {
            "loss = 0;",
            $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) if (t[k] != 0) loss -= t[k] * global::System.Math.Log({l.Output}[k]); // 0·log 0 counts as 0",
            "loss /= batch;",
        };
        w.Step($"SoftmaxWithLoss forward: {l.Output} = softmax({l.Input}), loss = -Σ t·log {l.Output} / N", lines.ToArray());
    }

    public override void EmitReferenceLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"SoftmaxWithLoss backward: {dx} = ({l.Output} - t) / N",
            ReferenceWhen(dxWanted, $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) {dx}[k] = ({l.Output}[k] - t[k]) / batch;"));

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"Softmax backward (Forward's output is the softmax): {dx} = {l.Output} * (dy - Σ dy * {l.Output}), row by row",
            ReferenceWhen(dxWanted, Softmax.ReferenceBackwardRows(l.Output, "outputGradient", dx, l.OutputSize)));

    private static string N(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Mean squared error; its output is its input, unchanged.</summary>
internal sealed class MeanSquaredError : LossKind
{
    public static readonly MeanSquaredError Instance = new();
    public override string Name => "MeanSquaredError";

    public override void EmitForward(CodeWriter w, LayerSpec l)
    {
        // Nothing to do: the output is the input.
    }

    public override void EmitLoss(CodeWriter w, LayerSpec l) =>
        w.Step($"MeanSquaredError forward: loss = Σ ({l.Input} - t)² / (N · {l.InputSize})",
            $"loss = {Kernels}Loss.MeanSquaredError({l.Input}, t);");

    public override void EmitLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"MeanSquaredError backward: {dx} = 2 ({l.Input} - t) / (N · {l.InputSize})",
            When(dxWanted, $"{Kernels}Loss.MeanSquaredErrorBackward({l.Input}, t, {dx});"));

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"MeanSquaredError passes its input through: {dx} = dy",
            When(dxWanted, $"outputGradient.CopyTo({dx});"));

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        // Nothing to do: the output is the input.
    }

    public override void EmitReferenceLoss(CodeWriter w, LayerSpec l) =>
        w.Step($"MeanSquaredError forward: loss = Σ ({l.Input} - t)² / (N · {l.InputSize})",
            "loss = 0;",
            $"for (int k = 0; k < batch * {N(l.InputSize)}; k++) loss += ({l.Input}[k] - t[k]) * ({l.Input}[k] - t[k]);",
            $"loss /= batch * {N(l.InputSize)};");

    public override void EmitReferenceLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"MeanSquaredError backward: {dx} = 2 ({l.Input} - t) / (N · {l.InputSize})",
            ReferenceWhen(dxWanted, $"for (int k = 0; k < batch * {N(l.InputSize)}; k++) {dx}[k] = 2 * ({l.Input}[k] - t[k]) / (batch * {N(l.InputSize)});"));

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"MeanSquaredError passes its input through: {dx} = dy",
            ReferenceWhen(dxWanted, $"for (int k = 0; k < batch * {N(l.InputSize)}; k++) {dx}[k] = outputGradient[k];"));

    private static string N(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Sigmoid with binary cross-entropy on the logits (PyTorch's BCEWithLogitsLoss, mean over N·outputs): every output is a
/// yes/no probability of its own, against a target in [0, 1].
/// </summary>
internal sealed class SigmoidCrossEntropy : LossKind
{
    public static readonly SigmoidCrossEntropy Instance = new();
    public override string Name => "SigmoidCrossEntropy";

    public override string? TargetsCheck(string targets) =>
        $"global::StaticNet.Kernels.Guard.Probabilities({targets}, OutputSize, nameof({targets})); // binary cross-entropy is a loss only against probabilities";

    public override void EmitForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Sigmoid (the inference form of SigmoidCrossEntropy): {l.Output} = σ({l.Input}) = 1 / (1 + exp(-{l.Input}))",
            $"{Kernels}Activation.SigmoidForward({l.Input}, {l.Output});");

    public override void EmitLoss(CodeWriter w, LayerSpec l) =>
        w.Step($"SigmoidWithLoss forward: {l.Output} = σ({l.Input}), loss = Σ [-t·log {l.Output} - (1 - t)·log(1 - {l.Output})] / (N · {l.OutputSize}),",
            $"// computed from the logits as Σ [max({l.Input}, 0) - {l.Input}·t + log(1 + exp(-|{l.Input}|))] / (N · {l.OutputSize}), finite for any {l.Input}",
            $"loss = {Kernels}Loss.SigmoidCrossEntropy({l.Input}, t, {l.Output});");

    public override void EmitLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"SigmoidWithLoss backward: {dx} = ({l.Output} - t) / (N · {l.OutputSize})",
            When(dxWanted, $"{Kernels}Loss.SigmoidCrossEntropyBackward({l.Output}, t, {dx});"));

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"Sigmoid backward (Forward's output is the sigmoid): {dx} = dy * {l.Output} * (1 - {l.Output})",
            When(dxWanted, $"{Kernels}Activation.SigmoidBackward({l.Output}, outputGradient, {dx});"));

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    private static string Sigmoid(LayerSpec l) =>
        $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) {l.Output}[k] = 1 / (1 + global::System.Math.Exp(-{l.Input}[k]));";

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l) =>
        w.Step($"Sigmoid (the inference form of SigmoidCrossEntropy): {l.Output} = σ({l.Input}) = 1 / (1 + exp(-{l.Input}))", Sigmoid(l));

    public override void EmitReferenceLoss(CodeWriter w, LayerSpec l) =>
        w.Step($"SigmoidWithLoss forward: {l.Output} = σ({l.Input}), loss = Σ [-t·log {l.Output} - (1 - t)·log(1 - {l.Output})] / (N · {l.OutputSize}),",
            $"// written from the logits as Σ [max({l.Input}, 0) - {l.Input}·t + log(1 + exp(-|{l.Input}|))] / (N · {l.OutputSize}), the same in exact arithmetic",
            Sigmoid(l),
            "loss = 0;",
            $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) loss += global::System.Math.Max({l.Input}[k], 0) - {l.Input}[k] * t[k] + global::System.Math.Log(1 + global::System.Math.Exp(-global::System.Math.Abs({l.Input}[k])));",
            $"loss /= batch * {N(l.OutputSize)};");

    public override void EmitReferenceLossBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"SigmoidWithLoss backward: {dx} = ({l.Output} - t) / (N · {l.OutputSize})",
            ReferenceWhen(dxWanted, $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) {dx}[k] = ({l.Output}[k] - t[k]) / (batch * {N(l.OutputSize)});"));

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted) =>
        w.Step($"Sigmoid backward (Forward's output is the sigmoid): {dx} = dy * {l.Output} * (1 - {l.Output})",
            ReferenceWhen(dxWanted, $"for (int k = 0; k < batch * {N(l.OutputSize)}; k++) {dx}[k] = outputGradient[k] * {l.Output}[k] * (1 - {l.Output}[k]);"));

    private static string N(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
