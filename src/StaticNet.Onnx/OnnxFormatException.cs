using System.IO;

namespace StaticNet.Onnx;

/// <summary>
/// An ONNX model cannot be loaded into a network: the file is not valid ONNX (truncated, corrupt protobuf,
/// a tensor whose data do not fit its shape), or its graph does not match the network's declaration (another
/// operator, a tensor of another shape, a layer too many or too few). The message names the file and the
/// node or tensor at fault. When it is thrown the network is unchanged.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/>, as <c>StaticNet.Data.IdxFormatException</c> does, because
/// <see cref="InvalidDataException"/> is sealed: one <c>catch (IOException)</c> covers a missing, unreadable or
/// invalid model file.
/// </remarks>
public sealed class OnnxFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/> with a description of <paramref name="problem"/>.</summary>
    /// <param name="filePath">The file (or the name given with a stream or buffer) that cannot be loaded.</param>
    /// <param name="problem">What is wrong, naming the node or tensor, as a sentence fragment.</param>
    public OnnxFormatException(string filePath, string problem)
        : base($"Cannot load ONNX model '{filePath}': {problem}")
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file (or the name given with a stream or buffer) that cannot be loaded.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
