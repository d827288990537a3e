using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
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

    public virtual bool IsLoss => false;

    /// <summary>
    /// Reads the attribute's arguments (named ones too); false when they are not what its constructors take,
    /// which the compiler reports. Layers without arguments read none.
    /// </summary>
    public virtual bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        return true;
    }

    /// <summary>How the layer was declared, as <c>Architecture</c> spells it: <c>Dense(50)</c>, <c>Conv2D(30, 5, Stride = 2)</c>.</summary>
    public virtual string Declaration(LayerArguments arguments) => Name;

    /// <summary>
    /// The layer's output shape from its input shape, or the diagnostic that says why there is none (the
    /// arguments out of range, or an input of the wrong rank). Element-wise layers take any shape and keep it.
    /// </summary>
    public virtual ShapeResult Resolve(Shape input, LayerArguments arguments) => ShapeResult.Of(input);

    /// <summary>Parameters of the layer, as a long: the product may overflow before it is checked.</summary>
    public virtual long ParameterCount(Shape input, Shape output, LayerArguments arguments) => 0;

    /// <summary>The weight block as <see cref="ParameterBlock"/> describes it (rows, columns) and the fan-in of its initialisation.</summary>
    public virtual (int Rows, int Columns, int FanIn) WeightShape(LayerSpec layer) => (0, 0, 0);

    /// <summary>The weight block's dimensions when they are more than <see cref="WeightShape"/>'s two (Conv2D: F, C, K, K); null otherwise.</summary>
    public virtual int[]? WeightDimensions(LayerSpec layer) => null;

    /// <summary>The length of the bias block.</summary>
    public virtual int BiasLength(LayerSpec layer) => 0;

    /// <summary>The shape of the weights in the book's notation, for the doc comments: <c>[784, 50]</c>, <c>[30, 1, 5, 5]</c>.</summary>
    public virtual string WeightDisplay(LayerSpec layer) => "";

    /// <summary>The widest per-row buffer the layer needs (its output, or for Dense the scratch of its backward transposes).</summary>
    public virtual long RowWidth(LayerSpec layer) => layer.OutputShape.Size;

    /// <summary>The workspaces the layer's kernels take, allocated once in the constructor.</summary>
    public virtual IEnumerable<Workspace> Workspaces(LayerSpec layer) => Array.Empty<Workspace>();

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

    /// <summary>
    /// Whether the layer computes something else in training than in inference (Dropout, BatchNorm). Its
    /// <see cref="EmitForward"/> is then the inference form and <see cref="EmitForwardTraining"/> the training form.
    /// </summary>
    public virtual bool HasTrainingForm => false;

    /// <summary>Writes the forward step as a training <c>Loss</c> runs it; the inference form unless <see cref="HasTrainingForm"/>.</summary>
    public virtual void EmitForwardTraining(CodeWriter w, LayerSpec layer) => EmitForward(w, layer);

    /// <summary>The name of the weight view (<c>W1</c>; BatchNorm's <c>gamma2</c>).</summary>
    public virtual string WeightName(LayerSpec layer) => "W" + layer.Number;

    /// <summary>The name of the bias view (<c>b1</c>; BatchNorm's <c>beta2</c>).</summary>
    public virtual string BiasName(LayerSpec layer) => "b" + layer.Number;

    /// <summary>The <c>StaticNet.ParameterKind</c> members of the weight and bias blocks.</summary>
    public virtual (string Weights, string Bias) BlockKinds => ("Weights", "Bias");

    /// <summary>
    /// The layer's non-trained state (BatchNorm's running mean and variance), in the network's <c>State</c> block:
    /// each view's name, length and initial value.
    /// </summary>
    public virtual IEnumerable<(string Name, int Length, float Initial)> StateViews(LayerSpec layer) => Array.Empty<(string, int, float)>();

    public override string ToString() => Name;

    /// <summary>Every layer kind, by attribute name (<c>DenseAttribute</c>).</summary>
    public static readonly IReadOnlyDictionary<string, LayerKind> All = Index(
        Dense.Instance, Conv2D.Instance, MaxPool2D.Instance, AvgPool2D.Instance, Flatten.Instance, ReLU.Instance, Sigmoid.Instance, Tanh.Instance, Softmax.Instance,
        SoftmaxCrossEntropy.Instance, MeanSquaredError.Instance,
        Dropout.Instance, BatchNorm.Instance, GRU.Instance, LSTM.Instance, LeakyReLU.Instance, SigmoidCrossEntropy.Instance);

    private static Dictionary<string, LayerKind> Index(params LayerKind[] kinds)
    {
        var all = new Dictionary<string, LayerKind>(StringComparer.Ordinal);
        foreach (LayerKind kind in kinds) all.Add(kind.Name + "Attribute", kind);
        return all;
    }

    protected const string Kernels = "global::StaticNet.Kernels.";

    /// <summary>The constructor's int arguments, when they are exactly <paramref name="count"/> ints.</summary>
    protected static bool TryInts(AttributeData attribute, int count, out int[] values)
    {
        values = new int[count];
        if (attribute.ConstructorArguments.Length != count) return false;
        for (int i = 0; i < count; i++)
        {
            if (attribute.ConstructorArguments[i].Value is not int v) return false;
            values[i] = v;
        }
        return true;
    }

    /// <summary>A named int argument (<c>Stride = 2</c>), when it is given.</summary>
    protected static int? Named(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            if (argument.Key == name && argument.Value.Value is int v) return v;
        return null;
    }

    /// <summary>The diagnostic for a layer that takes a vector but gets an image.</summary>
    protected ShapeResult NeedsVector(Shape input) =>
        ShapeResult.Error(DiagnosticDescriptors.NeedsFlatten, Name, input.Describe);

    /// <summary>A statement, wrapped in <c>if (condition)</c> when there is one.</summary>
    internal static string When(string? condition, string statement) =>
        condition is null ? statement : "if (" + condition + ") " + statement;

    // ---- the parallel form (Emit/NetworkEmitter.Parallel.cs): the batch split between threads ---------------

    /// <summary>Multiply-adds per row of the forward pass, roughly: what <c>Partition.Parts</c> weighs against a thread's wake-up.</summary>
    public virtual long WorkPerRow(LayerSpec layer) => layer.OutputShape.Size;

    /// <summary>
    /// Whether the forward step computes each row from that row alone, so that threads may take a share of the rows each.
    /// Not the layers with a training form (Dropout draws its masks in one sequence, BatchNorm's statistics span the batch):
    /// those run whole on the calling thread, between the stages of rows.
    /// </summary>
    public virtual bool ForwardRowWise => !HasTrainingForm;

    /// <summary>Whether the backward step (of a layer without parameters) is row by row; BatchNorm's sums span the batch.</summary>
    public virtual bool BackwardRowWise => true;

    /// <summary>
    /// Whether the layer's backward step splits in two, as Dense and Conv2D do: the input gradient row by row
    /// (<see cref="EmitBackwardInput"/>, with the rows) and the parameter gradients, sums over the whole batch, in
    /// blocks of the weights (<see cref="EmitParameterPart"/>, in the last stage).
    /// </summary>
    public virtual bool SplitsBackward => false;

    /// <summary>The work of the parameter gradients over one row of the batch, in multiply-adds: the layer's place on the line <c>Partition.Share</c> divides.</summary>
    public virtual long ParameterWork(LayerSpec layer) => 0;

    /// <summary>
    /// Writes the row part of a <see cref="SplitsBackward"/> layer's backward step: <paramref name="dx"/> (when not null, and
    /// only under <paramref name="dxWanted"/> when that is not null) for this part's rows; for <c>BackwardSgd</c>
    /// (<paramref name="sgd"/>), also what those rows give the step.
    /// </summary>
    public virtual void EmitBackwardInput(CodeWriter w, LayerSpec layer, string? dx, string? dxWanted, bool sgd) =>
        throw new NotSupportedException(Name + " does not split its backward step.");

    /// <summary>
    /// Writes this part's share of a <see cref="SplitsBackward"/> layer's parameter gradients (or of its SGD step): the
    /// layer lies at <paramref name="offset"/> on a line of <paramref name="total"/> units of work (<see cref="ParameterWork"/>).
    /// </summary>
    public virtual void EmitParameterPart(CodeWriter w, LayerSpec layer, bool sgd, long offset, long total) =>
        throw new NotSupportedException(Name + " does not split its backward step.");

    // ---- the reference pass (Emit/ReferenceEmitter.cs): the book's formulas as plain loops in double ----------

    /// <summary>
    /// Whether the kind writes its reference form (the <c>EmitReference…</c> methods). False by default: a kind without
    /// one makes a network declared with <c>Reference = true</c> report SNET060 and get no reference file.
    /// </summary>
    public virtual bool HasReferenceForm => false;

    /// <summary>
    /// Writes the reference forward step: plain loops over <c>batch</c> rows, in double, from <c>layer.Input</c> to
    /// <c>layer.Output</c> (<c>Span&lt;double&gt;</c> views), reading the layer's parameters as <c>W1</c>, <c>b1</c>
    /// (<c>ReadOnlySpan&lt;double&gt;</c>). Same comment as <see cref="EmitForward"/>; no kernel calls.
    /// </summary>
    public virtual void EmitReferenceForward(CodeWriter w, LayerSpec layer) =>
        throw new NotSupportedException(Name + " has no reference form yet.");

    /// <summary>
    /// Writes the reference backward step: the parameter gradients <c>dW1</c>, <c>db1</c> (overwritten) and
    /// <paramref name="dx"/> (overwritten) from <c>d{layer.Output}</c>, plain loops in double; <paramref name="dx"/> only
    /// when <paramref name="dxWanted"/> is null or holds.
    /// </summary>
    public virtual void EmitReferenceBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted) =>
        throw new NotSupportedException(Name + " has no reference form yet.");

    /// <summary>
    /// Writes the reference forward step as a training <c>ReferenceLoss</c> runs it (Dropout with the fast pass's latest
    /// mask, BatchNorm with the batch's statistics); the inference form unless <see cref="HasTrainingForm"/>.
    /// </summary>
    public virtual void EmitReferenceForwardTraining(CodeWriter w, LayerSpec layer) => EmitReferenceForward(w, layer);

    /// <summary>
    /// The reference pass's own tensors of the layer besides its output, kept from the forward pass for the backward one
    /// (BatchNorm's x̂, μ and 1/√(σ² + ε), Dropout's mask): each one's name, length (per row when <c>PerRow</c>) and comment.
    /// </summary>
    public virtual IEnumerable<(string Name, int Length, bool PerRow, string Comment)> ReferenceTensors(LayerSpec layer) =>
        Array.Empty<(string, int, bool, string)>();

    /// <summary><paramref name="lines"/> (one statement), under <c>if (condition)</c> when there is one.</summary>
    internal static string[] ReferenceWhen(string? condition, params string[] lines)
    {
        if (condition is null) return lines;
        var all = new string[lines.Length + 1];
        all[0] = "if (" + condition + ")";
        for (int i = 0; i < lines.Length; i++) all[i + 1] = "    " + lines[i];
        return all;
    }
}

