using System;
using System.IO;

namespace StaticNet.Data;

/// <summary>
/// A file that should hold IDX data (the format of the MNIST files) is not valid: wrong magic number,
/// wrong kind (labels where images were expected, or the other way round), impossible sizes,
/// truncated, corrupt gzip data, or contents that do not fit the data set (e.g. a label out of range).
/// The message names the file and says what is wrong.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/> (so one <c>catch (IOException)</c> covers a missing, unreadable
/// or invalid data file) because <see cref="InvalidDataException"/>, the exception .NET throws for data in an
/// invalid format, is sealed. When the problem was found by <see cref="System.IO.Compression.GZipStream"/>
/// (corrupt gzip data), its <see cref="InvalidDataException"/> is the <see cref="Exception.InnerException"/>.
/// </remarks>
public sealed class IdxFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/> with a description of <paramref name="problem"/>.</summary>
    /// <param name="filePath">The file (or the name given for a stream) that is not valid.</param>
    /// <param name="problem">What is wrong with it, as a sentence fragment (e.g. <c>"the file is empty"</c>).</param>
    public IdxFormatException(string filePath, string problem)
        : base(FormatMessage(filePath, problem))
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>Creates the exception for <paramref name="filePath"/>, caused by <paramref name="innerException"/>.</summary>
    /// <param name="filePath">The file (or the name given for a stream) that is not valid.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The exception that revealed the problem (e.g. one from <see cref="System.IO.Compression.GZipStream"/>).</param>
    public IdxFormatException(string filePath, string problem, Exception innerException)
        : base(FormatMessage(filePath, problem), innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The path of the file that is not valid (for the stream overloads, the name passed with the stream).</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with the file, without the file name.</summary>
    public string Problem { get; }

    private static string FormatMessage(string filePath, string problem) => $"Invalid IDX file '{filePath}': {problem}";
}
