using System;
using System.Collections.Generic;
using System.Globalization;

namespace Samples.Chapter6;

/// <summary>One line of a chart: a label, a colour and the y values at x = 0, 1, 2, ...</summary>
public sealed record Series(string Label, (byte R, byte G, byte B) Color, IReadOnlyList<double> Values, bool Dashed = false);

/// <summary>
/// Line charts on an RGB canvas, written as PNG: axes with tick labels, one line per series and a legend, in a
/// tiny built-in 3×5 pixel font (scaled ×2) so that no font or plotting package is needed.
/// </summary>
public static class Plot
{
    private const int Width = 720, Height = 450, Left = 70, Right = 20, Top = 40, Bottom = 50, Scale = 2;

    public static readonly (byte, byte, byte)[] Palette =
    {
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (23, 190, 207),
    };

    /// <summary>Draws the series against their index and saves the chart as a PNG.</summary>
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, double yMin, double yMax, double xScale = 1)
    {
        var rgb = new byte[Width * Height * 3];
        rgb.AsSpan().Fill(255);
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        int count = 1;
        foreach (Series s in series) count = Math.Max(count, s.Values.Count);

        // Axes, grid and ticks.
        for (int i = 0; i <= 5; i++)
        {
            int y = Top + plotH - i * plotH / 5;
            double value = yMin + (yMax - yMin) * i / 5;
            for (int x = Left; x < Left + plotW; x += 2) Set(rgb, x, y, (225, 225, 225));
            Text(rgb, Left - 8 - Measure(Format(value)), y - 5, Format(value), (0, 0, 0));
            int gx = Left + i * plotW / 5;
            for (int yy = Top; yy < Top + plotH; yy += 2) Set(rgb, gx, yy, (225, 225, 225));
            string xt = Format(Nice((count - 1) * xScale * i / 5));
            Text(rgb, gx - Measure(xt) / 2, Top + plotH + 8, xt, (0, 0, 0));
        }
        for (int x = Left; x <= Left + plotW; x++) Set(rgb, x, Top + plotH, (0, 0, 0));
        for (int y = Top; y <= Top + plotH; y++) Set(rgb, Left, y, (0, 0, 0));
        Text(rgb, (Width - Measure(title)) / 2, 12, title, (0, 0, 0));
        Text(rgb, Left + (plotW - Measure(xLabel)) / 2, Height - 20, xLabel, (0, 0, 0));
        Text(rgb, 8, 12, yLabel, (0, 0, 0));

        // The lines, two pixels wide, clipped to the plot area.
        foreach (Series s in series)
        {
            for (int i = 1; i < s.Values.Count; i++)
            {
                if (s.Dashed && (i / 4) % 2 == 1) continue;
                (int x0, int y0) = Point(i - 1, s.Values[i - 1]);
                (int x1, int y1) = Point(i, s.Values[i]);
                Line(rgb, x0, y0, x1, y1, s.Color);
                Line(rgb, x0, y0 + 1, x1, y1 + 1, s.Color);
            }
        }

        // The legend, top right.
        int ly = Top + 8, widest = 0;
        foreach (Series s in series) widest = Math.Max(widest, Measure(s.Label));
        for (int y = Top + 2; y < Top + 12 + 16 * series.Count; y++)
            for (int x = Left + plotW - 46 - widest; x < Left + plotW - 4; x++) Set(rgb, x, y, (255, 255, 255));
        foreach (Series s in series)
        {
            int lx = Left + plotW - 14 - Measure(s.Label) - 26;
            for (int x = lx; x < lx + 20; x++) { if (!s.Dashed || (x - lx) % 8 < 4) { Set(rgb, x, ly + 4, s.Color); Set(rgb, x, ly + 5, s.Color); } }
            Text(rgb, lx + 26, ly, s.Label, (0, 0, 0));
            ly += 16;
        }
        Png.Save(path, rgb, Width, Height);

        (int, int) Point(int i, double v)
        {
            double fx = count == 1 ? 0 : (double)i / (count - 1);
            double fy = (Math.Clamp(v, yMin, yMax) - yMin) / (yMax - yMin);
            return (Left + (int)Math.Round(fx * plotW), Top + plotH - (int)Math.Round(fy * plotH));
        }
    }

    // 1199.4 → 1200: tick labels to two significant digits from 100 on.
    private static double Nice(double v)
    {
        if (v < 100) return v;
        double unit = Math.Pow(10, Math.Floor(Math.Log10(v)) - 1);
        return Math.Round(v / unit) * unit;
    }

    private static string Format(double v) =>
        Math.Abs(v) >= 100 || v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static void Set(byte[] rgb, int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= Width || (uint)y >= Height) return;
        int i = (y * Width + x) * 3;
        rgb[i] = c.R; rgb[i + 1] = c.G; rgb[i + 2] = c.B;
    }

    private static void Line(byte[] rgb, int x0, int y0, int x1, int y1, (byte, byte, byte) c)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            Set(rgb, x0, y0, c);
            if (x0 == x1 && y0 == y1) return;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    // A 3×5 font: each glyph is five rows of three pixels, '#' set. Lower case is drawn as upper case.
    private static readonly Dictionary<char, string> s_font = new()
    {
        ['0'] = "####.##.##.####", ['1'] = ".#.##..#..#.###", ['2'] = "###..#####..###", ['3'] = "###..####..####",
        ['4'] = "#.##.####..#..#", ['5'] = "####..###..####", ['6'] = "####..####.####", ['7'] = "###..#.#..#..#.",
        ['8'] = "####.#####.####", ['9'] = "####.####..####", ['A'] = ".#.#.#####.##.#", ['B'] = "##.#.###.#.###.",
        ['C'] = "####..#..#..###", ['D'] = "##.#.##.##.###.", ['E'] = "####..####..###", ['F'] = "####..####..#..",
        ['G'] = "####..#.##.####", ['H'] = "#.##.#####.##.#", ['I'] = "###.#..#..#.###", ['J'] = "..#..#..##.####",
        ['K'] = "#.##.###.#.##.#", ['L'] = "#..#..#..#..###", ['M'] = "#.########.##.#", ['N'] = "##.#.##.##.##.#",
        ['O'] = "####.##.##.####", ['P'] = "####.#####..#..", ['Q'] = "####.##.####..#", ['R'] = "##.#.###.#.##.#",
        ['S'] = "####..###..####", ['T'] = "###.#..#..#..#.", ['U'] = "#.##.##.##.####", ['V'] = "#.##.##.##.#.#.",
        ['W'] = "#.##.########.#", ['X'] = "#.##.#.#.#.##.#", ['Y'] = "#.##.#.#..#..#.", ['Z'] = "###..#.#.#..###",
        ['.'] = ".............#.", [','] = "..........#.#..", ['-'] = "......###......", ['='] = "...###...###...",
        [':'] = "....#.....#....", ['/'] = "..#..#.#.#..#..", ['('] = ".#.#..#..#...#.", [')'] = ".#...#..#..#.#.",
        ['%'] = "#.#..#.#.#..#.#", ['+'] = "....#.###.#....", ['λ'] = "#...#..#.#.##.#", [' '] = "...............",
    };

    private static int Measure(string text) => text.Length * 4 * Scale - Scale;

    private static void Text(byte[] rgb, int x, int y, string text, (byte, byte, byte) c)
    {
        foreach (char raw in text)
        {
            char ch = char.ToUpperInvariant(raw);
            if (s_font.TryGetValue(ch, out string? glyph))
                for (int row = 0; row < 5; row++)
                    for (int col = 0; col < 3; col++)
                        if (glyph[row * 3 + col] == '#')
                            for (int dy = 0; dy < Scale; dy++)
                                for (int dx = 0; dx < Scale; dx++)
                                    Set(rgb, x + col * Scale + dx, y + row * Scale + dy, c);
            x += 4 * Scale;
        }
    }
}