/// <summary>A loss layer: last in the network; <c>Forward</c> uses its inference form, <c>Loss</c> its loss form.</summary>
internal abstract class LossKind : LayerKind
{
    public override bool IsLoss => true;

    /// <summary>Whether <c>Loss</c> also takes class labels (<c>ReadOnlySpan&lt;int&gt;</c>).</summary>
    public virtual bool TakesLabels => false;

    /// <summary>The check of <c>Loss</c>'s <paramref name="targets"/> (a statement), when the loss needs one besides their length.</summary>
    public virtual string? TargetsCheck(string targets) => null;

    /// <summary>Writes the forward step as <c>Forward</c> runs it (no targets).</summary>
    public abstract override void EmitForward(CodeWriter w, LayerSpec layer);

    /// <summary>Writes the loss step: sets <c>loss</c> from <c>layer.Input</c> and the targets <c>t</c>.</summary>
    public abstract void EmitLoss(CodeWriter w, LayerSpec layer);

    /// <summary>Writes <c>Backward()</c>'s first step: <paramref name="dx"/> = dLoss/d input.</summary>
    public abstract void EmitLossBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted);

    /// <summary>Writes <c>Backward(outputGradient, …)</c>'s first step: <paramref name="dx"/> from <c>dy = outputGradient</c>.</summary>
    public abstract override void EmitBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted);

    /// <summary>Writes the reference loss step: sets the double <c>loss</c> from <c>layer.Input</c> and the targets <c>t</c> (and <c>layer.Output</c> when it owns one).</summary>
    public virtual void EmitReferenceLoss(CodeWriter w, LayerSpec layer) =>
        throw new NotSupportedException(Name + " has no reference form yet.");

    /// <summary>Writes <c>ReferenceBackward(gradients, …)</c>'s first step: <paramref name="dx"/> = dLoss/d input.</summary>
    public virtual void EmitReferenceLossBackward(CodeWriter w, LayerSpec layer, string dx, string? dxWanted) =>
        throw new NotSupportedException(Name + " has no reference form yet.");
}

/// <summary>A layer's output shape, or the diagnostic (descriptor and message arguments, the layer's declaration first) that says why there is none.</summary>
internal readonly record struct ShapeResult(Shape Output, DiagnosticDescriptor? Descriptor, string[] Arguments)
{
    public static ShapeResult Of(Shape output) => new(output, null, Array.Empty<string>());

    public static ShapeResult Error(DiagnosticDescriptor descriptor, params string[] arguments) => new(default, descriptor, arguments);
}

/// <summary>A buffer a layer's kernels need besides activations: a field <see cref="Name"/> of <see cref="Type"/>[]
/// holding <see cref="Length"/> elements, times the batch capacity when <see cref="PerRow"/>.
/// <see cref="TrainingOnly"/> ones (Dropout's masks) are not allocated in a network's inference <c>Workspace</c>.</summary>
internal readonly record struct Workspace(string Name, string Type, long Length, bool PerRow, string Comment, bool TrainingOnly = false);
