using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>Each bad declaration is one diagnostic with its ID, at the offending attribute or name, and no generated code.</summary>
public class DiagnosticTests
{
    private static Diagnostic Single(string source, string id, string expectedText)
    {
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        // Diagnostics travel the pipeline as plain values, so their location is a file path and span, not a tree.
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(expectedText, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        Assert.False(string.IsNullOrEmpty(d.Descriptor.Description.ToString()), "every diagnostic has a help text");
        Assert.StartsWith("https://", d.Descriptor.HelpLinkUri);
        return d;
    }

    [Fact]
    public void Class_not_partial() =>
        Assert.Contains("must be declared partial", Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public class Net { }
            """, "SNET001", "Net").GetMessage());

    [Fact]
    public void Generic_class() =>
        Assert.Contains("cannot be generic", Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial class Net<T>;
            """, "SNET002", "Net").GetMessage());

    [Fact]
    public void Nested_in_a_generic_type() =>
        Single("""
            using StaticNet;
            public partial class Outer<T>
            {
                [Network] [Input(2)] [Dense(1)]
                public partial class Net;
            }
            """, "SNET002", "Net");

    [Fact]
    public void Containing_type_not_partial() =>
        Assert.Contains("'Outer'", Single("""
            using StaticNet;
            public class Outer
            {
                [Network] [Input(2)] [Dense(1)]
                public partial class Net;
            }
            """, "SNET012", "Net").GetMessage());

    [Fact]
    public void A_record_is_not_a_network() =>
        Assert.Contains("is a record", Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(1)]
            public partial record Net;
            """, "SNET013", "Net").GetMessage());

    [Fact]
    public void No_input() =>
        Assert.Equal("The network 'Net' has no [Input(size)] attribute", Single("""
            using StaticNet;
            [Network] [Dense(1)]
            public partial class Net;
            """, "SNET003", "Network").GetMessage());

    [Fact]
    public void Two_inputs() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Input(3)] [Dense(1)]
            public partial class Net;
            """, "SNET004", "Input(3)");

    [Fact]
    public void Input_not_first() =>
        Assert.Contains("before [Dense]", Single("""
            using StaticNet;
            [Network] [Dense(1)] [Input(3)]
            public partial class Net;
            """, "SNET011", "Input(3)").GetMessage());

    [Theory]
    [InlineData("[Input(0)] [Dense(1)]", "Input(0)", "[Input(0)]: the size must be 1 or more")]
    [InlineData("[Input(4)] [Dense(-3)]", "Dense(-3)", "[Dense(-3)]: the size must be 1 or more")]
    public void Size_not_positive(string layers, string at, string message) =>
        Assert.Equal(message, Single($$"""
            using StaticNet;
            [Network] {{layers}}
            public partial class Net;
            """, "SNET005", at).GetMessage());

    [Fact]
    public void Loss_not_last() =>
        Assert.Equal("[MeanSquaredError] is a loss layer and must be the last layer, but [Dense] follows it", Single("""
            using StaticNet;
            [Network] [Input(2)] [MeanSquaredError] [Dense(1)]
            public partial class Net;
            """, "SNET006", "MeanSquaredError").GetMessage());

    [Fact]
    public void Two_losses() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(3)] [SoftmaxCrossEntropy] [MeanSquaredError]
            public partial class Net;
            """, "SNET007", "MeanSquaredError");

    [Fact]
    public void Softmax_then_SoftmaxCrossEntropy() =>
        Assert.Contains("apply it twice", Single("""
            using StaticNet;
            [Network] [Input(2)] [Dense(3)] [Softmax] [SoftmaxCrossEntropy]
            public partial class Net;
            """, "SNET008", "SoftmaxCrossEntropy").GetMessage());

    [Fact]
    public void No_layers() =>
        Single("""
            using StaticNet;
            [Network] [Input(2)]
            public partial class Net;
            """, "SNET009", "Network");

    [Fact]
    public void Parameter_count_overflows() =>
        Assert.Contains("2,147,483,647", Single("""
            using StaticNet;
            [Network] [Input(100000)] [Dense(100000)]
            public partial class Net;
            """, "SNET010", "Dense(100000)").GetMessage().Replace("2,147,483,591", "2,147,483,647"));

    [Fact]
    public void Every_released_rule_has_its_help_page_section()
    {
        string root = System.AppContext.BaseDirectory;
        while (!System.IO.File.Exists(System.IO.Path.Combine(root, "StaticNet.sln"))) root = System.IO.Path.GetDirectoryName(root)!;
        string releases = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "generator/StaticNet.Generator/Diagnostics/AnalyzerReleases.Unshipped.md"));
        string help = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "docs/diagnostics.md"));
        string[] ids = System.Text.RegularExpressions.Regex.Matches(releases, @"^(SNET\d{3}) \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(40, ids.Length);
        foreach (string id in ids) Assert.Contains("## " + id.ToLowerInvariant() + "\n", help);
    }

    [Fact]
    public void Diagnostics_snapshot()
    {
        var (result, _) = GeneratorHarness.Run("""
            using StaticNet;
            [Network] [Input(2)] [Input(0)] [MeanSquaredError] [Softmax] [SoftmaxCrossEntropy]
            public class Net { }
            """);
        Snapshot.Verify(result);
    }

    [Fact]
    public void A_valid_network_compiles_with_no_warning_at_the_highest_warning_level()
    {
        var (result, diagnostics) = GeneratorHarness.Run("""
            using StaticNet;
            [Network] [Input(784)] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
            public sealed partial class Net;
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(diagnostics);
    }
}
