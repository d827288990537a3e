using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Emit;

/// <summary>
/// Every core, for a recurrent network: <c>DegreeOfParallelism</c> and the parallel forms of <c>ForwardLayers</c> and
/// <c>BackwardLayers</c>, fork-joins over the process's <c>WorkerTeam</c>:
/// <list type="bullet">
/// <item>stages of sequences: the recurrent layers, each sequence run through time (forward, or back) by one part, with
/// its own scratch and carries;</item>
/// <item>stages of rows: the layers after them, which compute each (sequence, step) row alone, in whole granules of
/// rows as in a feed-forward network;</item>
/// <item>a last stage of parameters: every weight gradient split by rows of its weights, each summed over every step
/// of every sequence, in the order one thread sums it.</item>
/// </list>
/// So training with 1 thread or with 8 gives the same weights, bit for bit.
/// </summary>
internal static partial class RecurrentEmitter
{
    private const string Partition = "global::StaticNet.Kernels.Partition";

    /// <summary>What each part needs its own of: the step's scratch and the carries back through time.</summary>
    private static IEnumerable<string> PartArrays(Net n)
    {
        yield return "cellScratch";
        yield return "dhCarry";
        if (n.Recurrent.Any(l => ((RecurrentKind)l.Kind).HasCell)) yield return "dcCarry";
    }

    private static void WriteParallelStorage(CodeWriter w, Net n)
    {
        w.Line("// Every core: the degree of parallelism, and each part's own scratch and carries.");
        w.Line("private int _degree = 1; // DegreeOfParallelism");
        foreach (string a in PartArrays(n))
            w.Line($"private float[][] _{a}Parts; // one per part: [0] is _{a}");
        w.Line("// Multiply-adds per row (one step of one sequence) of the forward pass, which Partition.Parts weighs against waking a thread.");
        w.Line($"private const long WorkPerRow = {n.WorkPerRow.ToString(CultureInfo.InvariantCulture)};");
    }

    private static void WriteParallelInitialisation(CodeWriter w, Net n)
    {
        foreach (string a in PartArrays(n))
            w.Line($"_{a}Parts = new[] {{ _{a} }};");
    }

    private static void WriteParallelProperty(CodeWriter w, Net n) =>
        SharedEmit.WriteDegreeOfParallelism(w, new[]
        {
            "How many threads a call may use, 1 (the calling thread only) by default. Above 1, <c>Forward</c>, <c>Loss</c> and the",
            "backward passes split a batch between the calling thread and the process's shared worker threads (started once,",
            "when a degree first asks for them): sequences for the recurrent layers (each sequence runs through time on one",
            "thread), rows of (sequence, step) for the layers after them, blocks of the weights for the parameter gradients,",
            "each summed over every step of every sequence in the order one thread sums it. So the results are the same, bit",
            "for bit, whatever the degree. A batch too small to pay for a thread's wake-up (under 16 rows a part, one",
            "sequence, or too little work) runs on the calling thread alone. Allocates nothing per call; set it between",
            "calls. <c>Step</c> always runs on its caller's thread.",
        }, PartArrays(n));

    /// <summary>The first lines of a method that has a parallel form: hand the batch to it when it splits.</summary>
    private static void WriteParallelDispatch(CodeWriter w, string call)
    {
        w.Line($"int parts = global::System.Math.Min(sequences, {Partition}.Parts(_degree, batch, WorkPerRow));");
        w.Line($"if (parts > 1) {{ {call}; return; }}");
    }

    // ---- the plan -----------------------------------------------------------------------------

