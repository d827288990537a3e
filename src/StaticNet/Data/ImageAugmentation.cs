using System;
using System.Globalization;

namespace StaticNet.Data;

/// <summary>
/// Seeded data augmentation of image batches, in place and allocation-free: each image of a batch is moved by a
/// random whole-pixel shift of up to <see cref="MaxShift"/> pixels in x and in y (pixels shifted in are 0, the
/// background of MNIST-style images) and, when <see cref="MaxRotationDegrees"/> is not 0, turned by a random angle
/// about its centre (bilinear interpolation). Labels are not touched: a moved digit is the same digit.
/// </summary>
/// <remarks>
/// <para>
/// Images are <c>channels × height × width</c> floats in CHW order (all channels of an image get the same move), one
/// after the other, as the input of a network declared with <c>[Input(channels, height, width)]</c>. A shift is an
/// exact copy of pixels: <c>out[c, y, x] = in[c, y − dy, x − dx]</c> where that lies inside the image, else 0. A
/// rotation by θ samples <c>in</c> at <c>R(−θ)·(p − centre) + centre − (dx, dy)</c> for each output pixel <c>p</c>.
/// </para>
/// <para>
/// The moves come from a <see cref="Random64"/> seeded at construction, drawn image by image in batch order, so the
/// same seed and the same batches give the same augmented batches on every platform. The one image of scratch
/// space it needs is allocated in the constructor; <see cref="Apply"/> allocates nothing.
/// </para>
/// <para>
/// Use it on training batches only, never on the test set. With <see cref="Trainer"/>'s <c>Fit</c>, pass
/// <see cref="Apply"/> as <see cref="FitOptions.AugmentBatch"/>.
/// </para>
/// </remarks>
public sealed class ImageAugmentation
{
    private readonly float[] _scratch;
    private readonly float _maxRadians;
    private Random64 _random;

    /// <summary>Creates an augmentation of images of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <param name="channels">Channels of each image; at least 1.</param>
    /// <param name="height">Rows of each image; at least 1.</param>
    /// <param name="width">Columns of each image; at least 1.</param>
    /// <param name="maxShift">The largest shift in pixels, in each direction, from 0 to min(height, width) − 1; each image is
    /// moved by dx and dy drawn uniformly from −maxShift to maxShift.</param>
    /// <param name="maxRotationDegrees">The largest rotation, from 0 (none, the default) to 180 degrees; each image is turned by
    /// an angle drawn uniformly from −max to max.</param>
    /// <param name="seed">The seed of the random moves.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public ImageAugmentation(int channels, int height, int width, int maxShift, float maxRotationDegrees = 0, long seed = 0)
    {
        if (channels < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"Expected at least 1 channel; got {channels}.");
        if (height < 1)
            throw new ArgumentOutOfRangeException(nameof(height), height, $"Expected a height of at least 1; got {height}.");
        if (width < 1)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Expected a width of at least 1; got {width}.");
        if ((long)channels * height * width > IdxImages.MaxPixelsPerImage)
            throw new ArgumentOutOfRangeException(nameof(channels), (long)channels * height * width, $"Expected at most {IdxImages.MaxPixelsPerImage} floats per image; got {channels} × {height} × {width}.");
        int limit = Math.Min(height, width) - 1;
        if (maxShift < 0 || maxShift > limit)
            throw new ArgumentOutOfRangeException(nameof(maxShift), maxShift, $"Expected a maximum shift from 0 to {limit} (one less than the smaller side of a {height} × {width} image); got {maxShift}.");
        if (!(maxRotationDegrees >= 0 && maxRotationDegrees <= 180))
            throw new ArgumentOutOfRangeException(nameof(maxRotationDegrees), maxRotationDegrees, $"Expected a maximum rotation from 0 to 180 degrees; got {maxRotationDegrees.ToString(CultureInfo.InvariantCulture)}.");

        Channels = channels;
        Height = height;
        Width = width;
        MaxShift = maxShift;
        MaxRotationDegrees = maxRotationDegrees;
        _maxRadians = maxRotationDegrees * (MathF.PI / 180);
        _scratch = new float[channels * height * width];
        _random = new Random64(seed);
    }

    /// <summary>Channels of each image.</summary>
    public int Channels { get; }

    /// <summary>Rows of each image.</summary>
    public int Height { get; }

    /// <summary>Columns of each image.</summary>
    public int Width { get; }

    /// <summary>Floats per image: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int ImageSize => _scratch.Length;

    /// <summary>The largest shift, in pixels, in each direction.</summary>
    public int MaxShift { get; }

    /// <summary>The largest rotation, in degrees, either way; 0 for none.</summary>
    public float MaxRotationDegrees { get; }

