using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace StaticNet.Generator.Emit;

/// <summary>
/// A stage of a generated parallel plan: one fork-join over the process's <c>WorkerTeam</c>, a generated method that
/// each part runs (<c>IPartitioned.RunPart</c> dispatches to it by number). What it splits (<see cref="Split"/>:
/// "rows", "sequences" or "parameters") names it in the comments; its steps are the layers' code.
/// </summary>
internal sealed class ParallelStage
{
    private const string Team = "global::StaticNet.Kernels.WorkerTeam.Shared";

    public ParallelStage(string method, string split, int number) { Method = method; Split = split; Number = number; }

    /// <summary>A new stage at the end of <paramref name="stages"/>, its method <paramref name="prefix"/> and its number from 1.</summary>
    public static ParallelStage Add(List<ParallelStage> stages, string prefix, string split)
    {
        var s = new ParallelStage(prefix + (stages.Count + 1).ToString(CultureInfo.InvariantCulture), split, stages.Count);
        stages.Add(s);
        return s;
    }

    public string Method { get; }
    public string Split { get; }
    public int Number { get; }
    public bool CopiesInput { get; set; }
    public bool WritesInputGradient { get; set; }
    public List<string> Names { get; } = new();

    /// <summary>
    /// The stage's multiply-adds per row of the batch, and how many more when the caller asks for the input gradient:
    /// the stage takes as many of the call's parts as <c>Partition.Parts</c> gives for its own work, so a stage too small
    /// to pay for a thread's wake-up runs on the calling thread, whole (the same bits in any number of parts).
    /// </summary>
    public long Work { get; set; }
    public long InputGradientWork { get; set; }
    public List<Action<CodeWriter>> Steps { get; } = new();

    /// <summary>The stage method's parameters: the part, the parts, and the caller's spans it reads or writes.</summary>
    public string Parameters(string span, string readOnlySpan) =>
        "int part, int parts" + (CopiesInput ? $", {readOnlySpan} input" : "") + (WritesInputGradient ? $", {span} output" : "");

    /// <summary>
    /// The line that runs the stage on the team, in as many of the call's parts as its work pays for, with a comment
    /// saying what it splits and which layers. <paramref name="inputGradient"/>: the caller's input-gradient span, when
    /// the method has one (the stage's <see cref="InputGradientWork"/> counts when it is not empty).
    /// </summary>
    public void WriteRun(CodeWriter w, string input, string output, string? inputGradient = null)
    {
        string work = I(Work);
        if (InputGradientWork > 0 && inputGradient is not null) work = $"{inputGradient}.IsEmpty ? {work} : {I(Work + InputGradientWork)}";
        // A stage with no work counted (the recurrent ones, split by sequences) takes the call's parts as they are.
        string parts = Work + InputGradientWork > 0 ? $"global::StaticNet.Kernels.Partition.Parts(parts, batch, {work})" : "parts";
        string call = $"{Team}.Run(this, {Number.ToString(CultureInfo.InvariantCulture)}, {parts}" +
            (CopiesInput ? $", {input}" : WritesInputGradient ? ", default" : "") +
            (WritesInputGradient ? $", {output}" : "") + ");";
        string weight = Work + InputGradientWork == 0 ? ""
            : InputGradientWork > 0 && inputGradient is not null ? $", {I(Work)} multiply-adds a row ({I(Work + InputGradientWork)} with the input gradient)"
            : $", {I(Work)} multiply-adds a row";
        w.Line($"{call} // {Split}{weight}: {string.Join(", ", Names)}");
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>IPartitioned.RunPart</c>: the stage of each number, called with the spans it takes.</summary>
    public static void WriteRunPart(CodeWriter w, IEnumerable<ParallelStage> stages, string span, string readOnlySpan)
    {
        w.Line($"void global::StaticNet.Kernels.IPartitioned.RunPart(int stage, int part, int parts, {readOnlySpan} input, {span} output)");
        w.Open();
        w.Open("switch (stage)");
        foreach (ParallelStage s in stages)
        {
            string arguments = "part, parts" + (s.CopiesInput ? ", input" : "") + (s.WritesInputGradient ? ", output" : "");
            w.Line($"case {s.Number.ToString(CultureInfo.InvariantCulture)}: {s.Method}({arguments}); break;");
        }
        w.Line("default: throw new global::System.ArgumentOutOfRangeException(nameof(stage));");
        w.Close();
        w.Close();
    }
}
