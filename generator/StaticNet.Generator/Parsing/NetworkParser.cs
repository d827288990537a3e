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
        Shape? inputShape = null;
        LocationInfo? inputLocation = null;
        var layers = new List<(LayerKind Kind, LayerArguments Arguments, LocationInfo? Location)>();
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
            if (attributeClass.Name == "InputAttribute")
            {
                Shape? declaredShape = ReadInput(attribute, out string declared, out bool positive);
                if (declaredShape is null) return Invalid(diagnostics); // the compiler reports the bad argument
                if (inputShape is not null)
                    Report(DiagnosticDescriptors.DuplicateInput, location, name);
                else if (layers.Count > 0 && !sawLayerBeforeInput)
                {
                    sawLayerBeforeInput = true;
                    Report(DiagnosticDescriptors.InputNotFirst, location, layers[0].Kind.Name);
                }
                if (!positive)
                    Report(DiagnosticDescriptors.NonPositiveSize, location, "Input", declared);
                if (inputShape is null)
                {
                    inputShape = declaredShape;
                    inputLocation = location;
                }
                continue;
            }

            LayerKind kind = LayerKind.All[attributeClass.Name];
            if (!kind.TryRead(attribute, out LayerArguments arguments)) return Invalid(diagnostics);
            layers.Add((kind, arguments, location));
        }

        if (spread)
            Report(DiagnosticDescriptors.LayersOnSeveralDeclarations, classLocation, name);
        if (inputShape is null)
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

        RecurrentEmitter.CheckOrder(layers.Select(l => (l.Kind, l.Location)).ToList(), (d, at, args) => Report(d, at, args));

        if (inputShape?.Size > MaxArrayLength)
            Report(DiagnosticDescriptors.RowTooLarge, inputLocation, InputDeclaration(inputShape.Value),
                inputShape.Value.Size.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
        if (diagnostics.Count > 0 || inputShape is null)
            return Invalid(diagnostics);

        // Shapes, parameter offsets and tensor names.
        var specs = new List<LayerSpec>();
        var used = new HashSet<string> { "x", "t" };
        Shape shape = inputShape.Value;
        int parameterLayers = 0;
        long offset = 0;
        string current = "x";
        for (int i = 0; i < layers.Count; i++)
        {
            (LayerKind kind, LayerArguments arguments, LocationInfo? location) = layers[i];
            if (kind == Flatten.Instance && !shape.IsImage)
            {
                Report(DiagnosticDescriptors.FlattenOnVector, location, shape.Describe);
                return Invalid(diagnostics);
            }
            ShapeResult resolved = kind.Resolve(shape, arguments);
            if (resolved.Descriptor is not null)
            {
                Report(resolved.Descriptor, location, resolved.Arguments);
                return Invalid(diagnostics);
            }
            Shape outputShape = resolved.Output;
            if (outputShape.Size > MaxArrayLength)
            {
                Report(DiagnosticDescriptors.RowTooLarge, location, kind.Declaration(arguments),
                    outputShape.Size.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            long parameters = kind.ParameterCount(shape, outputShape, arguments);
            if (offset + parameters > MaxArrayLength)
            {
                Report(DiagnosticDescriptors.TooManyParameters, location, kind.Declaration(arguments),
                    (offset + parameters).ToString("N0", CultureInfo.InvariantCulture),
                    MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            int number = parameters > 0 ? ++parameterLayers : 0;
            string output = number > 0 ? (kind is RecurrentKind ? "h" : "a") + number
                : kind == SoftmaxCrossEntropy.Instance || kind == SigmoidCrossEntropy.Instance ? "y"
                : kind == MeanSquaredError.Instance || kind == Flatten.Instance ? current
                : kind is Pooling ? Fresh("p" + parameterLayers, used) // pooled: x → a1 → h1 → p1, as the book's Conv1, Relu1, Pool1
                : Fresh("h" + parameterLayers, used);
            used.Add(output);
            bool followedByReLU = i + 1 < layers.Count && layers[i + 1].Kind == ReLU.Instance;
            var layer = new LayerSpec(kind, arguments, shape, outputShape, number, (int)offset, current, output, followedByReLU, i + 1)
            {
                LeakyReLUSlopeAfter = i + 1 < layers.Count && layers[i + 1].Kind == LeakyReLU.Instance ? layers[i + 1].Arguments.Slope : null,
            };
            // One row of every buffer, and every workspace, must fit in an array, or no batch capacity is possible.
            long row = kind.RowWidth(layer);
            foreach (Workspace workspace in kind.Workspaces(layer)) row = Math.Max(row, workspace.Length);
            if (row > MaxArrayLength)
            {
                Report(DiagnosticDescriptors.RowTooLarge, location, layer.Declaration,
                    row.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));
                return Invalid(diagnostics);
            }
            specs.Add(layer);
            offset += parameters;
            shape = outputShape;
            current = output;
        }

        var spec = new NetworkSpec(DeclarationChecks.Namespace(type.ContainingNamespace), DeclarationChecks.Identifier(name),
            new EquatableArray<ContainingType>(containingTypes), inputShape.Value, new EquatableArray<LayerSpec>(specs),
            MetadataName(type)) { Reference = ReadReference(context.Attributes[0]) };

        // Last, what the user declares against what is generated: the names are read off the generated code itself.
        DeclarationChecks.CheckMembers(type, NetworkEmitter.MemberNames(spec).Concat(ReferenceEmitter.MemberNames(spec)).ToList(), DeclarationChecks.GeneratedConstructor(spec), context.SemanticModel.Compilation, classLocation, Report, cancellationToken);
        if (diagnostics.Count > 0)
            return Invalid(diagnostics);
        // A warning, not an error: the network is generated, only without its reference file.
        if (ReferenceEmitter.Check(spec, networkAttribute, name) is { } noReference) diagnostics.Add(noReference);
        return new ParseResult(spec, new EquatableArray<DiagnosticInfo>(diagnostics));
    }

    /// <summary>The named argument <c>Reference</c> of [Network]: false when it is not given.</summary>
    private static bool ReadReference(AttributeData network)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in network.NamedArguments)
            if (argument.Key == "Reference" && argument.Value.Value is bool reference) return reference;
        return false;
    }

    /// <summary>
    /// The shape an [Input] declares: <c>Input(size)</c> or <c>Input(channels, height, width)</c>; null when the
    /// arguments are neither (the compiler reports them). <paramref name="positive"/> says whether every size is 1 or more.
    /// </summary>
    private static Shape? ReadInput(AttributeData attribute, out string declared, out bool positive)
    {
        var values = new List<int>();
        foreach (TypedConstant argument in attribute.ConstructorArguments)
        {
            if (argument.Value is not int v) { declared = ""; positive = false; return null; }
            values.Add(v);
        }
        declared = string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        positive = values.All(v => v > 0);
        return values.Count switch
        {
            1 => Shape.Vector(values[0]),
            3 => Shape.Image(values[0], values[1], values[2]),
            _ => null,
        };
    }

    /// <summary><c>Input(784)</c>, <c>Input(1, 28, 28)</c>: the spelling of Architecture and StaticNet.Onnx.</summary>
    internal static string InputDeclaration(Shape shape) => shape.IsImage
        ? "Input(" + shape.Channels.ToString(CultureInfo.InvariantCulture) + ", " + shape.Height.ToString(CultureInfo.InvariantCulture) + ", " + shape.Width.ToString(CultureInfo.InvariantCulture) + ")"
        : "Input(" + shape.Channels.ToString(CultureInfo.InvariantCulture) + ")";

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
