using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace StaticNet.Onnx.Protobuf;

// The subset of onnx.proto (onnx 1.12, IR version 8) that a feed-forward network needs, as plain classes
// with a writer and a reader each. Field numbers are those of onnx/onnx.proto; fields not listed here are
// skipped when reading and never written. Only what is kept is parsed: attribute tensors, subgraphs,
// functions, training info and metadata are skipped.

/// <summary>ModelProto.</summary>
internal sealed class ModelProto
{
    public long IrVersion;                                  // 1
    public string ProducerName = string.Empty;              // 2
    public string ProducerVersion = string.Empty;           // 3
    public string DocString = string.Empty;                 // 6
    public GraphProto? Graph;                               // 7
    public List<OperatorSetId> OpsetImport = new();         // 8

    public ProtoWriter Write()
    {
        var w = new ProtoWriter();
        w.Int64(1, IrVersion);
        w.String(2, ProducerName);
        w.String(3, ProducerVersion);
        if (DocString.Length > 0)
            w.String(6, DocString);
        if (Graph is not null)
            w.Message(7, Graph.Write());
        foreach (OperatorSetId opset in OpsetImport)
        {
            var o = new ProtoWriter();
            o.String(1, opset.Domain);
            o.Int64(2, opset.Version);
            w.Message(8, o);
        }
        return w;
    }

    public static ModelProto Read(ReadOnlySpan<byte> data)
    {
        var model = new ModelProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            switch (field)
            {
                case 1: model.IrVersion = r.Int64(type); break;
                case 2: model.ProducerName = r.String(type); break;
                case 3: model.ProducerVersion = r.String(type); break;
                case 6: model.DocString = r.String(type); break;
                case 7: model.Graph = GraphProto.Read(r.Bytes(type)); break;
                case 8:
                {
                    var opset = new OperatorSetId(string.Empty, 0);
                    var o = new ProtoReader(r.Bytes(type));
                    while (o.Next(out int f, out WireType t))
                    {
                        if (f == 1) opset = opset with { Domain = o.String(t) };
                        else if (f == 2) opset = opset with { Version = o.Int64(t) };
                        else o.Skip(t);
                    }
                    model.OpsetImport.Add(opset);
                    break;
                }
                default: r.Skip(type); break;
            }
        }
        return model;
    }
}

/// <summary>OperatorSetIdProto: an operator set and its version (the default ONNX domain is the empty string).</summary>
internal readonly record struct OperatorSetId(string Domain, long Version);

/// <summary>GraphProto.</summary>
internal sealed class GraphProto
{
    public List<NodeProto> Nodes = new();                   // 1
    public string Name = string.Empty;                      // 2
    public List<TensorProto> Initializers = new();          // 5
    public List<ValueInfoProto> Inputs = new();             // 11
    public List<ValueInfoProto> Outputs = new();            // 12
    public int SparseInitializerCount;                      // 15 (counted, not read)

    public ProtoWriter Write()
    {
        var w = new ProtoWriter();
        foreach (NodeProto node in Nodes)
            w.Message(1, node.Write());
        w.String(2, Name);
        foreach (TensorProto tensor in Initializers)
            w.Message(5, tensor.Write());
        foreach (ValueInfoProto input in Inputs)
            w.Message(11, input.Write());
        foreach (ValueInfoProto output in Outputs)
            w.Message(12, output.Write());
        return w;
    }

    public static GraphProto Read(ReadOnlySpan<byte> data)
    {
        var graph = new GraphProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            switch (field)
            {
                case 1: graph.Nodes.Add(NodeProto.Read(r.Bytes(type))); break;
                case 2: graph.Name = r.String(type); break;
                case 5: graph.Initializers.Add(TensorProto.Read(r.Bytes(type))); break;
                case 11: graph.Inputs.Add(ValueInfoProto.Read(r.Bytes(type))); break;
                case 12: graph.Outputs.Add(ValueInfoProto.Read(r.Bytes(type))); break;
                case 15: r.Skip(type); graph.SparseInitializerCount++; break;
                default: r.Skip(type); break;
            }
        }
        return graph;
    }
}

/// <summary>NodeProto.</summary>
internal sealed class NodeProto
{
    public List<string> Inputs = new();                     // 1
    public List<string> Outputs = new();                    // 2
    public string Name = string.Empty;                      // 3
    public string OpType = string.Empty;                    // 4
    public List<AttributeProto> Attributes = new();         // 5
    public string Domain = string.Empty;                    // 7

    /// <summary>The node as error messages name it: <c>'/0/Gemm' (Gemm)</c>, or its first output when it has no name.</summary>
    public string Describe() => Name.Length > 0
        ? $"'{Name}' ({OpType})"
        : $"{OpType} (unnamed, output '{(Outputs.Count > 0 ? Outputs[0] : string.Empty)}')";

