using System;
using System.IO;

namespace StaticNet.Data;

/// <summary>
/// An MNIST-style data set in memory: images as floats in [0, 1] and their labels 0-9, loaded from a pair
/// of IDX files (see <see cref="Idx"/>), with a seeded split and an allocation-free batch copy for training loops.
/// </summary>
/// <example>
/// <code>
/// var all = MnistDataSet.Load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
/// var train = all.Split(holdOut: 10_000, seed: 1, out var validation);
/// train.CopyBatch(batchIndices, images, labels);   // no allocation
/// </code>
/// </example>
public sealed class MnistDataSet
{
    /// <summary>The number of classes: labels are 0 to <c>ClassCount - 1</c>.</summary>
    public const int ClassCount = 10;

    private MnistDataSet(int count, int rows, int columns, float[] images, byte[] labels)
    {
        Count = count;
        Rows = rows;
        Columns = columns;
        Images = images;
        Labels = labels;
    }

    /// <summary>Number of images (and labels).</summary>
    public int Count { get; }

    /// <summary>Rows (height) of each image; 28 for MNIST.</summary>
    public int Rows { get; }

    /// <summary>Columns (width) of each image; 28 for MNIST.</summary>
    public int Columns { get; }

    /// <summary>Floats per image: <see cref="Rows"/> x <see cref="Columns"/> (784 for MNIST).</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All images, <see cref="Count"/> x <see cref="PixelsPerImage"/> floats, image after image, each row-major, scaled to [0, 1] (<c>pixel / 255f</c>).</summary>
    public float[] Images { get; }

