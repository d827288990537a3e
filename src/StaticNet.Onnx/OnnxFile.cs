using System;
using System.IO;
using StaticNet.Onnx.Protobuf;

namespace StaticNet.Onnx;

/// <summary>
/// ONNX export of a network's inference graph, and ONNX import of weights into a network.
/// </summary>
/// <remarks>
/// <para><b>Export</b> (<see cref="Save{TNet}(TNet, string, int)"/>, <see cref="Export{TNet}(TNet, int)"/>) writes
/// the graph that <c>Forward</c> computes, at opset <see cref="DefaultOpset"/> (13 to 17 accepted), with the
/// weights as float32 initializers named after the network's parameter blocks (<c>W1</c>, <c>b1</c>, ...). The
/// input is <c>input</c>, of shape <c>[batch, InputSize]</c> (<c>[batch, C, H, W]</c> for <c>Input(C, H, W)</c>), the output <c>output</c>, <c>[batch, OutputSize]</c>;
/// <c>batch</c> is a dynamic dimension. Each layer becomes:</para>
/// <list type="table">
/// <listheader><term>layer</term><description>ONNX</description></listheader>
/// <item><term>Dense</term><description><c>Gemm</c> (alpha = beta = 1, transB = 0) with <c>W</c> <c>[in, out]</c> and <c>b</c> <c>[out]</c></description></item>
/// <item><term>ReLU, Sigmoid, Tanh, LeakyReLU(a)</term><description><c>Relu</c>, <c>Sigmoid</c>, <c>Tanh</c>, <c>LeakyRelu</c> (alpha = a)</description></item>
/// <item><term>Conv2D(F, K, Stride = S, Padding = P)</term><description><c>Conv</c> with <c>W</c> <c>[F, C, K, K]</c> (PyTorch's layout) and <c>b</c> <c>[F]</c></description></item>
/// <item><term>MaxPool2D(K), AvgPool2D(K)</term><description><c>MaxPool</c>, <c>AveragePool</c> (stride K unless <c>Stride</c> is given; no padding)</description></item>
/// <item><term>Flatten</term><description><c>Flatten</c> (axis 1)</description></item>
/// <item><term>Softmax, SoftmaxCrossEntropy</term><description><c>Softmax</c> (axis 1): the probabilities <c>Forward</c> outputs</description></item>
/// <item><term>SigmoidCrossEntropy</term><description><c>Sigmoid</c>: the probabilities <c>Forward</c> outputs</description></item>
/// <item><term>MeanSquaredError, Dropout</term><description>nothing (identities at inference)</description></item>
/// <item><term>BatchNorm</term><description><c>BatchNormalization</c> (inference: the running statistics of <see cref="INetwork.State"/>, initializers <c>gamma{n}</c>, <c>beta{n}</c>, <c>RunningMean{n}</c>, <c>RunningVar{n}</c>; the declared epsilon; momentum 1 − the declared one, as ONNX counts it)</description></item>
/// <item><term>GRU(H), LSTM(H)</term><description>ONNX <c>GRU</c> (<c>linear_before_reset</c> = 1, PyTorch's GRU) or <c>LSTM</c> over the whole
/// sequence from a zero state, <c>W [1, gates·H, in]</c>, <c>R [1, gates·H, H]</c>, <c>B [1, 2·gates·H]</c> with the gate blocks reordered
/// (PyTorch's and StaticNet's r, z, n are ONNX's z, r, h; i, f, g, o are ONNX's i, o, f, c), between a <c>Transpose</c> to
/// [steps, batch, ...] and back and a <c>Squeeze</c> of Y's direction axis after each. A recurrent network's input is
/// <c>[batch, steps, InputSize]</c> and its output <c>[batch, steps, OutputSize]</c>, both dynamic; the layers after the recurrent
/// ones apply at every step (Dense as <c>MatMul</c> + <c>Add</c>, softmax over the last axis).</description></item>
/// </list>
/// <para>Conv2D, the pools and Flatten are read from the network's <c>Architecture</c> as the generator spells it
/// (<c>Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten Dense(100) ...</c>, <c>Conv2D(3, 3, Stride = 2, Padding = 1)</c>,
/// <c>AvgPool2D(2, Stride = 1)</c>); Conv's <c>kernel_shape</c>, <c>strides</c> and <c>pads</c> are what
/// <c>torch.onnx.export</c> writes for the matching <c>nn.Conv2d</c>. LeakyReLU, which the generator does not
/// have yet, is tested with a hand-written reference network. A layer of another kind throws
/// <see cref="NotSupportedException"/>; each kind is one case in the exporter and one in the importer.</para>
/// <para><b>Import</b> (<see cref="LoadWeights{TNet}(TNet, string)"/>) reads an ONNX model whose graph computes
/// the declared network, as <c>torch.onnx.export</c> writes it for an <c>nn.Sequential</c> of <c>nn.Linear</c>,
/// <c>nn.Conv2d</c>, pools, <c>nn.Flatten</c> and activations, or as <see cref="Save{TNet}(TNet, string, int)"/> writes it, and copies its initializers
/// into <see cref="INetwork.Parameters"/> (and a BatchNorm's running statistics into <see cref="INetwork.State"/>). A Dense layer may be a <c>Gemm</c> with <c>transB</c> 1 (PyTorch's
/// <c>[out, in]</c> weight) or 0, or a <c>MatMul</c> (of a constant or of a <c>Transpose</c> of one) then an
/// <c>Add</c> of the bias; an <c>AvgPool2D</c> may be preceded by the <c>Pad</c> of zeros torch 1.13 writes; <c>Identity</c> and inference-mode <c>Dropout</c> nodes are stepped over. For a <c>SoftmaxCrossEntropy</c> network the final <c>Softmax</c> may be missing (a
/// classifier exported as logits): the weights are the same. A BatchNorm is a <c>BatchNormalization</c> of the declared epsilon
/// whose initializers go into γ, β and <see cref="INetwork.State"/> (torch's default export of an eval-mode model folds a
/// BatchNorm2d into the Conv before it: export with <c>training=torch.onnx.TrainingMode.PRESERVE</c>). The GRU/LSTM layers,
/// which must come first, are the graph's <c>GRU</c>/<c>LSTM</c> nodes in order, of the declared kind and hidden size, forward,
/// with default activations (a GRU with <c>linear_before_reset</c> = 1), no sequence lengths or peepholes; what torch writes around them for
/// <c>batch_first=True</c> and its zero initial state (Transpose, Squeeze, Shape, Gather, ConstantOfShape, Slice, ...) is
/// stepped over, but nothing else may stand between them. Apart from that part the graph must be a chain from its one input to
/// its one output with nothing else in it. The whole model is read and checked before anything is copied: a
/// corrupt file, or a graph that does not match (another operator, a tensor of another shape, a layer too many
/// or too few), throws <see cref="OnnxFormatException"/> naming the node or tensor, and the network is unchanged.</para>
/// </remarks>
public static class OnnxFile
{
    /// <summary>The opset <see cref="Save{TNet}(TNet, string, int)"/> writes unless told otherwise: 17 (ONNX 1.12).</summary>
    public const int DefaultOpset = 17;

