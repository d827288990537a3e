using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>
/// The files Hugging Face's safetensors library wrote (<c>../shared/fixtures/safetensors</c>): each reads as
/// the table in that folder's README says, and the writer writes the same header and data.
/// </summary>
public class SafeTensorsFixtureTests
{
    /// <summary>A row of the README's table: file, tensor, dtype, shape, values, metadata.</summary>
    public sealed record Row(string File, string Tensor, string DType, long[] Shape, double[] Values, Dictionary<string, string> Metadata)
    {
        public override string ToString() => File;
    }

    private static List<Row> ReadmeRows()
    {
        string readme = System.IO.File.ReadAllText(Path.Combine(InteropPaths.Fixtures, "README.md"));
        var rows = new List<Row>();
        foreach (string line in readme.Split('\n'))
        {
            string[] cells = line.Split('|', StringSplitOptions.TrimEntries);
            // | file | tensor | dtype | shape | values | metadata |  → 8 pieces with the empty ends
            if (cells.Length != 8 || !cells[1].EndsWith(".safetensors", StringComparison.Ordinal))
                continue;
            long[] shape = cells[4].Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            double[] values = cells[5].Split(',', StringSplitOptions.TrimEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var metadata = new Dictionary<string, string>();
            using (var json = System.Text.Json.JsonDocument.Parse(cells[6].Trim('`')))
            {
                foreach (var pair in json.RootElement.EnumerateObject())
                    metadata[pair.Name] = pair.Value.GetString()!;
            }
            rows.Add(new Row(cells[1], cells[2].Trim('`'), cells[3], shape, values, metadata));
        }
        return rows;
    }

    public static TheoryData<Row> Rows()
    {
        var data = new TheoryData<Row>();
        foreach (Row row in ReadmeRows()) data.Add(row);
        return data;
    }

    [Fact]
    public void The_readme_describes_every_fixture_file()
    {
        string[] files = Directory.GetFiles(InteropPaths.Fixtures, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string[] described = ReadmeRows().Select(r => r.File).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        Assert.Equal(files, described);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Reads_as_the_readme_says(Row row)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(Path.Combine(InteropPaths.Fixtures, row.File));

        SafeTensor tensor = Assert.Single(file.Tensors);
        Assert.Equal(row.Tensor, tensor.Name);
        Assert.Equal(row.DType, SafeTensorsDTypes.Name(tensor.DType));
        Assert.Equal(row.Shape, tensor.Shape.ToArray());
        Assert.Equal(row.Values.Length, tensor.ElementCount);
        Assert.Equal(row.Values.Select(v => (float)v).ToArray(), tensor.ToSingles());
        Assert.Equal(row.Metadata, file.Metadata);
        Assert.Same(tensor, file[row.Tensor]);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_writer_writes_what_the_reference_library_wrote(Row row)
    {
        byte[] reference = System.IO.File.ReadAllBytes(Path.Combine(InteropPaths.Fixtures, row.File));
        // The tensor from the README's values, encoded here (not by the library) in the README's dtype.
        byte[] data = Encode(row.DType, row.Values);
        Assert.True(SafeTensorsDTypes.TryParse(row.DType, out SafeTensorsDType dtype));
        var file = new SafeTensorsFile([new SafeTensor(row.Tensor, dtype, row.Shape, data)], row.Metadata);

        var written = new MemoryStream();
        file.Write(written);
        byte[] ours = written.ToArray();

        // The reference library of the fixtures did not pad its header; the writer pads with spaces to a
        // multiple of 8 (as the library does now). Past the padding, header text and data are the same bytes.
        (string referenceHeader, byte[] referenceData) = Split(reference);
        (string ourHeader, byte[] ourData) = Split(ours);
        Assert.Equal(0, (8 + Encoding.UTF8.GetByteCount(ourHeader)) % 8);
        Assert.Equal(referenceHeader, ourHeader.TrimEnd(' '));
        Assert.Equal(referenceData, ourData);
        Assert.Equal(data, referenceData);
    }

    private static (string Header, byte[] Data) Split(byte[] file)
    {
        int n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        return (Encoding.UTF8.GetString(file, 8, n), file[(8 + n)..]);
    }

    private static byte[] Encode(string dtype, double[] values)
    {
        int size = dtype switch { "F16" => 2, "F32" => 4, "F64" => 8, _ => throw new NotSupportedException(dtype) };
        byte[] data = new byte[size * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> at = data.AsSpan(size * i);
            switch (dtype)
            {
                case "F16": BinaryPrimitives.WriteHalfLittleEndian(at, (Half)values[i]); break;
                case "F32": BinaryPrimitives.WriteSingleLittleEndian(at, (float)values[i]); break;
                default: BinaryPrimitives.WriteDoubleLittleEndian(at, values[i]); break;
            }
        }
        return data;
    }
}
