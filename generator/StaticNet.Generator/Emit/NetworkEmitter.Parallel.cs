using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Emit;

/// <summary>
/// Every core: <c>DegreeOfParallelism</c> and the parallel forms of <c>ForwardLayers</c>, <c>BackwardLayers</c> and
/// <c>BackwardLayersSgd</c>. Each is a sequence of stages, fork-joins over the process's <c>WorkerTeam</c>:
/// <list type="bullet">
/// <item>stages of rows: the layers that compute each row alone, every part taking its own rows of every buffer
/// (the forward pass; the chain of activation gradients);</item>
/// <item>between them, on the calling thread, the layers whose step spans the batch (Dropout's and BatchNorm's
/// training forms, BatchNorm's backward pass, the loss);</item>
/// <item>a last stage of parameters: Dense's dW (or SGD step) split by rows of W, each summed over the whole batch, and
/// a convolution's whole, to the part whose share of the work holds it.</item>
/// </list>
/// Every split gives the numbers of the whole batch on one thread (see <c>StaticNet.Kernels.Partition</c>), so training
/// with 1 thread or with 8 gives the same weights, bit for bit.
/// </summary>
internal static partial class NetworkEmitter
{
    private const string KernelsPrefix = "global::StaticNet.Kernels.";

    /// <summary>One item of an orchestrating method: a stage on the team, or steps on the calling thread.</summary>
    private sealed class PlanItem
    {
        public ParallelStage? Stage { get; set; }
        public List<Action<CodeWriter>> Serial { get; } = new();
        public List<string> SerialNames { get; } = new();
    }

    /// <summary>Builds a plan step by step: consecutive row steps share one stage, consecutive whole-batch steps one block.</summary>
    private sealed class PlanBuilder
    {
        private readonly List<ParallelStage> _stages;
        private readonly string _prefix;
        private ParallelStage? _current;

        public PlanBuilder(List<ParallelStage> stages, string prefix) { _stages = stages; _prefix = prefix; }

        public List<PlanItem> Items { get; } = new();

        /// <summary>
        /// A row step of <paramref name="work"/> multiply-adds a row, and <paramref name="inputGradientWork"/> more when the
        /// caller asks for the input gradient: what the stage weighs against waking a thread.
        /// </summary>
        public ParallelStage Rows(string name, Action<CodeWriter> step, long work, long inputGradientWork = 0)
        {
            if (_current is null)
            {
                _current = ParallelStage.Add(_stages, _prefix, "rows");
                Items.Add(new PlanItem { Stage = _current });
            }
            _current.Names.Add(name);
            _current.Steps.Add(step);
            _current.Work += work;
            _current.InputGradientWork += inputGradientWork;
            return _current;
        }

        public void Serial(string name, Action<CodeWriter> step)
        {
            _current = null;
            if (Items.Count == 0 || Items[Items.Count - 1].Stage is not null) Items.Add(new PlanItem());
            Items[Items.Count - 1].Serial.Add(step);
            Items[Items.Count - 1].SerialNames.Add(name);
        }
    }

    /// <summary>Multiply-adds per row of the forward pass: the input copy and every layer's work.</summary>
    private static long WorkPerRow(NetworkSpec net) =>
        net.InputSize + net.Layers.Where(l => !l.Kind.IsLoss).Sum(l => l.Kind.WorkPerRow(l));

    /// <summary>The workspaces that every part needs its own of (not per row: a convolution's columns).</summary>
    private static IEnumerable<Workspace> PartWorkspaces(NetworkSpec net) =>
        net.Layers.SelectMany(l => l.Kind.Workspaces(l)).Where(ws => !ws.PerRow);

