using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The register tiles <see cref="Gemm"/> picks, on both register files, for the products of the networks the
/// benchmarks measured. Every tile gives the same bits (<see cref="GemmTests"/> checks the sums), so only these
/// tests notice when a rule measured in BENCHMARKS.md changes: each case names the product the rule was measured on.
/// </summary>
public class GemmShapeTests
{
    [Theory]
    // 32 registers (AVX-512, 16 floats a vector: 64 bytes). W1 is 784 × 100, so 6 vectors, its 4 last columns apart.
    [InlineData("batch 1: one row, all of W1's row in one pass", 6, 6, 1, 784, 64, true, 1, 6)]
    [InlineData("y = x·W1 at batch 32: tall, as W1's 301 KB panel is past L1", 6, 6, 32, 784, 64, true, 8, 3)]
    [InlineData("y = x·W1 at batch 4: no more than 4 rows, wide", 6, 6, 4, 784, 64, true, 4, 6)]
    [InlineData("dW1 = xᵀ·da1 at batch 32: da1's 12 KB panel stays in L1, wide", 6, 6, 784, 32, 64, true, 4, 6)]
    [InlineData("dW1 = xᵀ·da1 at batch 100: a 38 KB panel, tall", 6, 6, 784, 100, 64, true, 8, 3)]
    [InlineData("SimpleConvNet's W += xᵀ·step, 4320 × 100: C (1.7 MB) past L2, wide", 6, 6, 4320, 100, 64, true, 4, 6)]
    [InlineData("784 → 64: a product of exactly 4 vectors keeps its 4 × 4", 4, 4, 32, 784, 64, true, 4, 4)]
    [InlineData("784 → 112: 7 vectors, in tall panels of 3, 2 and 2", 7, 7, 32, 784, 64, true, 8, 3)]
    [InlineData("784 → 112, after the first panel", 4, 7, 32, 784, 64, true, 8, 2)]
    [InlineData("784 → 128: 8 vectors, tall 3, 3 and 2", 8, 8, 100, 784, 64, true, 8, 3)]
    [InlineData("two rows: 2 × 8", 8, 8, 2, 784, 64, true, 2, 8)]
    [InlineData("100 → 16 at batch 32: one vector, 8 × 1 (4 × 1 keeps too few multiply-adds in flight)", 1, 1, 32, 100, 64, true, 8, 1)]
    [InlineData("one vector over 4 rows only: 4 × 1", 1, 1, 4, 100, 64, true, 4, 1)]
    // 16 registers (AVX2, 8 floats a vector: 32 bytes). W1 is 13 vectors, the last overlapping.
    [InlineData("AVX2, batch 1: 13 vectors, one pass", 13, 13, 1, 784, 32, false, 1, 13)]
    [InlineData("AVX2, dW1 at batch 1 (k = 1): whole rows", 13, 13, 784, 1, 32, false, 1, 13)]
    [InlineData("AVX2, y = x·W1 at batch 32: 6 × 2", 12, 12, 32, 784, 32, false, 6, 2)]
    [InlineData("AVX2, 784 → 24: 3 × 3, one panel", 3, 3, 100, 784, 32, false, 3, 3)]
    [InlineData("AVX2, 784 → 32 at batch 100: A (313 KB) read twice from L2, 6 × 2", 4, 4, 100, 784, 32, false, 6, 2)]
    [InlineData("AVX2, 784 → 32 at batch 4000: A (12.5 MB) read once, 2 × 4", 4, 4, 4000, 784, 32, false, 2, 4)]
    [InlineData("AVX2, 4 rows: 2 × 4", 4, 4, 4, 784, 32, false, 2, 4)]
    [InlineData("AVX2, h1·W2 (100 → 10) at batch 100: its 8 columns, 8 × 1", 1, 1, 100, 100, 32, false, 8, 1)]
    [InlineData("AVX2, two rows: 2 × 4", 13, 13, 2, 784, 32, false, 2, 4)]
    public void Each_product_takes_the_tile_measured_for_it(string product, int needed, int all, int m, int k, int vectorBytes, bool use512, int rows, int vectors)
    {
        Assert.True((rows, vectors) == Gemm.Shape(needed, all, m, k, vectorBytes, use512),
            $"{product}: expected {rows} × {vectors}, got {Gemm.Shape(needed, all, m, k, vectorBytes, use512)}");
    }
}
