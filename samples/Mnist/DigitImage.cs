using System;
using System.IO;
using System.Text;

namespace Samples.Mnist;

/// <summary>
/// Reads one 28x28 grey-scale digit for <c>--classify</c>, in either of two formats:
/// <list type="bullet">
/// <item>a PGM file (<c>P5</c>, binary, or <c>P2</c>, text) of exactly 28x28 pixels with a maximum value of at
/// most 255, as written by GIMP, ImageMagick (<c>convert digit.png -resize 28x28! digit.pgm</c>) or netpbm;</item>
/// <item>a raw file of exactly 784 bytes, row-major, one byte per pixel, as in an MNIST IDX file.</item>
/// </list>
/// MNIST digits are light ink (255) on a dark background (0). An image whose border is mostly light (a dark
/// digit drawn on white paper) is inverted, and the caller is told.
/// </summary>
public static class DigitImage
{
    /// <summary>Image width and height.</summary>
    public const int Size = 28;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = Size * Size;

    /// <summary>Reads <paramref name="path"/> as floats in [0, 1], 0 = background.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">What the file was read as, e.g. <c>PGM (P5)</c>.</param>
    /// <param name="inverted">Whether the image was inverted to MNIST's light-on-dark.</param>
    /// <exception cref="InvalidDataException">The file is neither a 28x28 PGM nor 784 raw bytes; the message says why.</exception>
    /// <exception cref="IOException">The file does not exist, is a folder, or cannot be read; the message names it.</exception>
    public static float[] Read(string path, out string format, out bool inverted)
    {
        if (Directory.Exists(path))
            throw new IOException($"Cannot classify '{path}': it is a folder; expected a 28x28 image file (PGM or 784 raw bytes).");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Cannot classify '{path}': there is no such file.", path);
        byte[] bytes = File.ReadAllBytes(path);
        float[] pixels;
        if (bytes.Length >= 2 && bytes[0] == (byte)'P' && (bytes[1] == (byte)'5' || bytes[1] == (byte)'2'))
        {
            pixels = ReadPgm(bytes, path);
            format = bytes[1] == (byte)'5' ? "PGM (P5, binary)" : "PGM (P2, text)";
        }
        else if (bytes.Length == Pixels)
        {
            pixels = new float[Pixels];
            for (int i = 0; i < Pixels; i++)
                pixels[i] = bytes[i] / 255f;
            format = "raw 784 bytes";
        }
        else
        {
            throw new InvalidDataException(
                $"Cannot classify '{path}': it is neither a PGM image (it does not start with P5 or P2) nor a raw image of " +
                $"{Pixels} bytes (28x28, one byte per pixel); it holds {bytes.Length} bytes.");
        }

        inverted = BorderMean(pixels) > 0.5f;
        if (inverted)
        {
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = 1f - pixels[i];
        }
        return pixels;
    }

    /// <summary>The image as text in a frame, one line per pixel row, denser characters for more ink.</summary>
    public static string ToText(ReadOnlySpan<float> pixels)
    {
        const string shades = " .:-=+*#%@";
        string border = "    +" + new string('-', Size * 2) + "+";
        var text = new StringBuilder((Size * 2 + 8) * (Size + 2));
        text.AppendLine(border);
        for (int y = 0; y < Size; y++)
        {
            text.Append("    |");
            for (int x = 0; x < Size; x++)
            {
                float v = Math.Clamp(pixels[y * Size + x], 0f, 1f);
                char c = shades[(int)MathF.Round(v * (shades.Length - 1))];
                text.Append(c).Append(c); // two characters per pixel: closer to square on a terminal
            }
            text.AppendLine("|");
        }
        text.AppendLine(border);
        return text.ToString();
    }

    private static float BorderMean(ReadOnlySpan<float> pixels)
    {
        float sum = 0;
        int count = 0;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                if (y == 0 || y == Size - 1 || x == 0 || x == Size - 1)
                {
                    sum += pixels[y * Size + x];
                    count++;
                }
            }
        }
        return sum / count;
    }

    // PGM (netpbm): "P5" or "P2", whitespace, width, whitespace, height, whitespace, maxval, one whitespace
    // character, then the pixels (bytes for P5 with maxval < 256; decimal numbers for P2). '#' starts a
    // comment that runs to the end of the line, anywhere in the header.
    private static float[] ReadPgm(byte[] bytes, string path)
    {
        bool binary = bytes[1] == (byte)'5';
        int position = 2;
        int width = ReadNumber(bytes, ref position, path, "the width");
        int height = ReadNumber(bytes, ref position, path, "the height");
        int maxValue = ReadNumber(bytes, ref position, path, "the maximum value");
        if (width != Size || height != Size)
            throw new InvalidDataException($"Cannot classify '{path}': the image is {width}x{height} pixels; it must be {Size}x{Size} like the MNIST digits (resize it first, e.g. with ImageMagick: convert in.png -resize 28x28! out.pgm).");
        if (maxValue < 1 || maxValue > 255)
            throw new InvalidDataException($"Cannot classify '{path}': its maximum value is {maxValue}; only 8-bit PGM images (maximum value 1 to 255) are supported.");

        var pixels = new float[Pixels];
        float scale = 1f / maxValue;
        if (binary)
        {
            position++; // the single whitespace character after maxval
            if (bytes.Length - position < Pixels)
                throw new InvalidDataException($"Cannot classify '{path}': the PGM image is truncated: {Pixels} pixel bytes expected, {Math.Max(0, bytes.Length - position)} found.");
            for (int i = 0; i < Pixels; i++)
                pixels[i] = Math.Min(bytes[position + i], maxValue) * scale;
        }
        else
        {
            for (int i = 0; i < Pixels; i++)
                pixels[i] = Math.Min(ReadNumber(bytes, ref position, path, $"pixel {i}"), maxValue) * scale;
        }
        return pixels;
    }

    private static int ReadNumber(byte[] bytes, ref int position, string path, string what)
    {
        // Skip whitespace and comments.
        while (position < bytes.Length)
        {
            byte b = bytes[position];
            if (b == (byte)'#')
            {
                while (position < bytes.Length && bytes[position] != (byte)'\n' && bytes[position] != (byte)'\r')
                    position++;
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f')
            {
                position++;
            }
            else
            {
                break;
            }
        }

        int start = position;
        long value = 0;
        while (position < bytes.Length && bytes[position] is >= (byte)'0' and <= (byte)'9')
        {
            value = value * 10 + (bytes[position++] - '0');
            if (value > int.MaxValue)
                throw new InvalidDataException($"Cannot classify '{path}': not a valid PGM image: {what} at byte {start} is too large.");
        }
        if (position == start)
        {
            string found = position < bytes.Length ? $"the byte 0x{bytes[position]:X2}" : "the end of the file";
            throw new InvalidDataException($"Cannot classify '{path}': not a valid PGM image: expected {what} (a decimal number) at byte {position}, found {found}.");
        }
        return (int)value;
    }
}
