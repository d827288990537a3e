using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using StaticNet.Generator.Layers;

namespace StaticNet.Generator.Emit;

/// <summary>
/// What the feed-forward class (<see cref="NetworkEmitter"/>) and the recurrent one (<see cref="RecurrentEmitter"/>) write
/// the same way: the checks of a loss's targets, the opt-in finite checks, the one-caller guard, the sizes of
/// <c>INetwork</c>. One place, so that a rule changed for one kind of network holds for the other.
/// </summary>
internal static class SharedEmit
{
    private const string Guard = "global::StaticNet.Kernels.Guard";

    /// <summary>
    /// Whether the code of <paramref name="text"/>, its comments aside, names a given identifier (not as a member after
    /// a dot, not as part of a longer name): the test every emitter uses to declare only the views a method reads.
    /// </summary>
    public static Func<string, bool> Names(string text)
    {
        // The code without its comments: a name in a comment declares nothing.
        string code = string.Join("\n", text.Split('\n').Select(line => line.IndexOf("//", StringComparison.Ordinal) is int c and >= 0 ? line.Substring(0, c) : line));
        return name => System.Text.RegularExpressions.Regex.IsMatch(code, @"(?<![\w.])" + name + @"(?!\w)");
    }

    /// <summary>
    /// The <c>DegreeOfParallelism</c> property of every network: its summary (<paramref name="summary"/>, one line each,
    /// without the <c>///</c>), the degree checked, each array kept per part (<c>_{name}Parts</c>) grown to the degree.
    /// </summary>
    public static void WriteDegreeOfParallelism(CodeWriter w, IEnumerable<string> summary, IEnumerable<string> partArrays)
    {
        w.Line();
        w.Line("/// <summary>");
        foreach (string line in summary) w.Line("/// " + line);
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The value is below 1 or above global::StaticNet.Kernels.WorkerTeam.MaxDegree.</exception>");
        w.Line("public int DegreeOfParallelism");
        w.Open();
        w.Line("get => _degree;");
        w.Line("set");
        w.Open();
        w.Line("global::StaticNet.Kernels.WorkerTeam.EnsureDegree(value);");
        foreach (string name in partArrays)
            w.Line($"_{name}Parts = global::StaticNet.Kernels.Partition.Copies(_{name}Parts, value);");
        w.Line("_degree = value;");
        w.Close();
        w.Close();
    }

    /// <summary>A C# string literal of <paramref name="s"/>.</summary>
    public static string StringLiteral(string s)
    {
        var b = new StringBuilder("\"");
        foreach (char c in s)
            b.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", _ => c.ToString() });
        return b.Append('"').ToString();
    }

    /// <summary>
    /// The check of a loss's float <paramref name="targets"/> besides their length (a statement): a distribution per row for
    /// cross-entropy, probabilities for binary cross-entropy; null when the loss takes any value (mean squared error).
    /// </summary>
    public static string? TargetsCheck(LossKind kind, string targets = "targets") =>
        kind.TakesLabels
            ? $"{Guard}.Distributions({targets}, OutputSize, nameof({targets})); // cross-entropy is a loss only against a distribution"
            : kind.TargetsCheck(targets);

    /// <summary>The <c>&lt;exception&gt;</c> doc line of a method taking float targets.</summary>
    public static string TargetsExceptionDoc(LossKind kind) =>
        kind.TakesLabels
            ? "/// <exception cref=\"global::System.ArgumentException\">A span's length does not fit, or a row of targets is not a distribution (entries ≥ 0 summing to 1).</exception>"
            : kind.TargetsCheck("targets") is not null
            ? "/// <exception cref=\"global::System.ArgumentException\">A span's length does not fit, or a target is not a probability (from 0 to 1).</exception>"
            : "/// <exception cref=\"global::System.ArgumentException\">A span's length does not fit.</exception>";

    /// <summary>The opt-in finite check of an input (and targets), as a statement.</summary>
    public static string FiniteInputs(string input, string? targets = null) =>
        targets is null
            ? $"if (CheckFinite) {Guard}.Finite({input}, nameof({input}));"
            : $"if (CheckFinite) {{ {Guard}.Finite({input}, nameof({input})); {Guard}.Finite({targets}, nameof({targets})); }}";

    /// <summary>The opt-in finite check of a loss, as a statement.</summary>
    public const string FiniteLoss = "if (CheckFinite) " + Guard + ".FiniteLoss(loss);";

