using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace StaticNet.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are never reused; see AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "StaticNet";
    private const string HelpBase = "https://github.com/staticnet/staticnet/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor NotPartial = Error("SNET001",
        "Network class must be partial",
        "The network class '{0}' must be declared partial so that StaticNet can generate its members",
        "Add the 'partial' modifier to the class declaration.");

    public static readonly DiagnosticDescriptor Generic = Error("SNET002",
        "Network class cannot be generic",
        "The network class '{0}' cannot be generic or nested in a generic type: its shapes must be known at build time",
        "Declare the network as a non-generic class outside generic types.");

    public static readonly DiagnosticDescriptor NoInput = Error("SNET003",
        "Network has no Input",
        "The network '{0}' has no [Input(size)] attribute",
        "Add [Input(size)] before the first layer, with the number of floats per input row.");

    public static readonly DiagnosticDescriptor DuplicateInput = Error("SNET004",
        "More than one Input",
        "The network '{0}' declares [Input] more than once; a network has exactly one input",
        "Remove the extra [Input] attribute.");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error("SNET005",
        "Size must be positive",
        "[{0}({1})]: the size must be 1 or more",
        "Give the layer a positive size.");

    public static readonly DiagnosticDescriptor LossNotLast = Error("SNET006",
        "Loss layer must be last",
        "[{0}] is a loss layer and must be the last layer, but [{1}] follows it",
        "Move the loss layer to the end, or remove the layers after it.");

    public static readonly DiagnosticDescriptor TwoLosses = Error("SNET007",
        "More than one loss layer",
        "The network has two loss layers, [{0}] and [{1}]; a network has at most one",
        "Keep one loss layer, the last.");

    public static readonly DiagnosticDescriptor DoubleSoftmax = Error("SNET008",
        "SoftmaxCrossEntropy after Softmax",
        "[SoftmaxCrossEntropy] already applies a softmax, so the [Softmax] before it would apply it twice",
        "Remove the [Softmax] before [SoftmaxCrossEntropy].");

    public static readonly DiagnosticDescriptor NoLayers = Error("SNET009",
        "Network has no layers",
        "The network '{0}' has an input but no layers",
        "Add layers after [Input], e.g. [Dense(10)] [SoftmaxCrossEntropy].");

    public static readonly DiagnosticDescriptor TooManyParameters = Error("SNET010",
        "Too many parameters",
        "[{0}] brings the parameter count to {1}, more than the {2} floats one array can hold",
        "Make the layers smaller.");

    public static readonly DiagnosticDescriptor InputNotFirst = Error("SNET011",
        "Input must come first",
        "[Input] must be the first layer attribute, before [{0}]",
        "Move [Input(size)] before the layers.");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("SNET012",
        "Containing type must be partial",
        "The network class '{0}' is nested in '{1}', which must be declared partial so that StaticNet can generate into it",
        "Add the 'partial' modifier to every type that contains the network class.");

    public static readonly DiagnosticDescriptor NotAClass = Error("SNET013",
        "Network must be a class",
        "'{0}' is a record; a network must be a plain partial class",
        "Declare the network as 'partial class', not 'record'.");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [NotPartial.Id] = NotPartial,
        [Generic.Id] = Generic,
        [NoInput.Id] = NoInput,
        [DuplicateInput.Id] = DuplicateInput,
        [NonPositiveSize.Id] = NonPositiveSize,
        [LossNotLast.Id] = LossNotLast,
        [TwoLosses.Id] = TwoLosses,
        [DoubleSoftmax.Id] = DoubleSoftmax,
        [NoLayers.Id] = NoLayers,
        [TooManyParameters.Id] = TooManyParameters,
        [InputNotFirst.Id] = InputNotFirst,
        [ContainingTypeNotPartial.Id] = ContainingTypeNotPartial,
        [NotAClass.Id] = NotAClass,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message, string help) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: help, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
