using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Parsing;

/// <summary>
/// SNET014: StaticNet layer attributes on a class without [Network], which would otherwise give no StaticNet
/// diagnostic at all (only "does not contain a definition for Loss" where the class is used).
/// </summary>
internal static class OrphanLayers
{
    /// <summary>
    /// The warning, at the class's first StaticNet attribute, from the one transform that runs for that attribute's
    /// class and declaration; null from every other (so each class is warned about once), and null when the class
    /// has [Network]. Never throws.
    /// </summary>
    public static DiagnosticInfo? Check(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            if (context.TargetSymbol is not INamedTypeSymbol type) return null;
            AttributeData? first = null;
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is not { } c || c.ContainingNamespace?.ToDisplayString() != NetworkParser.AttributeNamespace) continue;
                if (c.Name == "NetworkAttribute") return null;
                first ??= attribute;
            }
            if (first is null || context.Attributes.Length == 0) return null;
            // Only the provider of the first attribute's kind, on the declaration that holds it, answers.
            if (!SymbolEqualityComparer.Default.Equals(first.AttributeClass, context.Attributes[0].AttributeClass)) return null;
            SyntaxNode? syntax = first.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            if (syntax is null || syntax.SyntaxTree != context.TargetNode.SyntaxTree || !context.TargetNode.Span.Contains(syntax.Span)) return null;
            return new DiagnosticInfo(DiagnosticDescriptors.LayersWithoutNetwork.Id, LocationInfo.From(syntax.GetLocation()),
                new EquatableArray<string>(new[] { type.Name }));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // a warning is not worth a crash
        }
    }
}
