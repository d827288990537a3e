using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using Xunit.Abstractions;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The generator's rule, checked on a few thousand seeded random declarations: for any input it either emits code
/// that adds no error or warning to the compilation, or reports an SNET diagnostic at the user's code and emits nothing
/// for that class; it never throws; and one bad class never costs another its code (a control network in a file of
/// its own is generated every time). Half the cases have one character deleted, as while typing in an IDE. The
/// grammar (<see cref="DeclarationGrammar"/>) knows which of its declarations are valid, so valid ones must generate.
/// Set STATICNET_FUZZ_CASES to run more cases than CI does.
/// </summary>
public class FuzzTests
{
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    private const string Control = """
        using StaticNet;
        namespace Control
        {
            [Network] [Input(3)] [Dense(2)] [SoftmaxCrossEntropy]
            public partial class ControlNet { }
        }
        """;

    private const string ControlName = "Control.ControlNet";

    private static readonly CSharpCompilation s_empty = CSharpCompilation.Create("Fuzz", null, GeneratorHarness.References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    [Fact]
    public void Every_declaration_compiles_or_is_a_diagnostic()
    {
        int cases = Environment.GetEnvironmentVariable("STATICNET_FUZZ_CASES") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 2000;
        int seed = Environment.GetEnvironmentVariable("STATICNET_FUZZ_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : 20261202;
        int generated = 0, rejected = 0, valid = 0;
        string? firstFailure = null;
        int firstFailing = int.MaxValue;
        // Each case has a seed of its own, so a failure reproduces alone whatever ran beside it on the other core.
        System.Threading.Tasks.Parallel.For(0, cases, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var random = new Random(unchecked(seed * 7919 + i));
            DeclarationGrammar.Case c = DeclarationGrammar.Next(random);
            string source = c.Source;
            bool mutated = random.Next(2) == 0;
            if (mutated) source = source.Remove(random.Next(source.Length), 1);
            string? failure = Check(source, c.Version, mutated ? null : c, out bool anyGenerated, out bool anyRejected);
            lock (_output)
            {
                if (failure is not null && i < firstFailing)
                {
                    firstFailing = i;
                    firstFailure = $"case {i} (seed {seed}, {(mutated ? "one character deleted" : "as written")}): {failure}\n--- source (C# {c.Version.ToDisplayString()}) ---\n{source}";
                }
                if (anyGenerated) generated++;
                if (anyRejected) rejected++;
                if (!mutated && c.Valid) valid++;
            }
        });
        if (firstFailure is not null) Assert.Fail(firstFailure);
        _output.WriteLine($"{cases} cases: {generated} generated code, {rejected} had SNET errors, {valid} valid as written");
        // The grammar reaches both sides of the rule, often (each new attribute brings invalid forms of its own, so about
        // one case in ten generates code now).
        Assert.True(generated > cases / 16, $"only {generated} cases generated code");
        Assert.True(rejected > cases / 10, $"only {rejected} cases were rejected");
    }

    /// <summary>Runs the generator on one case; returns why it breaks the rule, or null.</summary>
    internal static string? Check(string source, LanguageVersion version, DeclarationGrammar.Case? asWritten, out bool anyGenerated, out bool anyRejected)
    {
        var options = new CSharpParseOptions(version);
        // From one empty compilation, so that every case reuses its bound references (most of the cost otherwise).
        CSharpCompilation input = s_empty.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText(source, options, path: "Source0.cs"), CSharpSyntaxTree.ParseText(Control, options, path: "Control.cs"));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new StaticNet.Generator.NetworkGenerator().AsSourceGenerator() }, parseOptions: options)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        anyGenerated = false;
        anyRejected = false;

        GeneratorRunResult result = run.Results.Single();
        if (result.Exception is not null) return "the generator threw " + result.Exception;
        if (driverDiagnostics.FirstOrDefault(d => d.Id is "CS8784" or "CS8785") is { } crash) return "the generator failed: " + crash;

        // Which classes got code.
        var generatedClasses = new HashSet<string>(StringComparer.Ordinal);
        foreach (GeneratedSourceResult g in result.GeneratedSources)
            foreach (var cls in g.SyntaxTree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
                if (cls.AttributeLists.SelectMany(a => a.Attributes).Any(a => a.Name.ToString().Contains("GeneratedCode", StringComparison.Ordinal)))
                    generatedClasses.Add(MetadataName(cls));
        if (version >= LanguageVersion.CSharp9 && !generatedClasses.Contains(ControlName)) return "the control network lost its code";
        anyGenerated = generatedClasses.Count > 1;

        // SNET diagnostics are at the user's code; an error means no code for its class.
        var rejectedClasses = new HashSet<string>(StringComparer.Ordinal);
        foreach (Diagnostic d in result.Diagnostics)
        {
            if (!d.Id.StartsWith("SNET", StringComparison.Ordinal)) return "a diagnostic that is not StaticNet's: " + d;
            if (d.Id == "SNET025") return "an internal error: " + d;
            SyntaxTree? tree = input.SyntaxTrees.FirstOrDefault(t => t.FilePath == d.Location.GetLineSpan().Path);
            if (tree is null) return "a diagnostic not at the user's code: " + d;
            if (d.Severity != DiagnosticSeverity.Error) continue;
            anyRejected = true;
            // The error's class: the type around it, or one around that (an error at a nested member).
            var owners = tree.GetRoot().FindNode(d.Location.SourceSpan).AncestorsAndSelf().OfType<TypeDeclarationSyntax>().ToList();
            if (owners.Count == 0) return "an error outside any type: " + d;
            foreach (TypeDeclarationSyntax owner in owners) rejectedClasses.Add(MetadataName(owner));
        }
        foreach (string name in rejectedClasses)
            if (generatedClasses.Contains(name)) return $"{name} has both an SNET error and generated code";
        if (result.Diagnostics.GroupBy(d => d.ToString()).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return "a diagnostic reported twice: " + twice.Key;

        // The generated code adds no diagnostic anywhere: not in its own files, not in the user's.
        // (A user's error that a generated partial part repeats, such as a record struct in C# 9, is the user's.)
        ImmutableArray<Diagnostic> inputDiagnostics = input.GetDiagnostics();
        var before = new HashSet<string>(inputDiagnostics.Select(Key), StringComparer.Ordinal);
        var repeated = new HashSet<string>(inputDiagnostics.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture)), StringComparer.Ordinal);
        foreach (Diagnostic d in output.GetDiagnostics())
            if (d.Severity >= DiagnosticSeverity.Warning && !before.Contains(Key(d)) && !repeated.Contains(d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture)))
                return "the generated code brings a new diagnostic: " + d + "\n" + string.Join("\n", result.GeneratedSources.Where(g => g.SyntaxTree.FilePath == d.Location.SourceTree?.FilePath).Select(g => g.SourceText.ToString()));

        if (asWritten is { } c)
        {
            foreach (string network in c.Networks)
            {
                if (c.Valid && !generatedClasses.Contains(network))
                    return $"the valid network {network} got no code; diagnostics: " + string.Join("; ", result.Diagnostics);
                if (!c.Valid && generatedClasses.Contains(network))
                    return $"the invalid network {network} ({c.Mistake}) got code";
                if (c.Mistake.Contains("no [Network]", StringComparison.Ordinal))
                {
                    if (!result.Diagnostics.Any(d => d.Id == "SNET014") && !before.Any(b => b.StartsWith("error", StringComparison.Ordinal)))
                        return $"layer attributes on {network} without [Network] got no SNET014 warning";
                }
                else if (!c.Valid && !rejectedClasses.Contains(network) && !before.Any(b => b.StartsWith("error", StringComparison.Ordinal)))
                    return $"the invalid network {network} ({c.Mistake}) got no error at all";
            }
        }
        return null;
    }

    private static string Key(Diagnostic d) =>
        (d.Severity == DiagnosticSeverity.Error ? "error " : "other ") + d.Id + " " + d.Location.GetLineSpan() + " " + d.GetMessage(CultureInfo.InvariantCulture);

    /// <summary>The metadata name of a class from its syntax: namespaces and containing types, without escapes.</summary>
    private static string MetadataName(TypeDeclarationSyntax type)
    {
        var parts = new List<string>();
        for (SyntaxNode? n = type; n is not null; n = n.Parent)
        {
            if (n is BaseTypeDeclarationSyntax t) parts.Insert(0, t.Identifier.ValueText);
            else if (n is BaseNamespaceDeclarationSyntax ns)
                parts.InsertRange(0, ns.Name.ToString().Split('.').Select(p => p.Trim().TrimStart('@')));
        }
        return string.Join(".", parts);
    }
}

