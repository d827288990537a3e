using StaticNet.Generator.Layers;

namespace StaticNet.Generator.Model;

/// <summary>One layer with its shapes resolved and its tensors named.</summary>
/// <param name="Kind">What the layer is; it knows how to emit itself.</param>
/// <param name="Units">The declared size argument (Dense units), 0 for layers without one.</param>
/// <param name="InputSize">Floats per row coming in.</param>
/// <param name="OutputSize">Floats per row going out.</param>
/// <param name="Number">The Dense layer's ordinal (1 for W1, b1), 0 for other layers.</param>
/// <param name="ParameterOffset">Where the layer's parameters start in the parameter block.</param>
/// <param name="Input">The name of the tensor coming in (<c>x</c>, <c>h1</c>).</param>
/// <param name="Output">The name of the tensor going out (<c>a1</c>, <c>h1</c>, <c>y</c>).</param>
/// <param name="FollowedByReLU">Whether the next layer is ReLU (Dense weights then use He initialisation).</param>
internal sealed record LayerSpec(
    LayerKind Kind,
    int Units,
    int InputSize,
    int OutputSize,
    int Number,
    int ParameterOffset,
    string Input,
    string Output,
    bool FollowedByReLU)
{
    public int ParameterCount => Kind.ParameterCount(InputSize, OutputSize);

    /// <summary>How the layer was declared: <c>Dense(50)</c>, <c>ReLU</c>.</summary>
    public string Declaration => Kind.HasUnits ? Kind.Name + "(" + Units + ")" : Kind.Name;

    /// <summary>How the layer is called in the summary: <c>Dense1</c>, <c>ReLU</c>.</summary>
    public string DisplayName => Number > 0 ? Kind.Name + Number : Kind.Name;

    /// <summary>Whether <see cref="Output"/> is a buffer of its own (MeanSquaredError passes its input through).</summary>
    public bool OwnsOutput => Output != Input;
}
