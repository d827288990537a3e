using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Emit;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Parsing;

/// <summary>The result of reading one [Network] class: its spec when it is valid, and its diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static readonly ParseResult Nothing = new(null, EquatableArray<DiagnosticInfo>.Empty);
}

/// <summary>Reads the layer attributes of a [Network] class, infers the shapes and checks them.</summary>
internal static class NetworkParser
{
    public const string AttributeNamespace = "StaticNet";

    /// <summary>The largest array .NET allocates (Array.MaxLength), which bounds the parameter count.</summary>
    public const int MaxArrayLength = 0x7FFFFFC7;

    /// <summary>
    /// Never throws (but for cancellation): a failure of the generator itself becomes SNET025 at the class, so that
    /// one class the generator cannot handle costs no other class its code or its diagnostics.
    /// </summary>
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return ParseCore(context, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LocationInfo? at = context.TargetNode is TypeDeclarationSyntax d ? LocationInfo.From(d.Identifier.GetLocation()) : null;
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[]
            {
                new DiagnosticInfo(DiagnosticDescriptors.InternalError.Id, at,
                    new EquatableArray<string>(new[] { context.TargetSymbol.Name, e.GetType().Name + ": " + e.Message })),
            }));
        }
    }

    private static ParseResult ParseCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (TypeDeclarationSyntax)context.TargetNode;

        // [Network] on two partial declarations (itself an error, CS0579) runs this transform once for each: only the
        // first answers, so that every diagnostic is reported once and the class is generated once.
        if (!IsFirstNetworkDeclaration(type, declaration, cancellationToken))
            return ParseResult.Nothing;

        // A declaration the compiler cannot read yet (a name missing while the user types) is the compiler's to report.
        for (ISymbol? s = type; s is not null && !(s is INamespaceSymbol { IsGlobalNamespace: true }); s = s.ContainingSymbol)
            if (!SyntaxFacts.IsValidIdentifier(s.Name)) return ParseResult.Nothing;

        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
        LocationInfo? networkAttribute = LocationInfo.From(context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? classLocation;
        string name = type.Name;

        void Report(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            diagnostics.Add(new DiagnosticInfo(descriptor.Id, location, new EquatableArray<string>(args)));

        if (declaration is not ClassDeclarationSyntax || type.TypeKind != TypeKind.Class || type.IsRecord)
        {
            // [Network] allows classes only, but a record class passes that check (its synthesized equality and printing
            // would compare and print every buffer), and a struct or interface gets here with the compiler's own error.
            string kind = DeclarationChecks.Kind(type);
            Report(DiagnosticDescriptors.NotAClass, classLocation, name, (kind == "interface" ? "an " : "a ") + kind);
            return Invalid(diagnostics);
        }

        List<ContainingType> containingTypes = DeclarationChecks.CheckShape(type, declaration, context.SemanticModel.Compilation, classLocation, Report, cancellationToken);

        // The layer attributes, in source order.
        int? inputSize = null;
        LocationInfo? inputLocation = null;
        var layers = new List<(LayerKind Kind, int Units, LocationInfo? Location)>();
        bool sawLayerBeforeInput = false;
        SyntaxTree? layerTree = null;
        TextSpan? layerDeclaration = null;
        bool spread = false;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            INamedTypeSymbol? attributeClass = attribute.AttributeClass;
            if (attributeClass is null || attributeClass.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
                continue;
            SyntaxNode? syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            LocationInfo? location = LocationInfo.From(syntax?.GetLocation()) ?? classLocation;
            if (attributeClass.Name != "InputAttribute" && !LayerKind.All.ContainsKey(attributeClass.Name))
                continue; // [Network] itself, or an attribute of a later StaticNet version
            if (syntax?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } owner)
            {
                if (layerTree is null) (layerTree, layerDeclaration) = (owner.SyntaxTree, owner.Span);
                else if (owner.SyntaxTree != layerTree || owner.Span != layerDeclaration) spread = true;
            }
            bool hasArgument = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int;
            int argument = hasArgument ? (int)attribute.ConstructorArguments[0].Value! : 0;

            if (attributeClass.Name == "InputAttribute")
            {
                if (!hasArgument) return Invalid(diagnostics); // the compiler reports the bad argument
                if (inputSize is not null)
                    Report(DiagnosticDescriptors.DuplicateInput, location, name);
                else if (layers.Count > 0 && !sawLayerBeforeInput)
                {
                    sawLayerBeforeInput = true;
                    Report(DiagnosticDescriptors.InputNotFirst, location, layers[0].Kind.Name);
                }
                if (argument <= 0)
                    Report(DiagnosticDescriptors.NonPositiveSize, location, "Input", argument.ToString(CultureInfo.InvariantCulture));
                if (inputSize is null)
                {
                    inputSize = argument;
                    inputLocation = location;
                }
                continue;
            }

            LayerKind kind = LayerKind.All[attributeClass.Name];
            if (kind.HasUnits)
            {
                if (!hasArgument) return Invalid(diagnostics);
                if (argument <= 0)
                    Report(DiagnosticDescriptors.NonPositiveSize, location, kind.Name, argument.ToString(CultureInfo.InvariantCulture));
            }
            layers.Add((kind, argument, location));
        }

        if (spread)
            Report(DiagnosticDescriptors.LayersOnSeveralDeclarations, classLocation, name);
        if (inputSize is null)
            Report(DiagnosticDescriptors.NoInput, networkAttribute, name);
        if (layers.Count == 0)
            Report(DiagnosticDescriptors.NoLayers, networkAttribute, name);

        for (int i = 0; i < layers.Count; i++)
        {
            if (!layers[i].Kind.IsLoss) continue;
            int next = layers.FindIndex(i + 1, l => l.Kind.IsLoss);
            if (next >= 0)
                Report(DiagnosticDescriptors.TwoLosses, layers[next].Location, layers[i].Kind.Name, layers[next].Kind.Name);
            else if (i < layers.Count - 1)
                Report(DiagnosticDescriptors.LossNotLast, layers[i].Location, layers[i].Kind.Name, layers[i + 1].Kind.Name);
            if (layers[i].Kind == SoftmaxCrossEntropy.Instance && i > 0 && layers[i - 1].Kind == Softmax.Instance)
                Report(DiagnosticDescriptors.DoubleSoftmax, layers[i].Location);
            if (next >= 0) break;
        }

        if (inputSize > MaxArrayLength)
            Report(DiagnosticDescriptors.RowTooLarge, inputLocation, "Input(" + inputSize.Value.ToString(CultureInfo.InvariantCulture) + ")",
                inputSize.Value.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
        if (diagnostics.Count > 0 || inputSize is null)
            return Invalid(diagnostics);

        // Shapes, parameter offsets and tensor names.
        var specs = new List<LayerSpec>();
        var used = new HashSet<string> { "x", "t" };
        int size = inputSize.Value, denseCount = 0;
        long offset = 0;
        string current = "x";
        for (int i = 0; i < layers.Count; i++)
        {
            (LayerKind kind, int units, LocationInfo? location) = layers[i];
            int outputSize = kind.OutputSize(size, units);
            long parameters = kind == Dense.Instance ? (long)size * outputSize + outputSize : 0;
            if (offset + parameters > MaxArrayLength)
            {
                Report(DiagnosticDescriptors.TooManyParameters, location, kind.Name + "(" + units + ")",
                    (offset + parameters).ToString("N0", CultureInfo.InvariantCulture),
                    MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            int number = kind == Dense.Instance ? ++denseCount : 0;
            string output = kind == Dense.Instance ? "a" + number
                : kind == SoftmaxCrossEntropy.Instance ? "y"
                : kind == MeanSquaredError.Instance ? current
                : Fresh("h" + denseCount, used);
            used.Add(output);
            bool followedByReLU = i + 1 < layers.Count && layers[i + 1].Kind == ReLU.Instance;
            var layer = new LayerSpec(kind, units, size, outputSize, number, (int)offset, current, output, followedByReLU);
            // One row of every buffer must fit in an array, or no batch capacity is possible.
            long row = NetworkEmitter.RowWidth(layer);
            if (row > MaxArrayLength)
            {
                Report(DiagnosticDescriptors.RowTooLarge, location, layer.Declaration,
                    row.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            specs.Add(layer);
            offset += parameters;
            size = outputSize;
            current = output;
        }

        var spec = new NetworkSpec(DeclarationChecks.Namespace(type.ContainingNamespace), DeclarationChecks.Identifier(name),
            new EquatableArray<ContainingType>(containingTypes), inputSize.Value, new EquatableArray<LayerSpec>(specs),
            MetadataName(type));

        // Last, what the user declares against what is generated: the names are read off the generated code itself.
        DeclarationChecks.CheckMembers(type, NetworkEmitter.MemberNames(spec), context.SemanticModel.Compilation, classLocation, Report, cancellationToken);
        if (diagnostics.Count > 0)
            return Invalid(diagnostics);
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    private static bool IsFirstNetworkDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass is not { Name: "NetworkAttribute" } a || a.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
                continue;
            SyntaxNode? syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            return syntax is null || declaration.SyntaxTree == syntax.SyntaxTree && declaration.Span.Contains(syntax.Span);
        }
        return true;
    }

    /// <summary>The type's full name without escapes, namespace and containing types included.</summary>
    private static string MetadataName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType) parts.Insert(0, t.Name);
        for (INamespaceSymbol? n = type.ContainingNamespace; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace) parts.Insert(0, n.Name);
        return string.Join(".", parts);
    }

    private static ParseResult Invalid(List<DiagnosticInfo> diagnostics) =>
        new(null, new EquatableArray<DiagnosticInfo>(diagnostics));

    /// <summary><paramref name="stem"/>, or <c>stem_2</c>, <c>stem_3</c>… when taken (two activations after one Dense).</summary>
    private static string Fresh(string stem, HashSet<string> used)
    {
        if (!used.Contains(stem)) return stem;
        for (int i = 2; ; i++)
            if (!used.Contains(stem + "_" + i)) return stem + "_" + i;
    }
}
