using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace StaticNet.Data;

/// <summary>
/// Reads the IDX files of MNIST and of the data sets that copy its format (Fashion-MNIST, EMNIST, ...):
/// images (IDX3, magic <c>0x00000803</c>) and labels (IDX1, magic <c>0x00000801</c>), raw or gzip-compressed.
/// </summary>
/// <remarks>
/// <para>
/// The format: a big-endian 32-bit magic number <c>00 00 TT DD</c>, where <c>TT</c> is the element type
/// (only <c>0x08</c>, unsigned byte, is supported) and <c>DD</c> the number of dimensions; then each
/// dimension as a big-endian 32-bit size (count, then rows and columns for images); then the elements,
/// row-major.
/// </para>
/// <para>
/// A file whose first two bytes are the gzip magic <c>1f 8b</c> is decompressed while it is read (the
/// official <c>.gz</c> files load as they are); anything else is read as raw IDX. The sizes in the header
/// are not trusted with memory: a raw file is checked against its length before its array is allocated,
/// and gzip data (or a stream that cannot seek) are read into a buffer that starts at 1 MiB and doubles as
/// the bytes arrive, so a small file that claims gigabytes fails at its first missing byte, having
/// allocated 1 MiB or at most about four times what it holds, whichever is more (a valid file: about
/// twice its size). The gzip CRC-32 is checked by <see cref="GZipStream"/> when the gzip trailer is
/// present; a gzip file cut inside its 8-byte trailer (all data there) is accepted, and any cut that
/// loses data is reported as truncation.
/// </para>
/// <para>
/// Validation: the magic number (a labels file given where images are expected, or the reverse, is named
/// as such), the number of dimensions, sizes (count 1 to <see cref="IdxImages.MaxCount"/>, rows and columns
/// at least 1 and rows x columns at most <see cref="IdxImages.MaxPixelsPerImage"/>), truncation of the header
/// or of the data, and corrupt gzip data. Bytes after the data that the header declares are rejected too,
/// because they usually mean the header's count is wrong. Each of these is an
/// <see cref="IdxFormatException"/> naming the file and the problem. A missing file or folder is a
/// <see cref="FileNotFoundException"/> or <see cref="DirectoryNotFoundException"/> whose message names the
/// file and says which kind (images or labels) was expected; a folder given as the file, or another I/O
/// failure, is an <see cref="IOException"/>.
/// </para>
/// </remarks>
public static class Idx
{
    /// <summary>The magic number of an IDX images file: unsigned bytes, 3 dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of an IDX labels file: unsigned bytes, 1 dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    private const int UnsignedByteType = 0x08;

    /// <summary>Reads an IDX3 images file (raw or gzip).</summary>
    /// <param name="path">The file, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <returns>The images.</returns>
    /// <exception cref="IdxFormatException">The file is not a valid IDX images file; the message says why.</exception>
    /// <exception cref="IOException">The file does not exist (<see cref="FileNotFoundException"/>), is a folder, or cannot be read; the message names it.</exception>
    public static IdxImages ReadImages(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream file = OpenRead(path, "images");
        return ReadImages(file, path);
    }

