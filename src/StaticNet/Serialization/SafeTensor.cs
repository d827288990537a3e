using System;
using System.Buffers.Binary;
using System.Text;

namespace StaticNet;

/// <summary>
/// One named tensor of a safetensors file: its dtype, its shape and its data as the file stores them
/// (row-major, little-endian). Immutable: the constructor copies what it is given.
/// </summary>
public sealed class SafeTensor
{
    private readonly long[] _shape;
    private readonly byte[] _data;

    /// <summary>Creates a tensor from raw little-endian <paramref name="data"/> (copied).</summary>
    /// <param name="name">The tensor's name in the file, e.g. <c>0.weight</c>; not empty, not <c>__metadata__</c>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions, outermost first; empty for a scalar. None negative.</param>
    /// <param name="data">The elements, row-major and little-endian: exactly (product of <paramref name="shape"/>) × element size bytes.</param>
    /// <exception cref="ArgumentException">The name is empty or reserved, a dimension is negative, or <paramref name="data"/> has the wrong length (the message gives the expected one).</exception>
    public SafeTensor(string name, SafeTensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
        : this(name, dtype, shape.ToArray(), data.ToArray(), validate: true)
    {
    }

    internal SafeTensor(string name, SafeTensorsDType dtype, long[] shape, byte[] data, bool validate)
    {
        if (validate)
        {
            ValidateName(name);
            long count = ElementCountOf(shape, nameof(shape));
            long expected = checked(count * SafeTensorsDTypes.ElementSize(dtype));
            if (data.Length != expected)
                throw new ArgumentException($"Tensor '{name}': {SafeTensorsDTypes.Name(dtype)} shape {FormatShape(shape)} needs {expected} bytes of data, but {data.Length} were given.", nameof(data));
        }
        Name = name;
        DType = dtype;
        _shape = shape;
        _data = data;
        ElementCount = data.Length / SafeTensorsDTypes.ElementSize(dtype);
    }

    /// <summary>The tensor's name in the file.</summary>
    public string Name { get; }

    /// <summary>The element type as stored.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The dimensions, outermost first (empty for a scalar).</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The elements as stored: row-major, little-endian.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Creates an <see cref="SafeTensorsDType.F32"/> tensor from <paramref name="values"/>, row-major.</summary>
    /// <param name="name">The tensor's name in the file.</param>
    /// <param name="shape">The dimensions; their product must be <c>values.Length</c>.</param>
    /// <param name="values">The elements, row-major.</param>
    /// <exception cref="ArgumentException">The name is empty or reserved, or <paramref name="shape"/> does not hold <c>values.Length</c> elements.</exception>
    public static SafeTensor FromSingles(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        ValidateName(name);
        long[] dims = shape.ToArray();
        long count = ElementCountOf(dims, nameof(shape));
        if (count != values.Length)
            throw new ArgumentException($"Tensor '{name}': shape {FormatShape(dims)} holds {count} elements, but {values.Length} values were given.", nameof(values));
        byte[] data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        return new SafeTensor(name, SafeTensorsDType.F32, dims, data, validate: false);
    }

    /// <summary>
    /// Converts the elements to <see cref="float"/> into <paramref name="destination"/>: F32 as is, F16 and
    /// BF16 exactly (every one of their values is a float), F64 rounded to the nearest float.
    /// </summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> floats.</param>
    /// <exception cref="InvalidOperationException">The dtype is not F32, F16, BF16 or F64.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold <see cref="ElementCount"/> floats.</exception>
    public void CopyTo(Span<float> destination)
    {
        if (!SafeTensorsDTypes.ConvertsToSingle(DType))
            throw new InvalidOperationException($"Tensor '{Name}' is {SafeTensorsDTypes.Name(DType)}, which does not convert to float (F32, F16, BF16 and F64 do).");
        if (destination.Length != ElementCount)
            throw new ArgumentException($"Tensor '{Name}' has {ElementCount} elements; the destination must hold exactly {ElementCount} floats, not {destination.Length}.", nameof(destination));
        ReadOnlySpan<byte> data = _data;
        switch (DType)
        {
            case SafeTensorsDType.F32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data.Slice(2 * i));
                break;
            case SafeTensorsDType.BF16:
                // bfloat16 is the high half of a binary32: widening is a shift, exact for every value.
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)) << 16);
                break;
            default: // F64
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i));
                break;
        }
    }

    /// <summary>The elements converted to <see cref="float"/>, as <see cref="CopyTo(Span{float})"/> does.</summary>
    /// <exception cref="InvalidOperationException">The dtype is not F32, F16, BF16 or F64.</exception>
    public float[] ToSingles()
    {
        if (!SafeTensorsDTypes.ConvertsToSingle(DType))
            throw new InvalidOperationException($"Tensor '{Name}' is {SafeTensorsDTypes.Name(DType)}, which does not convert to float (F32, F16, BF16 and F64 do).");
        var values = new float[ElementCount];
        CopyTo(values);
        return values;
    }

    /// <summary>The shape as text, e.g. <c>[8, 4]</c>, as error messages write it.</summary>
    public override string ToString() => $"{Name}: {SafeTensorsDTypes.Name(DType)} {FormatShape(_shape)}";

    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(shape[i]);
        }
        return text.Append(']').ToString();
    }

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
            throw new ArgumentException("A tensor name must not be empty.", nameof(name));
        if (name == SafeTensorsFile.MetadataKey)
            throw new ArgumentException($"'{SafeTensorsFile.MetadataKey}' is reserved for the file's metadata and cannot name a tensor.", nameof(name));
    }

    private static long ElementCountOf(long[] shape, string parameter)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.", parameter);
            count = checked(count * d);
        }
        return count;
    }
}
