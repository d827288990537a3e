using System;

namespace StaticNet.Kernels;

/// <summary>
/// How generated networks split work between threads so that the numbers do not depend on the split.
/// <list type="bullet">
/// <item>Rows of a batch (the forward pass, the gradients of the activations): each row is computed alone, so any split
/// gives the same rows, provided every part starts at a multiple of <see cref="Granule"/> rows and holds at least that
/// many: the vector kernels then meet the same vector boundaries, the same tails and the same tile shapes as over the
/// whole batch.</item>
/// <item>Parameter gradients (sums over the batch): never split by rows of the batch, which would change the order of
/// the sums, but by rows of the weights (Dense's input features), each summed over the whole batch in the same order;
/// or, for a block no kernel splits (a convolution's filters), given whole to one part.</item>
/// </list>
/// Public so that generated code in other assemblies can call it; not meant to be called by hand.
/// </summary>
public static class Partition
{
    /// <summary>Parts start at a multiple of this many rows and hold at least as many (16: one 512-bit vector of floats).</summary>
    public const int Granule = 16;

    /// <summary>
    /// The least work one part is given, in multiply-adds: below it, waking a worker and waiting for it would cost more
    /// than the share of the work it takes. Swept on the Zen 5 host (<c>PartitionFloorBenchmarks</c>, BENCHMARKS.md's
    /// parallel section). In one process, a split in two paid from about 50,000-100,000 multiply-adds a part and lost under
    /// about 35,000. In BenchmarkDotNet's processes, splits of 67,000-264,000 a part were 1.4-2.5x slower than one thread
    /// in some processes and faster in others, as that VM's scheduler packed both threads onto one core or did not. So
    /// the floor stays where it was, above the break-even. Every batch under 32 rows (16 a part) stays on the caller,
    /// batch 1 included.
    /// </summary>
    public const long MinWorkPerPart = 150_000;

    /// <summary>For tests: the floor <see cref="Parts"/> uses (<see cref="MinWorkPerPart"/>), lowered to split the small networks a test can check by hand.</summary>
    internal static long MinWork { get; set; } = MinWorkPerPart;

    /// <summary>
    /// How many parts a call of <paramref name="rows"/> rows, each of <paramref name="workPerRow"/> multiply-adds, is split
    /// into: at most <paramref name="degree"/>, no part under <see cref="Granule"/> rows or <see cref="MinWorkPerPart"/>;
    /// 1 (the calling thread alone) when the call is too small to pay.
    /// </summary>
    public static int Parts(int degree, int rows, long workPerRow)
    {
        if (degree <= 1) return 1;
        long byRows = rows / Granule;
        long byWork = rows * workPerRow / MinWork;
        return (int)Math.Max(1, Math.Min(degree, Math.Min(byRows, byWork)));
    }

    /// <summary>Rows <c>[start, end)</c> of <paramref name="rows"/> for part <paramref name="part"/> of <paramref name="parts"/>: nearly equal shares on granule boundaries.</summary>
    public static (int Start, int End) Rows(int rows, int part, int parts) =>
        (Bound((long)rows * part / parts, rows, part), Bound((long)rows * (part + 1) / parts, rows, part + 1 == parts ? int.MaxValue : part + 1));

    /// <summary>
    /// Items <c>[start, end)</c> of <paramref name="count"/> for part <paramref name="part"/> of <paramref name="parts"/>:
    /// nearly equal shares, on no granule. For work whose items are computed alone with the same kernels whatever the
    /// split, such as the sequences of a recurrent network, each run through time by one thread.
    /// </summary>
    public static (int Start, int End) Range(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    /// <summary>
    /// The rows <c>[start, end)</c> of a splittable block that part <paramref name="part"/> of <paramref name="parts"/> takes,
    /// when the blocks of a stage lie one after the other on a line of <paramref name="total"/> units of work and this one
    /// covers <c>[offset, offset + cost)</c> of it: each part takes what lies in its equal share of the line, in
    /// whole granules (so a part's share is empty, or at least one granule).
    /// </summary>
    public static (int Start, int End) Share(long offset, long cost, long total, int rows, int part, int parts) =>
        (ShareBound(offset, cost, total, rows, part, parts), ShareBound(offset, cost, total, rows, part + 1, parts));

    /// <summary>Whether part <paramref name="part"/> takes a block that is not split: the one whose share holds its middle.</summary>
    public static bool Owns(long offset, long cost, long total, int part, int parts)
    {
        long middle = offset + cost / 2;
        long owner = Math.Min(parts - 1, middle * parts / Math.Max(1, total));
        return owner == part;
    }

    /// <summary>
    /// A workspace that each part needs one of (a convolution's im2col columns): <paramref name="copies"/> grown to
    /// <paramref name="count"/> arrays as long as its first, which it keeps. Called when the degree is set, not per call.
    /// </summary>
    public static T[][] Copies<T>(T[][] copies, int count)
    {
        if (copies.Length >= count) return copies;
        var grown = new T[count][];
        for (int i = 0; i < count; i++) grown[i] = i < copies.Length ? copies[i] : new T[copies[0].Length];
        return grown;
    }

    private static int ShareBound(long offset, long cost, long total, int rows, int boundary, int parts)
    {
        if (boundary <= 0) return 0;
        if (boundary >= parts) return rows;
        long at = total * boundary / parts - offset; // work of this block before the boundary
        if (at <= 0) return 0;
        if (at >= cost) return rows;
        return Bound(at * rows / cost, rows, boundary);
    }

    // A boundary rounded to the nearest granule; one that would leave less than a granule after it moves to the end.
    private static int Bound(long at, int rows, int boundary)
    {
        if (boundary == 0) return 0;
        if (boundary == int.MaxValue) return rows;
        long rounded = (at + Granule / 2) / Granule * Granule;
        return rows - rounded < Granule ? rows : (int)rounded;
    }

    /// <summary>
    /// How many blocks of columns (a layer's outputs) <paramref name="columns"/> columns are split into for at most
    /// <paramref name="degree"/> parts: blocks of whole 16-column granules, at least two granules each, so that
    /// <see cref="Gemm.RunColumns"/> gives each block the whole product's bits. 1 when there are too few columns.
    /// </summary>
    public static int ColumnParts(int degree, int columns) => Math.Max(1, Math.Min(degree, columns / Gemm.ColumnGranule / 2));

    /// <summary>
    /// The columns <c>[From, To)</c> of block <paramref name="part"/> of <paramref name="parts"/>
    /// (<see cref="ColumnParts"/> or fewer): the 16-column granules shared out as evenly as they go, the last block
    /// taking the columns after the last granule.
    /// </summary>
    public static (int From, int To) Columns(int columns, int part, int parts)
    {
        if (parts < 1 || parts > ColumnParts(parts, columns) || part < 0 || part >= parts)
            throw new ArgumentOutOfRangeException(nameof(part), $"Expected part in [0, {parts}) of at most {ColumnParts(int.MaxValue, columns)} blocks of {columns} columns.");
        int granules = columns / Gemm.ColumnGranule;
        int from = Gemm.ColumnGranule * (int)((long)part * granules / parts);
        int to = part == parts - 1 ? columns : Gemm.ColumnGranule * (int)((long)(part + 1) * granules / parts);
        return (from, to);
    }
}
