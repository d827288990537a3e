using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>
/// Batch normalisation (the book's ch. 6.3) with PyTorch's conventions: per feature of a vector (BatchNorm1d), per
/// channel of an image over the batch and every position (BatchNorm2d; the book normalises each of the C·H·W values).
/// γ and β are its parameters (<c>gamma{n}</c>, <c>beta{n}</c>); the running mean and variance are its state.
/// </summary>
internal sealed class BatchNorm : LayerKind
{
    public static readonly BatchNorm Instance = new();

    private const double DefaultMomentum = 0.1, DefaultEpsilon = 1e-5;

    public override string Name => "BatchNorm";

    public override bool HasTrainingForm => true;

    // Its backward pass sums over the batch (Σ dout, Σ dout·x̂): the calling thread takes it whole.
    public override bool BackwardRowWise => false;

    public override bool TryRead(AttributeData attribute, out LayerArguments arguments)
    {
        arguments = default;
        if (attribute.ConstructorArguments.Length != 0) return false;
        double momentum = DefaultMomentum, epsilon = DefaultEpsilon;
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Value.Value is not double v) return false;
            if (argument.Key == "Momentum") momentum = v;
            else if (argument.Key == "Epsilon") epsilon = v;
        }
        arguments = new LayerArguments(0, Momentum: momentum, Epsilon: epsilon);
        return true;
    }

    /// <summary><c>BatchNorm</c>, or <c>BatchNorm(Momentum = 0.01, Epsilon = 0.001)</c> when an argument is not the default.</summary>
    public override string Declaration(LayerArguments a)
    {
        var named = new List<string>();
        // Compared as the floats the kernels take: Momentum = 0.1f is the default, as Momentum = 0.1 is.
        if ((float)a.Momentum != (float)DefaultMomentum) named.Add("Momentum = " + Dropout.Real(a.Momentum));
        if ((float)a.Epsilon != (float)DefaultEpsilon) named.Add("Epsilon = " + Dropout.Real(a.Epsilon));
        return named.Count == 0 ? Name : Name + "(" + string.Join(", ", named) + ")";
    }

    public override ShapeResult Resolve(Shape input, LayerArguments a)
    {
        if (!(a.Momentum >= 0 && a.Momentum <= 1))
            return ShapeResult.Error(DiagnosticDescriptors.BatchNormMomentumOutOfRange, Declaration(a), Dropout.Real(a.Momentum));
        float epsilon = (float)a.Epsilon;
        if (!(epsilon > 0) || float.IsInfinity(epsilon))
            return ShapeResult.Error(DiagnosticDescriptors.BatchNormEpsilonOutOfRange, Declaration(a), Dropout.Real(a.Epsilon));
        return ShapeResult.Of(input);
    }

    /// <summary>Features of a vector, channels of an image: what one γ, β and running pair serve.</summary>
    private static int Channels(Shape s) => s.Channels;

    /// <summary>Values per row and channel: 1 for a vector, H·W for an image.</summary>
    private static int Spatial(Shape s) => s.IsImage ? s.Height * s.Width : 1;

    public override long ParameterCount(Shape input, Shape output, LayerArguments a) => 2L * input.Channels;

    public override (int Rows, int Columns, int FanIn) WeightShape(LayerSpec l) => (1, Channels(l.InputShape), 0);

    public override int BiasLength(LayerSpec l) => Channels(l.InputShape);

    public override string WeightDisplay(LayerSpec l) => "[" + Dropout.I(Channels(l.InputShape)) + "]";

    public override string WeightName(LayerSpec l) => "gamma" + l.Number;

    public override string BiasName(LayerSpec l) => "beta" + l.Number;

    public override (string Weights, string Bias) BlockKinds => ("Scale", "Shift");

    public static string RunningMean(LayerSpec l) => "runningMean" + l.Number;

    public static string RunningVar(LayerSpec l) => "runningVar" + l.Number;

    public override IEnumerable<(string Name, int Length, float Initial)> StateViews(LayerSpec l)
    {
        yield return (RunningMean(l), Channels(l.InputShape), 0f);
        yield return (RunningVar(l), Channels(l.InputShape), 1f);
    }

    private static string Cap(string s) => char.ToUpperInvariant(s[0]) + s.Substring(1);

    private static string Saved(LayerSpec l) => "bn" + l.Index;

    public override IEnumerable<Workspace> Workspaces(LayerSpec l)
    {
        yield return new Workspace(Saved(l), "float", 7L * Channels(l.InputShape), PerRow: false,
            $"{l.DisplayName}'s μ and 1/√(σ² + ε) per {Unit(l)} as forward used them, and room for its kernels");
    }

    private static string Unit(LayerSpec l) => l.InputShape.IsImage ? "channel" : "feature";

    private static string Over(LayerSpec l) => l.InputShape.IsImage
        ? $"per channel over the batch and all {Dropout.I(Spatial(l.InputShape))} positions, m = N·{Dropout.I(Spatial(l.InputShape))} (as PyTorch's BatchNorm2d; the book's BatchNormalization normalises each of the C·H·W values on its own)"
        : "per feature over the batch, m = N (as PyTorch's BatchNorm1d)";

    private static string Sizes(LayerSpec l) =>
        $"batch, channels: {Dropout.I(Channels(l.InputShape))}, spatial: {Dropout.I(Spatial(l.InputShape))}";

    public override void EmitForward(CodeWriter w, LayerSpec l)
    {
        string g = WeightName(l), b = BiasName(l);
        w.Step($"BatchNorm forward, inference ({l.DisplayName}): {l.Output} = {g} ⊙ ({l.Input} − running mean) / √(running var + ε) + {b}, per {Unit(l)}",
            $"{Kernels}BatchNorm.ForwardInference({l.Input}, {g}, {b}, {l.Output}, {RunningMean(l)}, {RunningVar(l)}, {Saved(l)}, epsilon: {Dropout.FloatLiteral(l.Arguments.Epsilon)}, {Sizes(l)});");
    }

    /// <summary>1 − momentum, the weight of the old running statistics, for the comments: <c>0.9</c>, not <c>0.90000000000000002</c>.</summary>
    private static string Keep(LayerSpec l)
    {
        double momentum = l.Arguments.Momentum;
        float f = (float)momentum;
        return (double)f == momentum
            ? (1f - f).ToString("R", System.Globalization.CultureInfo.InvariantCulture) // as the kernel computes it: 1f − momentum
            : (1 - momentum).ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture);
    }

    public override void EmitForwardTraining(CodeWriter w, LayerSpec l)
    {
        string g = WeightName(l), b = BiasName(l), m = Dropout.Real(l.Arguments.Momentum), keep = Keep(l);
        w.Line($"// BatchNorm forward, training ({l.DisplayName}), {Over(l)}:");
        w.Line($"//   μ = Σ {l.Input} / m, σ² = Σ ({l.Input} − μ)² / m, x̂ = ({l.Input} − μ) / √(σ² + ε), {l.Output} = {g} ⊙ x̂ + {b}");
        w.Line($"//   running mean ← {keep}·running mean + {m}·μ, running var ← {keep}·running var + {m}·σ²·m/(m − 1) (PyTorch's rule: the unbiased variance)");
        w.Open();
        w.Line($"{Kernels}BatchNorm.ForwardTraining({l.Input}, {g}, {b}, {l.Output}, {RunningMean(l)}, {RunningVar(l)}, {Saved(l)}, momentum: {Dropout.FloatLiteral(l.Arguments.Momentum)}, epsilon: {Dropout.FloatLiteral(l.Arguments.Epsilon)}, {Sizes(l)});");
        w.Close();
    }

    private void Derivation(CodeWriter w, LayerSpec l, string dx, string dg, string db)
    {
        string g = WeightName(l), dout = "d" + l.Output;
        w.Line($"// BatchNorm backward ({l.DisplayName}), the book's computational graph (ch. 6.3) per {Unit(l)}, with x̂ = ({l.Input} − μ) / √(σ² + ε):");
        w.Line($"//   {db} = Σ {dout}, {dg} = Σ {dout} ⊙ x̂, dx̂ = {dout} ⊙ {g}");
        w.Line($"//   training (μ, σ² are the batch's, so they depend on {l.Input}):");
        w.Line($"//     dσ² = Σ dx̂ ⊙ ({l.Input} − μ) · (−½)(σ² + ε)^(−3/2), dμ = −Σ dx̂ / √(σ² + ε) (dσ²'s own term in dμ is 0: Σ ({l.Input} − μ) = 0)");
        w.Line($"//     {dx} = dx̂ / √(σ² + ε) + dσ² · 2({l.Input} − μ) / m + dμ / m, which is {g} / (m·√(σ² + ε)) ⊙ (m·{dout} − {db} − x̂ ⊙ {dg})");
        w.Line($"//   inference (μ, σ² the running statistics, constants): {dx} = dx̂ / √(σ² + ε)");
    }

    public override void EmitBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string dg = "d" + WeightName(l), db = "d" + BiasName(l);
        Derivation(w, l, dx, dg, db);
        string target = dxWanted is null ? dx : $"{dxWanted} ? {dx} : global::System.Span<float>.Empty";
        w.Open();
        w.Line($"{Kernels}BatchNorm.Backward({l.Input}, d{l.Output}, {WeightName(l)}, {Saved(l)}, {dg}, {db}, {target}, training: _trainingForward, {Sizes(l)});");
        w.Close();
    }

    public override void EmitBackwardSgd(CodeWriter w, LayerSpec l, string dx, bool dxNeeded)
    {
        string g = WeightName(l), b = BiasName(l);
        Derivation(w, l, dx, "d" + g, "d" + b);
        w.Line($"// then the SGD step, with {dx} from {g} before it: {g} ← {g} − lr·d{g}, {b} ← {b} − lr·d{b} (d{g}, d{b} kept in {Saved(l)}, not in Gradients)");
        w.Open();
        int c = Channels(l.InputShape);
        string sg = "step" + Cap(g), sb = "step" + Cap(b);
        w.Line($"global::System.Span<float> {sg} = {Saved(l)}.Slice({Dropout.I(5 * c)}, {Dropout.I(c)}), {sb} = {Saved(l)}.Slice({Dropout.I(6 * c)}, {Dropout.I(c)});");
        w.Line($"{Kernels}BatchNorm.Backward({l.Input}, d{l.Output}, {g}, {Saved(l)}, {sg}, {sb}, {(dxNeeded ? dx : "global::System.Span<float>.Empty")}, training: _trainingForward, {Sizes(l)});");
        w.Line($"{Kernels}BatchNorm.SgdStep({g}, {b}, {sg}, {sb}, learningRate);");
        w.Close();
    }

    // ---- the reference pass ----------------------------------------------------------------

    public override bool HasReferenceForm => true;

    private static string Mean(LayerSpec l) => "mu" + l.Number;

    private static string InvStd(LayerSpec l) => "invStd" + l.Number;

    private static string XHat(LayerSpec l) => "xhat" + l.Number;

    public override IEnumerable<(string Name, int Length, bool PerRow, string Comment)> ReferenceTensors(LayerSpec l)
    {
        yield return (XHat(l), l.OutputSize, true, $"{l.DisplayName}'s x̂ = (x − μ) / √(σ² + ε), as the book's xn");
        yield return (Mean(l), Channels(l.InputShape), false, $"{l.DisplayName}'s μ per {Unit(l)}, as forward used it");
        yield return (InvStd(l), Channels(l.InputShape), false, $"{l.DisplayName}'s 1/√(σ² + ε) per {Unit(l)}, as forward used it");
    }

    /// <summary>The loop over one channel's m values (<c>c</c> fixed): the rows, and for an image every position.</summary>
    private static string Loop(LayerSpec l) => l.InputShape.IsImage
        ? $"for (int n = 0; n < batch; n++) for (int s = 0; s < {Dropout.I(Spatial(l.InputShape))}; s++)"
        : "for (int n = 0; n < batch; n++)";

    /// <summary>The index of value (n, c[, s]) in a [batch, C(, H·W)] row-major tensor.</summary>
    private static string At(LayerSpec l) => l.InputShape.IsImage
        ? $"(n * {Dropout.I(Channels(l.InputShape))} + c) * {Dropout.I(Spatial(l.InputShape))} + s"
        : $"n * {Dropout.I(Channels(l.InputShape))} + c";

    /// <summary>m, the values each μ and σ² are taken over: N, or N·H·W after a convolution.</summary>
    private static string M(LayerSpec l) => l.InputShape.IsImage ? "batch * " + Dropout.I(Spatial(l.InputShape)) : "batch";

    public override void EmitReferenceForward(CodeWriter w, LayerSpec l)
    {
        string g = WeightName(l), b = BiasName(l), x = l.Input, y = l.Output, k = At(l), mu = Mean(l), inv = InvStd(l), xhat = XHat(l);
        w.Step($"BatchNorm forward, inference ({l.DisplayName}): {y} = {g} ⊙ ({x} − running mean) / √(running var + ε) + {b}, per {Unit(l)}",
            $"for (int c = 0; c < {Dropout.I(Channels(l.InputShape))}; c++)",
            "{",
            $"    {mu}[c] = {RunningMean(l)}[c];",
            $"    {inv}[c] = 1 / global::System.Math.Sqrt({RunningVar(l)}[c] + {Dropout.Real(l.Arguments.Epsilon)});",
            $"    {Loop(l)}",
            "    {",
            $"        int k = {k};",
            $"        {xhat}[k] = ({x}[k] - {mu}[c]) * {inv}[c];",
            $"        {y}[k] = {g}[c] * {xhat}[k] + {b}[c];",
            "    }",
            "}");
    }

    public override void EmitReferenceForwardTraining(CodeWriter w, LayerSpec l)
    {
        string g = WeightName(l), b = BiasName(l), x = l.Input, y = l.Output, k = At(l), mu = Mean(l), inv = InvStd(l), xhat = XHat(l);
        string momentum = Dropout.Real(l.Arguments.Momentum), keep = Keep(l);
        w.Line($"// BatchNorm forward, training ({l.DisplayName}), {Over(l)}:");
        w.Line($"//   μ = Σ {x} / m, σ² = Σ ({x} − μ)² / m, x̂ = ({x} − μ) / √(σ² + ε), {y} = {g} ⊙ x̂ + {b}");
        w.Line($"//   running mean ← {keep}·running mean + {momentum}·μ, running var ← {keep}·running var + {momentum}·σ²·m/(m − 1) (PyTorch's rule: the unbiased variance)");
        w.Open();
        w.Line($"int m = {M(l)};");
        w.Open($"for (int c = 0; c < {Dropout.I(Channels(l.InputShape))}; c++)");
        w.Line("double mean = 0, variance = 0;");
        w.Line($"{Loop(l)} mean += {x}[{k}];");
        w.Line("mean /= m;");
        w.Line($"{Loop(l)} variance += ({x}[{k}] - mean) * ({x}[{k}] - mean);");
        w.Line("variance /= m; // biased: the normalisation divides by m");
        w.Line($"{mu}[c] = mean;");
        w.Line($"{inv}[c] = 1 / global::System.Math.Sqrt(variance + {Dropout.Real(l.Arguments.Epsilon)});");
        w.Line(Loop(l));
        w.Open();
        w.Line($"int k = {k};");
        w.Line($"{xhat}[k] = ({x}[k] - mean) * {inv}[c];");
        w.Line($"{y}[k] = {g}[c] * {xhat}[k] + {b}[c];");
        w.Close();
        w.Line($"{RunningMean(l)}[c] = (1 - {momentum}) * {RunningMean(l)}[c] + {momentum} * mean;");
        w.Line($"{RunningVar(l)}[c] = (1 - {momentum}) * {RunningVar(l)}[c] + {momentum} * variance * m / (m - 1); // the unbiased variance");
        w.Close();
        w.Close();
    }

    public override void EmitReferenceBackward(CodeWriter w, LayerSpec l, string dx, string? dxWanted)
    {
        string g = WeightName(l), dg = "d" + g, db = "d" + BiasName(l), x = l.Input, dout = "d" + l.Output, k = At(l);
        string mu = Mean(l), inv = InvStd(l), xhat = XHat(l);
        Derivation(w, l, dx, dg, db);
        w.Open();
        w.Line($"int m = {M(l)};");
        w.Open($"for (int c = 0; c < {Dropout.I(Channels(l.InputShape))}; c++)");
        w.Line("double dgammaSum = 0, dbetaSum = 0, dvariance = 0, dmean = 0;");
        w.Line(Loop(l));
        w.Open();
        w.Line($"int k = {k};");
        w.Line($"double dxhat = {dout}[k] * {g}[c]; // dx̂ = dout ⊙ γ");
        w.Line($"dbetaSum += {dout}[k]; // dβ = Σ dout");
        w.Line($"dgammaSum += {dout}[k] * {xhat}[k]; // dγ = Σ dout ⊙ x̂");
        w.Line($"dvariance += dxhat * ({x}[k] - {mu}[c]) * -0.5 * {inv}[c] * {inv}[c] * {inv}[c]; // dσ² = Σ dx̂ ⊙ (x − μ) · (−½)(σ² + ε)^(−3/2)");
        w.Line($"dmean -= dxhat * {inv}[c]; // dμ = −Σ dx̂ / √(σ² + ε)");
        w.Close();
        w.Line($"{dg}[c] = dgammaSum;");
        w.Line($"{db}[c] = dbetaSum;");
        var dxLines = new List<string>
        {
            "if (r.training) // μ and σ² are the batch's: the gradient flows through them too",
            $"    {Loop(l)}",
            "    {",
            $"        int k = {k};",
            $"        {dx}[k] = {dout}[k] * {g}[c] * {inv}[c] + dvariance * 2 * ({x}[k] - {mu}[c]) / m + dmean / m;",
            "    }",
            "else // μ and σ² are the running statistics: constants",
            $"    {Loop(l)} {dx}[{k}] = {dout}[{k}] * {g}[c] * {inv}[c];",
        };
        if (dxWanted is null)
            foreach (string line in dxLines) w.Line(line);
        else
        {
            w.Open("if (" + dxWanted + ")");
            foreach (string line in dxLines) w.Line(line);
            w.Close();
        }
        w.Close();
        w.Close();
    }
}