    private static (List<ParallelStage> Forward, List<ParallelStage> Backward) Plan(Net n)
    {
        var stages = new List<ParallelStage>();
        var forward = new List<ParallelStage>();
        ParallelStage sequences = ParallelStage.Add(stages, "ForwardSequences", "sequences");
        sequences.CopiesInput = true;
        sequences.Names.Add("the input copy");
        sequences.Steps.Add(b => b.Line($"input.Slice(row0 * InputSize, batch * InputSize).CopyTo(x);"));
        foreach (LayerSpec l in n.Recurrent)
        {
            sequences.Names.Add(l.DisplayName);
            sequences.Steps.Add(b => { b.Line(); l.Kind.EmitForward(b, l); });
        }
        forward.Add(sequences);
        if (n.PerStep.Count > 0)
        {
            ParallelStage rows = ParallelStage.Add(stages, "ForwardRows", "rows");
            foreach (LayerSpec l in n.PerStep)
            {
                rows.Names.Add(l.DisplayName);
                rows.Steps.Add(b => { b.Line(); l.Kind.EmitForward(b, l); });
            }
            forward.Add(rows);
        }

        var backward = new List<ParallelStage>();
        if (n.PerStep.Count > 0)
        {
            ParallelStage rows = ParallelStage.Add(stages, "BackwardRows", "rows");
            for (int i = n.PerStep.Count - 1; i >= 0; i--)
            {
                LayerSpec l = n.PerStep[i];
                string dx = "d" + l.Input;
                rows.Names.Add(l.DisplayName);
                if (l.Kind.SplitsBackward) rows.Steps.Add(b => { b.Line(); l.Kind.EmitBackwardInput(b, l, dx, null, sgd: false); });
                else rows.Steps.Add(b => { b.Line(); l.Kind.EmitBackward(b, l, dx, null); });
            }
            backward.Add(rows);
        }
        ParallelStage through = ParallelStage.Add(stages, "BackwardSequences", "sequences");
        through.WritesInputGradient = true;
        for (int i = n.Recurrent.Count - 1; i >= 0; i--)
        {
            LayerSpec l = n.Recurrent[i];
            bool bottom = l.Input == "x";
            through.Names.Add(l.DisplayName);
            through.Steps.Add(b =>
            {
                b.Line();
                ((RecurrentKind)l.Kind).EmitBackwardThroughTime(b, l, bottom ? "inputGradient" : "d" + l.Input, bottom ? "!inputGradient.IsEmpty" : null);
            });
        }
        backward.Add(through);

        ParallelStage gradients = ParallelStage.Add(stages, "GradientParts", "parameters");
        var withParameters = n.PerStep.Where(l => l.ParameterCount > 0).Reverse().Concat(n.Recurrent.AsEnumerable().Reverse()).ToList();
        long offset = 0, total = withParameters.Sum(l => l.Kind.ParameterWork(l));
        foreach (LayerSpec l in withParameters)
        {
            long at = offset;
            gradients.Names.Add(l.DisplayName);
            gradients.Steps.Add(b => { b.Line(); l.Kind.EmitParameterPart(b, l, sgd: false, at, total); });
            offset += l.Kind.ParameterWork(l);
        }
        backward.Add(gradients);
        return (forward, backward);
    }

    // ---- writing it ---------------------------------------------------------------------------

    private static void WriteParallel(CodeWriter w, Net n)
    {
        var (forward, backward) = Plan(n);
        w.Line();
        w.Line("// ---- every core: the parallel forms, used when DegreeOfParallelism and the batch call for them ----");
        w.Line();
        w.Line("/// <summary>ForwardLayers with the batch split between the parts: the recurrent layers by sequences, the layers after them by rows.</summary>");
        w.Open($"private void ForwardLayersParallel({ReadOnlySpan} input, int parts)");
        foreach (ParallelStage s in forward) s.WriteRun(w, "input", "default");
        w.Close();
        w.Line();
        w.Line("/// <summary>BackwardLayers with the batch split: the layers after the recurrent ones by rows, back through time by sequences, then the weight gradients by blocks of the weights.</summary>");
        w.Open($"private void BackwardLayersParallel({Span} inputGradient, int parts)");
        foreach (ParallelStage s in backward) s.WriteRun(w, "default", "inputGradient");
        w.Close();

        var stages = forward.Concat(backward).ToList();
        w.Line();
        ParallelStage.WriteRunPart(w, stages, Span, ReadOnlySpan);

        foreach (ParallelStage s in stages)
        {
            w.Line();
            WriteStage(w, n, s);
        }
    }

    private static void WriteStage(CodeWriter w, Net n, ParallelStage s)
    {
        string parameters = s.Parameters(Span, ReadOnlySpan);
        w.Line(s.Split switch
        {
            "sequences" => $"/// <summary>One part's sequences, each through all its steps: {string.Join(", ", s.Names)}.</summary>",
            "rows" => $"/// <summary>One part's rows of (sequence, step): {string.Join(", ", s.Names)}.</summary>",
            _ => $"/// <summary>One part's share of the weight gradients, over every step of every sequence: {string.Join(", ", s.Names)}.</summary>",
        });
        w.Open($"private void {s.Method}({parameters})");
        string first = "row0";
        switch (s.Split)
        {
            case "sequences":
                w.Line($"var (s0, s1) = {Partition}.Range(_sequences, part, parts);");
                w.Line("int sequences = s1 - s0, steps = _steps; // this part's sequences");
                w.Line("int row0 = s0 * steps, batch = sequences * steps; // and their rows");
                w.Line("if (sequences == 0) return;");
                break;
            case "rows":
                w.Line($"var (row0, end) = {Partition}.Rows(_sequences * _steps, part, parts);");
                w.Line("int batch = end - row0; // this part's rows");
                w.Line("if (batch == 0) return;");
                break;
            default:
                w.Line("int sequences = _sequences, steps = _steps, batch = sequences * steps; // every part sums its blocks over the whole batch");
                first = "0";
                break;
        }
        var inner = new CodeWriter();
        foreach (Action<CodeWriter> step in s.Steps) step(inner);
        Views(w, n, inner.ToString(), first, "batch", null, part: true);
        w.Close();
    }
}
