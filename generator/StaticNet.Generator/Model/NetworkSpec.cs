namespace StaticNet.Generator.Model;

/// <summary>Everything the emitter needs to write one network, and nothing from the compilation.</summary>
/// <param name="Namespace">The class's namespace as C# names it (keywords escaped: <c>@class.Nets</c>), or null for the global namespace.</param>
/// <param name="ClassName">The class's name as C# names it (<c>Net</c>, <c>@base</c>).</param>
/// <param name="ContainingTypes">Outermost first, for a class nested in other types.</param>
/// <param name="InputShape">The shape of one input row: a vector, or (channels, height, width).</param>
/// <param name="Layers">The layers after the input, in declaration order.</param>
/// <param name="MetadataName">The full name without escapes (<c>class.Nets.base</c>): what hint names are made from.</param>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    Shape InputShape,
    EquatableArray<LayerSpec> Layers,
    string MetadataName)
{
    /// <summary>Floats per input row.</summary>
    public int InputSize => (int)InputShape.Size;

    public int OutputSize => Layers.Count == 0 ? InputSize : Layers[Layers.Count - 1].OutputSize;

    public int ParameterCount
    {
        get
        {
            int total = 0;
            foreach (LayerSpec layer in Layers) total += layer.ParameterCount;
            return total;
        }
    }

    /// <summary>The loss layer, when the network ends in one.</summary>
    public LayerSpec? LossLayer => Layers.Count > 0 && Layers[Layers.Count - 1].Kind.IsLoss ? Layers[Layers.Count - 1] : null;

    /// <summary>Whether <c>[Network(Reference = true)]</c> asks for the reference pass, a second generated file (Emit/ReferenceEmitter.cs).</summary>
    public bool Reference { get; init; }

    /// <summary>The declared architecture on one line: <c>Input(784) Dense(50) Sigmoid ...</c>, <c>Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten ...</c>.</summary>
    public string Architecture =>
        Parsing.NetworkParser.InputDeclaration(InputShape) + string.Concat(System.Linq.Enumerable.Select(Layers, l => " " + l.Declaration));
}

/// <summary>A type that contains the network class: its keyword with modifiers that every part must repeat
/// (<c>class</c>, <c>ref struct</c>, <c>record struct</c>, ...) and its name as C# names it.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>A network ready to be written: its spec and the hint name of its file, unique in the compilation.</summary>
internal sealed record NamedNetwork(NetworkSpec Spec, string HintName);
