using System;
using System.Collections.Generic;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>
/// One kind of layer: its declaration, its output shape and parameter count, and the code of its
/// forward and backward steps. A new layer is one subclass in this folder plus a line in <see cref="All"/>.
/// Instances are singletons, so records holding them compare by reference.
/// </summary>
internal abstract class LayerKind
{
    /// <summary>The attribute's name without <c>Attribute</c>: <c>Dense</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the attribute takes a size (Dense's units).</summary>
    public virtual bool HasUnits => false;

    public virtual bool IsLoss => false;

    public virtual int OutputSize(int inputSize, int units) => inputSize;

    public virtual int ParameterCount(int inputSize, int outputSize) => 0;

    /// <summary>Writes the forward step: <c>layer.Output</c> from <c>layer.Input</c>.</summary>
    public abstract void EmitForward(CodeWriter w, LayerSpec layer);

    /// <summary>
    /// Writes the backward step: parameter gradients, and <paramref name="dx"/> (the gradient of the
    /// layer's input) from <c>d{layer.Output}</c>. When <paramref name="dxWanted"/> is not null, the
    /// input gradient is computed only under that condition.
    /// </summary>
    public abstract void EmitBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted);

    /// <summary>
    /// Writes the backward step of <c>BackwardSgd</c>: <paramref name="dx"/> when <paramref name="dxNeeded"/>
    /// (a layer below has parameters), and the layer's SGD step instead of its parameter gradients.
    /// Layers without parameters write what <see cref="EmitBackward"/> writes.
    /// </summary>
    public virtual void EmitBackwardSgd(CodeWriter w, LayerSpec layer, string dx, bool dxNeeded)
    {
        if (dxNeeded) EmitBackward(w, layer, dx, null);
    }

    public override string ToString() => Name;

    /// <summary>Every layer kind, by attribute name (<c>DenseAttribute</c>).</summary>
    public static readonly IReadOnlyDictionary<string, LayerKind> All = Index(
        Dense.Instance, ReLU.Instance, Sigmoid.Instance, Tanh.Instance, Softmax.Instance,
        SoftmaxCrossEntropy.Instance, MeanSquaredError.Instance);

    private static Dictionary<string, LayerKind> Index(params LayerKind[] kinds)
    {
        var all = new Dictionary<string, LayerKind>(StringComparer.Ordinal);
        foreach (LayerKind kind in kinds) all.Add(kind.Name + "Attribute", kind);
        return all;
    }

    protected const string Kernels = "global::StaticNet.Kernels.";

    /// <summary>A statement, wrapped in <c>if (condition)</c> when there is one.</summary>
    internal static string When(string? condition, string statement) =>
        condition is null ? statement : "if (" + condition + ") " + statement;
}

/// <summary>A loss layer: last in the network; <c>Forward</c> uses its inference form, <c>Loss</c> its loss form.</summary>
internal abstract class LossKind : LayerKind
{
    public override bool IsLoss => true;

    /// <summary>Whether <c>Loss</c> also takes class labels (<c>ReadOnlySpan&lt;int&gt;</c>).</summary>
    public virtual bool TakesLabels => false;

    /// <summary>Writes the forward step as <c>Forward</c> runs it (no targets).</summary>
    public abstract override void EmitForward(CodeWriter w, LayerSpec layer);

    /// <summary>Writes the loss step: sets <c>loss</c> from <c>layer.Input</c> and the targets <c>t</c>.</summary>
    public abstract void EmitLoss(CodeWriter w, LayerSpec layer);

    /// <summary>Writes <c>Backward()</c>'s first step: <paramref name="dx"/> = dLoss/d input.</summary>
    public abstract void EmitLossBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted);

    /// <summary>Writes <c>Backward(outputGradient, …)</c>'s first step: <paramref name="dx"/> from <c>dy = outputGradient</c>.</summary>
    public abstract override void EmitBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted);
}
