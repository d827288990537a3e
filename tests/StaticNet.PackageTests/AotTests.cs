using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace StaticNet.PackageTests;

/// <summary>samples/AotDemo published with NativeAOT, as its README command does, and run.</summary>
[Trait("Category", "Packaging")]
public class AotTests
{
    private readonly ITestOutputHelper _log;

    public AotTests(ITestOutputHelper log) => _log = log;

    [Fact]
    public async Task The_AOT_sample_publishes_without_warnings_and_its_binary_trains_xor()
    {
        string rid = Rid.Portable;
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        // The sample asks for x86-64-v3 on x64 (see its project); on a CPU without AVX2 that binary
        // would not start, so there the test asks for the baseline instead.
        bool v3 = Avx2.IsSupported && Fma.IsSupported && Bmi2.IsSupported && Lzcnt.IsSupported;

        using var temp = new TempDirectory("staticnet-aot");
        string sources = Path.Combine(temp.Path, "src-copy");
        Directory.CreateDirectory(sources);
        Repository.CopyTo(sources, "src", "generator", Path.Combine("samples", "AotDemo"));
        string output = Path.Combine(temp.Path, "publish");

        string[] arguments = ["publish", "samples/AotDemo", "-c", "Release", "-r", rid, "-p:StaticNetAot=true", "-o", output];
        if (x64 && !v3) arguments = [.. arguments, "-p:IlcInstructionSet=x86-64-v2"];
        ProcessResult publish = (await Processes.Dotnet(sources, arguments)).EnsureSuccess();
        _log.WriteLine($"publish: {publish.Elapsed.TotalSeconds:F0} s");
        _log.WriteLine(publish.Output);

        // Trim and AOT analysis warnings (ILxxxx) fail the build (TreatWarningsAsErrors reaches the
        // ILCompiler); any other warning is caught here.
        string[] warnings = publish.Output.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.True(warnings.Length == 0, "Warnings:\n" + string.Join("\n", warnings));

        string binary = Path.Combine(output, OperatingSystem.IsWindows() ? "AotDemo.exe" : "AotDemo");
        Assert.True(File.Exists(binary), binary + " was not published");
        Assert.False(File.Exists(Path.Combine(output, "AotDemo.dll")), "published IL, not a native binary");

        ProcessResult run = (await Processes.Run(binary, temp.Path, [])).EnsureSuccess();
        _log.WriteLine(run.Output);
        Assert.Contains("NativeAOT: True", run.Output);
        Assert.Contains("correct: 4/4", run.Output);
        if (x64)
        {
            // The instruction set was fixed at publish time: AVX2 but not AVX-512 for x86-64-v3
            // (even on this AVX-512 machine), nothing beyond SSE4.2 for the baseline.
            Assert.Contains($"Avx2.IsSupported: {v3}", run.Output);
            Assert.Contains("Avx512F.IsSupported: False", run.Output);
            Assert.Contains($"StaticNet.Kernels.Simd.MaxVectorBits: {(v3 ? 256 : 128)}", run.Output);
        }
    }
}
