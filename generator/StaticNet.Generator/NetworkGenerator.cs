using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;
using StaticNet.Generator.Parsing;

namespace StaticNet.Generator;

/// <summary>
/// The pipeline only: find [Network] classes, parse each into a value-equal spec (or diagnostics),
/// name each file uniquely, emit the spec. Everything a step returns is plain data, so an unrelated
/// edit re-runs nothing. A second set of inputs finds layer attributes on classes without [Network].
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkParser.AttributeNamespace + ".NetworkAttribute",
                predicate: static (node, _) => node is TypeDeclarationSyntax, // records, structs and interfaces too, to say they are not supported
                transform: static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (DiagnosticInfo diagnostic in list) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        IncrementalValuesProvider<NetworkSpec> specs = results
            .Select(static (r, _) => r.Spec)
            .Where(static s => s is not null)
            .Select(static (s, _) => s!)
            .WithTrackingName(TrackingNames.Specs);

        // Hint names are compared ignoring case, so each network's file name is chosen knowing all the others.
        IncrementalValueProvider<EquatableArray<string>> names = specs
            .Select(static (s, _) => s.MetadataName)
            .Collect()
            .Select(static (all, _) => new EquatableArray<string>(all.OrderBy(n => n, StringComparer.Ordinal)))
            .WithTrackingName(TrackingNames.Names);

        IncrementalValuesProvider<NamedNetwork> named = specs
            .Combine(names)
            .Select(static (pair, _) => new NamedNetwork(pair.Left, HintNames.For(pair.Left.MetadataName, pair.Right)))
            .WithTrackingName(TrackingNames.Named);

        context.RegisterSourceOutput(named, static (spc, network) =>
        {
            string source;
            try
            {
                source = RecurrentEmitter.IsRecurrent(network.Spec) ? RecurrentEmitter.Emit(network.Spec) : NetworkEmitter.Emit(network.Spec);
                spc.AddSource(network.HintName, source);
                if (ReferenceEmitter.Wanted(network.Spec)) spc.AddSource(ReferenceEmitter.HintName(network.HintName), ReferenceEmitter.Emit(network.Spec));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Never let one network cost the others their code: a failure here is a diagnostic, not a crash.
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None,
                    network.Spec.MetadataName, e.GetType().Name + ": " + e.Message));
            }
        });

        // Layer attributes on a class without [Network]: a warning at the first of them, once per class. Each
        // attribute has its own provider; only the one of the class's first StaticNet attribute answers.
        foreach (string attribute in LayerKind.All.Keys.Concat(new[] { "InputAttribute" }).OrderBy(n => n, StringComparer.Ordinal))
        {
            IncrementalValuesProvider<DiagnosticInfo> orphans = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    NetworkParser.AttributeNamespace + "." + attribute,
                    predicate: static (node, _) => node is TypeDeclarationSyntax,
                    transform: static (ctx, ct) => OrphanLayers.Check(ctx, ct))
                .Where(static d => d is not null)
                .Select(static (d, _) => d!)
                .WithTrackingName(TrackingNames.Orphans);
            context.RegisterSourceOutput(orphans, static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
        }
    }
}

/// <summary>The names of the pipeline's steps, for the caching tests.</summary>
public static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Specs = nameof(Specs);
    public const string Names = nameof(Names);
    public const string Named = nameof(Named);
    public const string Orphans = nameof(Orphans);
}