/// <summary>Random network declarations: names, namespaces, class shapes, members, base classes and layer sequences.</summary>
internal static class DeclarationGrammar
{
    internal sealed record Case(string Source, LanguageVersion Version, bool Valid, string Mistake, IReadOnlyList<string> Networks);

    private static readonly string[] s_validNames = { "Net", "MyNet", "@class", "@base", "@record", "net", "Ωmega", "Ünïcödé", "Net2", "X" };
    private static readonly string[] s_collidingNames = { "Forward", "BatchCapacity", "Summary", "Parameters", "Backward", "InputSize", "ForwardLayers" };
    private static readonly string[] s_namespaces = { "Fuzz", "Fuzz.Inner", "@class", "@namespace.@base", "Ünï", "net" };

    private static readonly (string Text, bool Valid)[] s_members =
    {
        ("public int Other => 1;", true),
        ("private int _mine;", true),
        ("public void Forward(int x) { }", false),
        ("public float[] Parameters = new float[1];", false),
        ("public int Gradients;", false),
        ("public const int InputSize = 3;", false),
        ("private float[] _parameters = new float[1];", false),
        ("public class Summary { }", false),
        ("public NAME(int a) : this(a, 0) { }", true),
        ("public NAME(int a) { }", false),
        ("public NAME(int a, int b) { }", false),
    };

