using StaticNet.Generator.Layers;

namespace StaticNet.Generator.Model;

/// <summary>A layer's declared arguments, as its attribute gives them.</summary>
/// <param name="Units">The first size argument: Dense units, Conv2D filters, a pool's size; 0 for layers without one.</param>
/// <param name="Kernel">Conv2D's kernel size, a pool's window size; 0 otherwise.</param>
/// <param name="Stride">The step between windows (Conv2D: 1 by default; pools: the size by default).</param>
/// <param name="Padding">Conv2D's zero padding on every side.</param>
/// <param name="StrideGiven">Whether <c>Stride</c> was named in the attribute.</param>
/// <param name="PaddingGiven">Whether <c>Padding</c> was named in the attribute.</param>
/// <param name="Ratio">Dropout's ratio; 0 otherwise.</param>
/// <param name="Momentum">BatchNorm's momentum; 0 otherwise.</param>
/// <param name="Epsilon">BatchNorm's epsilon; 0 otherwise.</param>
/// <param name="Init">Dense's and Conv2D's <c>Init</c> as its enum value (0 Auto, 1 He, 2 Xavier, 3 Normal).</param>
/// <param name="Std">The standard deviation of <c>Init.Normal</c> (0.01 unless given).</param>
/// <param name="StdGiven">Whether <c>Std</c> was named in the attribute.</param>
/// <param name="Slope">LeakyReLU's slope for negative inputs.</param>
internal readonly record struct LayerArguments(int Units, int Kernel = 0, int Stride = 0, int Padding = 0, bool StrideGiven = false, bool PaddingGiven = false,
    double Ratio = 0, double Momentum = 0, double Epsilon = 0, int Init = 0, float Std = 0.01f, bool StdGiven = false, float Slope = 0f);

/// <summary>One layer with its shapes resolved and its tensors named.</summary>
/// <param name="Kind">What the layer is; it knows how to emit itself.</param>
/// <param name="Arguments">The declared arguments.</param>
/// <param name="InputShape">The shape of one row coming in.</param>
/// <param name="OutputShape">The shape of one row going out.</param>
/// <param name="Number">The ordinal among layers with parameters (1 for W1, b1), 0 for other layers.</param>
/// <param name="ParameterOffset">Where the layer's parameters start in the parameter block.</param>
/// <param name="Input">The name of the tensor coming in (<c>x</c>, <c>h1</c>).</param>
/// <param name="Output">The name of the tensor going out (<c>a1</c>, <c>h1</c>, <c>y</c>).</param>
/// <param name="FollowedByReLU">Whether the next layer is ReLU (weights then use He initialisation).</param>
/// <param name="Index">The layer's position among all layers (0 for the first after Input): names its workspaces.</param>
internal sealed record LayerSpec(
    LayerKind Kind,
    LayerArguments Arguments,
    Shape InputShape,
    Shape OutputShape,
    int Number,
    int ParameterOffset,
    string Input,
    string Output,
    bool FollowedByReLU,
    int Index)
{
    /// <summary>The slope of the LeakyReLU right after the layer, when one follows (its weights then use He initialisation with the leaky gain).</summary>
    public float? LeakyReLUSlopeAfter { get; init; }

    /// <summary>The declared size argument (Dense units, Conv2D filters).</summary>
    public int Units => Arguments.Units;

    /// <summary>Floats per row coming in.</summary>
    public int InputSize => (int)InputShape.Size;

    /// <summary>Floats per row going out.</summary>
    public int OutputSize => (int)OutputShape.Size;

    public int ParameterCount => (int)Kind.ParameterCount(InputShape, OutputShape, Arguments);

    /// <summary>How the layer was declared: <c>Dense(50)</c>, <c>ReLU</c>, <c>Conv2D(30, 5, Stride = 2)</c>.</summary>
    public string Declaration => Kind.Declaration(Arguments);

    /// <summary>How the layer is called in the summary: <c>Dense1</c>, <c>Conv2D1</c>, <c>ReLU</c>.</summary>
    public string DisplayName => Number > 0 ? Kind.Name + Number : Kind.Name;

    /// <summary>Whether <see cref="Output"/> is a buffer of its own (MeanSquaredError and Flatten pass their input through).</summary>
    public bool OwnsOutput => Output != Input;
}