    private static void WriteParallelStorage(CodeWriter w, NetworkSpec net)
    {
        w.Line("// Every core: the degree of parallelism, and what the stages of a parallel call read.");
        w.Line("private int _degree = 1;   // DegreeOfParallelism");
        w.Line("private int _rows;         // the batch of the parallel call running");
        if (net.LossLayer is not null && net.Layers.Any(l => !l.Kind.IsLoss && l.ParameterCount > 0))
            w.Line("private float _stepRate;   // BackwardSgd's learning rate, for its stages");
        foreach (Workspace ws in PartWorkspaces(net))
            w.Line($"private {ws.Type}[][] _{ws.Name}Parts; // one {ws.Name} per part: [0] is _{ws.Name}");
        w.Line($"// Multiply-adds per row of the forward pass, which Partition.Parts weighs against waking a thread.");
        w.Line($"private const long WorkPerRow = {WorkPerRow(net).ToString(CultureInfo.InvariantCulture)};");
    }

    private static void WriteParallelInitialisation(CodeWriter w, NetworkSpec net)
    {
        foreach (Workspace ws in PartWorkspaces(net))
            w.Line($"_{ws.Name}Parts = new[] {{ _{ws.Name} }};");
    }

    private static void WriteParallelProperty(CodeWriter w, NetworkSpec net) =>
        SharedEmit.WriteDegreeOfParallelism(w, new[]
        {
            "How many threads a call may use, 1 (the calling thread only) by default. Above 1, <c>Forward</c>, <c>Loss</c> and the",
            "backward passes split a batch between the calling thread and the process's shared worker threads (started once,",
            "when a degree first asks for them): rows of the batch for the layers that compute each row alone, blocks of the",
            "weights for the parameter gradients, each summed over the whole batch in the order one thread sums it. So the",
            "results are the same, bit for bit, whatever the degree. A batch too small to pay for a thread's wake-up",
            "(under 16 rows a part, or too little work) runs on the calling thread alone, and so does each stage of a split",
            "call too small for it (say, the rows of a small backward pass). Allocates nothing per call; set it between calls.",
            "<c>Forward(input, output, workspace)</c> always runs on its caller's thread.",
        }, PartWorkspaces(net).Select(ws => ws.Name));

    /// <summary>The first lines of a method that has a parallel form: hand the batch to it when it splits.</summary>
    private static void WriteParallelDispatch(CodeWriter w, string call)
    {
        w.Line($"int parts = {KernelsPrefix}Partition.Parts(_degree, batch, WorkPerRow);");
        w.Line($"if (parts > 1) {{ {call}; return; }}");
    }

    // ---- the plans ----------------------------------------------------------------------------

    private static List<PlanItem> ForwardPlan(NetworkSpec net, List<ParallelStage> stages)
    {
        var plan = new PlanBuilder(stages, "ForwardRows");
        plan.Rows("the input copy", b => b.Line($"input.Slice(row0 * {Literal(net.InputSize)}, batch * {Literal(net.InputSize)}).CopyTo(x);"), net.InputSize).CopiesInput = true;
        foreach (LayerSpec l in net.Layers.Where(l => !l.Kind.IsLoss))
        {
            if (l.Kind.ForwardRowWise) plan.Rows(l.DisplayName, b => { b.Line(); l.Kind.EmitForward(b, l); }, l.Kind.WorkPerRow(l));
            else plan.Serial(l.DisplayName, b => { b.Line(); EmitLayerForward(b, l); });
        }
        return plan.Items;
    }