    private static readonly (string Declaration, string Name, bool Valid)[] s_bases =
    {
        ("public class BaseOk { public int Unrelated; }", "BaseOk", true),
        ("public class BasePrivate { private int Parameters; public int P => Parameters; }", "BasePrivate", true),
        ("public class BaseWithForward { public void Forward() { } }", "BaseWithForward", false),
        ("public class BaseNeedsArgs { public BaseNeedsArgs(int a) { } }", "BaseNeedsArgs", false),
        ("public class BaseOptionalArgs { public BaseOptionalArgs(int a = 1) { } }", "BaseOptionalArgs", true),
    };

    private static readonly (string Prefix, string Keyword, bool Valid)[] s_containers =
    {
        ("", "partial class", true), ("", "partial struct", true), ("", "partial record", true),
        ("", "partial record struct", true), ("", "partial interface", true), ("", "ref partial struct", true),
        ("", "static partial class", true), ("", "class", false), ("", "partial class Gen<T>", false),
        ("", "file partial class", false),
    };

    private const long MaxArrayLength = 0x7FFFFFC7;

    private static readonly string[] s_activations = { "ReLU", "Sigmoid", "Tanh", "Softmax" };

    private static readonly (string Ratio, bool Valid)[] s_dropoutRatios =
    {
        ("0.5", true), ("0", true), ("0.2f", true), ("0.999", true), ("1", false), ("1.0", false), ("-0.5", false),
        ("double.NaN", false), ("2", false), ("0.99999999999", false), // the last is 1 as a float
    };

    private static readonly (string Value, bool Valid)[] s_momenta =
    {
        ("0.1", true), ("0", true), ("1", true), ("0.01f", true), ("1.5", false), ("-0.1", false), ("double.NaN", false),
    };

