using System;

namespace StaticNet.Data;

/// <summary>
/// Grey-scale images as stored in an IDX3 file (e.g. MNIST's <c>*-images-idx3-ubyte</c>):
/// <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes, one after the other,
/// each row-major, 0 = background and 255 = full ink for MNIST.
/// </summary>
public sealed class IdxImages
{
    /// <summary>The largest <see cref="Rows"/> x <see cref="Columns"/> accepted (1 Mi pixels per image).</summary>
    public const int MaxPixelsPerImage = 1 << 20;

    /// <summary>The largest <see cref="Count"/> accepted (2^28 images).</summary>
    public const int MaxCount = 1 << 28;

    // pixel byte -> float in [0,1], computed as b / 255f (the exact IEEE quotient), so ToFloats is a lookup.
    private static readonly float[] s_scale = CreateScaleTable();

    /// <summary>Wraps <paramref name="pixels"/> (not copied) as <paramref name="count"/> images of <paramref name="rows"/> x <paramref name="columns"/>.</summary>
    /// <param name="count">Number of images, 1 to <see cref="MaxCount"/>.</param>
    /// <param name="rows">Rows per image, at least 1.</param>
    /// <param name="columns">Columns per image, at least 1; <c>rows * columns</c> at most <see cref="MaxPixelsPerImage"/>.</param>
    /// <param name="pixels">The pixels, exactly <c>count * rows * columns</c> bytes, image after image, each row-major.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> has the wrong length.</exception>
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 1 || count > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The image count must be between 1 and {MaxCount}.");
        if (rows < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "The number of rows must be at least 1.");
        if (columns < 1 || (long)rows * columns > MaxPixelsPerImage)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"The number of columns must be at least 1 and rows * columns at most {MaxPixelsPerImage}.");
        long expected = (long)count * rows * columns;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"{count} images of {rows}x{columns} need {expected} bytes of pixels, but {pixels.LongLength} were given.", nameof(pixels));

        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows (height) of each image.</summary>
    public int Rows { get; }

    /// <summary>Columns (width) of each image.</summary>
    public int Columns { get; }

    /// <summary><see cref="Rows"/> x <see cref="Columns"/>: the bytes (and floats) per image.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, <see cref="Count"/> x <see cref="PixelsPerImage"/> bytes, image after image, each row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/> (row-major, <see cref="PixelsPerImage"/> bytes).</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The image index must be between 0 and {Count - 1}.");
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>
    /// Writes every pixel as a float scaled to [0, 1] (<c>pixel / 255f</c>) into <paramref name="destination"/>,
    /// in the order of <see cref="Pixels"/>.
    /// </summary>
    /// <param name="destination">Exactly <see cref="Count"/> x <see cref="PixelsPerImage"/> floats.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    public void ToFloats(Span<float> destination)
    {
        if (destination.Length != Pixels.Length)
            throw new ArgumentException($"The destination must hold exactly {Pixels.Length} floats ({Count} images of {Rows}x{Columns}), but it holds {destination.Length}.", nameof(destination));
        ScaleToUnit(Pixels, destination);
    }

    /// <summary>Returns every pixel as a float scaled to [0, 1] (<c>pixel / 255f</c>), in a new array of <see cref="Count"/> x <see cref="PixelsPerImage"/> floats.</summary>
    public float[] ToFloats()
    {
        var result = new float[Pixels.Length];
        ScaleToUnit(Pixels, result);
        return result;
    }

    /// <summary><c>destination[i] = source[i] / 255f</c>; the spans have the same length.</summary>
    internal static void ScaleToUnit(ReadOnlySpan<byte> source, Span<float> destination)
    {
        float[] table = s_scale;
        for (int i = 0; i < source.Length; i++)
            destination[i] = table[source[i]];
    }

    private static float[] CreateScaleTable()
    {
        var table = new float[256];
        for (int b = 0; b < table.Length; b++)
            table[b] = b / 255f;
        return table;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Count} images of {Rows}x{Columns}";
}