    /// <summary>
    /// The two parameter blocks' storage: pinned arrays a cache line longer than the block (<c>Kernels.Aligned</c>), and where
    /// each block starts in its array, <c>_p</c> and <c>_g</c>, which <see cref="ParameterStarts"/> sets in the constructor.
    /// Every view of a block is taken from there (<see cref="At"/>).
    /// </summary>
    public static void WriteParameterStorage(CodeWriter w)
    {
        w.Line("// Pinned and a cache line longer, each block starts on a line: at _p of _parameters, at _g of _gradients.");
        w.Line("private readonly float[] _parameters = global::StaticNet.Kernels.Aligned.Floats(ParameterCount);");
        w.Line("private readonly float[] _gradients = global::StaticNet.Kernels.Aligned.Floats(ParameterCount);");
        w.Line("private readonly int _p, _g;");
    }

    /// <summary>The constructor's lines that find where the blocks of <see cref="WriteParameterStorage"/> start.</summary>
    public static readonly string[] ParameterStarts =
    {
        "_p = global::StaticNet.Kernels.Aligned.Start(_parameters);",
        "_g = global::StaticNet.Kernels.Aligned.Start(_gradients);",
    };

    /// <summary>An index into a parameter block: <paramref name="start"/> (<c>_p</c> or <c>_g</c>, where the block starts in its array) plus <paramref name="offset"/>.</summary>
    public static string At(string start, int offset) =>
        offset == 0 ? start : $"{start} + {offset.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The whole of each block, as spans (the <c>Parameters</c> and <c>Gradients</c> properties and a whole-block step).</summary>
    public const string AllParameters = "new(_parameters, _p, ParameterCount)", AllGradients = "new(_gradients, _g, ParameterCount)";

    /// <summary>The opt-in finite check of the gradients a backward pass wrote, as a statement.</summary>
    public const string FiniteGradients = "if (CheckFinite) { " + Guard + ".FiniteGradients(Gradients); " + Guard + ".FiniteGradients(inputGradient); }";

    /// <summary>The <c>CheckFinite</c> property; <paramref name="inputs"/> names the methods whose inputs it checks.</summary>
    public static void WriteCheckFinite(CodeWriter w, string inputs = "Forward and Loss")
    {
        w.Line("/// <summary>");
        w.Line($"/// Opt-in checks for values that are not finite (NaN, ±∞), off by default: when on, {inputs} throw");
        w.Line("/// <see cref=\"global::System.ArgumentException\"/> for such an input or target, Loss throws");
        w.Line("/// <see cref=\"global::System.ArithmeticException\"/> when the loss is not finite, and a backward pass throws it");
        w.Line("/// when a gradient is not. Each check reads its span once.");
        w.Line("/// </summary>");
        w.Line("public bool CheckFinite { get; set; }");
    }

    /// <summary>The one-caller guard every public method of an instance enters by.</summary>
    public static void WriteEnter(CodeWriter w)
    {
        w.Line("// One instance is not thread-safe: two threads calling in at once are detected where they overlap, not always.");
        w.Open("private void Enter()");
        w.Line($"if (_busy) {Guard}.Concurrent();");
        w.Line("_busy = true;");
        w.Close();
    }

    /// <summary>
    /// The body of a public method, between <c>Enter()</c> and the reset of <c>_busy</c>. A forward pass first forgets the
    /// latest batch (<paramref name="batchField"/> = 0, and <c>_lossReady</c> when there is a loss), so that a call rejected
    /// halfway leaves nothing a later backward pass could take for its result.
    /// </summary>
    public static void WriteEntryPoint(CodeWriter w, Action body, bool forward, string batchField, bool hasLoss)
    {
        w.Line("Enter();");
        w.Open("try");
        if (forward)
        {
            w.Line("// Forget the latest batch first: if this call is rejected, a backward pass must not take the old one for it.");
            w.Line(hasLoss ? batchField + " = 0; _lossReady = false;" : batchField + " = 0;");
        }
        body();
        w.Close();
        w.Line("finally { _busy = false; }");
    }

    /// <summary><c>ForgetActivations</c>: taking the parameters makes the kept activations stale.</summary>
    public static void WriteForgetActivations(CodeWriter w, string batchField, bool hasLoss)
    {
        w.Line("// The weights may change from here on, so a backward pass may not use the activations kept so far.");
        w.Open("private void ForgetActivations()");
        w.Line("_parametersTaken = true;");
        w.Line(batchField + " = 0;");
        if (hasLoss) w.Line("_lossReady = false;");
        w.Close();
    }

    /// <summary>The sizes of <c>INetwork</c>, implemented by the constants.</summary>
    public static void WriteInterfaceSizes(CodeWriter w)
    {
        w.Line("int global::StaticNet.INetwork.InputSize => InputSize;");
        w.Line("int global::StaticNet.INetwork.OutputSize => OutputSize;");
        w.Line("int global::StaticNet.INetwork.ParameterCount => ParameterCount;");
        w.Line("string global::StaticNet.INetwork.Architecture => Architecture;");
    }
}
