using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using StaticNet.Generator;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The declaration checks (SNET013 to SNET026): one minimal reproducer each, with its ID, the text it points at
/// and no generated code; and the unusual declarations that must generate code that compiles cleanly.
/// </summary>
public class DeclarationDiagnosticTests
{
    private static Diagnostic Single(string source, string id, string expectedText, DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
        Check(GeneratorHarness.Run(source).Result, source, id, expectedText, severity);

    private static Diagnostic Check(GeneratorDriverRunResult result, string source, string id, string expectedText, DiagnosticSeverity severity)
    {
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(severity, d.Severity);
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(expectedText, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        Assert.StartsWith("https://", d.Descriptor.HelpLinkUri);
        return d;
    }

    /// <summary>Runs the generator and asserts it reported nothing and its code compiles with no error and no warning in it.</summary>
    private static ImmutableArray<GeneratedSourceResult> Generates(params string[] sources)
    {
        var (result, diagnostics) = GeneratorHarness.Run(sources);
        Assert.Empty(result.Diagnostics);
        ImmutableArray<GeneratedSourceResult> generated = result.Results.Single().GeneratedSources;
        Assert.NotEmpty(generated);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning
            && d.Location.SourceTree is { } tree && !tree.FilePath.StartsWith("Source", System.StringComparison.Ordinal)));
        return generated;
    }

    // ---- SNET013 ----

    [Theory]
    [InlineData("partial struct", "is a struct")]
    [InlineData("partial interface", "is an interface")]
    [InlineData("partial record", "is a record")]
    [InlineData("partial record struct", "is a record")]
    public void Snet013_not_a_class(string kind, string says) =>
        Assert.Contains(says, Single($$"""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public {{kind}} Net { }
            """, "SNET013", "Net").GetMessage());

    // ---- SNET014 ----

    [Fact]
    public void Snet014_layers_without_network_warn_once_at_the_first_layer_attribute() =>
        Assert.Contains("'Net'", Single("""
            using StaticNet;
            [Input(2)] [Dense(3)] [ReLU] [Dense(1)]
            public partial class Net;
            """, "SNET014", "Input(2)", DiagnosticSeverity.Warning).GetMessage());

    [Fact]
    public void Snet014_once_for_a_class_even_with_layers_on_two_declarations()
    {
        const string source = """
            using StaticNet;
            [Input(2)] [Dense(3)]
            public partial class Net;
            [ReLU] [Dense(1)]
            public partial class Net;
            """;
        Single(source, "SNET014", "Input(2)", DiagnosticSeverity.Warning);
    }

    // ---- SNET015 ----

