using System;

namespace StaticNet.Tests;

/// <summary>Counting what warm calls allocate on this thread (<c>GC.GetAllocatedBytesForCurrentThread</c>, exact).</summary>
internal static class Allocations
{
    /// <summary>
    /// The bytes this thread allocates in one run of <paramref name="run"/>, the least of up to 3 runs (stopping at the first that
    /// allocates nothing). An allocation of the library recurs in every run and still counts. The runtime may allocate once, in a
    /// window of its own choosing: when it moves a long loop to optimised code (on-stack replacement), or compiles a method
    /// late. A single window once counted 1,952 bytes in a CI run of the whole suite, and none when its test ran alone.
    /// </summary>
    public static long Least(Action run)
    {
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
