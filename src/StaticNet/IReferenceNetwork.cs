using System;

namespace StaticNet;

/// <summary>
/// A network declared with <c>[Network(Reference = true)]</c>: beside its fast pass it has a generated reference pass,
/// the plain loops of the book's formulas for exactly its sizes, in double precision and without kernel calls. It is the
/// code to read first, and the oracle <see cref="ReferenceCheck"/> compares the fast pass with.
/// </summary>
/// <remarks>
/// <para>The reference pass reads the same <see cref="INetwork.Parameters"/> (each <c>ReferenceForward</c> or
/// <c>ReferenceLoss</c> copies them to doubles) and writes its parameter gradients as doubles in the layout of
/// <see cref="INetwork.Gradients"/>, block by block as <see cref="INetwork.ParameterBlocks"/> names them, into a span the
/// caller gives. Its activations are doubles of its own, allocated by its first call for
/// <see cref="INetwork.BatchCapacity"/> rows; after that it allocates nothing.</para>
/// <para>It leaves the fast pass alone: it writes neither <see cref="INetwork.Gradients"/> nor the fast pass's
/// activations, so a reference call between <c>Loss</c> and <c>Backward()</c> changes nothing <c>Backward()</c>
/// computes. Like the fast pass, an instance serves one thread at a time.</para>
/// </remarks>
public interface IReferenceNetwork : INetwork
{
    /// <summary>
    /// The reference form of <see cref="INetwork.Forward"/>: runs the network on <c>input.Length / InputSize</c> rows
    /// (1 to <see cref="INetwork.BatchCapacity"/>) and writes <c>OutputSize</c> doubles per row into
    /// <paramref name="output"/>; keeps what <see cref="ReferenceBackward(ReadOnlySpan{float}, Span{double}, Span{double})"/> needs.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not fit (the message names the expected size).</exception>
    void ReferenceForward(ReadOnlySpan<float> input, Span<double> output);

    /// <summary>
    /// The reference form of <see cref="INetwork.Backward"/>, after <see cref="ReferenceForward"/>: propagates
    /// <paramref name="outputGradient"/> (dL/d output) back through the network, writing dL/dParameters into
    /// <paramref name="gradients"/> (<c>ParameterCount</c> doubles, laid out as <see cref="INetwork.Gradients"/>, overwritten)
    /// and dL/d input into <paramref name="inputGradient"/> (<c>InputSize</c> per row), or skipping that when it is empty.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not fit the latest batch.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="ReferenceForward"/> (or <c>ReferenceLoss</c>) yet.</exception>
    void ReferenceBackward(ReadOnlySpan<float> outputGradient, Span<double> gradients, Span<double> inputGradient);

    /// <summary>
    /// The running statistics of the reference pass (BatchNorm's running means and variances), in double and in the layout
    /// of <see cref="INetwork.State"/>: each reference forward pass starts from a copy of <see cref="INetwork.State"/>, and a
    /// training <c>ReferenceLoss</c> moves them as a training <c>Loss</c> moves <see cref="INetwork.State"/>, which the
    /// reference pass leaves alone. Empty for a network without state, and before the first reference call.
    /// </summary>
    ReadOnlySpan<double> ReferenceState => ReadOnlySpan<double>.Empty;
}

/// <summary>A network with a loss layer and a reference pass (<c>[Network(Reference = true)]</c>).</summary>
public interface IReferenceLossNetwork : IReferenceNetwork, ILossNetwork
{
    /// <summary>
    /// The reference form of <see cref="ILossNetwork.Loss"/>: the forward pass plus the loss against
    /// <paramref name="targets"/> (<c>OutputSize</c> per row), averaged over the batch, in double; keeps what
    /// <see cref="ReferenceBackward(Span{double}, Span{double})"/> needs.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not fit (the message names the expected size).</exception>
    double ReferenceLoss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets);

    /// <summary>
    /// The reference form of <see cref="Backward(Span{float})"/>, after <see cref="ReferenceLoss"/>: writes dLoss/dParameters
    /// into <paramref name="gradients"/> (<c>ParameterCount</c> doubles, laid out as <see cref="INetwork.Gradients"/>,
    /// overwritten) and dLoss/d input into <paramref name="inputGradient"/>, or skips that when it is empty.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not fit the latest batch.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="ReferenceLoss"/> since the latest <c>ReferenceForward</c>.</exception>
    void ReferenceBackward(Span<double> gradients, Span<double> inputGradient);

    /// <summary>
    /// The fast pass's <c>Backward</c> with the input gradient, which every generated network with a loss layer has:
    /// after <see cref="ILossNetwork.Loss"/>, dLoss/dParameters into <see cref="INetwork.Gradients"/> and dLoss/d input
    /// into <paramref name="inputGradient"/> (skipped when it is empty).
    /// </summary>
    void Backward(Span<float> inputGradient);
}
