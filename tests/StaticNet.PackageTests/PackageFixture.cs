using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace StaticNet.PackageTests;

/// <summary>
/// Packs StaticNet from a copy of the sources into a local folder feed, with a version no earlier
/// run used, then builds a consumer project (net8.0 and net10.0) that gets StaticNet from that feed
/// through its own nuget.config, the way a user's project would. Done once for the test class;
/// everything is deleted afterwards.
/// </summary>
public sealed class PackageFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("staticnet-package");

    /// <summary>0.1.0-test-&lt;guid&gt;: VersionPrefix from Directory.Build.props, a suffix unique to this run, so
    /// no package cache can hand back an earlier pack of the same version.</summary>
    public string Version { get; private set; } = "";
    public string VersionSuffix { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public string Feed => Path.Combine(_temp.Path, "feed");
    public string Package => Path.Combine(Feed, $"StaticNet.{Version}.nupkg");
    public string ConsumerDirectory => Path.Combine(_temp.Path, "consumer");

    /// <summary>The consumer's build output for a target framework (Release).</summary>
    public string ConsumerOutput(string targetFramework) => Path.Combine(ConsumerDirectory, "bin", "Release", targetFramework);

    /// <summary>The consumer's net8.0 build published self-contained: it carries a real .NET 8 runtime.</summary>
    public string Net8SelfContained => Path.Combine(_temp.Path, "net8-self-contained");

    /// <summary>The consumer's argument for printing the stack trace of an exception thrown in <c>Affine.Forward</c>.</summary>
    public const string StackTraceArgument = "stack-trace";

    public ProcessResult Pack { get; private set; } = null!;
    public ProcessResult ConsumerBuild { get; private set; } = null!;
    public ProcessResult Net8Publish { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string sources = Path.Combine(_temp.Path, "src-copy");
        Directory.CreateDirectory(sources);
        Repository.CopyTo(sources, "src", "generator");

        // The same command as a release, plus the suffix and a private output folder.
        Pack = (await Processes.Dotnet(sources,
            ["pack", "src/StaticNet", "-c", "Release", "-o", Feed, $"-p:VersionSuffix={VersionSuffix}"])).EnsureSuccess();
        string[] packages = Directory.GetFiles(Feed, "*.nupkg");
        Assert.True(packages.Length == 1, "Expected one package, got: " + string.Join(", ", packages));
        Version = Path.GetFileNameWithoutExtension(packages[0])["StaticNet.".Length..];

        WriteConsumer();
        // A fresh global packages folder, so the package is certainly extracted from this run's feed;
        // the machine's own folder serves as a read-only fallback for everything else (see nuget.config).
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(_temp.Path, "packages") };
        ConsumerBuild = (await Processes.Dotnet(ConsumerDirectory, ["build", "-c", "Release"], environment)).EnsureSuccess();
        // Only the .NET 10 runtime is installed here; a self-contained publish brings .NET 8's own
        // (the Microsoft.NETCore.App.Runtime 8.0.x runtime pack, from the feed).
        Net8Publish = (await Processes.Dotnet(ConsumerDirectory,
            ["publish", "-c", "Release", "-f", "net8.0", "-r", Rid.Portable, "--self-contained", "-o", Net8SelfContained], environment)).EnsureSuccess();
    }

    private void WriteConsumer()
    {
        Directory.CreateDirectory(ConsumerDirectory);
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        string fallback = Directory.Exists(machinePackages)
            ? $"""<fallbackPackageFolders><add key="machine" value="{machinePackages}" /></fallbackPackageFolders>"""
            : "";

        // Stop MSBuild's upward search for Directory.Build.* files: the consumer is not in this repository.
        File.WriteAllText(Path.Combine(_temp.Path, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(_temp.Path, "Directory.Build.targets"), "<Project />\n");

        // The local feed and the normal one; StaticNet may come from the local feed only.
        File.WriteAllText(Path.Combine(ConsumerDirectory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="StaticNet" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            {fallback}
            </configuration>
            """);

        // What `dotnet new console` gives, multi-targeted, plus the package; warnings are errors so a
        // warning in the generated code under a user's default settings fails the test.
        // CopyDebugSymbolFilesFromPackages is the line the install guide gives for stepping into the
        // kernels: it copies the package's StaticNet.pdb beside StaticNet.dll in bin/.
        File.WriteAllText(Path.Combine(ConsumerDirectory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFrameworks>net8.0;net10.0</TargetFrameworks>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                <CopyDebugSymbolFilesFromPackages>true</CopyDebugSymbolFilesFromPackages>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="StaticNet" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(Repository.Root, "tests", "StaticNet.PackageTests", "Probe", "Probe.cs"), Path.Combine(ConsumerDirectory, "Probe.cs"));
        // With the argument stack-trace: the stack trace of an exception thrown inside a kernel, which
        // names source files and lines only if the runtime found the package's PDB.
        File.WriteAllText(Path.Combine(ConsumerDirectory, "Program.cs"), $$"""
            if (args is ["{{StackTraceArgument}}"])
            {
                try
                {
                    // x holds 3 floats where batch * inputs = 2 are expected.
                    StaticNet.Kernels.Affine.Forward(new float[3], new float[6], new float[3], new float[3], batch: 1, inputs: 2, outputs: 3);
                }
                catch (ArgumentException e)
                {
                    Console.Write(e.StackTrace);
                }
                return;
            }
            Console.Write(PackageProbe.Probe.Run());

            """);
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
