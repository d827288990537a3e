using System;
using StaticNet.Data;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Data;

/// <summary>
/// <see cref="ImageAugmentation"/> against references written here: a shift is the image moved pixel by pixel with zeros
/// shifted in, a rotation is bilinear sampling in double precision, the random moves are seeded and cover the range,
/// nothing is allocated per batch, and Fit's <see cref="FitOptions.AugmentBatch"/> is the documented loop with the
/// augmentation between the batch copy and Loss.
/// </summary>
public class ImageAugmentationTests
{
    private static float[] RandomImages(int count, int size, long seed)
    {
        var random = new Random64(seed);
        var images = new float[count * size];
        for (int i = 0; i < images.Length; i++) images[i] = 0.01f + (float)random.NextDouble(); // never 0, so a 0 is a pixel shifted in
        return images;
    }

    /// <summary>The definition, pixel by pixel: out[c, y, x] = in[c, y − dy, x − dx] inside the image, else 0.</summary>
    private static float[] NaiveShift(ReadOnlySpan<float> image, int channels, int height, int width, int dx, int dy)
    {
        var result = new float[channels * height * width];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int sy = y - dy, sx = x - dx;
                    bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                    result[(c * height + y) * width + x] = inside ? image[(c * height + sy) * width + sx] : 0f;
                }
        return result;
    }

    /// <summary>Bilinear sampling of the inverse rotation, in double, written as the weighted sum of the four neighbours.</summary>
    private static double[] NaiveRotate(ReadOnlySpan<float> image, int channels, int height, int width, double radians, int dx, int dy)
    {
        var result = new double[channels * height * width];
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    // The point q that the rotation by θ about the centre, then the shift, carries to p = (x, y).
                    double ux = x - dx - cx, uy = y - dy - cy;
                    double qx = cx + Math.Cos(-radians) * ux - Math.Sin(-radians) * uy;
                    double qy = cy + Math.Sin(-radians) * ux + Math.Cos(-radians) * uy;
                    double sum = 0;
                    int x0 = (int)Math.Floor(qx), y0 = (int)Math.Floor(qy);
                    for (int j = 0; j <= 1; j++)
                        for (int i = 0; i <= 1; i++)
                        {
                            int sx = x0 + i, sy = y0 + j;
                            if (sx < 0 || sx >= width || sy < 0 || sy >= height) continue;
                            double weight = (1 - Math.Abs(qx - sx)) * (1 - Math.Abs(qy - sy));
                            sum += weight * image[(c * height + sy) * width + sx];
                        }
                    result[(c * height + y) * width + x] = sum;
                }
        return result;
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 5, 7)]
    [InlineData(2, 6, 1)]
    public void Shift_is_the_image_moved_by_the_shift_with_zeros_shifted_in(int channels, int height, int width)
    {
        int size = channels * height * width;
        float[] image = RandomImages(1, size, seed: 11);
        var shifted = new float[size];
        for (int dy = -height - 1; dy <= height + 1; dy++)
            for (int dx = -width - 1; dx <= width + 1; dx++)
            {
                shifted.AsSpan().Fill(float.NaN); // every pixel must be written
                ImageAugmentation.Shift(image, shifted, channels, height, width, dx, dy);
                Assert.Equal(NaiveShift(image, channels, height, width, dx, dy), shifted);
            }
    }

    [Fact]
    public void A_shift_of_two_right_and_one_up_moves_a_pixel_there_and_zeros_the_left_columns_and_bottom_row()
    {
        var image = new float[5 * 5];
        image.AsSpan().Fill(1);
        image[2 * 5 + 1] = 7; // row 2, column 1
        var shifted = new float[25];
        ImageAugmentation.Shift(image, shifted, 1, 5, 5, dx: 2, dy: -1);

        Assert.Equal(7, shifted[1 * 5 + 3]); // row 1, column 3
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
            {
                bool shiftedIn = x < 2 || y == 4;
                if (shiftedIn) Assert.Equal(0, shifted[y * 5 + x]);
                else if (!(y == 1 && x == 3)) Assert.Equal(1, shifted[y * 5 + x]);
            }
    }

    [Theory]
    [InlineData(1, 28, 28, 10.0, 0, 0)]
    [InlineData(1, 28, 28, -7.5, 2, -1)]
    [InlineData(2, 9, 13, 33.0, -1, 2)]
    [InlineData(1, 8, 8, 180.0, 0, 0)]
    public void Rotate_is_bilinear_sampling_of_the_turned_image(int channels, int height, int width, double degrees, int dx, int dy)
    {
        int size = channels * height * width;
        float[] image = RandomImages(1, size, seed: 5);
        var rotated = new float[size];
        double radians = degrees * Math.PI / 180;
        ImageAugmentation.Rotate(image, rotated, channels, height, width, (float)radians, dx, dy);
        double[] expected = NaiveRotate(image, channels, height, width, radians, dx, dy);
        for (int i = 0; i < size; i++)
            Assert.True(Math.Abs(rotated[i] - expected[i]) <= 1e-4, $"pixel {i}: {rotated[i]} but the reference gives {expected[i]}");
    }

    [Fact]
    public void A_quarter_turn_clockwise_puts_the_left_column_on_the_top_row()
    {
        // out[y, x] = in[W − 1 − x, y] for a square image turned by +90° (y pointing down).
        const int n = 6;
        float[] image = RandomImages(1, n * n, seed: 3);
        var rotated = new float[n * n];
        ImageAugmentation.Rotate(image, rotated, 1, n, n, MathF.PI / 2, 0, 0);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                Assert.Equal(image[(n - 1 - x) * n + y], rotated[y * n + x], 4);
    }

    [Fact]
    public void A_rotation_by_zero_is_the_shift_exactly()
    {
        float[] image = RandomImages(1, 2 * 7 * 9, seed: 8);
        var rotated = new float[image.Length];
        var shifted = new float[image.Length];
        for (int d = -3; d <= 3; d++)
        {
            ImageAugmentation.Rotate(image, rotated, 2, 7, 9, 0f, d, -d);
            ImageAugmentation.Shift(image, shifted, 2, 7, 9, d, -d);
            Assert.Equal(shifted, rotated);
        }
    }

    /// <summary>The (dx, dy) with |dx|, |dy| ≤ max that turns <paramref name="original"/> into <paramref name="augmented"/>; fails if none does.</summary>
    private static (int Dx, int Dy) FindShift(ReadOnlySpan<float> original, ReadOnlySpan<float> augmented, int channels, int height, int width, int max)
    {
        for (int dy = -max; dy <= max; dy++)
            for (int dx = -max; dx <= max; dx++)
                if (augmented.SequenceEqual(NaiveShift(original, channels, height, width, dx, dy)))
                    return (dx, dy);
        Assert.Fail($"The augmented image is no shift of the original by at most {max} pixels.");
        return default;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Apply_moves_each_image_by_its_own_shift_and_covers_every_shift_up_to_the_maximum(int maxShift)
    {
        const int count = 400, channels = 2, height = 9, width = 11, size = channels * height * width;
        float[] original = RandomImages(count, size, seed: 21);
        float[] batch = (float[])original.Clone();
        var augmentation = new ImageAugmentation(channels, height, width, maxShift, seed: 4);
        augmentation.Apply(batch);

        int side = 2 * maxShift + 1;
        var seen = new int[side * side];
        for (int i = 0; i < count; i++)
        {
            (int dx, int dy) = FindShift(original.AsSpan(i * size, size), batch.AsSpan(i * size, size), channels, height, width, maxShift);
            seen[(dy + maxShift) * side + dx + maxShift]++;
        }
        // 400 draws of 9 or 25 equally likely shifts: each expected 44 or 16 times; fewer than 4 would be a broken draw.
        for (int k = 0; k < seen.Length; k++)
            Assert.True(seen[k] >= 4, $"shift ({k % side - maxShift}, {k / side - maxShift}) drawn {seen[k]} times in {count}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_another_seed_other_ones()
    {
        float[] original = RandomImages(50, 784, seed: 2);
        float[][] Run(long seed)
        {
            var augmentation = new ImageAugmentation(1, 28, 28, maxShift: 2, maxRotationDegrees: 10, seed: seed);
            var batches = new float[3][];
            for (int b = 0; b < 3; b++)
            {
                batches[b] = (float[])original.Clone();
                augmentation.Apply(batches[b]);
            }
            return batches;
        }
        float[][] first = Run(7), again = Run(7), other = Run(8);
        for (int b = 0; b < 3; b++)
        {
            Assert.Equal(first[b], again[b]);
            Assert.NotEqual(first[b], other[b]);
        }
        Assert.NotEqual(first[0], first[1]); // each batch gets new moves
    }

    [Fact]
    public void Max_shift_zero_without_rotation_leaves_the_images_as_they_are()
    {
        float[] original = RandomImages(10, 3 * 4 * 5, seed: 1);
        float[] batch = (float[])original.Clone();
        new ImageAugmentation(3, 4, 5, maxShift: 0).Apply(batch);
        Assert.Equal(original, batch);
    }

    [Fact]
    public void Apply_allocates_nothing_per_batch()
    {
        var images = RandomImages(100, 784, seed: 6);
        var shift = new ImageAugmentation(1, 28, 28, maxShift: 2, seed: 1);
        var rotate = new ImageAugmentation(1, 28, 28, maxShift: 1, maxRotationDegrees: 10, seed: 1);
        shift.Apply(images); // warm up
        rotate.Apply(images);
        long allocated = Allocations.Least(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                shift.Apply(images);
                rotate.Apply(images.AsSpan(0, 7 * 784));
            }
        });
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(0, 28, 28, 1, 0f, "channels")]
    [InlineData(1, 0, 28, 1, 0f, "height")]
    [InlineData(1, 28, -1, 1, 0f, "width")]
    [InlineData(1, 28, 28, -1, 0f, "maxShift")]
    [InlineData(1, 28, 28, 28, 0f, "maxShift")]
    [InlineData(1, 5, 28, 5, 0f, "maxShift")]
    [InlineData(1, 28, 28, 2, -1f, "maxRotationDegrees")]
    [InlineData(1, 28, 28, 2, 181f, "maxRotationDegrees")]
    [InlineData(1, 28, 28, 2, float.NaN, "maxRotationDegrees")]
    public void Out_of_range_settings_are_rejected_naming_the_argument(int channels, int height, int width, int maxShift, float degrees, string argument)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(channels, height, width, maxShift, degrees));
        Assert.Equal(argument, e.ParamName);
        Assert.Contains("Expected", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_that_is_not_whole_images_and_a_wrong_image_size_are_rejected_naming_the_size()
    {
        var augmentation = new ImageAugmentation(1, 28, 28, maxShift: 2);
        var e = Assert.Throws<ArgumentException>(() => augmentation.Apply(new float[784 * 2 + 1]));
        Assert.Equal("images", e.ParamName);
        Assert.Contains("whole images of 784 floats (1 × 28 × 28)", e.Message, StringComparison.Ordinal);

        var s = Assert.Throws<ArgumentException>(() => ImageAugmentation.Shift(new float[783], new float[784], 1, 28, 28, 1, 1));
        Assert.Equal("source", s.ParamName);
        Assert.Contains("exactly 784 floats", s.Message, StringComparison.Ordinal);
        var d = Assert.Throws<ArgumentException>(() => ImageAugmentation.Rotate(new float[784], new float[785], 1, 28, 28, 0.1f, 0, 0));
        Assert.Equal("destination", d.ParamName);
    }

    /// <summary>Fit with AugmentBatch is the documented loop with the augmentation of each copied batch before Loss; the targets stay those of the rows.</summary>
    [Fact]
    public void Fit_augments_each_training_batch_between_the_copy_and_Loss_and_keeps_the_labels()
    {
        const int rows = 21, batch = 8, size = SimpleConvNet.InputSize, classes = SimpleConvNet.OutputSize;
        float[] x = RandomImages(rows, size, seed: 9);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = (i * 7) % classes;

        var fitted = new SimpleConvNet(batchCapacity: batch, seed: 3);
        var fitAugmentation = new ImageAugmentation(1, 28, 28, maxShift: 2, seed: 5);
        Trainer.Fit(fitted, new Adam(SimpleConvNet.ParameterCount, 0.001f), x, labels,
            new FitOptions { Epochs = 2, BatchSize = batch, Seed = 4, AugmentBatch = fitAugmentation.Apply });

        // By hand: shuffle, copy, shift each image by the move the same seed draws, Loss with the rows' labels, Backward, Step.
        var manual = new SimpleConvNet(batchCapacity: batch, seed: 3);
        var adam = new Adam(SimpleConvNet.ParameterCount, 0.001f);
        var moves = new Random64(5);
        var order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        var shuffle = new Random64(4);
        var bx = new float[batch * size];
        var bt = new float[batch * classes];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            shuffle.Shuffle<int>(order);
            for (int start = 0; start < rows; start += batch)
            {
                int n = Math.Min(batch, rows - start);
                Array.Clear(bt);
                for (int i = 0; i < n; i++)
                {
                    int row = order[start + i];
                    int dx = moves.NextInt32(5) - 2, dy = moves.NextInt32(5) - 2;
                    NaiveShift(x.AsSpan(row * size, size), 1, 28, 28, dx, dy).CopyTo(bx, i * size);
                    bt[i * classes + labels[row]] = 1; // the one-hot target of the row, as Fit builds it
                }
                manual.Loss(bx.AsSpan(0, n * size), bt.AsSpan(0, n * classes));
                manual.Backward();
                adam.Step(manual.Parameters, manual.Gradients);
            }
        }

        Assert.Equal(manual.Parameters.ToArray(), fitted.Parameters.ToArray());
        // And the augmentation changed what was learned: without it the weights differ.
        var plain = new SimpleConvNet(batchCapacity: batch, seed: 3);
        Trainer.Fit(plain, new Adam(SimpleConvNet.ParameterCount, 0.001f), x, labels, new FitOptions { Epochs = 2, BatchSize = batch, Seed = 4 });
        Assert.NotEqual(plain.Parameters.ToArray(), fitted.Parameters.ToArray());
    }
}
