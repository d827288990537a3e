using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using StaticNet.Generator;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>An unrelated edit re-runs no step of the pipeline, and no step holds compilation objects.</summary>
public class CachingTests
{
    private const string Network = """
        using StaticNet;
        namespace Demo;
        [Network] [Input(784)] [Dense(50)] [Sigmoid] [Dense(10)] [SoftmaxCrossEntropy]
        public partial class TwoLayerNet;
        """;

    private const string Bad = """
        using StaticNet;
        namespace Demo;
        [Network] [Input(4)] [Input(5)] [Dense(2)]
        public partial class BadNet;
        """;

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Network, Bad, "class Other { int X => 1; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Single(first.GeneratedSources);

        SyntaxTree old = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText("class Other { int X => 2; int Y => 3; }", GeneratorHarness.ParseOptions, old.FilePath));
        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        string[] tracked = { TrackingNames.Parse, TrackingNames.Diagnostics, TrackingNames.Specs };
        foreach (string name in tracked)
        {
            Assert.True(second.TrackedSteps.ContainsKey(name), $"step {name} is tracked");
            foreach (IncrementalGeneratorRunStep step in second.TrackedSteps[name])
                foreach ((object value, IncrementalStepRunReason reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {name} re-ran ({reason}) for {value}");
        }
        foreach (var output in second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason);
    }

    [Fact]
    public void Changing_the_network_reruns_it()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Network);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Network.Replace("Dense(50)", "Dense(60)"), GeneratorHarness.ParseOptions, old.FilePath));
        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Contains(second.TrackedSteps[TrackingNames.Specs].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Dense1 (W1, b1)      (N, 60)", second.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void No_step_output_holds_a_symbol_syntax_node_or_compilation()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Network, Bad);
        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        // Only our steps: Roslyn's own ForAttributeWithMetadataName steps hold syntax by design.
        foreach (string name in new[] { TrackingNames.Parse, TrackingNames.Diagnostics, TrackingNames.Specs })
            foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
                foreach ((object value, _) in step.Outputs)
                    AssertNoCompilationObjects(value, $"{name}", new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void AssertNoCompilationObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location { IsInSource: true },
            $"{path} holds a {value.GetType().Name}");
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable items)
        {
            if (value.GetType().GetProperty("IsDefault")?.GetValue(value) is true) return; // a default ImmutableArray holds nothing
            int i = 0;
            foreach (object? item in items) AssertNoCompilationObjects(item, $"{path}[{i++}]", seen);
            return;
        }
        for (Type? t = value.GetType(); t is not null && t != typeof(object); t = t.BaseType)
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertNoCompilationObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
    }
}