    /// <summary>The label (0-9) of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>Loads a data set from an IDX images file and an IDX labels file (each raw or gzip).</summary>
    /// <param name="imagesPath">The images, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">The labels, e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="IdxFormatException">
    /// A file is not valid IDX, the two files hold different numbers of items, or a label is not 0-9.
    /// </exception>
    /// <exception cref="IOException">A file does not exist or cannot be read; the message names it.</exception>
    public static MnistDataSet Load(string imagesPath, string labelsPath)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        IdxImages images = Idx.ReadImages(imagesPath);
        byte[] labels = Idx.ReadLabels(labelsPath);
        return Create(images, imagesPath, labels, labelsPath);
    }

    /// <summary>
    /// Loads a data set like <see cref="Load(string, string)"/> and checks that each image has
    /// <paramref name="pixelsPerImage"/> pixels, typically the <see cref="INetwork.InputSize"/> of the network
    /// it is for, so that a file of other images (e.g. 20x20 where a network takes MNIST's 28x28) is an error
    /// naming the file, not an <see cref="ArgumentException"/> from the first batch copy.
    /// </summary>
    /// <param name="imagesPath">The images, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">The labels, e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <param name="pixelsPerImage">The pixels each image must have (rows x columns), at least 1.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="IdxFormatException">
    /// A file is not valid IDX, the images are not of <paramref name="pixelsPerImage"/> pixels (the message names
    /// the images file and both sizes), the two files hold different numbers of items, or a label is not 0-9.
    /// </exception>
    /// <exception cref="IOException">A file does not exist or cannot be read; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pixelsPerImage"/> is less than 1.</exception>
    public static MnistDataSet Load(string imagesPath, string labelsPath, int pixelsPerImage)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelsPerImage, 1);
        IdxImages images = Idx.ReadImages(imagesPath);
        if (images.PixelsPerImage != pixelsPerImage)
        {
            throw new IdxFormatException(imagesPath,
                $"its images are {images.Rows}x{images.Columns} = {images.PixelsPerImage} pixels each, but {pixelsPerImage} pixels per image are expected{(pixelsPerImage == 784 ? " (28x28, as in MNIST)" : "")}");
        }
        byte[] labels = Idx.ReadLabels(labelsPath);
        return Create(images, imagesPath, labels, labelsPath);
    }

    /// <summary>Loads a data set from IDX images and labels streams (each raw or gzip); the streams are read to their end and not disposed.</summary>
    /// <param name="images">The images stream.</param>
    /// <param name="imagesName">The images file's name, for error messages.</param>
    /// <param name="labels">The labels stream.</param>
    /// <param name="labelsName">The labels file's name, for error messages.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="IdxFormatException">
    /// The data is not valid IDX, the two hold different numbers of items, or a label is not 0-9.
    /// </exception>
    public static MnistDataSet Load(Stream images, string imagesName, Stream labels, string labelsName)
    {
        IdxImages idxImages = Idx.ReadImages(images, imagesName);
        byte[] idxLabels = Idx.ReadLabels(labels, labelsName);
        return Create(idxImages, imagesName, idxLabels, labelsName);
    }

    private static MnistDataSet Create(IdxImages images, string imagesName, byte[] labels, string labelsName)
    {
        if (labels.Length != images.Count)
        {
            throw new IdxFormatException(labelsName,
                $"it holds {labels.Length} labels, but the images file '{imagesName}' holds {images.Count} images; the two files must hold the same number of items (do they belong together?)");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassCount)
                throw new IdxFormatException(labelsName, $"label #{i} is {labels[i]}, but MNIST labels are digits 0 to {ClassCount - 1}");
        }

        return new MnistDataSet(images.Count, images.Rows, images.Columns, images.ToFloats(), labels);
    }

    /// <summary>
    /// Splits the data set in two at random, the same way for the same <paramref name="seed"/> on every
    /// platform and .NET version: <paramref name="holdOut"/> items go to <paramref name="heldOut"/> (e.g. a
    /// validation set) and the rest are returned. Every item lands in exactly one of the two parts.
    /// </summary>
    /// <remarks>
    /// The items are permuted by a Fisher-Yates shuffle driven by SplitMix64 seeded with <paramref name="seed"/>
    /// (not <see cref="Random"/>, whose sequence is not guaranteed across versions); the first
    /// <paramref name="holdOut"/> items of the permutation are held out. Both parts keep the permuted order.
    /// The data are copied; this data set is not changed.
    /// </remarks>
    /// <param name="holdOut">How many items to hold out, 1 to <see cref="Count"/> - 1.</param>
    /// <param name="seed">The seed of the permutation.</param>
    /// <param name="heldOut">The <paramref name="holdOut"/> held-out items.</param>
    /// <returns>The other <see cref="Count"/> - <paramref name="holdOut"/> items.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="holdOut"/> would leave a part empty.</exception>
    public MnistDataSet Split(int holdOut, int seed, out MnistDataSet heldOut)
    {
        if (holdOut < 1 || holdOut > Count - 1)
            throw new ArgumentOutOfRangeException(nameof(holdOut), holdOut, $"Must be between 1 and {Count - 1} (the data set holds {Count} items), so that neither part is empty.");

        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        Shuffle(order, unchecked((ulong)(long)seed));

        heldOut = Select(order.AsSpan(0, holdOut));
        return Select(order.AsSpan(holdOut));
    }

    /// <summary>
    /// Copies the images and labels of the items <paramref name="indices"/> into <paramref name="images"/>
    /// (one image of <see cref="PixelsPerImage"/> floats after the other) and <paramref name="labels"/>.
    /// Allocates nothing.
    /// </summary>
    /// <param name="indices">The items to copy, each 0 to <see cref="Count"/> - 1.</param>
    /// <param name="images">Exactly <c>indices.Length * PixelsPerImage</c> floats.</param>
    /// <param name="labels">Exactly <c>indices.Length</c> class indices.</param>
    /// <exception cref="ArgumentException">A destination has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        CheckImageDestination(indices, images);
        if (labels.Length != indices.Length)
            throw new ArgumentException($"The labels destination must hold exactly {indices.Length} ints (one per index), but it holds {labels.Length}.", nameof(labels));

        CopyImages(indices, images);
        for (int i = 0; i < indices.Length; i++)
            labels[i] = Labels[indices[i]];
    }

    /// <summary>
    /// Like <see cref="CopyBatch"/>, but writes each label as a one-hot row of <see cref="ClassCount"/> floats
    /// (1 at the label, 0 elsewhere), the targets that a loss layer such as softmax cross-entropy takes.
    /// Allocates nothing.
    /// </summary>
    /// <param name="indices">The items to copy, each 0 to <see cref="Count"/> - 1.</param>
    /// <param name="images">Exactly <c>indices.Length * PixelsPerImage</c> floats.</param>
    /// <param name="oneHotTargets">Exactly <c>indices.Length * ClassCount</c> floats.</param>
    /// <exception cref="ArgumentException">A destination has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public void CopyBatchOneHot(ReadOnlySpan<int> indices, Span<float> images, Span<float> oneHotTargets)
    {
        CheckImageDestination(indices, images);
        if (oneHotTargets.Length != (long)indices.Length * ClassCount)
            throw new ArgumentException($"The targets destination must hold exactly {(long)indices.Length * ClassCount} floats ({indices.Length} rows of {ClassCount}), but it holds {oneHotTargets.Length}.", nameof(oneHotTargets));

        CopyImages(indices, images);
        oneHotTargets.Clear();
        for (int i = 0; i < indices.Length; i++)
            oneHotTargets[i * ClassCount + Labels[indices[i]]] = 1f;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Count} images of {Rows}x{Columns} with labels 0-{ClassCount - 1}";

    private void CheckImageDestination(ReadOnlySpan<int> indices, Span<float> images)
    {
        long expected = (long)indices.Length * PixelsPerImage;
        if (images.Length != expected)
            throw new ArgumentException($"The images destination must hold exactly {expected} floats ({indices.Length} images of {PixelsPerImage}), but it holds {images.Length}.", nameof(images));
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"indices[{i}] must be between 0 and {Count - 1}.");
        }
    }

    private void CopyImages(ReadOnlySpan<int> indices, Span<float> images)
    {
        int size = PixelsPerImage;
        for (int i = 0; i < indices.Length; i++)
            Images.AsSpan(indices[i] * size, size).CopyTo(images.Slice(i * size, size));
    }

    private MnistDataSet Select(ReadOnlySpan<int> items)
    {
        int size = PixelsPerImage;
        var images = new float[items.Length * size];
        var labels = new byte[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            Images.AsSpan(items[i] * size, size).CopyTo(images.AsSpan(i * size, size));
            labels[i] = Labels[items[i]];
        }
        return new MnistDataSet(items.Length, Rows, Columns, images, labels);
    }

    /// <summary>Fisher-Yates shuffle of <paramref name="values"/> driven by SplitMix64 seeded with <paramref name="seed"/>.</summary>
    /// <remarks>
    /// Private on purpose: the split must stay the same across releases (a test pins it), so it does not
    /// follow changes to the library's general-purpose generator.
    /// </remarks>
    private static void Shuffle(Span<int> values, ulong seed)
    {
        ulong state = seed;
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)NextBelow(ref state, (uint)(i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): the next 64 random bits.</summary>
    private static ulong NextUInt64(ref ulong state)
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) by rejection (no modulo bias).</summary>
    private static uint NextBelow(ref ulong state, uint bound)
    {
        // Lemire's multiply-shift with rejection of the biased low range.
        ulong product = (NextUInt64(ref state) >> 32) * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            uint threshold = unchecked(0u - bound) % bound;
            while (low < threshold)
            {
                product = (NextUInt64(ref state) >> 32) * bound;
                low = (uint)product;
            }
        }
        return (uint)(product >> 32);
    }
}
