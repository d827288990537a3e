using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Microsoft.CodeAnalysis;
using Xunit.Sdk;

namespace StaticNet.Tests.Generator;

/// <summary>
/// A small stand-in for Verify.SourceGenerators (not served by this machine's package feed), with
/// its conventions, so that moving to it later is a rename:
/// one file per generated source in <c>_snapshots/{TestClass}.{TestMethod}#{HintName}.verified.cs</c>,
/// the diagnostics, when there are any, in <c>{TestClass}.{TestMethod}.verified.txt</c>; line endings
/// normalised to <c>\n</c>; the [GeneratedCode] version scrubbed. A mismatch writes <c>.received.</c>
/// beside the verified file and fails with a unified diff; a verified file the run no longer makes
/// fails too. <c>STATICNET_ACCEPT=1</c> accepts what was received.
/// </summary>
internal static class Snapshot
{
    private static bool Accept => Environment.GetEnvironmentVariable("STATICNET_ACCEPT") == "1";

    /// <param name="result">The driver's run.</param>
    /// <param name="testFile">The test's file, whose folder holds <c>_snapshots</c> beside it.</param>
    /// <param name="testMethod">The test's name.</param>
    /// <param name="only">When given, only the generated files whose hint name it accepts are stored (others store the rest).</param>
    public static void Verify(GeneratorDriverRunResult result, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "", Func<string, bool>? only = null)
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "..", "_snapshots");
        Directory.CreateDirectory(directory);
        string stem = Path.GetFileNameWithoutExtension(testFile) + "." + testMethod;

        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (GeneratedSourceResult source in result.Results.SelectMany(r => r.GeneratedSources).Where(s => only is null || only(s.HintName)).OrderBy(s => s.HintName, StringComparer.Ordinal))
            expected[$"{stem}#{source.HintName}".Replace(".g.cs", ".g") + ".verified.cs"] = Scrub(source.SourceText.ToString());
        ImmutableDiagnostics(result, out string? diagnostics);
        if (diagnostics is not null) expected[stem + ".verified.txt"] = diagnostics;

        var failures = new List<string>();
        foreach ((string file, string text) in expected)
        {
            string verifiedPath = Path.Combine(directory, file);
            string receivedPath = verifiedPath.Replace(".verified.", ".received.");
            string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
            if (verified == text)
            {
                File.Delete(receivedPath);
                continue;
            }
            if (Accept)
            {
                File.WriteAllText(verifiedPath, text);
                File.Delete(receivedPath);
                continue;
            }
            File.WriteAllText(receivedPath, text);
            failures.Add(verified is null ? $"New snapshot {file} (received file written; accept with STATICNET_ACCEPT=1)" : $"{file} differs:\n{Diff(verified, text)}");
        }
        IEnumerable<string> previous = Directory.GetFiles(directory, stem + "#*.verified.cs").Concat(Directory.GetFiles(directory, stem + ".verified.txt"));
        foreach (string stale in previous.Select(Path.GetFileName).Where(f => !expected.ContainsKey(f!))!)
        {
            if (Accept) File.Delete(Path.Combine(directory, stale!));
            else failures.Add($"{stale} is no longer produced by this test (delete it, or accept with STATICNET_ACCEPT=1)");
        }
        if (failures.Count > 0) throw new XunitException(string.Join("\n\n", failures));
    }

    private static void ImmutableDiagnostics(GeneratorDriverRunResult result, out string? text)
    {
        var lines = result.Diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .Select(d =>
            {
                FileLinePositionSpan span = d.Location.GetLineSpan();
                return $"{d.Id} {d.Severity} {Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })
            .ToList();
        text = lines.Count == 0 ? null : string.Join("\n", lines) + "\n";
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static string Scrub(string text) =>
        Regex.Replace(Normalize(text), "GeneratedCode\\(\"StaticNet.Generator\", \"[^\"]*\"\\)", "GeneratedCode(\"StaticNet.Generator\", \"{version}\")");

    /// <summary>A unified diff, with three lines of context.</summary>
    private static string Diff(string verified, string received)
    {
        DiffPaneModel model = InlineDiffBuilder.Diff(verified, received, ignoreWhiteSpace: false);
        var lines = model.Lines;
        var show = new bool[lines.Count];
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].Type is ChangeType.Inserted or ChangeType.Deleted)
                for (int j = Math.Max(0, i - 3); j <= Math.Min(lines.Count - 1, i + 3); j++) show[j] = true;
        var b = new StringBuilder("--- verified\n+++ received\n");
        for (int i = 0; i < lines.Count; i++)
        {
            if (!show[i]) { if (i > 0 && show[i - 1]) b.Append("@@\n"); continue; }
            char mark = lines[i].Type switch { ChangeType.Inserted => '+', ChangeType.Deleted => '-', _ => ' ' };
            b.Append(mark).Append(lines[i].Text).Append('\n');
        }
        return b.ToString();
    }
}
