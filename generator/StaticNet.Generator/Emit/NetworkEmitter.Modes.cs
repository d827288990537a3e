using System.Collections.Generic;
using System.Linq;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Emit;

/// <summary>
/// The training and inference modes: the <c>Training</c> switch, the forms of Dropout and BatchNorm, Dropout's seeded
/// masks and BatchNorm's running statistics (the <c>State</c> block). Called from the places of the class that need them.
/// </summary>
internal static partial class NetworkEmitter
{
    /// <summary>Whether any layer computes something else in training than in inference.</summary>
    private static bool HasTrainingForms(NetworkSpec net) => net.Layers.Any(l => l.Kind.HasTrainingForm);

    private static bool HasDropout(NetworkSpec net) => net.Layers.Any(l => l.Kind == Dropout.Instance);

    /// <summary>Every state view (BatchNorm's running mean and variance): name, offset in <c>_state</c>, length, initial value.</summary>
    private static List<(string Name, int Offset, int Length, float Initial)> StateViews(NetworkSpec net)
    {
        var views = new List<(string, int, int, float)>();
        int offset = 0;
        foreach (LayerSpec l in net.Layers)
            foreach (var (name, length, initial) in l.Kind.StateViews(l))
            {
                views.Add((name, offset, length, initial));
                offset += length;
            }
        return views;
    }

    private static int StateCount(NetworkSpec net) => StateViews(net).Sum(v => v.Length);

    /// <summary>A layer's forward step in <c>ForwardLayers</c>: both forms, chosen by <c>_trainingForward</c>, when it has two.</summary>
    private static void EmitLayerForward(CodeWriter w, LayerSpec l)
    {
        if (!l.Kind.HasTrainingForm)
        {
            l.Kind.EmitForward(w, l);
            return;
        }
        w.Open("if (_trainingForward)");
        l.Kind.EmitForwardTraining(w, l);
        w.Close();
        w.Open("else");
        l.Kind.EmitForward(w, l);
        w.Close();
    }

    private static void WriteModeStorage(CodeWriter w, NetworkSpec net)
    {
        if (HasTrainingForms(net))
            w.Line("private bool _trainingForward; // the latest Forward or Loss ran the training form of Dropout and BatchNorm");
        if (HasDropout(net))
        {
            w.Line("private global::StaticNet.Random64 _dropoutRandom; // the masks' generator, seeded from the constructor's seed");
            w.Line("private bool _drawDropoutMasks; // this training forward draws new masks (false: KeepDropoutMasks reuses the latest)");
            if (net.LossLayer is not null)
                w.Line("private int _maskRows;          // rows the latest masks were drawn for; 0 before the first");
        }
        int state = StateCount(net);
        if (state > 0)
            w.Line($"private readonly float[] _state = new float[StateCount]; // the running statistics of every BatchNorm layer, in order");
    }