    /// <summary>Reads an IDX3 images file (raw or gzip) from <paramref name="stream"/>, which is read to its end and not disposed.</summary>
    /// <param name="stream">A readable stream positioned at the start of the IDX (or gzip) data.</param>
    /// <param name="name">The name of the file for error messages and <see cref="IdxFormatException.FilePath"/>.</param>
    /// <returns>The images.</returns>
    /// <exception cref="IdxFormatException">The data is not a valid IDX images file; the message says why.</exception>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        (uint[] sizes, byte[] data) = Read(stream, name, expectedDimensions: 3);
        return new IdxImages((int)sizes[0], (int)sizes[1], (int)sizes[2], data);
    }

    /// <summary>Reads an IDX1 labels file (raw or gzip).</summary>
    /// <param name="path">The file, e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <returns>One byte per label.</returns>
    /// <exception cref="IdxFormatException">The file is not a valid IDX labels file; the message says why.</exception>
    /// <exception cref="IOException">The file does not exist (<see cref="FileNotFoundException"/>), is a folder, or cannot be read; the message names it.</exception>
    public static byte[] ReadLabels(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream file = OpenRead(path, "labels");
        return ReadLabels(file, path);
    }

    /// <summary>Reads an IDX1 labels file (raw or gzip) from <paramref name="stream"/>, which is read to its end and not disposed.</summary>
    /// <param name="stream">A readable stream positioned at the start of the IDX (or gzip) data.</param>
    /// <param name="name">The name of the file for error messages and <see cref="IdxFormatException.FilePath"/>.</param>
    /// <returns>One byte per label.</returns>
    /// <exception cref="IdxFormatException">The data is not a valid IDX labels file; the message says why.</exception>
    public static byte[] ReadLabels(Stream stream, string name) => Read(stream, name, expectedDimensions: 1).Data;

    /// <summary>Opens <paramref name="path"/>, saying in plain words which file is missing, or that it is a folder.</summary>
    private static FileStream OpenRead(string path, string kind)
    {
        if (Directory.Exists(path))
            throw new IOException($"Cannot read the IDX {kind} file '{path}': it is a folder, not a file.");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException ex)
        {
            throw new FileNotFoundException($"Cannot read the IDX {kind} file '{path}': there is no such file.", path, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            throw new DirectoryNotFoundException($"Cannot read the IDX {kind} file '{path}': the folder '{folder}' does not exist.", ex);
        }
    }

    private static (uint[] Sizes, byte[] Data) Read(Stream stream, string name, int expectedDimensions)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));

        bool gzip = false;
        try
        {
            // Sniff the gzip magic; the sniffed bytes are handed back through PrefixedStream, so the
            // stream need not be seekable.
            byte[] prefix = new byte[2];
            int prefixLength = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
            gzip = prefixLength == 2 && prefix[0] == 0x1f && prefix[1] == 0x8b;

            // For a raw seekable stream the remaining length is known, so truncation is reported
            // before a large array is allocated.
            long? available = !gzip && stream.CanSeek ? stream.Length - stream.Position + prefixLength : null;

            using var prefixed = new PrefixedStream(prefix.AsMemory(0, prefixLength), stream);
            using Stream input = gzip ? new GZipStream(prefixed, CompressionMode.Decompress, leaveOpen: true) : prefixed;
            return ReadIdx(input, name, expectedDimensions, gzip, available);
        }
        catch (InvalidDataException ex)
        {
            // GZipStream reports bad deflate data, a bad header or a CRC mismatch this way.
            throw new IdxFormatException(name, $"the gzip data is corrupt ({ex.Message})", ex);
        }
    }

    private static (uint[] Sizes, byte[] Data) ReadIdx(Stream input, string name, int expectedDimensions, bool gzip, long? available)
    {
        string kind = expectedDimensions == 3 ? "images" : "labels";
        string afterDecompression = gzip ? " (after decompression)" : "";

        Span<byte> header = stackalloc byte[16];
        int got = input.ReadAtLeast(header.Slice(0, 4), 4, throwOnEndOfStream: false);
        if (got == 0)
            throw new IdxFormatException(name, $"the file is empty{afterDecompression}; expected an IDX {kind} file");
        if (got < 4)
            throw new IdxFormatException(name, $"the file ends after {got} bytes{afterDecompression}, inside the 4-byte magic number");

        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        CheckMagic(name, magic, expectedDimensions, kind);

        int headerLength = 4 + 4 * expectedDimensions;
        got = input.ReadAtLeast(header.Slice(4, headerLength - 4), headerLength - 4, throwOnEndOfStream: false);
        if (got < headerLength - 4)
            throw new IdxFormatException(name, $"the header is truncated: an IDX {kind} header is {headerLength} bytes, but the file ends after {4 + got}{afterDecompression}");

        var sizes = new uint[expectedDimensions];
        for (int d = 0; d < sizes.Length; d++)
            sizes[d] = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * d, 4));

        uint count = sizes[0];
        string items = expectedDimensions == 3 ? "images" : "labels";
        if (count == 0)
            throw new IdxFormatException(name, $"the header says the file holds 0 {items}");
        if (count > IdxImages.MaxCount)
            throw new IdxFormatException(name, $"the header says the file holds {count} {items}, more than the supported maximum of {IdxImages.MaxCount}");

        long itemSize = 1;
        if (expectedDimensions == 3)
        {
            uint rows = sizes[1], columns = sizes[2];
            if (rows == 0 || columns == 0)
                throw new IdxFormatException(name, $"the header says each image has {rows} rows and {columns} columns; both must be at least 1");
            if ((ulong)rows * columns > IdxImages.MaxPixelsPerImage)
                throw new IdxFormatException(name, $"the header says each image is {rows}x{columns} pixels, more than the supported maximum of {IdxImages.MaxPixelsPerImage} pixels per image");
            itemSize = (long)rows * columns;
        }

        long dataLength = count * itemSize;
        string dataKind = expectedDimensions == 3 ? "pixel data" : "label data";
        if (dataLength > Array.MaxLength)
            throw new IdxFormatException(name, $"the header declares {dataLength} bytes of {dataKind}, more than the largest array .NET can hold ({Array.MaxLength})");

        string expected = $"expected {dataLength} bytes of {dataKind} ({count} {items})";
        if (available is long length && length - headerLength < dataLength)
            throw Truncated(name, expected, length - headerLength, dataLength, headerLength, afterDecompression);

        // Only a raw file of checked length gets its whole array at once; otherwise the header's size is
        // believed only as far as the bytes that arrive (a 40-byte .gz may claim 2 GB).
        byte[] data = available is null
            ? ReadGrowing(input, (int)dataLength, name, headerLength, expected, afterDecompression)
            : ReadKnown(input, (int)dataLength, name, headerLength, expected, afterDecompression);

        if (input.ReadByte() >= 0)
        {
            string extra = available is long total ? $"{total - headerLength - dataLength} bytes" : "data";
            throw new IdxFormatException(name, $"there are {extra} after the {count} {items} that the header declares{afterDecompression}; the header's count is probably wrong");
        }

        return (sizes, data);
    }

    /// <summary>The first buffer <see cref="ReadGrowing"/> allocates (1 MiB), and so the most it allocates for data that are not there.</summary>
    private const int FirstChunk = 1 << 20;

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes when the stream is known to hold them (a raw file whose
    /// length has been checked): one allocation of the result.
    /// </summary>
    private static byte[] ReadKnown(Stream input, int length, string name, int headerLength, string expected, string afterDecompression)
    {
        byte[] data = GC.AllocateUninitializedArray<byte>(length);
        int got = input.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw Truncated(name, expected, got, length, headerLength, afterDecompression);
        return data;
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes from a stream whose length is not known up front (gzip,
    /// or a stream that cannot seek), trusting the header's size only as far as the data bear it out: the
    /// buffer starts at <see cref="FirstChunk"/> and doubles as it fills, up to <paramref name="length"/>, so
    /// the memory allocated is at most the first chunk or about four times the bytes actually read (the
    /// buffers so far add up to twice the last, which is at most twice the data), however large a size the
    /// header claims; for complete data about twice their size. The last buffer is the result, with no copy
    /// at the end.
    /// </summary>
    private static byte[] ReadGrowing(Stream input, int length, string name, int headerLength, string expected, string afterDecompression)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(Math.Min(length, FirstChunk));
        int filled = 0;
        while (true)
        {
            int got = input.ReadAtLeast(buffer.AsSpan(filled), buffer.Length - filled, throwOnEndOfStream: false);
            filled += got;
            if (filled < buffer.Length)
                throw Truncated(name, expected, filled, length, headerLength, afterDecompression);
            if (filled == length)
                return buffer;

            // Full and more to come: grow (doubling, capped at the declared length) and keep reading.
            byte[] larger = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, 2L * buffer.Length));
            buffer.AsSpan(0, filled).CopyTo(larger);
            buffer = larger;
        }
    }

    /// <summary>"the file is truncated: expected N bytes of ..., but the file ends after P of them; M bytes are missing, from byte B on".</summary>
    private static IdxFormatException Truncated(string name, string expected, long present, long length, int headerLength, string afterDecompression) =>
        new(name, $"the file is truncated: {expected}, but the file ends after {present} of them{afterDecompression}; {length - present} bytes are missing, from byte {headerLength + present} of the {(afterDecompression.Length == 0 ? "file" : "decompressed data")} on");

    private static void CheckMagic(string name, uint magic, int expectedDimensions, string kind)
    {
        uint expectedMagic = (uint)(expectedDimensions == 3 ? ImagesMagic : LabelsMagic);
        if (magic == expectedMagic)
            return;

        uint zeros = magic >> 16;
        uint type = (magic >> 8) & 0xFF;
        uint dimensions = magic & 0xFF;

        if (zeros != 0)
        {
            throw new IdxFormatException(name,
                $"not an IDX file: the magic number is 0x{magic:X8}, expected 0x{expectedMagic:X8} for an IDX {kind} file");
        }

        if (type == UnsignedByteType && dimensions == 1 && expectedDimensions == 3)
        {
            throw new IdxFormatException(name,
                $"this is an IDX labels file (magic 0x{LabelsMagic:X8}), not an images file (magic 0x{ImagesMagic:X8}); were the images and labels files swapped?");
        }

        if (type == UnsignedByteType && dimensions == 3 && expectedDimensions == 1)
        {
            throw new IdxFormatException(name,
                $"this is an IDX images file (magic 0x{ImagesMagic:X8}), not a labels file (magic 0x{LabelsMagic:X8}); were the images and labels files swapped?");
        }

        if (type != UnsignedByteType)
        {
            throw new IdxFormatException(name,
                $"the magic number 0x{magic:X8} declares elements of type 0x{type:X2} ({TypeName(type)}); only unsigned bytes (0x08) are supported, expected 0x{expectedMagic:X8}");
        }

        throw new IdxFormatException(name,
            $"the magic number 0x{magic:X8} declares {dimensions} dimensions; an IDX {kind} file has {expectedDimensions} (magic 0x{expectedMagic:X8})");
    }

    private static string TypeName(uint type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown type",
    };

    /// <summary>A read-only, forward-only stream that yields <c>prefix</c> and then the rest of <c>inner</c> (which it does not dispose).</summary>
    private sealed class PrefixedStream : Stream
    {
        private readonly Stream _inner;
        private ReadOnlyMemory<byte> _prefix;

        public PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner)
        {
            _prefix = prefix;
            _inner = inner;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
                return 0;
            if (!_prefix.IsEmpty)
            {
                int n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span.Slice(0, n).CopyTo(buffer);
                _prefix = _prefix.Slice(n);
                return n;
            }
            return _inner.Read(buffer);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