    public AttributeProto? Attribute(string name)
    {
        foreach (AttributeProto attribute in Attributes)
        {
            if (attribute.Name == name)
                return attribute;
        }
        return null;
    }

    public ProtoWriter Write()
    {
        var w = new ProtoWriter();
        foreach (string input in Inputs)
            w.String(1, input);
        foreach (string output in Outputs)
            w.String(2, output);
        w.String(3, Name);
        w.String(4, OpType);
        foreach (AttributeProto attribute in Attributes)
            w.Message(5, attribute.Write());
        if (Domain.Length > 0)
            w.String(7, Domain);
        return w;
    }

    public static NodeProto Read(ReadOnlySpan<byte> data)
    {
        var node = new NodeProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            switch (field)
            {
                case 1: node.Inputs.Add(r.String(type)); break;
                case 2: node.Outputs.Add(r.String(type)); break;
                case 3: node.Name = r.String(type); break;
                case 4: node.OpType = r.String(type); break;
                case 5: node.Attributes.Add(AttributeProto.Read(r.Bytes(type))); break;
                case 7: node.Domain = r.String(type); break;
                default: r.Skip(type); break;
            }
        }
        return node;
    }
}

/// <summary>AttributeProto: the scalar and list kinds (tensor and graph attributes are skipped).</summary>
internal sealed class AttributeProto
{
    public const int Float = 1, Int = 2, String = 3, TensorType = 4, Floats = 6, Ints = 7;

    public string Name = string.Empty;                      // 1
    public float F;                                         // 2
    public long I;                                          // 3
    public string S = string.Empty;                         // 4 (bytes, UTF-8)
    public List<float> FloatList = new();                   // 7
    public List<long> IntList = new();                      // 8
    public TensorProto? T;                                  // 5 (a Constant node's value)
    public int Type;                                        // 20

    public static AttributeProto OfInt(string name, long value) => new() { Name = name, Type = Int, I = value };

    public static AttributeProto OfFloat(string name, float value) => new() { Name = name, Type = Float, F = value };

    public static AttributeProto OfInts(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = Ints };
        attribute.IntList.AddRange(values);
        return attribute;
    }

    public ProtoWriter Write()
    {
        var w = new ProtoWriter();
        w.String(1, Name);
        switch (Type)
        {
            case Float: w.Float(2, F); break;
            case Int: w.Int64(3, I); break;
            case String: w.String(4, S); break;
            case TensorType: w.Message(5, T!.Write()); break;
            case Ints:
                foreach (long value in IntList)
                    w.Int64(8, value); // unpacked, as proto2 declares `repeated int64 ints`
                break;
            default: throw new InvalidOperationException($"Writing attribute type {Type} is not implemented.");
        }
        w.Int64(20, Type);
        return w;
    }

    public static AttributeProto Read(ReadOnlySpan<byte> data)
    {
        var attribute = new AttributeProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            switch (field)
            {
                case 1: attribute.Name = r.String(type); break;
                case 2: attribute.F = r.Float(type); break;
                case 3: attribute.I = r.Int64(type); break;
                case 4: attribute.S = r.String(type); break;
                case 5: attribute.T = TensorProto.Read(r.Bytes(type)); break;
                case 7: r.RepeatedFloat(type, attribute.FloatList); break;
                case 8: r.RepeatedInt64(type, attribute.IntList); break;
                case 20: attribute.Type = (int)r.Int64(type); break;
                default: r.Skip(type); break;
            }
        }
        return attribute;
    }
}

/// <summary>TensorProto (dense tensors; the importer uses float32 ones only).</summary>
internal sealed class TensorProto
{
    public const int FloatType = 1;
    public const int Int64Type = 7;
    public const int ExternalLocation = 1;

    public List<long> Dims = new();                         // 1
    public int DataType;                                    // 2
    public bool HasSegment;                                 // 3
    public List<float> FloatData = new();                   // 4
    public List<long> Int64Data = new();                    // 7
    public string Name = string.Empty;                      // 8
    public byte[]? RawData;                                 // 9
    public int DataLocation;                                // 14
    /// <summary>For writing: the values, written as <c>raw_data</c> (in place of <see cref="RawData"/>).</summary>
    public float[]? Values;

    public ProtoWriter Write()
    {
        var w = new ProtoWriter();
        foreach (long dim in Dims)
            w.Int64(1, dim);
        w.Int64(2, DataType);
        w.String(8, Name);
        if (FloatData.Count > 0)
            w.FloatsAsBytes(4, FloatData.ToArray()); // packed repeated float: the same bytes as raw_data
        if (Values is not null)
            w.FloatsAsBytes(9, Values);
        else if (RawData is not null)
            w.Bytes(9, RawData);
        if (DataLocation != 0)
            w.Int64(14, DataLocation);
        return w;
    }

