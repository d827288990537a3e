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
        "'{0}' is {1}; a network must be a plain partial class",
        "Declare the network as 'partial class', not a record, struct or interface.");

    public static readonly DiagnosticDescriptor LayersWithoutNetwork = Warning("SNET014",
        "Layer attributes without [Network]",
        "'{0}' has StaticNet layer attributes but no [Network] attribute, so no network is generated for it",
        "Add [Network] to the class, or remove the layer attributes.");

    public static readonly DiagnosticDescriptor StaticClass = Error("SNET015",
        "Network class cannot be static",
        "The network class '{0}' cannot be static: a network is an object that holds its weights and buffers",
        "Remove the 'static' modifier.");

    public static readonly DiagnosticDescriptor MemberCollision = Error("SNET016",
        "Member has the name of a generated member",
        "'{0}' declares '{1}', a name StaticNet generates for this network ({2})",
        "Rename the member (or the layer whose generated name it takes).");

    public static readonly DiagnosticDescriptor ClassNameCollision = Error("SNET017",
        "Network class has the name of a generated member",
        "A network class cannot be named '{0}': StaticNet generates a member of that name, and a member cannot have the name of its class",
        "Rename the class.");

    public static readonly DiagnosticDescriptor BaseMemberCollision = Error("SNET018",
        "Base class has a member of a generated name",
        "The base class '{1}' of '{0}' has a member '{2}', which the member StaticNet generates would hide",
        "Derive the network from a class without members of the generated names, or rename the base class member.");

    public static readonly DiagnosticDescriptor BaseConstructor = Error("SNET019",
        "Base class needs constructor arguments",
        "The base class '{1}' of '{0}' has no accessible constructor that takes no arguments, which the generated constructor calls",
        "Give the base class an accessible parameterless constructor, or do not derive the network from it.");

    public static readonly DiagnosticDescriptor PrimaryConstructor = Error("SNET020",
        "Network class cannot have a primary constructor",
        "The network class '{0}' has a primary constructor, which would create the network without the buffers and weights the generated constructor sets up",
        "Remove the primary constructor; declare a constructor that calls ': this(batchCapacity, seed)' instead.");

    public static readonly DiagnosticDescriptor FileLocal = Error("SNET021",
        "Network class cannot be file-local",
        "'{0}' is a file-local type{1}; the generated code, which lives in a file of its own, cannot add to it",
        "Remove the 'file' modifier.");

    public static readonly DiagnosticDescriptor LanguageVersion = Error("SNET022",
        "Language version too old",
        "The code StaticNet generates for '{0}' needs C# {1} or later; this project compiles with C# {2}",
        "Set <LangVersion> to 9 or later (the default of net8.0 is C# 12).");

    public static readonly DiagnosticDescriptor RowTooLarge = Error("SNET023",
        "One row is too large",
        "[{0}]: one row of this layer needs {1} floats of buffer, more than the {2} one array can hold",
        "Make the layer smaller.");

    public static readonly DiagnosticDescriptor LayersOnSeveralDeclarations = Error("SNET024",
        "Layer attributes on several declarations",
        "The layer attributes of '{0}' are spread over several partial declarations, so their order is not defined",
        "Put [Network], [Input] and every layer attribute on one declaration of the class.");

    public static readonly DiagnosticDescriptor InternalError = Error("SNET025",
        "StaticNet generator error",
        "StaticNet could not generate '{0}': {1}",
        "This is a bug in StaticNet: please report it with the declaration that causes it.");

    public static readonly DiagnosticDescriptor ConstructorBypassesGenerated = Error("SNET026",
        "Constructor must call the generated constructor",
        "The constructor '{0}' of the network class does not call the generated constructor, which allocates the network's buffers and initialises its weights",
        "Chain to it: ': this(batchCapacity, seed)'.");

    public static readonly DiagnosticDescriptor NeedsFlatten = Error("SNET027",
        "Layer takes a vector",
        "[{0}] takes a vector, but its input is {1}",
        "Put [Flatten] before it to turn the (channels, height, width) input into a vector.");

    public static readonly DiagnosticDescriptor NeedsImage = Error("SNET028",
        "Layer takes an image",
        "[{0}] takes a (channels, height, width) input, but its input is {1}",
        "Declare the input as [Input(channels, height, width)], or remove the layer.");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error("SNET029",
        "Window larger than the input",
        "[{0}]: the {1} ({2}) is larger than the {3} ({4})",
        "Make the kernel or window smaller, or pad the input.");

    public static readonly DiagnosticDescriptor OutputNotWhole = Error("SNET030",
        "Output size is not whole",
        "[{0}]: the stride {1} does not divide {2}, so the windows do not end at the edge of the input",
        "Choose a stride that divides (size + 2·padding − kernel), or change the padding or the kernel size.");

    public static readonly DiagnosticDescriptor FlattenOnVector = Error("SNET031",
        "Flatten on a vector",
        "[Flatten] is applied to {0}, which is already a vector",
        "Remove the [Flatten].");

    public static readonly DiagnosticDescriptor ArgumentOutOfRange = Error("SNET032",
        "Layer argument out of range",
        "[{0}]: {1} must be {2}, but is {3}",
        "Give the argument a value in range.");

    public static readonly DiagnosticDescriptor NoReferenceForm = Warning("SNET060",
        "Layer has no reference form",
        "The network '{0}' asks for a reference pass (Reference = true), but {1} no reference form yet: the network is generated without its reference file",
        "Remove Reference = true, or remove the layer until its kind writes its reference form (LayerKind.EmitReferenceForward and the other EmitReference hooks).");
    public static readonly DiagnosticDescriptor DropoutRatioOutOfRange = Error("SNET040",
        "Dropout ratio out of range",
        "[{0}]: the ratio is the probability of dropping a value and must be in [0, 1), but is {1}",
        "Give a ratio of at least 0 and below 1, e.g. [Dropout(0.5)]: a ratio of 1 would drop everything.");

    public static readonly DiagnosticDescriptor BatchNormMomentumOutOfRange = Error("SNET041",
        "BatchNorm momentum out of range",
        "[{0}]: Momentum is the weight of each batch in the running statistics and must be in [0, 1], but is {1}",
        "Give a momentum in [0, 1]; PyTorch's default is 0.1 (the book's momentum 0.9 is PyTorch's 0.1).");

    public static readonly DiagnosticDescriptor BatchNormEpsilonOutOfRange = Error("SNET042",
        "BatchNorm epsilon not positive",
        "[{0}]: Epsilon is added to the variance and must be positive and finite as a float, but is {1}",
        "Give a small positive epsilon, e.g. 1e-5 (PyTorch's default).");
    public static readonly DiagnosticDescriptor RecurrentNeedsVector = Error("SNET070",
        "Recurrent layer takes a vector per time step",
        "[{0}] reads a vector per time step, but its input is {1}",
        "Declare the input as [Input(features)]: a sequence is time steps of that many floats.");

    public static readonly DiagnosticDescriptor RecurrentAfterStepLayer = Error("SNET071",
        "Recurrent layer after a per-step layer",
        "[{0}] must follow the input or another recurrent layer, but follows [{1}]",
        "Put the recurrent layers first, right after [Input]; the layers after them apply at every time step.");

    public static readonly DiagnosticDescriptor TrainingLayerInRecurrentNetwork = Error("SNET072",
        "Layer not supported in a recurrent network yet",
        "[{0}] has a training form of its own (masks or batch statistics), which recurrent networks do not run yet",
        "Remove the layer from the recurrent network, or use it in a network without GRU or LSTM layers.");
    public static readonly DiagnosticDescriptor StdWithoutNormal = Error("SNET050",
        "Std without Init.Normal",
        "[{0}]: Std is the standard deviation of Init.Normal, but Init is {1}, which takes its standard deviation from the fan-in",
        "Add Init = Init.Normal to use the given Std, or remove Std.");

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
        [LayersWithoutNetwork.Id] = LayersWithoutNetwork,
        [StaticClass.Id] = StaticClass,
        [MemberCollision.Id] = MemberCollision,
        [ClassNameCollision.Id] = ClassNameCollision,
        [BaseMemberCollision.Id] = BaseMemberCollision,
        [BaseConstructor.Id] = BaseConstructor,
        [PrimaryConstructor.Id] = PrimaryConstructor,
        [FileLocal.Id] = FileLocal,
        [LanguageVersion.Id] = LanguageVersion,
        [RowTooLarge.Id] = RowTooLarge,
        [LayersOnSeveralDeclarations.Id] = LayersOnSeveralDeclarations,
        [InternalError.Id] = InternalError,
        [ConstructorBypassesGenerated.Id] = ConstructorBypassesGenerated,
        [NeedsFlatten.Id] = NeedsFlatten,
        [NeedsImage.Id] = NeedsImage,
        [WindowTooLarge.Id] = WindowTooLarge,
        [OutputNotWhole.Id] = OutputNotWhole,
        [FlattenOnVector.Id] = FlattenOnVector,
        [ArgumentOutOfRange.Id] = ArgumentOutOfRange,
        [NoReferenceForm.Id] = NoReferenceForm,
        [DropoutRatioOutOfRange.Id] = DropoutRatioOutOfRange,
        [BatchNormMomentumOutOfRange.Id] = BatchNormMomentumOutOfRange,
        [BatchNormEpsilonOutOfRange.Id] = BatchNormEpsilonOutOfRange,
        [RecurrentNeedsVector.Id] = RecurrentNeedsVector,
        [RecurrentAfterStepLayer.Id] = RecurrentAfterStepLayer,
        [TrainingLayerInRecurrentNetwork.Id] = TrainingLayerInRecurrentNetwork,
        [StdWithoutNormal.Id] = StdWithoutNormal,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message, string help) =>
        Create(id, title, message, help, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message, string help) =>
        Create(id, title, message, help, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, string help, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true,
            description: help, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
