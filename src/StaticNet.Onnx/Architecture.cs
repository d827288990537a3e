using System;
using System.Collections.Generic;
using System.Globalization;

namespace StaticNet.Onnx;

/// <summary>
/// One layer of <see cref="INetwork.Architecture"/>: its kind and its arguments as declared, e.g.
/// <c>Dense(100)</c> → kind <c>Dense</c>, positional <c>["100"]</c>; <c>Conv2D(30, 5, Stride = 1)</c> →
/// positional <c>["30", "5"]</c>, named <c>Stride = "1"</c>.
/// </summary>
internal sealed class LayerDeclaration
{
    public LayerDeclaration(int index, string text, string kind, List<string> positional, List<KeyValuePair<string, string>> named)
    {
        Index = index;
        Text = text;
        Kind = kind;
        Positional = positional;
        Named = named;
    }

    /// <summary>Position in the architecture, 0 for the input.</summary>
    public int Index { get; }

    /// <summary>The declaration as written, e.g. <c>Dense(100)</c>.</summary>
    public string Text { get; }

    public string Kind { get; }

    public List<string> Positional { get; }

    public List<KeyValuePair<string, string>> Named { get; }

    /// <summary>For messages: <c>layer 2, Dense(10)</c>.</summary>
    public string Describe() => $"layer {Index}, {Text}";

    /// <summary>Named argument <paramref name="name"/> (e.g. <c>Stride</c>) as an int, or <paramref name="fallback"/> when it is not given.</summary>
    public int NamedInt(string name, int fallback)
    {
        foreach (KeyValuePair<string, string> argument in Named)
        {
            if (argument.Key != name)
                continue;
            if (!int.TryParse(argument.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
                throw new NotSupportedException($"The architecture's {Describe()} has {name} = {argument.Value}, not an integer.");
            return value;
        }
        return fallback;
    }

    /// <summary>Named argument <paramref name="name"/> (e.g. a BatchNorm's <c>Epsilon</c>) as a double, or <paramref name="fallback"/> when it is not given.</summary>
    public double NamedReal(string name, double fallback)
    {
        foreach (KeyValuePair<string, string> argument in Named)
        {
            if (argument.Key != name)
                continue;
            if (!double.TryParse(argument.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new NotSupportedException($"The architecture's {Describe()} has {name} = {argument.Value}, not a number.");
            return value;
        }
        return fallback;
    }

    /// <summary>Whether the layer is a GRU or an LSTM.</summary>
    public bool IsRecurrent => Kind is "GRU" or "LSTM";

    /// <summary>Gate blocks of a recurrent layer: 3 for a GRU (r, z, n), 4 for an LSTM (i, f, g, o).</summary>
    public int Gates => Kind == "GRU" ? 3 : 4;

    /// <summary>
    /// For each gate block of ONNX's GRU/LSTM weights, the block of PyTorch's (and StaticNet's) that it is: ONNX orders a
    /// GRU's gates z, r, h and PyTorch r, z, n; an LSTM's i, o, f, c and PyTorch i, f, g, o.
    /// </summary>
    public int[] TorchBlockOfOnnxBlock => Kind == "GRU" ? [1, 0, 2] : [0, 3, 1, 2];

    /// <summary>Positional argument <paramref name="position"/> as a float, e.g. the slope of <c>LeakyReLU(0.01)</c>.</summary>
    public float Float(int position)
    {
        if (position >= Positional.Count
            || !float.TryParse(Positional[position], NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw new NotSupportedException($"The architecture's {Describe()} has no number argument {position + 1}.");
        return value;
    }

    /// <summary>Positional argument <paramref name="position"/> as an int (a positive size).</summary>
    public int Int(int position)
    {
        if (position >= Positional.Count
            || !int.TryParse(Positional[position], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new NotSupportedException($"The architecture's {Describe()} has no integer argument {position + 1}.");
        return value;
    }
}

/// <summary>Splits <see cref="INetwork.Architecture"/> into its layers.</summary>
internal static class Architecture
{
    /// <summary>
    /// Parses e.g. <c>Input(784) Dense(100) ReLU Dense(10) SoftmaxCrossEntropy</c>. Layers are separated by
    /// white space outside parentheses, so <c>Conv2D(30, 5, Stride = 1, Padding = 0)</c> is one layer.
    /// </summary>
    public static List<LayerDeclaration> Parse(string architecture)
    {
        var layers = new List<LayerDeclaration>();
        int i = 0;
        while (true)
        {
            while (i < architecture.Length && char.IsWhiteSpace(architecture[i]))
                i++;
            if (i == architecture.Length)
                break;
            int start = i;
            while (i < architecture.Length && (char.IsLetterOrDigit(architecture[i]) || architecture[i] == '_'))
                i++;
            string kind = architecture.Substring(start, i - start);
            var positional = new List<string>();
            var named = new List<KeyValuePair<string, string>>();
            if (i < architecture.Length && architecture[i] == '(')
            {
                int close = architecture.IndexOf(')', i);
                if (close < 0)
                    throw Bad(architecture, $"'(' at character {i} is not closed");
                foreach (string argument in architecture.Substring(i + 1, close - i - 1).Split(','))
                {
                    string text = argument.Trim();
                    int equals = text.IndexOf('=');
                    if (equals < 0)
                        positional.Add(text);
                    else
                        named.Add(new KeyValuePair<string, string>(text.Substring(0, equals).Trim(), text.Substring(equals + 1).Trim()));
                }
                i = close + 1;
            }
            if (kind.Length == 0 || (i < architecture.Length && !char.IsWhiteSpace(architecture[i])))
                throw Bad(architecture, $"unexpected character '{architecture[Math.Min(i, architecture.Length - 1)]}' at {i}");
            layers.Add(new LayerDeclaration(layers.Count, architecture.Substring(start, i - start), kind, positional, named));
        }
        if (layers.Count == 0 || layers[0].Kind != "Input")
            throw Bad(architecture, "it does not start with Input(...)");
        return layers;
    }

    private static NotSupportedException Bad(string architecture, string problem) =>
        new($"Cannot read the network's architecture \"{architecture}\": {problem}.");
}

/// <summary>
/// The geometry of a 2-D convolution or pooling layer as declared: <c>Conv2D(filters, kernel, Stride = s,
/// Padding = p)</c>, <c>MaxPool2D(kernel, Stride = s)</c>, <c>AvgPool2D(kernel, Stride = s)</c>; square kernels,
/// the same stride and padding on both axes, a pool's stride its kernel unless given (as in PyTorch).
/// </summary>
internal readonly record struct Window(int Kernel, int Stride, int Padding)
{
    public static Window Of(LayerDeclaration layer, int kernelPosition, int defaultStride)
    {
        int kernel = layer.Int(kernelPosition);
        var window = new Window(kernel, layer.NamedInt("Stride", defaultStride), layer.NamedInt("Padding", 0));
        if (window.Kernel <= 0 || window.Stride <= 0 || window.Padding < 0)
            throw new NotSupportedException($"The architecture's {layer.Describe()} has a kernel, stride or padding out of range.");
        return window;
    }

    /// <summary>The output size along an axis of <paramref name="size"/>: <c>(size + 2·padding − kernel) / stride + 1</c>, rounded down.</summary>
    public int Output(int size, LayerDeclaration layer)
    {
        int output = (size + 2 * Padding - Kernel) / Stride + 1;
        if (size + 2 * Padding < Kernel)
            throw new NotSupportedException($"The architecture's {layer.Describe()} has a kernel of {Kernel} over an input of {size} (padding {Padding}).");
        return output;
    }
}
