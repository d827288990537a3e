namespace StaticNet.Generator.Model;

/// <summary>Everything the emitter needs to write one network, and nothing from the compilation.</summary>
/// <param name="Namespace">The class's namespace, or null for the global namespace.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="ContainingTypes">Outermost first, for a class nested in other types.</param>
/// <param name="InputSize">Floats per input row.</param>
/// <param name="Layers">The layers after the input, in declaration order.</param>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    int InputSize,
    EquatableArray<LayerSpec> Layers)
{
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

    public string FullName => (Namespace is null ? "" : Namespace + ".") + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + ".")) + ClassName;

    /// <summary><c>{Namespace}.{Type}.g.cs</c>.</summary>
    public string HintName => FullName + ".g.cs";

    /// <summary>The declared architecture on one line: <c>Input(784) Dense(50) Sigmoid ...</c>.</summary>
    public string Architecture =>
        "Input(" + InputSize + ")" + string.Concat(System.Linq.Enumerable.Select(Layers, l => " " + l.Declaration));
}

/// <summary>A type that contains the network class: its keyword (<c>class</c>, <c>record struct</c>, ...) and name.</summary>
internal sealed record ContainingType(string Keyword, string Name);
