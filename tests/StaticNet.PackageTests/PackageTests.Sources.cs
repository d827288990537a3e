using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace StaticNet.PackageTests;

/// <summary>
/// The sources travel with the package: a portable PDB beside each DLL in <c>lib/&lt;tfm&gt;/</c>
/// with every source file of the library embedded, so Go To Definition on a kernel shows its C#
/// and a debugger steps into it. Read with System.Reflection.Metadata, as debuggers and IDEs do,
/// and compared with this checkout's own files (the package was packed from a copy of them).
/// </summary>
public partial class PackageTests
{
    /// <summary>The custom debug information kind of an embedded source (Portable PDB spec, "Embedded Source").</summary>
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    /// <summary>The document hash algorithm SHA-256 (Portable PDB spec, "Document Table").</summary>
    private static readonly Guid Sha256Algorithm = new("8829D00F-11B8-4213-878B-770E8597AC16");

    /// <summary>What the repository root is mapped to in Release builds (DeterministicSourcePaths).</summary>
    private const string MappedRoot = "/_/";

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void The_pdb_embeds_every_source_file_of_the_library_as_it_is_in_the_repository(string targetFramework)
    {
        using ZipArchive zip = ZipFile.OpenRead(_fixture.Package);
        using MetadataReaderProvider pdb = MetadataReaderProvider.FromPortablePdbStream(ReadEntry(zip, $"lib/{targetFramework}/StaticNet.pdb"));
        MetadataReader reader = pdb.GetMetadataReader();

        var embedded = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (DocumentHandle handle in reader.Documents)
        {
            Document document = reader.GetDocument(handle);
            string name = reader.GetString(document.Name).Replace('\\', '/');
            // No path of the machine that packed it: everything under the mapped root.
            Assert.True(name.StartsWith(MappedRoot + "src/StaticNet/", StringComparison.Ordinal), $"document {name} is not under {MappedRoot}src/StaticNet/");
            byte[] text = EmbeddedSource(reader, handle) ?? throw new Xunit.Sdk.XunitException($"document {name} has no embedded source");
            // The checksum a debugger compares with the file it shows.
            Assert.Equal(Sha256Algorithm, reader.GetGuid(document.HashAlgorithm));
            Assert.Equal(SHA256.HashData(text), reader.GetBlobBytes(document.Hash));
            embedded.Add(name, text);
        }

        // Every .cs file of src/StaticNet in the repository, byte for byte, and no other source
        // outside obj/ (where the build writes its assembly-attribute files, embedded too).
        string library = Path.Combine(Repository.Root, "src", "StaticNet");
        Dictionary<string, string> repository = Directory.EnumerateFiles(library, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(library, path).Replace('\\', '/'))
            .Where(relative => !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal))
            .ToDictionary(relative => MappedRoot + "src/StaticNet/" + relative, relative => Path.Combine(library, relative));
        Assert.Equal(
            repository.Keys.Order(StringComparer.Ordinal),
            embedded.Keys.Where(name => !name.StartsWith(MappedRoot + "src/StaticNet/obj/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach ((string name, string path) in repository)
            Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(embedded[name]), $"the embedded {name} differs from {path}");

        // The kernels in particular, with the methods generated code calls.
        foreach (string kernel in new[] { "Gemm.cs", "Affine.cs", "Activation.cs", "Loss.cs", "Width.cs" })
            Assert.Contains(MappedRoot + "src/StaticNet/Kernels/" + kernel, embedded.Keys);
        string affine = Encoding.UTF8.GetString(embedded[MappedRoot + "src/StaticNet/Kernels/Affine.cs"]);
        Assert.Contains("public static class Affine", affine);
        Assert.Contains("public static void Forward(", affine);
        Assert.Contains("public static void BackwardWeights(", affine);
    }

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void The_dll_points_at_the_pdb_beside_it_and_the_pdb_is_the_one_built_with_it(string targetFramework)
    {
        using ZipArchive zip = ZipFile.OpenRead(_fixture.Package);
        byte[] pdbBytes = ReadEntry(zip, $"lib/{targetFramework}/StaticNet.pdb").ToArray();
        using var pe = new PEReader(ReadEntry(zip, $"lib/{targetFramework}/StaticNet.dll"));
        var entries = pe.ReadDebugDirectory();

        // A CodeView entry naming a portable PDB called StaticNet.pdb, and no PDB embedded in the DLL:
        // the debugger looks for the file of that name beside the DLL.
        DebugDirectoryEntry codeView = Assert.Single(entries, e => e.Type == DebugDirectoryEntryType.CodeView);
        Assert.True(codeView.IsPortableCodeView, "the CodeView entry is not a portable PDB's");
        CodeViewDebugDirectoryData data = pe.ReadCodeViewDebugDirectoryData(codeView);
        Assert.Equal("StaticNet.pdb", data.Path.Replace('\\', '/').Split('/')[^1]);
        Assert.StartsWith(MappedRoot, data.Path);
        Assert.DoesNotContain(entries, e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);

        // What a debugger checks before it uses a PDB: its id is the CodeView entry's GUID and stamp.
        using MetadataReaderProvider pdb = MetadataReaderProvider.FromPortablePdbImage(System.Collections.Immutable.ImmutableArray.Create(pdbBytes));
        MetadataReader reader = pdb.GetMetadataReader();
        var id = new BlobContentId(reader.DebugMetadataHeader!.Id);
        Assert.Equal(data.Guid, id.Guid);
        Assert.Equal(codeView.Stamp, id.Stamp);

        // And the PDB checksum entry: SHA-256 of the PDB file with its 20-byte id zeroed (Portable
        // PDB spec, "PDB Checksum"), computed here from the packed file.
        DebugDirectoryEntry checksumEntry = Assert.Single(entries, e => e.Type == DebugDirectoryEntryType.PdbChecksum);
        PdbChecksumDebugDirectoryData checksum = pe.ReadPdbChecksumDebugDirectoryData(checksumEntry);
        Assert.Equal("SHA256", checksum.AlgorithmName);
        byte[] zeroedId = (byte[])pdbBytes.Clone();
        Array.Clear(zeroedId, reader.DebugMetadataHeader.IdStartOffset, reader.DebugMetadataHeader.Id.Length);
        Assert.Equal(SHA256.HashData(zeroedId), checksum.Checksum.ToArray());
    }

    /// <summary>
    /// The consumer, built with CopyDebugSymbolFilesFromPackages as the install guide says, has the
    /// package's PDB beside StaticNet.dll, and the runtime uses it: an exception thrown in a kernel
    /// carries the kernel's file and the line of the check that failed, the line read here from the
    /// repository's Affine.cs. The net8.0 build runs on .NET 10 (roll-forward) and, self-contained,
    /// on the .NET 8 runtime it carries.
    /// </summary>
    [Theory]
    [InlineData("net10.0")]
    [InlineData("net8.0 roll-forward")]
    [InlineData("net8.0 self-contained")]
    public async Task A_stack_trace_in_the_consumer_names_the_kernel_source_line(string build)
    {
        var environment = new Dictionary<string, string?>();
        string arguments = PackageFixture.StackTraceArgument;
        ProcessResult run;
        if (build == "net8.0 self-contained")
        {
            string output = _fixture.Net8SelfContained;
            Assert.True(File.Exists(Path.Combine(output, "StaticNet.pdb")), "StaticNet.pdb was not published to " + output);
            run = (await Processes.Run(Path.Combine(output, OperatingSystem.IsWindows() ? "Consumer.exe" : "Consumer"),
                _fixture.ConsumerDirectory, [arguments])).EnsureSuccess();
        }
        else
        {
            string output = _fixture.ConsumerOutput(build.Split(' ')[0]);
            Assert.True(File.Exists(Path.Combine(output, "StaticNet.pdb")), "StaticNet.pdb was not copied to " + output);
            if (build == "net8.0 roll-forward") environment["DOTNET_ROLL_FORWARD"] = "Major"; // only the .NET 10 runtime is installed
            run = (await Processes.Dotnet(_fixture.ConsumerDirectory, [Path.Combine(output, "Consumer.dll"), arguments], environment)).EnsureSuccess();
        }
        _log.WriteLine(run.Output);

        // The first check in Affine.Forward, the one the consumer's call fails.
        string[] lines = File.ReadAllLines(Path.Combine(Repository.Root, "src", "StaticNet", "Kernels", "Affine.cs"));
        int forward = Array.FindIndex(lines, l => l.Contains("public static void Forward(", StringComparison.Ordinal));
        Assert.True(forward >= 0, "Affine.Forward not found in the repository's Affine.cs");
        int check = Array.FindIndex(lines, forward, l => l.Trim() == "Check.Length(x, batch * inputs, nameof(x));");
        Assert.True(check > forward, "Affine.Forward's check of x not found in the repository's Affine.cs");

        Match frame = Regex.Match(run.Output, @"at StaticNet\.Kernels\.Affine\.Forward\(.*\) in (?<file>\S+):line (?<line>\d+)");
        Assert.True(frame.Success, "no Affine.Forward frame with a file and line in:\n" + run.Output);
        Assert.Equal(MappedRoot + "src/StaticNet/Kernels/Affine.cs", frame.Groups["file"].Value);
        Assert.Equal(check + 1, int.Parse(frame.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The custom debug information kind that lists the documents of a type without method bodies (Portable PDB spec, "TypeDefinitionDocuments").</summary>
    private static readonly Guid TypeDefinitionDocumentsKind = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    /// <summary>
    /// What Go To Definition does with a symbol from the package (Visual Studio's and Rider's navigation to embedded
    /// sources): it finds the PDB beside the referenced DLL, maps the symbol's type to its documents (the sequence
    /// points of its methods, or for a type without method bodies, an enum or an interface, the TypeDefinitionDocuments
    /// record) and opens the embedded text. The test above proves the texts are there; this one that every public type
    /// of the DLL, each kernel included, leads to a document whose embedded text declares it.
    /// </summary>
    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void Every_public_type_of_the_dll_maps_to_the_embedded_source_that_declares_it(string targetFramework)
    {
        using ZipArchive zip = ZipFile.OpenRead(_fixture.Package);
        using var pe = new PEReader(ReadEntry(zip, $"lib/{targetFramework}/StaticNet.dll"));
        MetadataReader dll = pe.GetMetadataReader();
        using MetadataReaderProvider pdbProvider = MetadataReaderProvider.FromPortablePdbStream(ReadEntry(zip, $"lib/{targetFramework}/StaticNet.pdb"));
        MetadataReader pdb = pdbProvider.GetMetadataReader();

        var checkedTypes = new List<string>();
        foreach (TypeDefinitionHandle handle in dll.TypeDefinitions)
        {
            TypeDefinition type = dll.GetTypeDefinition(handle);
            System.Reflection.TypeAttributes visibility = type.Attributes & System.Reflection.TypeAttributes.VisibilityMask;
            if (visibility != System.Reflection.TypeAttributes.Public && visibility != System.Reflection.TypeAttributes.NestedPublic) continue;
            string name = dll.GetString(type.Name);
            int tick = name.IndexOf('`');
            if (tick >= 0) name = name.Substring(0, tick);

            var documents = new HashSet<DocumentHandle>();
            foreach (MethodDefinitionHandle method in type.GetMethods())
            {
                MethodDebugInformation debug = pdb.GetMethodDebugInformation(method.ToDebugInformationHandle());
                if (!debug.Document.IsNil) documents.Add(debug.Document);
                if (debug.SequencePointsBlob.IsNil) continue;
                foreach (SequencePoint point in debug.GetSequencePoints()) documents.Add(point.Document);
            }
            foreach (CustomDebugInformationHandle cdi in pdb.GetCustomDebugInformation(handle))
            {
                CustomDebugInformation information = pdb.GetCustomDebugInformation(cdi);
                if (pdb.GetGuid(information.Kind) != TypeDefinitionDocumentsKind) continue;
                BlobReader blob = pdb.GetBlobReader(information.Value);
                while (blob.RemainingBytes > 0) documents.Add(MetadataTokens.DocumentHandle(blob.ReadCompressedInteger()));
            }

            Assert.True(documents.Count > 0, $"{name} ({targetFramework}) maps to no document: Go To Definition would show metadata");
            var declaration = new Regex(@"\b(class|struct|interface|enum|record|delegate)\b[^\n;{]*\b" + Regex.Escape(name) + @"\b");
            bool declared = documents.Any(d =>
            {
                byte[]? text = EmbeddedSource(pdb, d);
                return text is not null && declaration.IsMatch(Encoding.UTF8.GetString(text));
            });
            Assert.True(declared, $"no embedded document of {name} ({targetFramework}) declares it: " +
                string.Join(", ", documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name))));
            checkedTypes.Add(name);
        }
        // The kernels the generated code calls, and the types without method bodies, were among them.
        foreach (string expected in new[] { "Affine", "Activation", "Loss", "BatchNorm", "Dropout", "Conv2D", "INetwork", "IReferenceNetwork", "Init", "ReferenceCheck" })
            Assert.Contains(expected, checkedTypes);
    }

    /// <summary>A zip entry's bytes, in a seekable stream (as the metadata readers need).</summary>
    private static MemoryStream ReadEntry(ZipArchive zip, string path)
    {
        ZipArchiveEntry entry = zip.GetEntry(path) ?? throw new Xunit.Sdk.XunitException(path + " is not in the package");
        var memory = new MemoryStream();
        using (Stream stream = entry.Open()) stream.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }

    /// <summary>
    /// A document's embedded source, or null: the custom debug information of kind
    /// <see cref="EmbeddedSourceKind"/>, a 4-byte little-endian size and then the text deflated to
    /// that size, or stored as it is when the size is 0.
    /// </summary>
    private static byte[]? EmbeddedSource(MetadataReader reader, DocumentHandle document)
    {
        foreach (CustomDebugInformationHandle handle in reader.GetCustomDebugInformation(document))
        {
            CustomDebugInformation information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) != EmbeddedSourceKind) continue;
            byte[] blob = reader.GetBlobBytes(information.Value);
            int size = BinaryPrimitives.ReadInt32LittleEndian(blob);
            if (size == 0) return blob[4..];
            using var deflate = new DeflateStream(new MemoryStream(blob, 4, blob.Length - 4), CompressionMode.Decompress);
            var text = new MemoryStream();
            deflate.CopyTo(text);
            Assert.Equal(size, text.Length);
            return text.ToArray();
        }
        return null;
    }
}