    private static void WriteModeInitialisation(CodeWriter w, NetworkSpec net)
    {
        if (HasDropout(net))
        {
            w.Line("_dropoutRandom = new global::StaticNet.Random64(~(long)seed); // a stream of its own, not the weights'");
            w.Line("_drawDropoutMasks = true; // the first training forward draws its masks");
        }
        foreach (LayerSpec l in net.Layers.Where(l => l.Kind == BatchNorm.Instance))
        {
            var (_, columns, _) = l.Kind.WeightShape(l);
            w.Line($"new {Span}(_parameters, {SharedEmit.At("_p", l.ParameterOffset)}, {Literal(columns)}).Fill(1f); // {l.Kind.WeightName(l)} = 1, {l.Kind.BiasName(l)} = 0: {l.DisplayName} starts as the plain normalisation");
        }
        foreach (var (name, offset, length, initial) in StateViews(net))
            if (initial != 0f)
                w.Line($"new {Span}(_state, {Literal(offset)}, {Literal(length)}).Fill({Dropout.FloatLiteral(initial)}); // {name} starts at {initial.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static void WriteModeProperties(CodeWriter w, NetworkSpec net)
    {
        bool modes = HasTrainingForms(net);
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Whether <c>Loss</c> runs the training form of Dropout and BatchNorm; on by default, because <c>Loss</c> and the");
        w.Line("/// backward pass after it are how a network trains (as PyTorch's modules start in training mode). On, Dropout draws a");
        w.Line("/// new mask each <c>Loss</c> and BatchNorm normalises with the batch's mean and variance and moves its running");
        w.Line("/// statistics. Off, <c>Loss</c> runs the inference form, as <c>Forward</c> does: a validation loss that changes nothing");
        w.Line("/// and draws nothing (<c>Trainer.Fit</c> turns it off while it evaluates). <c>Forward</c>, with or without a");
        w.Line("/// <c>Workspace</c>, always runs the inference form, whatever this says: prediction is inference (PyTorch's");
        w.Line("/// <c>model.eval()</c>). A backward pass differentiates the form the latest <c>Forward</c> or <c>Loss</c> ran.");
        if (!modes)
            w.Line("/// This network has neither Dropout nor BatchNorm, so it computes the same either way.");
        else if (net.LossLayer is null)
        {
            w.Line("/// This network has no loss layer, so no call runs the training form: its Dropout and BatchNorm layers always run");
            w.Line("/// their inference form.");
        }
        w.Line("/// </summary>");
        w.Line("public bool Training { get; set; } = true;");
        if (HasDropout(net) && net.LossLayer is not null)
        {
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Off by default. On, a training <c>Loss</c> on a batch of as many rows as the latest one reuses that one's dropout");
            w.Line("/// masks instead of drawing new ones, so that the loss is a fixed function of the parameters, as central differences");
            w.Line("/// (<c>GradientCheck</c>) need; the first training <c>Loss</c>, or one of another batch size, still draws.");
            w.Line("/// </summary>");
            w.Line("public bool KeepDropoutMasks { get; set; }");
        }
        int state = StateCount(net);
        if (state == 0) return;
        w.Line();
        w.Line("/// <summary>Floats of <see cref=\"State\"/>: the running mean and variance of every BatchNorm layer.</summary>");
        w.Line($"public const int StateCount = {Literal(state)};");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// What the network keeps besides its trained parameters (PyTorch's buffers): each BatchNorm layer's running mean,");
        w.Line("/// then its running variance, one per feature or channel, which inference normalises with and a training");
        w.Line("/// <c>Loss</c> updates. Saved and loaded with the weights by <c>NetworkFile</c>. Optimizers do not touch it.");
        w.Line("/// </summary>");
        w.Line($"public {Span} State => _state;");
        foreach (var (name, offset, length, _) in StateViews(net))
        {
            string what = name.StartsWith("runningMean", System.StringComparison.Ordinal) ? "running mean" : "running variance";
            w.Line($"/// <summary>BatchNorm{name.Substring(what == "running mean" ? 11 : 10)}'s {what} [{Literal(length)}]: a view into <see cref=\"State\"/>.</summary>");
            w.Line($"public {Span} {char.ToUpperInvariant(name[0]) + name.Substring(1)} => new(_state, {Literal(offset)}, {Literal(length)});");
        }
    }

    /// <summary>The first lines of <c>LossLayer</c>: which form it runs, whether it draws masks, whether a BatchNorm can.</summary>
    private static void WriteLossMode(CodeWriter w, NetworkSpec net)
    {
        if (!HasTrainingForms(net)) return;
        // One value per feature (or channel) and row: in training its variance needs two rows at least, as in PyTorch.
        LayerSpec? perFeature = net.Layers.FirstOrDefault(l => l.Kind == BatchNorm.Instance && (!l.InputShape.IsImage || l.InputShape.Height * l.InputShape.Width == 1));
        if (perFeature is not null)
        {
            w.Line("if (Training && batch < 2)");
            w.Line($"    throw new global::System.ArgumentException($\"{perFeature.DisplayName} normalises each feature over the batch in training, which needs at least 2 rows; got {{batch}}. Set Training = false to evaluate a single row.\", nameof(input));");
        }
        w.Line("_trainingForward = Training; // Loss trains unless Training is off");
        if (HasDropout(net))
        {
            w.Line("_drawDropoutMasks = !(KeepDropoutMasks && _maskRows == batch);");
            w.Line("if (Training && _drawDropoutMasks) _maskRows = batch;");
        }
    }
}
