using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Layers;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Parsing;

/// <summary>The result of reading one [Network] class: its spec when it is valid, and its diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Reads the layer attributes of a [Network] class, infers the shapes and checks them.</summary>
internal static class NetworkParser
{
    private const string AttributeNamespace = "StaticNet";

    /// <summary>The largest array .NET allocates (Array.MaxLength), which bounds the parameter count.</summary>
    public const int MaxArrayLength = 0x7FFFFFC7;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
        LocationInfo? networkAttribute = LocationInfo.From(context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? classLocation;
        string name = type.Name;

        void Report(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            diagnostics.Add(new DiagnosticInfo(descriptor.Id, location, new EquatableArray<string>(args)));

        if (declaration is not ClassDeclarationSyntax)
        {
            // [Network] allows classes only, but a record class passes that check: its synthesized
            // equality and printing would compare and print every buffer, so it is not a network.
            Report(DiagnosticDescriptors.NotAClass, classLocation, name);
            return Invalid(diagnostics);
        }
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            Report(DiagnosticDescriptors.NotPartial, classLocation, name);

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType)
            {
                Report(DiagnosticDescriptors.Generic, classLocation, name);
                break;
            }
        }

        var containingTypes = new List<ContainingType>();
        for (INamedTypeSymbol? t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax(cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
                Report(DiagnosticDescriptors.ContainingTypeNotPartial, classLocation, name, t.Name);
            containingTypes.Insert(0, new ContainingType(Keyword(t), t.Name));
        }

        // The layer attributes, in source order.
        int? inputSize = null;
        var layers = new List<(LayerKind Kind, int Units, LocationInfo? Location)>();
        bool sawLayerBeforeInput = false;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            INamedTypeSymbol? attributeClass = attribute.AttributeClass;
            if (attributeClass is null || attributeClass.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
                continue;
            LocationInfo? location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? classLocation;
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
                    Report(DiagnosticDescriptors.NonPositiveSize, location, "Input", argument.ToString(System.Globalization.CultureInfo.InvariantCulture));
                inputSize ??= argument;
                continue;
            }

            if (!LayerKind.All.TryGetValue(attributeClass.Name, out LayerKind? kind))
                continue; // [Network] itself, or an attribute of a later StaticNet version
            if (kind.HasUnits)
            {
                if (!hasArgument) return Invalid(diagnostics);
                if (argument <= 0)
                    Report(DiagnosticDescriptors.NonPositiveSize, location, kind.Name, argument.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            layers.Add((kind, argument, location));
        }

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
                    (offset + parameters).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    MaxArrayLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            int number = kind == Dense.Instance ? ++denseCount : 0;
            string output = kind == Dense.Instance ? "a" + number
                : kind == SoftmaxCrossEntropy.Instance ? "y"
                : kind == MeanSquaredError.Instance ? current
                : Fresh("h" + denseCount, used);
            used.Add(output);
            bool followedByReLU = i + 1 < layers.Count && layers[i + 1].Kind == ReLU.Instance;
            specs.Add(new LayerSpec(kind, units, size, outputSize, number, (int)offset, current, output, followedByReLU));
            offset += parameters;
            size = outputSize;
            current = output;
        }

        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        var spec = new NetworkSpec(ns, name, new EquatableArray<ContainingType>(containingTypes), inputSize.Value, new EquatableArray<LayerSpec>(specs));
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
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

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
