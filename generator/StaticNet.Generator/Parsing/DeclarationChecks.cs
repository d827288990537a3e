using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Parsing;

/// <summary>
/// The checks of the class a network is generated into: what kind of type it is, where it is nested, what it
/// declares and derives from. Each rule here stands for a class of declarations whose generated code would not
/// compile (or would land somewhere else); they are diagnostics instead.
/// </summary>
internal static class DeclarationChecks
{
    /// <summary>The oldest C# the generated code compiles with: it writes target-typed <c>new(...)</c> (C# 9) for its views.</summary>
    public static readonly LanguageVersion Oldest = LanguageVersion.CSharp9;

    public delegate void Reporter(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args);

    /// <summary>Checks that do not need the layers. Returns the containing types, outermost first.</summary>
    public static List<ContainingType> CheckShape(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Compilation compilation,
        LocationInfo? at, Reporter report, CancellationToken cancellationToken)
    {
        string name = type.Name;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            report(DiagnosticDescriptors.NotPartial, at, name);
        if (type.IsStatic)
            report(DiagnosticDescriptors.StaticClass, at, name);

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType)
            {
                report(DiagnosticDescriptors.Generic, at, name);
                break;
            }
        }
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal)
            {
                report(DiagnosticDescriptors.FileLocal, at, name, SymbolEqualityComparer.Default.Equals(t, type) ? "" : " (nested in the file-local '" + t.Name + "')");
                break;
            }
        }

        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax(cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
                report(DiagnosticDescriptors.ContainingTypeNotPartial, at, name, t.Name);
            containing.Insert(0, new ContainingType(Keyword(t), Identifier(t.Name)));
        }

        var version = ((CSharpParseOptions)declaration.SyntaxTree.Options).LanguageVersion;
        if (version < Oldest)
            report(DiagnosticDescriptors.LanguageVersion, at, name, Oldest.ToDisplayString(), version.ToDisplayString());

        // A primary constructor would make networks without buffers: new Net() would pick it over the generated one.
        if (type.InstanceConstructors.Any(c => IsPrimaryConstructor(c, cancellationToken)))
            report(DiagnosticDescriptors.PrimaryConstructor, at, name);

        // The generated constructor calls the base class's constructor without arguments.
        if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && type.TypeKind == TypeKind.Class)
        {
            bool callable = baseType.InstanceConstructors.Any(c =>
                c.Parameters.All(p => p.IsOptional || p.IsParams) && compilation.IsSymbolAccessibleWithin(c, type));
            if (!callable)
                report(DiagnosticDescriptors.BaseConstructor, at, name, baseType.ToDisplayString());
        }
        return containing;
    }

    private static bool IsPrimaryConstructor(IMethodSymbol constructor, CancellationToken cancellationToken) =>
        !constructor.IsImplicitlyDeclared &&
        constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax);

    /// <summary>
    /// The members the user (or a base class) declares with a name that the generated code declares too: each is a
    /// diagnostic at the member (or at the class, for a base class member or the class's own name).
    /// </summary>
    public static void CheckMembers(INamedTypeSymbol type, IReadOnlyCollection<string> generated, IReadOnlyList<string> constructor,
        Compilation compilation, LocationInfo? at, Reporter report, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(generated, StringComparer.Ordinal);
        if (names.Contains(type.Name))
            report(DiagnosticDescriptors.ClassNameCollision, at, type.Name);

        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared) continue;
            if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } userConstructor)
            {
                // The generated constructor takes ints only ((int batchCapacity, int seed), or a recurrent network's
                // (int maxSteps, int batchCapacity, int seed)): a user constructor of as many ints collides with it.
                if (userConstructor.Parameters.Length == constructor.Count && userConstructor.Parameters.All(p => p.Type.SpecialType == SpecialType.System_Int32 && p.RefKind == RefKind.None))
                    report(DiagnosticDescriptors.MemberCollision, Location(member) ?? at, type.Name,
                        type.Name + "(" + string.Join(", ", constructor.Select(_ => "int")) + ")",
                        "the generated constructor is " + type.Name + "(" + string.Join(", ", constructor.Select(p => "int " + p)) + ")");
                else if (!IsPrimaryConstructor(userConstructor, cancellationToken) && !userConstructor.IsStatic &&
                    userConstructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is ConstructorDeclarationSyntax { Initializer: not { ThisOrBaseKeyword.RawKind: (int)SyntaxKind.ThisKeyword } }))
                    report(DiagnosticDescriptors.ConstructorBypassesGenerated, Location(member) ?? at, userConstructor.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));
                continue;
            }
            if (member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue; // accessors, operators, finalizers
            if (!names.Contains(member.Name) || member.CanBeReferencedByName is false && member is not INamedTypeSymbol) continue;
            report(DiagnosticDescriptors.MemberCollision, Location(member) ?? at, type.Name, member.Name, "rename it");
        }

        for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
        {
            foreach (ISymbol member in b.GetMembers())
            {
                if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue;
                if (!names.Contains(member.Name) || !compilation.IsSymbolAccessibleWithin(member, type)) continue;
                report(DiagnosticDescriptors.BaseMemberCollision, at, type.Name, b.ToDisplayString(), member.Name);
                names.Remove(member.Name); // once per name
            }
        }
    }

    /// <summary>The parameters of the generated constructor, all int: a feed-forward network's, or a recurrent one's.</summary>
    public static IReadOnlyList<string> GeneratedConstructor(NetworkSpec spec) =>
        Emit.RecurrentEmitter.IsRecurrent(spec) ? Emit.RecurrentEmitter.ConstructorParameters : FeedForwardConstructor;

    private static readonly string[] FeedForwardConstructor = { "batchCapacity", "seed" };

    private static LocationInfo? Location(ISymbol member)
    {
        foreach (Location location in member.Locations)
            if (location.IsInSource) return LocationInfo.From(location);
        return null;
    }

    /// <summary>
    /// A name as the generated code writes it: with an <c>@</c> when it is a keyword (<c>@class</c>), a contextual keyword
    /// some contexts reserve (<c>record</c>, <c>file</c>, <c>var</c>), or all lower-case ASCII, which C# 11 warns may become
    /// a keyword (CS8981); <c>@</c> changes nothing else.
    /// </summary>
    public static string Identifier(string name)
    {
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None)
            return "@" + name;
        foreach (char c in name)
            if (c is not (>= 'a' and <= 'z')) return name;
        return "@" + name;
    }

    /// <summary>A namespace as C# source writes it, each part escaped.</summary>
    public static string? Namespace(INamespaceSymbol? ns)
    {
        if (ns is null || ns.IsGlobalNamespace) return null;
        var parts = new List<string>();
        for (INamespaceSymbol? n = ns; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace)
            parts.Insert(0, Identifier(n.Name));
        return string.Join(".", parts);
    }

    /// <summary>What a type is, in words, for SNET013.</summary>
    public static string Kind(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    /// <summary>How a partial part of a containing type is declared, with the modifiers every part must repeat: <c>partial class</c>, <c>ref partial struct</c>.</summary>
    private static string Keyword(INamedTypeSymbol type) =>
        (type.IsRefLikeType ? "ref " : "") + "partial " + Kind(type);
}