    private static (List<PlanItem> Items, List<LayerSpec> Parameters) BackwardPlan(NetworkSpec net, List<ParallelStage> stages, bool sgd)
    {
        List<LayerSpec> layers = net.Layers.Where(l => !l.Kind.IsLoss).ToList();
        int firstWithParameters = layers.FindIndex(l => l.ParameterCount > 0);
        var parameters = new List<LayerSpec>();
        var plan = new PlanBuilder(stages, sgd ? "BackwardSgdRows" : "BackwardRows");
        // A step's work counts only when the caller asks for the input gradient if the step is under that condition.
        void Rows(string name, Action<CodeWriter> step, bool writesInputGradient, long work, string? condition)
        {
            ParallelStage stage = condition is null ? plan.Rows(name, step, work) : plan.Rows(name, step, 0, work);
            if (writesInputGradient) stage.WritesInputGradient = true;
        }
        int last = sgd ? firstWithParameters : 0;
        for (int i = layers.Count - 1; i >= last && i >= 0; i--)
        {
            LayerSpec l = layers[i];
            string dx = l.Input == "x" ? "inputGradient" : "d" + l.Input;
            string? condition = firstWithParameters >= 0 && firstWithParameters < i ? null : "!inputGradient.IsEmpty";
            bool dxNeeded = i > firstWithParameters;
            bool writes = dx == "inputGradient";
            if (l.Kind.SplitsBackward && l.ParameterCount > 0)
            {
                // The input gradient costs what the forward step does; BackwardSgd's rows also scale their output gradient.
                if (sgd) Rows(l.DisplayName, b => { b.Line(); l.Kind.EmitBackwardInput(b, l, dxNeeded ? dx : null, null, sgd: true); }, false,
                    (dxNeeded ? l.Kind.WorkPerRow(l) : 0) + l.OutputShape.Size, null);
                else Rows(l.DisplayName, b => { b.Line(); l.Kind.EmitBackwardInput(b, l, dx, condition, sgd: false); }, writes, l.Kind.WorkPerRow(l), condition);
                parameters.Add(l);
            }
            else
            {
                Action<CodeWriter> step = sgd
                    ? b => { b.Line(); l.Kind.EmitBackwardSgd(b, l, dx, dxNeeded); }
                    : b => { b.Line(); l.Kind.EmitBackward(b, l, dx, condition); };
                if (l.Kind.BackwardRowWise) Rows(l.DisplayName, step, writes && !sgd, l.Kind.WorkPerRow(l), sgd ? null : condition);
                else plan.Serial(l.DisplayName, step);
            }
        }
        if (parameters.Count > 0)
        {
            ParallelStage gradients = ParallelStage.Add(stages, sgd ? "SgdStepParts" : "GradientParts", "parameters");
            long offset = 0, total = parameters.Sum(p => p.Kind.ParameterWork(p));
            foreach (LayerSpec p in parameters)
            {
                long at = offset;
                gradients.Names.Add(p.DisplayName);
                gradients.Steps.Add(b => { b.Line(); p.Kind.EmitParameterPart(b, p, sgd, at, total); });
                gradients.Work += p.Kind.ParameterWork(p);
                offset += p.Kind.ParameterWork(p);
            }
            plan.Items.Add(new PlanItem { Stage = gradients });
        }
        return (plan.Items, parameters);
    }

    // ---- writing them -------------------------------------------------------------------------

    private static void WriteParallel(CodeWriter w, NetworkSpec net)
    {
        var stages = new List<ParallelStage>();
        List<LayerSpec> layers = net.Layers.Where(l => !l.Kind.IsLoss).ToList();
        bool hasBackwardLayers = layers.Count > 0;
        int firstWithParameters = layers.FindIndex(l => l.ParameterCount > 0);

        w.Line();
        w.Line("// ---- every core: the parallel forms, used when DegreeOfParallelism and the batch call for them ----");
        w.Line();
        List<PlanItem> forward = ForwardPlan(net, stages);
        w.Line("/// <summary>ForwardLayers with the batch split between the parts: stages of rows on the worker team, the rest on this thread.</summary>");
        w.Open($"private void ForwardLayersParallel({ReadOnlySpan} input, int batch, int parts)");
        w.Line("_rows = batch;");
        WriteItems(w, net, forward, "input", "default");
        w.Close();

        if (hasBackwardLayers)
        {
            var (backward, _) = BackwardPlan(net, stages, sgd: false);
            w.Line();
            w.Line("/// <summary>BackwardLayers with the batch split: the activation gradients by rows, then the parameter gradients by blocks of the weights.</summary>");
            w.Open($"private void BackwardLayersParallel(int batch, {Span} inputGradient, int parts)");
            w.Line("_rows = batch;");
            WriteItems(w, net, backward, "default", "inputGradient");
            w.Close();
        }
        if (net.LossLayer is not null && firstWithParameters >= 0)
        {
            var (backwardSgd, _) = BackwardPlan(net, stages, sgd: true);
            w.Line();
            w.Line("/// <summary>BackwardLayersSgd with the batch split: the activation gradients by rows, then the SGD steps by blocks of the weights.</summary>");
            w.Open("private void BackwardLayersSgdParallel(int batch, float learningRate, int parts)");
            w.Line("_rows = batch;");
            w.Line("_stepRate = learningRate;");
            WriteItems(w, net, backwardSgd, "default", "default");
            w.Close();
        }

        w.Line();
        ParallelStage.WriteRunPart(w, stages, Span, ReadOnlySpan);

        foreach (ParallelStage s in stages)
        {
            w.Line();
            WriteStage(w, net, s);
        }
    }