    /// <summary>The lowest opset export accepts: 13, from which Softmax, Gemm, Sigmoid and Tanh have their present definitions.</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset export accepts: 17 (ONNX 1.12), the highest checked here with the <c>onnx</c> checker.</summary>
    public const int MaxOpset = 17;

    /// <summary>The largest model <see cref="LoadWeights{TNet}(TNet, Stream, string)"/> reads: 2 GB, the protobuf limit.</summary>
    public const long MaxModelBytes = int.MaxValue;

    /// <summary>
    /// Writes the inference graph of <paramref name="network"/> with its current weights to <paramref name="path"/>
    /// as an ONNX model, replacing the file if it exists. The model is built in memory and written to a temporary
    /// file in the same folder, which is flushed and then renamed to <paramref name="path"/>: a failure never
    /// leaves a half-written file, and an existing file stays as it was.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network to export.</param>
    /// <param name="path">The file to write, e.g. <c>mnist.onnx</c>.</param>
    /// <param name="opset">The ONNX opset to declare, <see cref="MinOpset"/> to <see cref="MaxOpset"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opset"/> is outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that export does not support yet.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save<TNet>(TNet network, string path, int opset = DefaultOpset)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] model = Export(network, opset);

        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new IOException($"Cannot save the ONNX model to '{path}': it is a folder.");
        string folder = Path.GetDirectoryName(fullPath) ?? throw new IOException($"Cannot save the ONNX model to '{path}': it is not a file path.");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(model);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary); // no-op when it was never created or already moved
            }
            catch (IOException)
            {
                // Keep the original exception; a stray temporary file is the lesser evil.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>Writes the ONNX model of <paramref name="network"/> (see <see cref="Export{TNet}(TNet, int)"/>) to <paramref name="stream"/>, which is not flushed or disposed.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network to export.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="opset">The ONNX opset to declare, <see cref="MinOpset"/> to <see cref="MaxOpset"/>.</param>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opset"/> is outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that export does not support yet.</exception>
    public static void Save<TNet>(TNet network, Stream stream, int opset = DefaultOpset)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        stream.Write(Export(network, opset));
    }

    /// <summary>
    /// The ONNX model (the serialized <c>ModelProto</c>) of the inference graph of <paramref name="network"/>, with
    /// its current weights as initializers and a dynamic batch dimension; see <see cref="OnnxFile"/> for the nodes.
    /// The bytes can be given to ONNX Runtime directly (<c>new InferenceSession(bytes)</c>).
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network to export.</param>
    /// <param name="opset">The ONNX opset to declare, <see cref="MinOpset"/> to <see cref="MaxOpset"/>.</param>
    /// <returns>The model's bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opset"/> is outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that export does not support yet.</exception>
    public static byte[] Export<TNet>(TNet network, int opset = DefaultOpset)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        if (opset < MinOpset || opset > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"The ONNX opset must be between {MinOpset} and {MaxOpset}.");
        return OnnxExporter.Build(network, opset).Write().Written.ToArray();
    }

    /// <summary>
    /// Loads the weights of the ONNX model in <paramref name="path"/> into <paramref name="network"/>. The model's
    /// graph must compute the declared network (see <see cref="OnnxFile"/>); it is checked completely before
    /// anything is copied.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <exception cref="OnnxFormatException">The file is not a valid ONNX model, or its graph does not match the network; the network is unchanged.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that import does not support yet.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static void LoadWeights<TNet>(TNet network, string path)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        LoadWeights(network, file, path);
    }

    /// <summary>Loads the weights of the ONNX model in <paramref name="stream"/> (read to its end, not disposed) into <paramref name="network"/>; see <see cref="LoadWeights{TNet}(TNet, string)"/>.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="stream">A readable stream positioned at the start of the model.</param>
    /// <param name="name">The name of the model, for error messages.</param>
    /// <exception cref="OnnxFormatException">The data are not a valid ONNX model, or its graph does not match the network; the network is unchanged.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that import does not support yet.</exception>
    public static void LoadWeights<TNet>(TNet network, Stream stream, string name)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxModelBytes)
                throw new OnnxFormatException(name, $"the model is larger than {MaxModelBytes} bytes, the protobuf limit");
            buffer.Write(chunk, 0, read);
        }
        LoadWeights(network, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), name);
    }

    /// <summary>Loads the weights of the ONNX model in <paramref name="model"/> (a serialized <c>ModelProto</c>) into <paramref name="network"/>; see <see cref="LoadWeights{TNet}(TNet, string)"/>.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="model">The model's bytes.</param>
    /// <param name="name">The name of the model, for error messages.</param>
    /// <exception cref="OnnxFormatException">The data are not a valid ONNX model, or its graph does not match the network; the network is unchanged.</exception>
    /// <exception cref="NotSupportedException">The network has a layer that import does not support yet.</exception>
    public static void LoadWeights<TNet>(TNet network, ReadOnlySpan<byte> model, string name)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(name);
        if (model.IsEmpty)
            throw new OnnxFormatException(name, "the file is empty");

        ModelProto proto;
        try
        {
            proto = ModelProto.Read(model);
        }
        catch (ProtoFormatException e)
        {
            throw new OnnxFormatException(name, "it is not a valid ONNX (protobuf) file: " + e.Message);
        }
        (float[] parameters, float[] state) = OnnxImporter.Match(name, network, proto);

        Span<float> target = network.Parameters;
        if (target.Length != parameters.Length || network.State.Length != state.Length)
            throw new InvalidOperationException($"The network's Parameters or State changed length while the model was read.");
        parameters.CopyTo(target);
        state.CopyTo(network.State); // BatchNorm's running statistics
    }
}
