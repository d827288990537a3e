using Microsoft.CodeAnalysis;

namespace StaticNet.Generator.Model;

/// <summary>A diagnostic as plain values, carried through the pipeline and reported at the end.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id), Location?.ToLocation(), System.Linq.Enumerable.ToArray<object>(MessageArgs));
}