    private static readonly (string Value, bool Valid)[] s_epsilons =
    {
        ("1e-5", true), ("1e-3f", true), ("0.5", true), ("0", false), ("-1e-5", false), ("1e-50", false), ("double.PositiveInfinity", false),
    };

    private static readonly (string Slope, bool Valid)[] s_slopes =
    {
        ("", true), ("0.01f", true), ("0.2f", true), ("0.999f", true), ("0f", false), ("1f", false), ("-0.1f", false),
        ("float.NaN", false), ("3", false),
    };

    private static readonly (string Std, bool Valid)[] s_stds =
    {
        ("0.01f", true), ("1e-3f", true), ("2f", true), ("0f", false), ("-0.5f", false), ("float.NaN", false), ("float.PositiveInfinity", false),
    };

    /// <summary>Dense's named Init and Std arguments, mostly none, else every combination and whether it is valid.</summary>
    private static string InitArguments(Random r, Action<string> bad)
    {
        if (r.Next(3) != 0) return "";
        int init = r.Next(12) switch { 0 => 7, 1 => -1, var k => k % 4 }; // Auto, He, Xavier, Normal; sometimes no member
        string text = init is < 0 or > 3 ? ", Init = (Init)(" + init + ")" : r.Next(4) == 0 && init == 0 ? "" : ", Init = Init." + new[] { "Auto", "He", "Xavier", "Normal" }[init];
        if (init is < 0 or > 3) bad("Init " + init);
        if (r.Next(2) == 0)
        {
            (string std, bool ok) = s_stds[r.Next(s_stds.Length)];
            text += ", Std = " + std;
            if (init != 3) bad("Std without Init.Normal");
            else if (!ok) bad("Std = " + std);
        }
        return text;
    }

