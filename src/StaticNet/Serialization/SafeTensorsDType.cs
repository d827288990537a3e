using System;

namespace StaticNet;

/// <summary>
/// The element types of the safetensors format, named as in its header (<c>"F32"</c>, <c>"BF16"</c>, ...).
/// Every one of them can be read and written as raw bytes; <see cref="F32"/>, <see cref="F16"/>,
/// <see cref="BF16"/> and <see cref="F64"/> can also be converted to <see cref="float"/>
/// (<see cref="SafeTensor.CopyTo(Span{float})"/>).
/// </summary>
public enum SafeTensorsDType
{
    /// <summary><c>BOOL</c>: one byte per element.</summary>
    Bool,
    /// <summary><c>U8</c>: unsigned 8-bit integer.</summary>
    U8,
    /// <summary><c>I8</c>: signed 8-bit integer.</summary>
    I8,
    /// <summary><c>F8_E5M2</c>: 8-bit float, 5 exponent and 2 mantissa bits.</summary>
    F8E5M2,
    /// <summary><c>F8_E4M3</c>: 8-bit float, 4 exponent and 3 mantissa bits.</summary>
    F8E4M3,
    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    I16,
    /// <summary><c>U16</c>: unsigned 16-bit integer.</summary>
    U16,
    /// <summary><c>F16</c>: IEEE 754 binary16 (half precision).</summary>
    F16,
    /// <summary><c>BF16</c>: bfloat16, the top 16 bits of a binary32.</summary>
    BF16,
    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    I32,
    /// <summary><c>U32</c>: unsigned 32-bit integer.</summary>
    U32,
    /// <summary><c>F32</c>: IEEE 754 binary32, what StaticNet computes in.</summary>
    F32,
    /// <summary><c>F64</c>: IEEE 754 binary64.</summary>
    F64,
    /// <summary><c>I64</c>: signed 64-bit integer (e.g. PyTorch's BatchNorm <c>num_batches_tracked</c>).</summary>
    I64,
    /// <summary><c>U64</c>: unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>Names and sizes of <see cref="SafeTensorsDType"/> values.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static int ElementSize(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8E5M2 or SafeTensorsDType.F8E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>The name of <paramref name="dtype"/> in a safetensors header, e.g. <c>F32</c> or <c>F8_E4M3</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static string Name(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool => "BOOL",
        SafeTensorsDType.U8 => "U8",
        SafeTensorsDType.I8 => "I8",
        SafeTensorsDType.F8E5M2 => "F8_E5M2",
        SafeTensorsDType.F8E4M3 => "F8_E4M3",
        SafeTensorsDType.I16 => "I16",
        SafeTensorsDType.U16 => "U16",
        SafeTensorsDType.F16 => "F16",
        SafeTensorsDType.BF16 => "BF16",
        SafeTensorsDType.I32 => "I32",
        SafeTensorsDType.U32 => "U32",
        SafeTensorsDType.F32 => "F32",
        SafeTensorsDType.F64 => "F64",
        SafeTensorsDType.I64 => "I64",
        SafeTensorsDType.U64 => "U64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>The dtype a safetensors header names <paramref name="name"/> (exact, case-sensitive, as the format defines them).</summary>
    /// <param name="name">A header dtype such as <c>F32</c>.</param>
    /// <param name="dtype">The element type, when the name is known.</param>
    /// <returns>Whether <paramref name="name"/> is a safetensors dtype.</returns>
    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        for (var d = SafeTensorsDType.Bool; d <= SafeTensorsDType.U64; d++)
        {
            if (string.Equals(Name(d), name, StringComparison.Ordinal))
            {
                dtype = d;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>Whether <see cref="SafeTensor.CopyTo(Span{float})"/> converts <paramref name="dtype"/> to float: F32, F16, BF16 and F64.</summary>
    /// <param name="dtype">The element type.</param>
    public static bool ConvertsToSingle(SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64;
}
