using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace StaticNet;

// The safetensors format (https://github.com/huggingface/safetensors, "Format"):
//
//   8 bytes   N, the byte length of the header, unsigned 64-bit little-endian
//   N bytes   the header: a UTF-8 JSON object, starting with '{', possibly padded at its end with spaces.
//             Each key is a tensor name mapped to {"dtype": "F32", "shape": [d0, d1, ...],
//             "data_offsets": [begin, end]}; the optional key "__metadata__" maps to an object of
//             string values only.
//   rest      the byte buffer: every tensor's elements, row-major and little-endian, at
//             [begin, end) relative to the start of the buffer. The tensors cover the buffer
//             completely: no gaps, no overlaps, nothing after the last one.
//
// The reference library limits the header to 100,000,000 bytes; so does this reader.

/// <summary>
/// A safetensors file: named tensors (<see cref="SafeTensor"/>) and optional string metadata, read and
/// written following the format's specification (Hugging Face's <c>safetensors</c>). Any dtype reads and
/// writes as raw bytes; F32, F16, BF16 and F64 also convert to <see cref="float"/>. To save or load a
/// network's parameters in PyTorch's names and layouts, see <see cref="SafeTensorsNetwork"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Read(Stream, string)"/> checks everything before it returns: the header length (at most
/// <see cref="MaxHeaderBytes"/> and within the file), that the header is a JSON object of the expected
/// fields with no duplicate names, every dtype and shape, that each tensor's <c>data_offsets</c> span
/// exactly the bytes its dtype and shape need, that the tensors cover the data without gaps or overlaps,
/// and that the file ends where the data do. Any problem is an <see cref="InvalidDataException"/> naming
/// the file, the tensor and what is wrong. The header and the data need not be aligned.
/// </para>
/// <para>
/// <see cref="Write(Stream)"/> writes a compact header with <c>__metadata__</c> first and the tensors in
/// <see cref="Tensors"/> order (each entry's keys in the order <c>dtype</c>, <c>shape</c>,
/// <c>data_offsets</c>, as the reference library writes them), padded with spaces to a multiple of 8 bytes
/// so the data start aligned, then the data in the same order. <see cref="Save(string)"/> writes to a
/// temporary file that is renamed over the destination only when complete.
/// </para>
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted, in bytes: 100,000,000, the reference library's limit.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The header key of the metadata, <c>__metadata__</c>; no tensor may be called that.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();

    private readonly SafeTensor[] _tensors;
    private readonly Dictionary<string, SafeTensor> _byName;

    /// <summary>Collects tensors and metadata to write.</summary>
    /// <param name="tensors">The tensors, in the order they are to be written; names must be distinct.</param>
    /// <param name="metadata">Optional free-form string pairs for the header's <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">Two tensors have the same name, or a tensor or metadata entry is null.</exception>
    public SafeTensorsFile(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<SafeTensor>();
        _byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (SafeTensor tensor in tensors)
        {
            if (tensor is null)
                throw new ArgumentException("A tensor is null.", nameof(tensors));
            if (!_byName.TryAdd(tensor.Name, tensor))
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'; names in a safetensors file must be distinct.", nameof(tensors));
            list.Add(tensor);
        }
        _tensors = list.ToArray();
        if (metadata is null || metadata.Count == 0)
        {
            Metadata = s_noMetadata;
        }
        else
        {
            var copy = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                if (pair.Key is null || pair.Value is null)
                    throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                copy.Add(pair.Key, pair.Value);
            }
            Metadata = copy;
        }
    }

    /// <summary>The tensors: in file order (by data offset) after <see cref="Read(Stream, string)"/>, in the given order otherwise.</summary>
    public IReadOnlyList<SafeTensor> Tensors => _tensors;

    /// <summary>The <c>__metadata__</c> string pairs (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Finds a tensor by its exact name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="tensor">The tensor, when there is one of that name.</param>
    /// <returns>Whether the file has a tensor named <paramref name="name"/>.</returns>
    public bool TryGetTensor(string name, out SafeTensor tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <exception cref="KeyNotFoundException">There is no tensor of that name; the message lists those there are.</exception>
    public SafeTensor this[string name] =>
        _byName.TryGetValue(name, out SafeTensor? tensor)
            ? tensor
            : throw new KeyNotFoundException($"There is no tensor named '{name}'; there are: {string.Join(", ", Names())}.");

    private IEnumerable<string> Names()
    {
        foreach (SafeTensor t in _tensors) yield return t.Name;
    }

    // ---------------------------------------------------------------- reading

    /// <summary>Reads and checks a whole safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file does not follow the format; the message names the file, the tensor and the problem.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read(file, path);
    }

    /// <summary>Reads and checks safetensors data from <paramref name="stream"/>, to its end (the stream is not disposed).</summary>
    /// <param name="stream">A readable stream positioned at the start of the file.</param>
    /// <param name="name">The name of the file, for error messages.</param>
    /// <exception cref="InvalidDataException">The data do not follow the format; the message names the file, the tensor and the problem.</exception>
    public static SafeTensorsFile Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));

        long? available = stream.CanSeek ? stream.Length - stream.Position : null;

        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got == 0)
            throw Invalid(name, "the file is empty");
        if (got < 8)
            throw Invalid(name, $"the file is truncated: it ends after {got} bytes, inside the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw Invalid(name, $"the header length is {headerLength} bytes, more than the {MaxHeaderBytes} allowed: the file is corrupt or not a safetensors file");
        if (headerLength < 2)
            throw Invalid(name, $"the header length is {headerLength} bytes, too short for a JSON object");
        if (available is long total && (long)headerLength > total - 8)
            throw Invalid(name, $"the file is truncated: its header length is {headerLength} bytes, but only {total - 8} bytes follow the length");

        byte[] header = new byte[(int)headerLength];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw Invalid(name, $"the file is truncated: it ends after {8 + got} bytes, inside the {headerLength}-byte header");

        List<Entry> entries = ParseHeader(header, name, out Dictionary<string, string>? metadata);

        // The data: sorted by offset they must tile [0, end) exactly.
        entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        string? previous = null;
        foreach (Entry e in entries)
        {
            if (e.Begin > position)
                throw Invalid(name, previous is null
                    ? $"tensor '{e.Name}' starts at byte {e.Begin} of the data, but the first tensor must start at 0: the data have a gap"
                    : $"tensor '{e.Name}' starts at byte {e.Begin} of the data, but '{previous}' ends at {position}: the data have a gap");
            if (e.Begin < position)
                throw Invalid(name, $"tensor '{e.Name}' (data_offsets [{e.Begin}, {e.End}]) overlaps '{previous}', which ends at {position}");
            position = e.End;
            previous = e.Name;
        }
        long dataLength = position;
        if (available is long size)
        {
            long after = size - 8 - (long)headerLength;
            if (after < dataLength)
                throw Invalid(name, $"the file is truncated: the header places {dataLength} bytes of tensor data after it, but the file has {after}" + TruncatedTensor(entries, after));
            if (after > dataLength)
                throw Invalid(name, $"the file has {after - dataLength} bytes after the end of its last tensor ('{previous}', at byte {dataLength} of the data): the data must be exactly covered by the tensors");
        }

        var tensors = new SafeTensor[entries.Count];
        long read = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            Entry e = entries[i];
            long length = e.End - e.Begin;
            if (length > Array.MaxLength)
                throw Invalid(name, $"tensor '{e.Name}' holds {length} bytes, more than one array can hold ({Array.MaxLength})");
            byte[] data = new byte[length];
            got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            read += got;
            if (got < data.Length)
                throw Invalid(name, $"the file is truncated: it ends {read} bytes into the data, inside tensor '{e.Name}' (data_offsets [{e.Begin}, {e.End}])");
            tensors[i] = new SafeTensor(e.Name, e.DType, e.Shape, data, validate: false);
        }
        if (stream.ReadByte() >= 0)
            throw Invalid(name, $"the file has more bytes after the end of its last tensor ('{previous}', at byte {dataLength} of the data): the data must be exactly covered by the tensors");

        return new SafeTensorsFile(tensors, metadata);
    }

    private static string TruncatedTensor(List<Entry> entries, long available)
    {
        foreach (Entry e in entries)
        {
            if (e.End > available)
                return $"; it ends inside tensor '{e.Name}' (data_offsets [{e.Begin}, {e.End}])";
        }
        return "";
    }

    private readonly record struct Entry(string Name, SafeTensorsDType DType, long[] Shape, long Begin, long End);

    private static List<Entry> ParseHeader(byte[] header, string name, out Dictionary<string, string>? metadata)
    {
        metadata = null;
        if (header[0] != (byte)'{')
            throw Invalid(name, $"the header does not start with '{{' (it starts with the byte 0x{header[0]:X2}): it is not a JSON object, so this is not a safetensors file or it is corrupt");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw Invalid(name, $"the header is not valid JSON: {ex.Message.TrimEnd('.')}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(name, $"the header is a JSON {root.ValueKind}, not an object");

            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string key = property.Name;
                if (!seen.Add(key))
                    throw Invalid(name, key == MetadataKey ? $"the header has '{MetadataKey}' twice" : $"the header names tensor '{key}' twice");
                if (key == MetadataKey)
                {
                    metadata = ParseMetadata(property.Value, name);
                    continue;
                }
                if (key.Length == 0)
                    throw Invalid(name, "the header has a tensor with an empty name");
                entries.Add(ParseEntry(key, property.Value, name));
            }
            return entries;
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(name, $"'{MetadataKey}' is a JSON {value.ValueKind}, but it must be an object of strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty pair in value.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw Invalid(name, $"'{MetadataKey}' entry '{pair.Name}' is a JSON {pair.Value.ValueKind}, but metadata values must be strings");
            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
                throw Invalid(name, $"'{MetadataKey}' has the key '{pair.Name}' twice");
        }
        return metadata;
    }

    private static Entry ParseEntry(string tensor, JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(name, $"tensor '{tensor}': its header entry is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets");

        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    if (dtypeName is not null)
                        throw Invalid(name, $"tensor '{tensor}' has 'dtype' twice");
                    if (field.Value.ValueKind != JsonValueKind.String)
                        throw Invalid(name, $"tensor '{tensor}': 'dtype' is a JSON {field.Value.ValueKind}, not a string");
                    dtypeName = field.Value.GetString()!;
                    break;
                case "shape":
                    if (shape is not null)
                        throw Invalid(name, $"tensor '{tensor}' has 'shape' twice");
                    shape = ReadIntegers(field.Value, tensor, "shape", name, count: -1);
                    break;
                case "data_offsets":
                    if (offsets is not null)
                        throw Invalid(name, $"tensor '{tensor}' has 'data_offsets' twice");
                    offsets = ReadIntegers(field.Value, tensor, "data_offsets", name, count: 2);
                    break;
                default:
                    throw Invalid(name, $"tensor '{tensor}' has an unknown field '{field.Name}' (a tensor has only dtype, shape and data_offsets)");
            }
        }
        if (dtypeName is null)
            throw Invalid(name, $"tensor '{tensor}' has no 'dtype'");
        if (shape is null)
            throw Invalid(name, $"tensor '{tensor}' has no 'shape'");
        if (offsets is null)
            throw Invalid(name, $"tensor '{tensor}' has no 'data_offsets'");
        if (!SafeTensorsDTypes.TryParse(dtypeName, out SafeTensorsDType dtype))
            throw Invalid(name, $"tensor '{tensor}' has the unknown dtype '{dtypeName}' (known: BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)");

        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw Invalid(name, $"tensor '{tensor}' has data_offsets [{begin}, {end}], which end before they begin");
        long bytes;
        try
        {
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            bytes = checked(count * SafeTensorsDTypes.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw Invalid(name, $"tensor '{tensor}' has shape {SafeTensor.FormatShape(shape)}, whose size overflows 64 bits");
        }
        if (end - begin != bytes)
            throw Invalid(name, $"tensor '{tensor}': {dtypeName} shape {SafeTensor.FormatShape(shape)} needs {bytes} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        return new Entry(tensor, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement value, string tensor, string field, string name, int count)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Invalid(name, $"tensor '{tensor}': '{field}' is a JSON {value.ValueKind}, not an array of integers");
        int length = value.GetArrayLength();
        if (count >= 0 && length != count)
            throw Invalid(name, $"tensor '{tensor}': '{field}' has {length} numbers, not {count}");
        var numbers = new long[length];
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long n) || n < 0)
                throw Invalid(name, $"tensor '{tensor}': '{field}' holds {item.GetRawText()}, which is not a non-negative 64-bit integer");
            numbers[i++] = n;
        }
        return numbers;
    }

    // ---------------------------------------------------------------- writing

    /// <summary>
    /// Saves the tensors and metadata to <paramref name="path"/>, replacing the file if it exists. The data go
    /// to a temporary file in the same folder first, which is flushed to disk and then renamed to
    /// <paramref name="path"/>; on any failure the temporary file is deleted and an existing file at
    /// <paramref name="path"/> is left as it was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="IOException">The file cannot be written (e.g. <paramref name="path"/> is a folder, or the folder does not exist).</exception>
    /// <exception cref="UnauthorizedAccessException">The file or its folder is not writable.</exception>
    public void Save(string path) => SaveAtomically(path, this, static (file, stream) => file.Write(stream));

    /// <summary>Writes the file's bytes (see <see cref="SafeTensorsFile"/>) to <paramref name="stream"/>; the stream is not flushed or disposed.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream must be writable.", nameof(stream));

        byte[] header = Encoding.UTF8.GetBytes(HeaderJson());
        int padded = (header.Length + 7) & ~7;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(header);
        for (int i = header.Length; i < padded; i++)
            stream.WriteByte((byte)' ');
        foreach (SafeTensor tensor in _tensors)
            stream.Write(tensor.Data);
    }

    /// <summary>The header's JSON, unpadded.</summary>
    internal string HeaderJson()
    {
        var json = new StringBuilder("{");
        bool first = true;
        if (Metadata.Count > 0)
        {
            json.Append('"').Append(MetadataKey).Append("\":{");
            bool firstPair = true;
            foreach (KeyValuePair<string, string> pair in Metadata)
            {
                if (!firstPair) json.Append(',');
                firstPair = false;
                AppendString(json, pair.Key);
                json.Append(':');
                AppendString(json, pair.Value);
            }
            json.Append('}');
            first = false;
        }
        long offset = 0;
        foreach (SafeTensor tensor in _tensors)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, tensor.Name);
            json.Append(":{\"dtype\":\"").Append(SafeTensorsDTypes.Name(tensor.DType)).Append("\",\"shape\":[");
            ReadOnlySpan<long> shape = tensor.Shape;
            for (int i = 0; i < shape.Length; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(shape[i].ToString(CultureInfo.InvariantCulture));
            }
            long end = offset + tensor.Data.Length;
            json.Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        return json.Append('}').ToString();
    }

    // JSON string escaping as serde_json (the reference library's) does it: quote, backslash and control
    // characters only; everything else is written as UTF-8.
    private static void AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                default:
                    if (c < 0x20) json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }

    /// <summary>Writes through a temporary file in the destination's folder, renamed over it when complete (as <see cref="NetworkFile"/> does).</summary>
    internal static void SaveAtomically<TState>(string path, TState state, Action<TState, Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new IOException($"Cannot save to '{path}': it is a folder.");
        string folder = Path.GetDirectoryName(fullPath) ?? throw new IOException($"Cannot save to '{path}': it is not a file path.");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(state, file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary); // no-op when it was never created or already moved
            }
            catch (IOException)
            {
                // Keep the original exception; a stray temporary file is the lesser evil.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    private static InvalidDataException Invalid(string name, string problem, Exception? inner = null) =>
        new($"Cannot read safetensors file '{name}': {problem}.", inner);
}