    public static Case Next(Random r)
    {
        bool valid = true;
        string mistake = "";
        void Bad(string why) { valid = false; mistake += why + "; "; }

        LanguageVersion version = r.Next(20) switch
        {
            0 => LanguageVersion.CSharp8,
            1 => LanguageVersion.CSharp9,
            2 => LanguageVersion.CSharp10,
            _ => LanguageVersion.Latest,
        };
        if (version < LanguageVersion.CSharp9) Bad("C# 8");
        bool modern = version >= LanguageVersion.CSharp10;

        var b = new StringBuilder("using StaticNet;\n");
        string? ns = r.Next(3) == 0 ? null : s_namespaces[r.Next(s_namespaces.Length)];
        bool fileScoped = ns is not null && modern && r.Next(2) == 0;
        (string Declaration, string Name, bool Valid)? baseType = r.Next(5) == 0 ? s_bases[r.Next(s_bases.Length)] : null;
        if (baseType is { } bt) b.Append(bt.Declaration).Append('\n');
        if (ns is not null) b.Append("namespace ").Append(ns).Append(fileScoped ? ";\n" : "\n{\n");

        // Containing types.
        var containers = new List<string>();
        int depth = r.Next(4) == 0 ? 1 + r.Next(2) : 0;
        var closers = new StringBuilder();
        bool inInterface = false;
        for (int d = 0; d < depth; d++)
        {
            var (prefix, keyword, ok) = s_containers[r.Next(s_containers.Length)];
            if (keyword.StartsWith("file", StringComparison.Ordinal) && (d > 0 || !modern)) (keyword, ok) = ("partial class", true); // file is for top-level types, C# 11
            string name = "Outer" + d;
            if (keyword.Contains("Gen<T>", StringComparison.Ordinal)) { keyword = "partial class"; name += "<T>"; }
            if (!ok) Bad("container " + keyword + " " + name);
            b.Append(prefix).Append(keyword).Append(' ').Append(name).Append("\n{\n");
            closers.Insert(0, "}\n");
            containers.Add(name.Split('<')[0]);
            inInterface = keyword.Contains("interface", StringComparison.Ordinal);
        }

        // The network class, declared once or twice (then the second is named like the first but for case).
        string firstName = r.Next(12) == 0 ? s_collidingNames[r.Next(s_collidingNames.Length)] : s_validNames[r.Next(s_validNames.Length)];
        if (s_collidingNames.Contains(firstName)) Bad("named " + firstName);
        var names = new List<string> { firstName };
        if (r.Next(8) == 0 && !s_collidingNames.Contains(firstName))
            names.Add(firstName.StartsWith('@') ? "NET" : firstName.ToUpperInvariant() != firstName ? firstName.ToUpperInvariant() : firstName.ToLowerInvariant());

        // Attributes.
        var attributes = new List<string>();
        bool network = r.Next(20) != 0;
        if (!network) Bad("no [Network]");
        int input = r.Next(40) switch { 0 => 0, 1 => -1, 2 => int.MaxValue, 3 or 4 => 100000, 5 or 6 => 784, _ => 1 + r.Next(9) };
        if (input <= 0 || input > MaxArrayLength) Bad("Input(" + input + ")");
        bool inputFirst = r.Next(25) != 0;
        int layerCount = r.Next(20) == 0 ? 0 : 1 + r.Next(5);
        var layers = new List<string>();
        long size = input, parameters = 0;
        string inputText = "Input(" + input + ")";
        if (r.Next(5) == 0 && input > 0 && input <= MaxArrayLength)
        {
            // An image input, then convolutions, pools and activations on (C, H, W), then (mostly) Flatten.
            int c = 1 + r.Next(3), h = 1 + r.Next(12), w = 1 + r.Next(12);
            inputText = "Input(" + c + ", " + h + ", " + w + ")";
            bool fits = true;
            int imageLayers = 1 + r.Next(3);
            for (int i = 0; i < imageLayers && fits; i++)
            {
                int layerKind = r.Next(4);
                if (layerKind == 3) { layers.Add(s_activations[r.Next(3)]); continue; } // ReLU, Sigmoid, Tanh: any shape
                int kernel = r.Next(12) == 0 ? 0 : 1 + r.Next(5);
                int? stride = r.Next(2) == 0 ? null : r.Next(10) == 0 ? 0 : 1 + r.Next(3);
                int? padding = layerKind == 0 && r.Next(2) == 0 ? (r.Next(10) == 0 ? -1 : r.Next(3)) : null;
                int filters = layerKind == 0 ? (r.Next(15) == 0 ? 0 : 1 + r.Next(4)) : c;
                int st = stride ?? (layerKind == 0 ? 1 : kernel), pad = padding ?? 0;
                string named = (stride is { } sv ? ", Stride = " + sv : "") + (padding is { } pv ? ", Padding = " + pv : "");
                layers.Add(layerKind == 0 ? "Conv2D(" + filters + ", " + kernel + named + ")" : (layerKind == 1 ? "MaxPool2D(" : "AvgPool2D(") + kernel + named + ")");
                if (filters <= 0 || kernel <= 0 || st <= 0 || pad < 0 || kernel > h + 2 * pad || kernel > w + 2 * pad
                    || (h + 2 * pad - kernel) % st != 0 || (w + 2 * pad - kernel) % st != 0)
                {
                    Bad(layers[^1]);
                    fits = false;
                    break;
                }
                if (layerKind == 0) parameters += (long)filters * c * kernel * kernel + filters;
                (c, h, w) = (filters, (h + 2 * pad - kernel) / st + 1, (w + 2 * pad - kernel) / st + 1);
            }
            if (r.Next(8) == 0)
            {
                // No Flatten: the Dense that follows gets an image.
                layers.Add("Dense(2)");
                Bad("Dense on an image");
            }
            layers.Add("Flatten");
            size = (long)c * h * w;
        }
        if (layerCount == 0 && layers.Count == 0) Bad("no layers");
        for (int l = 0; l < layerCount; l++)
        {
            int pick = r.Next(12);
            if (pick >= 10)
            {
                // [GRU(H)] / [LSTM(H)]: H from 1 to 4096, right after the input or another recurrent layer.
                bool gru = pick == 10;
                int hidden = r.Next(30) switch { 0 => 0, 1 => -2, 2 => 4097, 3 => 4096, _ => 1 + r.Next(20) };
                if (hidden < 1 || hidden > 4096) Bad((gru ? "GRU(" : "LSTM(") + hidden + ")");
                else
                {
                    parameters += (gru ? 3L : 4L) * hidden * (size + hidden + 2);
                    if (parameters > MaxArrayLength) Bad("recurrent layer too large");
                }
                // SNET071 when the layer before is neither recurrent nor a loss (after a loss, SNET006 says it).
                if (layers.Count > 0 && !layers[^1].StartsWith("GRU(", StringComparison.Ordinal) && !layers[^1].StartsWith("LSTM(", StringComparison.Ordinal)
                    && layers[^1] is not ("SoftmaxCrossEntropy" or "MeanSquaredError")) Bad("recurrent after a per-step layer");
                layers.Add((gru ? "GRU(" : "LSTM(") + hidden + ")");
                size = hidden;
                continue;
            }
            if (pick < 4)
            {
                int units = r.Next(40) switch { 0 => 0, 1 => -3, 2 => int.MaxValue, 3 => 100000, _ => 1 + r.Next(12) };
                if (units <= 0) Bad("Dense(" + units + ")");
                parameters += size * units + units;
                if (parameters > MaxArrayLength || size + units > MaxArrayLength) Bad("Dense(" + units + ") too large");
                layers.Add("Dense(" + units + InitArguments(r, Bad) + ")");
                size = units;
            }
            else if (pick < 8 && r.Next(4) == 0)
            {
                // Dropout(ratio) and BatchNorm with its named arguments, in and out of range.
                if (r.Next(2) == 0)
                {
                    (string ratio, bool ok) = s_dropoutRatios[r.Next(s_dropoutRatios.Length)];
                    if (!ok) Bad("Dropout(" + ratio + ")");
                    layers.Add("Dropout(" + ratio + ")");
                }
                else
                {
                    var named = new List<string>();
                    if (r.Next(2) == 0)
                    {
                        (string momentum, bool ok) = s_momenta[r.Next(s_momenta.Length)];
                        if (!ok) Bad("BatchNorm Momentum = " + momentum);
                        named.Add("Momentum = " + momentum);
                    }
                    if (r.Next(2) == 0)
                    {
                        (string epsilon, bool ok) = s_epsilons[r.Next(s_epsilons.Length)];
                        if (!ok) Bad("BatchNorm Epsilon = " + epsilon);
                        named.Add("Epsilon = " + epsilon);
                    }
                    if (named.Count == 2 && r.Next(2) == 0) named.Reverse();
                    parameters += 2 * size;
                    if (parameters > MaxArrayLength) Bad("BatchNorm too large");
                    layers.Add(named.Count == 0 ? (r.Next(2) == 0 ? "BatchNorm" : "BatchNorm()") : "BatchNorm(" + string.Join(", ", named) + ")");
                }
            }
            else if (pick < 8)
            {
                if (r.Next(5) == 0)
                {
                    // LeakyReLU with the default slope, or one in range, at an end, or out of it.
                    (string slope, bool ok) = s_slopes[r.Next(s_slopes.Length)];
                    if (!ok) Bad("LeakyReLU(" + slope + ")");
                    layers.Add(slope.Length == 0 ? "LeakyReLU" : "LeakyReLU(" + slope + ")");
                }
                else layers.Add(s_activations[r.Next(s_activations.Length)]);
            }
            else
            {
                string loss = r.Next(3) switch { 0 => "SoftmaxCrossEntropy", 1 => "SigmoidCrossEntropy", _ => "MeanSquaredError" };
                if (l < layerCount - 1 && r.Next(3) != 0) continue; // mostly last, as people write them
                if (l < layerCount - 1) Bad("loss not last");
                if (loss == "SoftmaxCrossEntropy" && layers.Count > 0 && layers[^1] == "Softmax") Bad("Softmax then SoftmaxCrossEntropy");
                layers.Add(loss);
            }
        }
        // SNET072: Dropout and BatchNorm are not generated in recurrent networks yet.
        if (layers.Any(l => l.StartsWith("GRU(", StringComparison.Ordinal) || l.StartsWith("LSTM(", StringComparison.Ordinal))
            && layers.Any(l => l.StartsWith("Dropout", StringComparison.Ordinal) || l.StartsWith("BatchNorm", StringComparison.Ordinal)))
            Bad("Dropout or BatchNorm in a recurrent network");
        if (!inputFirst && layers.Count > 0) Bad("Input not first");
        if (r.Next(30) == 0) { layers.Add("Input(2)"); Bad("two inputs"); }
        if (network) attributes.Add(r.Next(3) == 0 ? "Network(Reference = true)" : "Network"); // the reference file must compile cleanly too
        if (inputFirst) attributes.Add(inputText);
        attributes.AddRange(layers);
        if (!inputFirst) attributes.Add(inputText);

        // Modifiers and kind.
        string access = inInterface ? "public " : r.Next(3) switch { 0 => "", 1 => "public ", _ => "internal " };
        string extra = "";
        switch (r.Next(14))
        {
            case 0: extra = "static "; Bad("static"); break;
            case 1: extra = "sealed "; break;
            case 2: extra = "abstract "; break;
            case 3 when depth == 0 && modern: access = ""; extra = "file "; Bad("file"); break;
        }
        bool partial = r.Next(30) != 0;
        if (!partial) Bad("not partial");
        string kind = r.Next(30) switch { 0 => "struct", 1 => "record", 2 => "interface", 3 when modern => "record struct", _ => "class" };
        if (kind != "class") Bad(kind);
        bool primary = kind == "class" && version >= LanguageVersion.CSharp12 && r.Next(8) == 0;
        string parameterList = !primary ? "" : r.Next(2) == 0 ? "()" : "(int size)";
        if (primary) Bad("primary constructor");
        string baseList = "";
        if (baseType is { } bs && kind == "class" && extra != "static ")
        {
            baseList = " : " + bs.Name;
            if (!bs.Valid) Bad("base " + bs.Name);
        }
        string? member = null;
        bool memberOk = true;
        if (kind == "class" && extra != "static " && r.Next(4) == 0)
        {
            (member, memberOk) = s_members[r.Next(s_members.Length)];
            if (primary && member.StartsWith("public NAME(", StringComparison.Ordinal)) (member, memberOk) = ("public int Other => 1;", true);
            if (!memberOk) Bad("member " + member);
        }
        bool semicolonBody = member is null && version >= LanguageVersion.CSharp12 && r.Next(2) == 0;
        int split = partial && network && r.Next(25) == 0 ? 1 + r.Next(2) : 0; // 1: [Network] on the second part too (CS0579); 2: layers on both
        if (split == 2) Bad("layers on two declarations");

        var networks = new List<string>();
        foreach (string name in names)
        {
            networks.Add(string.Join(".", (ns is null ? Array.Empty<string>() : ns.Split('.').Select(p => p.TrimStart('@'))).Concat(containers).Append(name.TrimStart('@'))));
            b.Append('[').Append(string.Join("] [", attributes.Count > 0 ? attributes : new List<string> { "System.Obsolete" })).Append("]\n");
            b.Append(access).Append(extra).Append(partial ? "partial " : "").Append(kind).Append(' ').Append(name).Append(parameterList).Append(baseList);
            if (semicolonBody) b.Append(";\n");
            else b.Append("\n{\n").Append(member is null ? "" : "    " + member.Replace("NAME", name, StringComparison.Ordinal) + "\n").Append("}\n");
            if (split > 0)
                b.Append(split == 1 ? "[Network]\n" : "[Dense(3)]\n").Append(access).Append(extra).Append("partial ").Append(kind).Append(' ').Append(name).Append(" { }\n");
        }
        b.Append(closers);
        if (ns is not null && !fileScoped) b.Append("}\n");
        return new Case(b.ToString(), version, valid, mistake, networks);
    }
}