    [Fact]
    public void Snet015_static() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public static partial class Net { }
            """, "SNET015", "Net");

    // ---- SNET016 ----

    [Theory]
    [InlineData("public void Forward() { }", "Forward")]
    [InlineData("public int Parameters => 0;", "Parameters")]
    [InlineData("public int W1;", "W1")]
    [InlineData("private int _parameters;", "_parameters")]
    [InlineData("public Net(int a, int b) { }", "Net")]
    [InlineData("public class Summary { }", "Summary")]
    public void Snet016_member_of_a_generated_name(string member, string span)
    {
        string source = $$"""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net
            {
                {{member}}
            }
            """;
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SNET016", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        int start = source.IndexOf(member, System.StringComparison.Ordinal);
        // It points at the user's member, within its declaration.
        Assert.InRange(d.Location.SourceSpan.Start, start, start + member.Length);
        Assert.Equal(span, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
    }

    // ---- SNET017 ----

    [Fact]
    public void Snet017_class_named_like_a_generated_member() =>
        Assert.Contains("'Forward'", Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Forward;
            """, "SNET017", "Forward").GetMessage());

    // ---- SNET018, SNET019 ----

    [Fact]
    public void Snet018_base_class_with_a_public_Parameters() =>
        Assert.Contains("'Parameters'", Single("""
            using StaticNet;
            public class Base { public float[] Parameters = new float[1]; }
            [Network] [Input(2)] [Dense(1)]
            public partial class Net : Base;
            """, "SNET018", "Net").GetMessage());

    [Fact]
    public void Snet019_base_class_without_a_parameterless_constructor() =>
        Assert.Contains("'Base'", Single("""
            using StaticNet;
            public class Base { public Base(int x) { } }
            [Network] [Input(2)] [Dense(1)]
            public partial class Net : Base;
            """, "SNET019", "Net").GetMessage());

    // ---- SNET020, SNET021 ----

    [Fact]
    public void Snet020_primary_constructor() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net();
            """, "SNET020", "Net");

    [Fact]
    public void Snet021_file_local_class() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            file partial class Net;
            """, "SNET021", "Net");

    [Fact]
    public void Snet021_nested_in_a_file_local_class() =>
        Single("""
            using StaticNet;
            file partial class Outer
            {
                [Network] [Input(2)] [Dense(1)]
                public partial class Net;
            }
            """, "SNET021", "Net");

    // ---- SNET022 ----

    [Fact]
    public void Snet022_language_version_8()
    {
        const string source = """
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net { }
            """;
        var parse = new CSharpParseOptions(LanguageVersion.CSharp8);
        var compilation = CSharpCompilation.Create("TestAssembly",
            new[] { CSharpSyntaxTree.ParseText(source, parse, path: "Source0.cs") },
            GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: parse)
            .RunGenerators(compilation);
        Diagnostic d = Check(driver.GetRunResult(), source, "SNET022", "Net", DiagnosticSeverity.Error);
        Assert.Contains("C# 8", d.GetMessage());
    }

    // ---- SNET023, SNET024 ----

    [Fact]
    public void Snet023_a_row_too_large() =>
        Single("""
            using StaticNet;
            [Network] [Input(int.MaxValue)] [ReLU]
            public partial class Net;
            """, "SNET023", "Input(int.MaxValue)");

    [Fact]
    public void Snet024_layers_on_two_partial_declarations() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(3)]
            public partial class Net;
            [ReLU] [Dense(1)]
            public partial class Net;
            """, "SNET024", "Net");

    // ---- SNET026 ----

    [Fact]
    public void Snet026_constructor_that_does_not_chain() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net
            {
                public Net(int a) { }
            }
            """, "SNET026", "Net");

    [Fact]
    public void A_constructor_chaining_to_the_generated_one_is_accepted() =>
        Generates("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net
            {
                public Net(int a) : this(a, 0) { }
            }
            """);

    // ---- Declarations that must work ----

    [Fact]
    public void Keyword_names_escaped() =>
        Generates("""
            using StaticNet;
            namespace @class;
            [Network] [Input(2)] [Dense(1)]
            public partial class @base;
            """);

    [Fact]
    public void Non_ascii_names() =>
        Generates("""
            using StaticNet;
            namespace Ünï;
            [Network] [Input(2)] [Dense(1)]
            public partial class Ωmega;
            """);

    [Fact]
    public void Names_differing_only_in_case_get_distinct_hint_names()
    {
        var generated = Generates("""
            using StaticNet;
            namespace N;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net;
            [Network] [Input(3)] [Dense(2)]
            public partial class NET;
            """);
        Assert.Equal(2, generated.Length);
        Assert.NotEqual(generated[0].HintName.ToUpperInvariant(), generated[1].HintName.ToUpperInvariant());
    }

    [Fact]
    public void A_300_character_class_name()
    {
        string name = "N" + new string('x', 299);
        Generates($$"""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class {{name}};
            """);
    }

    // [Network] does not allow multiple, so C# itself reports CS0579 at the second one; the generator must still
    // generate the class once, report no SNET diagnostic (let alone twice), and its code must be clean.
    [Fact]
    public void Network_on_two_partial_declarations_generates_once()
    {
        var (result, diagnostics) = GeneratorHarness.Run("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net;
            [Network]
            public partial class Net { public int Extra => 1; }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.Results.Single().GeneratedSources);
        Diagnostic compiler = Assert.Single(diagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        Assert.Equal("CS0579", compiler.Id);
        Assert.Equal("Source0.cs", compiler.Location.GetLineSpan().Path);
    }

    [Theory]
    [InlineData("ref partial struct")]
    [InlineData("partial record struct")]
    public void Network_nested_in_a_struct(string outer) =>
        Generates($$"""
            using StaticNet;
            public {{outer}} Outer
            {
                [Network] [Input(2)] [Dense(1)]
                public partial class Net;
            }
            """);
}