    private static void WriteItems(CodeWriter w, NetworkSpec net, List<PlanItem> items, string input, string output)
    {
        foreach (PlanItem item in items)
        {
            if (item.Stage is { } s)
            {
                s.WriteRun(w, input, output, output == "default" ? null : output);
                continue;
            }
            w.Line($"// On this thread, the whole batch: {string.Join(", ", item.SerialNames)}");
            w.Open();
            WithViews(w, net, b => { foreach (Action<CodeWriter> step in item.Serial) step(b); });
            w.Close();
        }
    }

    private static void WriteStage(CodeWriter w, NetworkSpec net, ParallelStage s)
    {
        bool rows = s.Split == "rows";
        string parameters = s.Parameters(Span, ReadOnlySpan);
        w.Line(rows
            ? $"/// <summary>One part's rows of the batch: {string.Join(", ", s.Names)}.</summary>"
            : $"/// <summary>One part's share of the parameters, over the whole batch: {string.Join(", ", s.Names)}.</summary>");
        w.Open($"private void {s.Method}({parameters})");
        if (rows)
        {
            w.Line($"var (row0, end) = {KernelsPrefix}Partition.Rows(_rows, part, parts);");
            w.Line("int batch = end - row0; // this part's rows");
            w.Line("if (batch == 0) return;");
        }
        else
        {
            w.Line("int batch = _rows; // every part sums its blocks over the whole batch");
        }
        var inner = new CodeWriter { FirstRow = rows ? "row0" : null };
        foreach (Action<CodeWriter> step in s.Steps) step(inner);
        PartViews(w, net, inner.ToString(), rows);
        w.Close();
    }

    /// <summary>As <see cref="WithViews"/>, for a part: each buffer's view is the part's rows (or, for the parameter stage, the whole batch); a workspace not kept per row is the part's own.</summary>
    private static void PartViews(CodeWriter w, NetworkSpec net, string text, bool rows)
    {
        Func<string, bool> Uses = Names(text);
        string At(long width) => rows ? "row0 * " + Literal((int)width) : "0"; // where the part's rows start in a buffer
        foreach (var (name, width) in Buffers(net).Distinct())
            if (Uses(name))
                w.Line($"{Span} {name} = new(_{name}, {At(width)}, batch * {Literal(width)});");
        if (Uses("scratch"))
            w.Line($"{Span} scratch = new(_scratch, {At(ScratchWidth(net))}, batch * {Literal(ScratchWidth(net))});");
        if (Uses("inputGradient"))
            w.Line($"{Span} inputGradient = output.IsEmpty ? default : output.Slice(row0 * InputSize, batch * InputSize);");
        foreach (Workspace ws in net.Layers.SelectMany(l => l.Kind.Workspaces(l)))
        {
            if (!Uses(ws.Name)) continue;
            if (!ws.PerRow)
                w.Line($"global::System.Span<{ws.Type}> {ws.Name} = _{ws.Name}Parts[part]; // this part's own");
            else
                w.Line($"global::System.Span<{ws.Type}> {ws.Name} = new(_{ws.Name}, {At(ws.Length)}, batch * {Literal((int)ws.Length)});");
        }
        WriteWeightViews(w, net, Uses);
        w.Raw(text);
    }
}
