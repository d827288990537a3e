using System.Globalization;

namespace StaticNet.Generator.Model;

/// <summary>
/// The shape of one row of a tensor: a vector of <see cref="Channels"/> floats (rank 1, <see cref="Height"/> and
/// <see cref="Width"/> 0), or an image (rank 3) of <c>Channels × Height × Width</c> floats in CHW order.
/// </summary>
internal readonly record struct Shape(int Channels, int Height, int Width)
{
    public static Shape Vector(int size) => new(size, 0, 0);

    public static Shape Image(int channels, int height, int width) => new(channels, height, width);

    public bool IsImage => Height > 0;

    public int Rank => IsImage ? 3 : 1;

    /// <summary>Floats per row, as a long: C·H·W can overflow an int before it is checked.</summary>
    public long Size => IsImage ? (long)Channels * Height * Width : Channels;

    /// <summary>The summary's spelling, batch first: <c>(N, 30, 24, 24)</c>, <c>(N, 100)</c>.</summary>
    public string Display => IsImage
        ? "(N, " + I(Channels) + ", " + I(Height) + ", " + I(Width) + ")"
        : "(N, " + I(Channels) + ")";

    /// <summary>The diagnostics' spelling: <c>(30, 24, 24)</c>, <c>a vector of 100</c>.</summary>
    public string Describe => IsImage ? "(" + I(Channels) + ", " + I(Height) + ", " + I(Width) + ")" : "a vector of " + I(Channels);

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);
}
