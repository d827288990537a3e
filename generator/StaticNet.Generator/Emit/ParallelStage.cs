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
    public List<Action<CodeWriter>> Steps { get; } = new();

    /// <summary>The stage method's parameters: the part, the parts, and the caller's spans it reads or writes.</summary>
    public string Parameters(string span, string readOnlySpan) =>
        "int part, int parts" + (CopiesInput ? $", {readOnlySpan} input" : "") + (WritesInputGradient ? $", {span} output" : "");

    /// <summary>The line that runs the stage on the team, with a comment saying what it splits and which layers.</summary>
    public void WriteRun(CodeWriter w, string input, string output)
    {
        string call = $"{Team}.Run(this, {Number.ToString(CultureInfo.InvariantCulture)}, parts" +
            (CopiesInput ? $", {input}" : WritesInputGradient ? ", default" : "") +
            (WritesInputGradient ? $", {output}" : "") + ");";
        w.Line($"{call} // {Split}: {string.Join(", ", Names)}");
    }

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
