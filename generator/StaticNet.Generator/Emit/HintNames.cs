using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StaticNet.Generator.Emit;

/// <summary>
/// Hint names, <c>{Namespace}.{Type}.g.cs</c>, made safe for <c>AddSource</c>: Roslyn accepts only some characters and
/// compares hint names ignoring case, so a name with other characters (an escaped keyword's <c>@</c> is not in the
/// metadata name, but non-ASCII letters are), a very long one, or one that differs from another network's only in case
/// gets a short hash of its exact name added. Ordinary names keep the plain form.
/// </summary>
internal static class HintNames
{
    /// <summary>Longest stem kept before the hash, well inside every file system's name limit.</summary>
    private const int MaxStem = 96;

    public static string For(string metadataName, IReadOnlyList<string> allNetworks)
    {
        string stem = Sanitize(metadataName);
        bool unique = true;
        foreach (string other in allNetworks)
            if (!string.Equals(other, metadataName, StringComparison.Ordinal) &&
                string.Equals(Sanitize(other), stem, StringComparison.OrdinalIgnoreCase))
                unique = false;
        if (unique && stem.Length <= MaxStem && string.Equals(stem, metadataName, StringComparison.Ordinal))
            return stem + ".g.cs";
        if (stem.Length > MaxStem) stem = stem.Substring(0, MaxStem);
        return stem + "." + Fnv1a(metadataName).ToString("x8", CultureInfo.InvariantCulture) + ".g.cs";
    }

    /// <summary>ASCII letters, digits, <c>_</c> and <c>.</c> kept; anything else becomes <c>_</c>.</summary>
    private static string Sanitize(string name)
    {
        var b = new StringBuilder(name.Length);
        foreach (char c in name)
            b.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' ? c : '_');
        return b.ToString();
    }

    /// <summary>32-bit FNV-1a over the UTF-16 code units: stable across runs and machines, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string s)
    {
        uint hash = 2166136261;
        foreach (char c in s)
        {
            hash = unchecked((hash ^ (c & 0xFFu)) * 16777619);
            hash = unchecked((hash ^ (uint)(c >> 8)) * 16777619);
        }
        return hash;
    }
}