    public static TensorProto Read(ReadOnlySpan<byte> data)
    {
        var tensor = new TensorProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            switch (field)
            {
                case 1: r.RepeatedInt64(type, tensor.Dims); break;
                case 2: tensor.DataType = (int)r.Int64(type); break;
                case 3: r.Skip(type); tensor.HasSegment = true; break;
                case 4: r.RepeatedFloat(type, tensor.FloatData); break;
                case 7: r.RepeatedInt64(type, tensor.Int64Data); break;
                case 8: tensor.Name = r.String(type); break;
                case 9: tensor.RawData = r.Bytes(type).ToArray(); break;
                case 14: tensor.DataLocation = (int)r.Int64(type); break;
                default: r.Skip(type); break;
            }
        }
        return tensor;
    }

    /// <summary>The number of elements the dims describe, or -1 if a dim is negative or the product overflows an int.</summary>
    public long ElementCount()
    {
        long count = 1;
        foreach (long dim in Dims)
        {
            if (dim < 0)
                return -1;
            count *= dim;
            if (count > int.MaxValue)
                return -1;
        }
        return count;
    }

    /// <summary>The values of an int64 tensor held inline, or null when it is not one or its data do not fit its shape.</summary>
    public long[]? Int64Values()
    {
        long count = ElementCount();
        if (DataType != Int64Type || DataLocation == ExternalLocation || HasSegment || count < 0)
            return null;
        if (RawData is not null)
        {
            if (RawData.Length != 8 * count)
                return null;
            var values = new long[count];
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadInt64LittleEndian(RawData.AsSpan(8 * i));
            return values;
        }
        return Int64Data.Count == count ? Int64Data.ToArray() : null;
    }

    /// <summary>Reads element <paramref name="index"/> of a float32 tensor checked by the caller to hold its data inline.</summary>
    public float this[int index] => RawData is not null
        ? BinaryPrimitives.ReadSingleLittleEndian(RawData.AsSpan(4 * index))
        : FloatData[index];
}

/// <summary>ValueInfoProto of a tensor: name, element type and shape (a dim is a value, a parameter name, or unknown).</summary>
internal sealed class ValueInfoProto
{
    public string Name = string.Empty;                      // 1
    public int ElemType;                                    // 2 → 1 (tensor_type) → 1
    public List<Dimension>? Shape;                          // 2 → 1 → 2; null when no shape is given

    public ProtoWriter Write()
    {
        var shape = new ProtoWriter();
        foreach (Dimension dim in Shape ?? new List<Dimension>())
        {
            var d = new ProtoWriter();
            if (dim.Param is not null)
                d.String(2, dim.Param);
            else
                d.Int64(1, dim.Value);
            shape.Message(1, d);
        }
        var tensorType = new ProtoWriter();
        tensorType.Int64(1, ElemType);
        if (Shape is not null)
            tensorType.Message(2, shape);
        var typeProto = new ProtoWriter();
        typeProto.Message(1, tensorType);
        var w = new ProtoWriter();
        w.String(1, Name);
        w.Message(2, typeProto);
        return w;
    }

    public static ValueInfoProto Read(ReadOnlySpan<byte> data)
    {
        var info = new ValueInfoProto();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            if (field == 1)
            {
                info.Name = r.String(type);
            }
            else if (field == 2)
            {
                var typeProto = new ProtoReader(r.Bytes(type));
                while (typeProto.Next(out int f, out WireType t))
                {
                    if (f != 1) { typeProto.Skip(t); continue; }     // not a tensor_type: ElemType stays 0
                    var tensorType = new ProtoReader(typeProto.Bytes(t));
                    while (tensorType.Next(out int g, out WireType u))
                    {
                        if (g == 1) info.ElemType = (int)tensorType.Int64(u);
                        else if (g == 2) info.Shape = ReadShape(tensorType.Bytes(u));
                        else tensorType.Skip(u);
                    }
                }
            }
            else
            {
                r.Skip(type);
            }
        }
        return info;
    }

    private static List<Dimension> ReadShape(ReadOnlySpan<byte> data)
    {
        var dims = new List<Dimension>();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out WireType type))
        {
            if (field != 1) { r.Skip(type); continue; }
            var dim = new Dimension(-1, null);
            var d = new ProtoReader(r.Bytes(type));
            while (d.Next(out int f, out WireType t))
            {
                if (f == 1) dim = new Dimension(d.Int64(t), null);
                else if (f == 2) dim = new Dimension(-1, d.String(t));
                else d.Skip(t);
            }
            dims.Add(dim);
        }
        return dims;
    }
}

/// <summary>A dimension of a shape: a fixed <see cref="Value"/>, or a named <see cref="Param"/> (e.g. <c>batch</c>), or neither (-1, null: unknown).</summary>
internal readonly record struct Dimension(long Value, string? Param)
{
    public override string ToString() => Param ?? (Value >= 0 ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?");
}