    /// <summary>
    /// Moves each image of <paramref name="images"/> in place by its own random shift (and rotation, when
    /// <see cref="MaxRotationDegrees"/> is not 0). Allocates nothing.
    /// </summary>
    /// <param name="images">Whole images of <see cref="ImageSize"/> floats, one after the other.</param>
    /// <exception cref="ArgumentException"><paramref name="images"/> does not hold whole images.</exception>
    public void Apply(Span<float> images)
    {
        int size = _scratch.Length;
        if (images.Length % size != 0)
            throw new ArgumentException($"Expected whole images of {size} floats ({Channels} × {Height} × {Width}); got {images.Length} floats, which is not a multiple of {size}.", nameof(images));
        int count = images.Length / size;
        int span = 2 * MaxShift + 1;
        for (int i = 0; i < count; i++)
        {
            int dx = _random.NextInt32(span) - MaxShift;
            int dy = _random.NextInt32(span) - MaxShift;
            Span<float> image = images.Slice(i * size, size);
            image.CopyTo(_scratch);
            if (_maxRadians == 0)
            {
                Shift(_scratch, image, Channels, Height, Width, dx, dy);
            }
            else
            {
                float angle = (float)((2 * _random.NextDouble() - 1) * _maxRadians);
                Rotate(_scratch, image, Channels, Height, Width, angle, dx, dy);
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> moved by (<paramref name="dx"/>, <paramref name="dy"/>) pixels into
    /// <paramref name="destination"/>: <c>destination[c, y, x] = source[c, y − dy, x − dx]</c>, and 0 where that is outside
    /// the image. A positive <paramref name="dx"/> moves the image right, a positive <paramref name="dy"/> down.
    /// </summary>
    /// <param name="source">One image, <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> floats, CHW.</param>
    /// <param name="destination">As many floats; must not overlap <paramref name="source"/>.</param>
    /// <param name="channels">Channels of the image.</param>
    /// <param name="height">Rows of the image.</param>
    /// <param name="width">Columns of the image.</param>
    /// <param name="dx">Columns to move right (negative: left).</param>
    /// <param name="dy">Rows to move down (negative: up).</param>
    /// <exception cref="ArgumentException">A span does not hold exactly one image.</exception>
    public static void Shift(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, int dx, int dy)
    {
        int size = CheckImage(source, destination, channels, height, width);
        destination.Slice(0, size).Clear();
        // Columns x of the destination with 0 ≤ x − dx < width, rows y with 0 ≤ y − dy < height.
        int x0 = Math.Max(0, dx), x1 = Math.Min(width, width + dx);
        int y0 = Math.Max(0, dy), y1 = Math.Min(height, height + dy);
        if (x0 >= x1 || y0 >= y1)
            return;
        int run = x1 - x0;
        for (int c = 0; c < channels; c++)
        {
            int plane = c * height * width;
            for (int y = y0; y < y1; y++)
                source.Slice(plane + (y - dy) * width + (x0 - dx), run).CopyTo(destination.Slice(plane + y * width + x0, run));
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> turned by <paramref name="radians"/> about its centre, then moved by
    /// (<paramref name="dx"/>, <paramref name="dy"/>), into <paramref name="destination"/>, by bilinear interpolation: each
    /// output pixel p = (x, y) takes the value of the source at <c>q = R(−θ)·(p − centre − (dx, dy)) + centre</c>, where
    /// centre = ((width − 1)/2, (height − 1)/2), with the pixels outside the source taken as 0. A positive angle turns the
    /// image clockwise as displayed (y pointing down).
    /// </summary>
    /// <param name="source">One image, <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> floats, CHW.</param>
    /// <param name="destination">As many floats; must not overlap <paramref name="source"/>.</param>
    /// <param name="channels">Channels of the image.</param>
    /// <param name="height">Rows of the image.</param>
    /// <param name="width">Columns of the image.</param>
    /// <param name="radians">The angle θ.</param>
    /// <param name="dx">Columns to move right after turning.</param>
    /// <param name="dy">Rows to move down after turning.</param>
    /// <exception cref="ArgumentException">A span does not hold exactly one image.</exception>
    public static void Rotate(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, float radians, int dx, int dy)
    {
        CheckImage(source, destination, channels, height, width);
        int area = height * width;
        float cos = MathF.Cos(radians), sin = MathF.Sin(radians);
        float cx = (width - 1) * 0.5f, cy = (height - 1) * 0.5f;
        for (int y = 0; y < height; y++)
        {
            float py = y - cy - dy;
            for (int x = 0; x < width; x++)
            {
                float px = x - cx - dx;
                // q = R(−θ)·p: the source point that turning by θ carries to p.
                float qx = cos * px + sin * py + cx;
                float qy = -sin * px + cos * py + cy;
                int ix = (int)MathF.Floor(qx), iy = (int)MathF.Floor(qy);
                float fx = qx - ix, fy = qy - iy;
                int o = y * width + x;
                for (int c = 0; c < channels; c++)
                {
                    ReadOnlySpan<float> plane = source.Slice(c * area, area);
                    float top = (1 - fx) * Pixel(plane, height, width, ix, iy) + fx * Pixel(plane, height, width, ix + 1, iy);
                    float bottom = (1 - fx) * Pixel(plane, height, width, ix, iy + 1) + fx * Pixel(plane, height, width, ix + 1, iy + 1);
                    destination[c * area + o] = (1 - fy) * top + fy * bottom;
                }
            }
        }
    }

    private static float Pixel(ReadOnlySpan<float> plane, int height, int width, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? plane[y * width + x] : 0f;

    private static int CheckImage(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"Expected an image of at least 1 × 1 × 1; got {channels} × {height} × {width}.");
        long size = (long)channels * height * width;
        if (source.Length != size)
            throw new ArgumentException($"Expected a source of exactly {size} floats ({channels} × {height} × {width}); got {source.Length}.", nameof(source));
        if (destination.Length != size)
            throw new ArgumentException($"Expected a destination of exactly {size} floats ({channels} × {height} × {width}); got {destination.Length}.", nameof(destination));
        return (int)size;
    }
}
