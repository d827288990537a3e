using System;
using System.IO;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>Folders of the repository the interop tests read: found from the test's output folder, so a fresh clone works.</summary>
internal static class InteropPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds StaticNet.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The reference library's files: <c>&lt;repo&gt;/../shared/fixtures/safetensors</c>.</summary>
    public static string Fixtures => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures", "safetensors"));

    /// <summary>The PyTorch script and the files it made, in the source tree.</summary>
    public static string PyTorch => Path.Combine(RepositoryRoot, "tests", "StaticNet.Tests", "Interop", "SafeTensors", "pytorch");

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "StaticNet.sln")))
                return folder.FullName;
        }
        throw new DirectoryNotFoundException($"No StaticNet.sln above {AppContext.BaseDirectory}: the interop tests read files of the repository.");
    }
}
