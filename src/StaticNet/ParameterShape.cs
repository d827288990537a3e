using System;
using System.Globalization;

namespace StaticNet;

/// <summary>
/// The shape of a block of parameters as its layer reads it, row-major, up to 4 dimensions: <c>[30]</c> for a bias,
/// <c>[784, 50]</c> for a Dense weight (inputs, outputs), <c>[30, 1, 5, 5]</c> for a Conv2D weight (filters, channels,
/// kernel height, kernel width: the book's <c>W</c> (FN, C, FH, FW) and PyTorch's <c>Conv2d.weight</c>).
/// </summary>
public readonly record struct ParameterShape
{
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>A shape of one dimension.</summary>
    public ParameterShape(int d0) : this(1, d0, 0, 0, 0) { }

    /// <summary>A shape of two dimensions.</summary>
    public ParameterShape(int d0, int d1) : this(2, d0, d1, 0, 0) { }

    /// <summary>A shape of four dimensions.</summary>
    public ParameterShape(int d0, int d1, int d2, int d3) : this(4, d0, d1, d2, d3) { }

    private ParameterShape(int rank, int d0, int d1, int d2, int d3)
    {
        if (d0 < 0 || d1 < 0 || d2 < 0 || d3 < 0) throw new ArgumentOutOfRangeException(nameof(d0), "Expected dimensions of 0 or more.");
        Rank = rank; _d0 = d0; _d1 = d1; _d2 = d2; _d3 = d3;
    }

    /// <summary>The number of dimensions: 1, 2 or 4 (0 for <c>default</c>).</summary>
    public int Rank { get; }

    /// <summary>The size of dimension <paramref name="index"/>, 0 ≤ index &lt; <see cref="Rank"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a dimension of this shape.</exception>
    public int this[int index] => (uint)index < (uint)Rank
        ? index switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 }
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"Expected a dimension from 0 to {Rank - 1}.");

    /// <summary>The product of the dimensions: the block's length.</summary>
    public long ElementCount => Rank switch { 0 => 0, 1 => _d0, 2 => (long)_d0 * _d1, _ => (long)_d0 * _d1 * _d2 * _d3 };

    /// <summary><c>[30, 1, 5, 5]</c>.</summary>
    public override string ToString()
    {
        string s = "[";
        for (int i = 0; i < Rank; i++) s += (i > 0 ? ", " : "") + this[i].ToString(CultureInfo.InvariantCulture);
        return s + "]";
    }
}
