using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace StaticNet.PackageTests;

/// <summary>The output of a finished process.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>Fails with the command and everything it printed unless it exited with 0.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
            throw new InvalidOperationException($"`{Command}` exited with {ExitCode} after {Elapsed.TotalSeconds:F0} s:\n{Output}");
        return this;
    }
}

/// <summary>Runs the dotnet CLI and built programs, with a time limit, in a clean environment.</summary>
public static class Processes
{
    /// <summary>Generous: a cold restore plus a NativeAOT compile on a busy 2-core machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The dotnet host that runs these tests (set by the SDK), else the one on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static Task<ProcessResult> Dotnet(string workingDirectory, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        Run(DotnetHost, workingDirectory, arguments, environment, timeout);

    public static async Task<ProcessResult> Run(string fileName, string workingDirectory, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);

        // `dotnet test` hands MSBuild's and the test platform's variables to the test host; a nested
        // build must not see them (they point it at the outer build's MSBuild).
        foreach (string key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("_MSBuild", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild nodes, MSBuild server or compiler server outlive the command (a leftover
        // process would also hold the redirected output open).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
        {
            foreach ((string key, string? value) in environment)
            {
                if (value is null) start.Environment.Remove(key);
                else start.Environment[key] = value;
            }
        }

        string command = fileName + " " + string.Join(" ", start.ArgumentList);
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            lock (output)
                throw new TimeoutException($"`{command}` did not finish in {(timeout ?? DefaultTimeout).TotalMinutes:F0} min; killed. Output so far:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output)
            return new ProcessResult(command, process.ExitCode, output.ToString(), stopwatch.Elapsed);
    }
}

/// <summary>The portable runtime identifier of this machine (linux-x64, win-arm64, ...), for RID-specific publishes.</summary>
public static class Rid
{
    public static string Portable { get; } =
        (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-"
        + System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 5)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>The repository checkout these tests were built from, and copies of parts of it.</summary>
public static class Repository
{
    /// <summary>The folder holding StaticNet.sln, found upward from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "StaticNet.sln"))) return dir.FullName;
        throw new InvalidOperationException("StaticNet.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Copies the repository's root build files (Directory.Build.props and the like, README, licence)
    /// and the given folders, without bin/ and obj/, to <paramref name="destination"/>, so a build
    /// there neither reads nor disturbs the build outputs of this checkout, where others may be
    /// building. A missing README.md is replaced by a placeholder in the copy (the package needs one).
    /// </summary>
    public static void CopyTo(string destination, params string[] folders)
    {
        foreach (string file in Directory.EnumerateFiles(Root))
        {
            string name = System.IO.Path.GetFileName(file);
            if (name.StartsWith("Directory.", StringComparison.OrdinalIgnoreCase) || name.Equals("global.json", StringComparison.OrdinalIgnoreCase)
                || name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase) || name.StartsWith("README", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("LICENSE", StringComparison.OrdinalIgnoreCase))
                File.Copy(file, System.IO.Path.Combine(destination, name));
        }
        string readme = System.IO.Path.Combine(destination, "README.md");
        if (!File.Exists(readme)) File.WriteAllText(readme, "# StaticNet\n\n(placeholder written by StaticNet.PackageTests: the repository has no README.md yet)\n");

        foreach (string folder in folders) CopyTree(System.IO.Path.Combine(Root, folder), System.IO.Path.Combine(destination, folder));
    }

    private static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source))
            File.Copy(file, System.IO.Path.Combine(destination, System.IO.Path.GetFileName(file)));
        foreach (string dir in Directory.EnumerateDirectories(source))
        {
            string name = System.IO.Path.GetFileName(dir);
            if (name is "bin" or "obj" or ".vs" or "TestResults") continue;
            CopyTree(dir, System.IO.Path.Combine(destination, name));
        }
    }
}
