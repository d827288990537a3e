using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Emit;

/// <summary>
/// The L2 weight decay of a network with a loss layer (the book's ch. 6.4.2): the <c>WeightDecay</c> property, the
/// penalty <c>0.5·λ·ΣW²</c> that <c>Loss</c> adds, the <c>λ·W</c> that <c>Backward()</c> adds to each dW, and the decay
/// part of <c>BackwardSgd</c>'s fused step. Weights only: biases are not decayed, as in the book.
/// </summary>
internal static class WeightDecayEmitter
{
    private const string L2 = "global::StaticNet.Kernels.L2";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    /// <summary>
    /// Each weight block (not the biases, nor BatchNorm's γ and β, whose blocks are <c>Scale</c> and <c>Shift</c>, as
    /// <c>BackwardSgd</c> and PyTorch's practice leave them): name, offset, length.
    /// </summary>
    internal static IEnumerable<(string Name, int Offset, int Length)> Weights(NetworkSpec net)
    {
        foreach (LayerSpec l in net.Layers.Where(l => l.Number > 0 && l.Kind.BlockKinds.Weights == "Weights"))
        {
            var (rows, columns, _) = l.Kind.WeightShape(l);
            yield return (Dense.Weights(l), l.ParameterOffset, rows * columns);
        }
    }

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The property, its field and the two helpers <c>Loss</c> and <c>Backward()</c> call.</summary>
    public static void WriteMembers(CodeWriter w, NetworkSpec net)
    {
        w.Line("private float _weightDecay;");
        w.Line("/// <summary>");
        w.Line("/// λ of the L2 weight decay as the book defines it (ch. 6.4.2), 0 (off) by default: <c>Loss</c> adds");
        w.Line("/// <c>0.5·λ·ΣW²</c> over every weight to the loss it returns, <c>Backward()</c> adds <c>λ·W</c> to each dW and");
        w.Line("/// <c>BackwardSgd</c> steps <c>W ← W − lr·(dW + λ·W)</c>. Biases are not decayed. <c>Backward(outputGradient, inputGradient)</c>,");
        w.Line("/// whose loss is the caller's, adds nothing.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// This is decay through the loss, so an adaptive optimizer (Adam, AdaGrad, RMSProp) scales it like any gradient.");
        w.Line("/// <see cref=\"global::StaticNet.AdamW\"/>'s decay is decoupled instead: it shrinks every parameter it steps,");
        w.Line("/// biases too, by <c>lr·λ·p</c> outside the gradient (use one or the other, not both). PyTorch's");
        w.Line("/// <c>SGD(weight_decay=λ)</c> adds <c>λ·p</c> to the gradient of every parameter, biases too, and does not change the");
        w.Line("/// loss it reports; this property decays weights only and the loss includes the penalty, as in the book.");
        w.Line("/// </remarks>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The value is negative, NaN or infinite.</exception>");
        w.Line("public float WeightDecay");
        w.Open();
        w.Line("get => _weightDecay;");
        w.Line("set { global::StaticNet.Kernels.Guard.WeightDecay(value); _weightDecay = value; }");
        w.Close();
        w.Line();

        var weights = Weights(net).ToList();
        w.Line("/// <summary>Weight decay forward: 0.5·λ·ΣW² over every weight block (not the biases).</summary>");
        w.Open("private float WeightDecayPenalty()");
        if (weights.Count == 0)
            w.Line("return 0f; // no layer has weights");
        else
        {
            w.Line("double squares = 0;");
            foreach (var (name, offset, length) in weights)
                w.Line($"squares += {L2}.SumOfSquares(new {ReadOnlySpan}(_parameters, {SharedEmit.At("_p", offset)}, {I(length)})); // Σ {name}²");
            w.Line("return (float)(0.5 * _weightDecay * squares);");
        }
        w.Close();
        w.Line();
        w.Line("/// <summary>Weight decay backward: dW += λ·W for every weight block (the biases' gradients are left as they are).</summary>");
        w.Open("private void AddWeightDecayGradient()");
        foreach (var (name, offset, length) in weights)
            w.Line($"{L2}.AddGradient(new {ReadOnlySpan}(_parameters, {SharedEmit.At("_p", offset)}, {I(length)}), new global::System.Span<float>(_gradients, {SharedEmit.At("_g", offset)}, {I(length)}), _weightDecay); // d{name} += λ·{name}");
        w.Close();
        w.Line();
    }

    /// <summary><c>Loss</c>'s line after the loss layer: the penalty joins the loss.</summary>
    public static string PenaltyLine => "if (_weightDecay != 0f) loss += WeightDecayPenalty(); // L = L₀ + 0.5·λ·ΣW²";

    /// <summary><c>Backward()</c>'s line after the chain rule: dW = dL₀/dW + λ·W.</summary>
    public static string GradientLine => "if (_weightDecay != 0f) AddWeightDecayGradient(); // dW += λ·W (weights only)";

    /// <summary>
    /// The decay part of a layer's fused SGD step, written after its input gradient (which needs W before the step) and
    /// before the gradient part: <c>W ← (1 − lr·λ)·W</c>, then <c>W ← W − lr·dW</c>, together <c>W − lr·(dW + λ·W)</c>.
    /// </summary>
    public static string SgdShrink(LayerSpec l) =>
        $"if (_weightDecay != 0f) {L2}.Shrink({Dense.Weights(l)}, 1f - learningRate * _weightDecay); // weight decay: {Dense.Weights(l)} ← (1 − lr·λ)·{Dense.Weights(l)}";
}
