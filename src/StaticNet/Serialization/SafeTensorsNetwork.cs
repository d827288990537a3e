using System;
using System.Collections.Generic;
using System.IO;

namespace StaticNet;

/// <summary>
/// Saves a network's parameters as a safetensors file in PyTorch's names and layouts, and loads such files,
/// e.g. the state_dict of the matching <c>nn.Sequential</c> saved by PyTorch, into a network.
/// </summary>
/// <remarks>
/// <para>
/// The network <c>[Input(4)] [Dense(8)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]</c> is PyTorch's
/// <c>nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))</c> trained with <c>nn.CrossEntropyLoss</c>:
/// the k-th layer after the input is module k (activations are modules, the loss is not), so its tensors are
/// <c>0.weight</c> <c>[8, 4]</c>, <c>0.bias</c> <c>[8]</c>, <c>2.weight</c> <c>[3, 8]</c> and <c>2.bias</c>
/// <c>[3]</c>. A Linear weight is <c>[out, in]</c> and StaticNet's <c>W</c> is <c>[in, out]</c>, so weights
/// are transposed both ways. A conv network is the same: <c>[Input(1, 8, 8)] [Conv2D(4, 3)] [ReLU] [MaxPool2D(2)]
/// [Flatten] [Dense(10)]</c> is <c>nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
/// nn.Linear(36, 10))</c>, with tensors <c>0.weight</c> <c>[4, 1, 3, 3]</c> (a Conv2d weight is
/// <c>[out, in, kH, kW]</c> in both, so it is copied as it is), <c>0.bias</c> <c>[4]</c>, <c>4.weight</c>
/// <c>[10, 36]</c> and <c>4.bias</c> <c>[10]</c>: the pool and Flatten are modules too. Other names (a prefix
/// such as <c>model.</c>, or names of your own) come from a <see cref="SafeTensorsNaming"/>; <see cref="Describe{TNet}(TNet, SafeTensorsNaming?)"/> lists what is expected.
/// </para>
/// <para>
/// A <c>BatchNorm</c> is <c>nn.BatchNorm1d</c> after a Linear (per feature) and <c>nn.BatchNorm2d</c> after a Conv2d (per
/// channel): <c>k.weight</c> (γ, <c>gamma{n}</c>), <c>k.bias</c> (β, <c>beta{n}</c>), then its buffers <c>k.running_mean</c>
/// and <c>k.running_var</c>, loaded into and saved from <see cref="INetwork.State"/> (the generated <c>RunningMean{n}</c>,
/// <c>RunningVar{n}</c>), and <c>k.num_batches_tracked</c>, an int64 scalar that is ignored on load and saved as 0 so that
/// PyTorch's <c>load_state_dict(strict=True)</c> accepts the file (StaticNet does not count batches; PyTorch reads the
/// counter only for a BatchNorm with <c>momentum=None</c>).
/// </para>
/// <para>
/// A recurrent network is not an <c>nn.Sequential</c> (a GRU returns a pair). It maps to the module a PyTorch user writes:
/// <code>
/// class Net(nn.Module):                      # [Input(3)] [GRU(5)] [GRU(5)] [Dense(2)]
///     def __init__(self):
///         super().__init__()
///         self.rnn = nn.GRU(3, 5, num_layers=2, batch_first=True)
///         self.head = nn.Linear(5, 2)
///     def forward(self, x):
///         return self.head(self.rnn(x)[0])
/// </code>
/// Each run of recurrent layers of the same kind and hidden size is one multi-layer <c>nn.GRU</c> or <c>nn.LSTM</c>
/// (<c>batch_first=True</c>): its k-th layer is <c>rnn.weight_ih_lk</c> <c>[gates·H, in]</c>, <c>rnn.weight_hh_lk</c>,
/// <c>rnn.bias_ih_lk</c>, <c>rnn.bias_hh_lk</c>, StaticNet's <c>W_ih</c>, <c>W_hh</c>, <c>b_ih</c>, <c>b_hh</c> as they are
/// (the gate order is PyTorch's in both: r, z, n and i, f, g, o). Several runs (<c>[LSTM(6)] [LSTM(4)]</c>, or a GRU then an
/// LSTM) are an <c>nn.ModuleList</c> <c>self.rnn</c>, applied in turn: <c>rnn.0.weight_ih_l0</c>, <c>rnn.1.weight_ih_l0</c>.
/// The layers after the recurrent ones are <c>self.head</c>, applied at every step: the <c>nn.Linear</c> itself when it is
/// the only module (<c>head.weight</c>, <c>head.bias</c>), else an <c>nn.Sequential</c> numbered as above (<c>head.0.weight</c>,
/// <c>head.2.weight</c> for Dense, ReLU, Dense). Other names come from a <see cref="SafeTensorsNaming"/> as for any network.
/// </para>
/// <para>
/// Loading reads and checks the whole file, then every tensor against the network (present, of a float dtype
/// F32, F16, BF16 or F64, of PyTorch's shape), into a copy of the parameters; only when everything fits is the
/// copy written into <see cref="INetwork.Parameters"/>. Otherwise an <see cref="InvalidDataException"/> names
/// each tensor and what is wrong, and the network (its parameters and its <see cref="INetwork.State"/>) is unchanged. A
/// tensor named <c>*.num_batches_tracked</c> (BatchNorm's step counter) is ignored.
/// </para>
/// </remarks>
public static class SafeTensorsNetwork
{
    /// <summary>The metadata written when none is given: <c>{"format": "pt"}</c>, which Hugging Face's loaders look for.</summary>
    public static IReadOnlyDictionary<string, string> DefaultMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    private const string BatchCounter = ".num_batches_tracked";

    /// <summary>
    /// Lists the tensors the network is saved as, in PyTorch's state_dict order: each parameter block's PyTorch module,
    /// attribute, shape and name under <paramref name="naming"/>, and after a BatchNorm's weight and bias its buffers
    /// <c>running_mean</c>, <c>running_var</c> (blocks of <see cref="INetwork.State"/>) and <c>num_batches_tracked</c>.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <exception cref="ArgumentException">The naming gives two blocks the same name, or maps a block the network does not have.</exception>
    /// <exception cref="NotSupportedException">A block belongs to a layer whose PyTorch layout is not known.</exception>
    public static IReadOnlyList<SafeTensorsParameter> Describe<TNet>(TNet network, SafeTensorsNaming? naming = null)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        naming ??= SafeTensorsNaming.Sequential;

        List<SafeTensorsParameter> parameters = IsRecurrent(Layers(network.Architecture))
            ? RecurrentTensors(network)
            : SequentialTensors(network);

        naming.CheckMapKeys(parameters);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            string name = naming.NameOf(parameters[i]);
            if (name == SafeTensorsFile.MetadataKey)
                throw new ArgumentException($"The naming gives block {parameters[i].Block.Name} the reserved name '{SafeTensorsFile.MetadataKey}'.", nameof(naming));
            if (!names.TryAdd(name, parameters[i].Block.Name))
                throw new ArgumentException($"The naming gives blocks {names[name]} and {parameters[i].Block.Name} the same name '{name}'.", nameof(naming));
            parameters[i] = parameters[i].WithName(name);
        }
        return parameters;
    }

    /// <summary>A layer of the architecture that is a module of PyTorch's nn.Sequential: its index there, its kind, its declared arguments, and whether its input is an image.</summary>
    private readonly record struct Module(int Index, string Kind, string[] Arguments, bool Image = false);

    /// <summary>The tensors of a network that is PyTorch's nn.Sequential of its layers (see <see cref="SafeTensorsNetwork"/>).</summary>
    private static List<SafeTensorsParameter> SequentialTensors<TNet>(TNet network)
        where TNet : INetwork
    {
        Dictionary<string, Module> layers = ModulesOf(network);
        var parameters = new List<SafeTensorsParameter>();
        int state = 0; // where the next BatchNorm's running statistics start in State
        foreach (ParameterBlock block in network.ParameterBlocks)
        {
            Module layer = layers[block.Layer];
            string batchNorm = layer.Image ? "BatchNorm2d" : "BatchNorm1d";
            parameters.Add(layer.Kind switch
            {
                // nn.Linear: weight [out, in] (StaticNet's W is [in, out]), bias [out].
                "Dense" when block.Kind == ParameterKind.Weights =>
                    new SafeTensorsParameter(block, layer.Index, "Linear", "weight", [block.Columns, block.Rows], transposed: true, ""),
                "Dense" when block.Kind == ParameterKind.Bias =>
                    new SafeTensorsParameter(block, layer.Index, "Linear", "bias", [block.Length], transposed: false, ""),
                // nn.Conv2d: weight [out, in, kH, kW] in both (StaticNet's W is [F, C, K, K] row-major, seen as
                // Rows = F by Columns = C·K·K), bias [out].
                "Conv2D" when block.Kind == ParameterKind.Weights =>
                    new SafeTensorsParameter(block, layer.Index, "Conv2d", "weight", ConvWeightShape(block, layer, network.Architecture), transposed: false, ""),
                "Conv2D" when block.Kind == ParameterKind.Bias =>
                    new SafeTensorsParameter(block, layer.Index, "Conv2d", "bias", [block.Length], transposed: false, ""),
                // nn.BatchNorm1d (after a Linear) or nn.BatchNorm2d (after a Conv2d): weight γ and bias β [channels].
                "BatchNorm" when block.Kind == ParameterKind.Scale =>
                    new SafeTensorsParameter(block, layer.Index, batchNorm, "weight", [block.Length], transposed: false, ""),
                "BatchNorm" when block.Kind == ParameterKind.Shift =>
                    new SafeTensorsParameter(block, layer.Index, batchNorm, "bias", [block.Length], transposed: false, ""),
                _ => throw new NotSupportedException($"StaticNet does not know how PyTorch stores block {block.Name} of layer {block.Layer} ({layer.Kind}, {block.Kind})."),
            });
            if (layer.Kind == "BatchNorm" && block.Kind == ParameterKind.Shift)
            {
                // Then its buffers, in state_dict order: running_mean and running_var [channels] from State (each
                // BatchNorm's pair in turn, as the generated RunningMean{n}, RunningVar{n} views lay them out), and
                // num_batches_tracked, an int64 scalar StaticNet does not keep.
                int c = block.Length;
                string n = block.Layer.Substring(block.Layer.TrimEnd("0123456789".ToCharArray()).Length);
                parameters.Add(new SafeTensorsParameter(new ParameterBlock("RunningMean" + n, block.Layer, ParameterKind.RunningMean, state, c, 1, c),
                    layer.Index, batchNorm, "running_mean", [c], transposed: false, ""));
                parameters.Add(new SafeTensorsParameter(new ParameterBlock("RunningVar" + n, block.Layer, ParameterKind.RunningVariance, state + c, c, 1, c),
                    layer.Index, batchNorm, "running_var", [c], transposed: false, ""));
                parameters.Add(new SafeTensorsParameter(new ParameterBlock("BatchCounter" + n, block.Layer, ParameterKind.BatchCounter, 0, 0, 0, 0),
                    layer.Index, batchNorm, "num_batches_tracked", [], transposed: false, ""));
                state += 2 * c;
            }
        }
        if (state != network.State.Length)
            throw new NotSupportedException($"The network's State holds {network.State.Length} floats, but its BatchNorm layers' running statistics are {state}: StaticNet does not know what the rest is.");
        return parameters;
    }

    private static bool IsRecurrent(List<(string Kind, string[] Arguments)> layers) =>
        layers.Exists(l => l.Kind is "GRU" or "LSTM");

    /// <summary>
    /// The tensors of a recurrent network as the PyTorch module a user would write for it (see <see cref="SafeTensorsNetwork"/>):
    /// <c>rnn</c>, one multi-layer <c>nn.GRU</c>/<c>nn.LSTM</c> per run of recurrent layers of one kind and hidden size
    /// (an <c>nn.ModuleList</c> of them when there are several runs), then <c>head</c>, the layers after them.
    /// </summary>
    private static List<SafeTensorsParameter> RecurrentTensors<TNet>(TNet network)
        where TNet : INetwork
    {
        string architecture = network.Architecture;
        List<(string Kind, string[] Arguments)> declared = Layers(architecture);
        // The recurrent layers come first; each gets (its run, its index in the run's nn.GRU/nn.LSTM).
        var recurrent = new List<(string Kind, int Run, int Layer)>();
        int i = 1;
        for (; i < declared.Count && declared[i].Kind is "GRU" or "LSTM"; i++)
        {
            bool sameRun = recurrent.Count > 0 && declared[i - 1].Kind == declared[i].Kind
                && declared[i - 1].Arguments.AsSpan().SequenceEqual(declared[i].Arguments);
            recurrent.Add(sameRun
                ? (declared[i].Kind, recurrent[^1].Run, recurrent[^1].Layer + 1)
                : (declared[i].Kind, recurrent.Count == 0 ? 0 : recurrent[^1].Run + 1, 0));
        }
        if (recurrent.Count == 0)
            throw new NotSupportedException($"The architecture '{architecture}' has a recurrent layer after another layer; StaticNet maps recurrent networks whose GRU and LSTM layers come first to PyTorch.");
        var head = new List<Module>();
        for (; i < declared.Count; i++)
        {
            if (declared[i].Kind is "GRU" or "LSTM")
                throw new NotSupportedException($"The architecture '{architecture}' has a {declared[i].Kind} after a layer that is not recurrent; StaticNet maps recurrent networks whose GRU and LSTM layers come first to PyTorch.");
            if (declared[i].Kind is not ("SoftmaxCrossEntropy" or "MeanSquaredError" or "SigmoidCrossEntropy"))
                head.Add(new Module(head.Count, declared[i].Kind, declared[i].Arguments));
        }
        bool oneRun = recurrent[^1].Run == 0, oneHead = head.Count == 1;

        var parameters = new List<SafeTensorsParameter>();
        int nextRecurrent = 0, nextHead = 0;
        string? currentLayer = null;
        (string Kind, int Run, int Layer) cell = default;
        Module linear = default;
        foreach (ParameterBlock block in network.ParameterBlocks)
        {
            string kind = block.Layer.TrimEnd("0123456789".ToCharArray());
            if (block.Layer != currentLayer)
            {
                currentLayer = block.Layer;
                if (kind is "GRU" or "LSTM")
                {
                    if (nextRecurrent == recurrent.Count || recurrent[nextRecurrent].Kind != kind)
                        throw new NotSupportedException($"Block {block.Name} belongs to layer '{block.Layer}', which is not in the architecture '{architecture}' (after the layers before it).");
                    cell = recurrent[nextRecurrent++];
                }
                else
                {
                    while (nextHead < head.Count && head[nextHead].Kind != kind)
                        nextHead++;
                    if (kind != "Dense" || nextHead == head.Count)
                        throw new NotSupportedException($"StaticNet does not know how PyTorch stores block {block.Name} of layer {block.Layer} in a recurrent network.");
                    linear = head[nextHead++];
                }
            }
            if (kind is "GRU" or "LSTM")
            {
                // nn.GRU / nn.LSTM: weight_ih_l{k} [gates·H, in], weight_hh_l{k} [gates·H, H], bias_ih_l{k}, bias_hh_l{k}
                // [gates·H], the layout of StaticNet's W_ih, W_hh, b_ih, b_hh: copied as they are.
                string attribute = (block.Name.StartsWith("W_ih", StringComparison.Ordinal) ? "weight_ih"
                    : block.Name.StartsWith("W_hh", StringComparison.Ordinal) ? "weight_hh"
                    : block.Name.StartsWith("b_ih", StringComparison.Ordinal) ? "bias_ih"
                    : block.Name.StartsWith("b_hh", StringComparison.Ordinal) ? "bias_hh"
                    : throw new NotSupportedException($"StaticNet does not know how PyTorch stores block {block.Name} of layer {block.Layer}."))
                    + "_l" + cell.Layer.ToString(System.Globalization.CultureInfo.InvariantCulture);
                long[] shape = block.Kind == ParameterKind.Weights ? [block.Rows, block.Columns] : [block.Length];
                string module = oneRun ? "rnn." : $"rnn.{cell.Run}.";
                parameters.Add(new SafeTensorsParameter(block, oneRun ? 0 : cell.Run, kind, attribute, shape, transposed: false, "", module + attribute));
            }
            else
            {
                string module = oneHead ? "head." : $"head.{linear.Index}.";
                parameters.Add(block.Kind == ParameterKind.Weights
                    ? new SafeTensorsParameter(block, oneHead ? 0 : linear.Index, "Linear", "weight", [block.Columns, block.Rows], transposed: true, "", module + "weight")
                    : new SafeTensorsParameter(block, oneHead ? 0 : linear.Index, "Linear", "bias", [block.Length], transposed: false, "", module + "bias"));
            }
        }
        return parameters;
    }

    /// <summary>
    /// Maps each layer with parameters (<c>Dense1</c>, <c>Conv2D1</c>, ... as <see cref="ParameterBlock.Layer"/>
    /// names them) to its module in PyTorch's nn.Sequential: the k-th layer after <c>Input</c> is module k, the
    /// parameterless ones (activations, pools, <c>Flatten</c>) included, loss layers not. The layers named by the
    /// blocks are matched in order to the architecture's layers of their kind.
    /// </summary>
    private static Dictionary<string, Module> ModulesOf<TNet>(TNet network)
        where TNet : INetwork
    {
        string architecture = network.Architecture;
        var modules = new List<Module>();
        List<(string Kind, string[] Arguments)> declared = Layers(architecture);
        bool image = declared.Count > 0 && declared[0].Arguments.Length == 3; // Input(C, H, W)
        for (int i = 1; i < declared.Count; i++) // the first is Input(...), not a module
        {
            if (declared[i].Kind is "SoftmaxCrossEntropy" or "MeanSquaredError" or "SigmoidCrossEntropy")
                continue; // losses are applied outside a PyTorch model
            modules.Add(new Module(modules.Count, declared[i].Kind, declared[i].Arguments, image));
            if (declared[i].Kind is "Flatten" or "Dense")
                image = false;
        }

        var layers = new Dictionary<string, Module>(StringComparer.Ordinal);
        int next = 0;
        foreach (ParameterBlock block in network.ParameterBlocks)
        {
            if (layers.ContainsKey(block.Layer))
                continue;
            string kind = block.Layer.TrimEnd("0123456789".ToCharArray());
            while (next < modules.Count && modules[next].Kind != kind)
                next++;
            if (kind.Length == 0 || next == modules.Count)
                throw new NotSupportedException($"Block {block.Name} belongs to layer '{block.Layer}', which is not in the architecture '{architecture}' (after the layers before it).");
            layers.Add(block.Layer, modules[next++]);
        }
        return layers;
    }

    /// <summary>
    /// Splits an architecture such as <c>Input(1, 28, 28) Conv2D(30, 5, Stride = 2) ReLU Flatten Dense(10)</c> into
    /// its layers: white space outside parentheses separates them; the arguments are the comma-separated parts
    /// inside, trimmed (<c>Stride = 2</c> stays one part).
    /// </summary>
    private static List<(string Kind, string[] Arguments)> Layers(string architecture)
    {
        var layers = new List<(string, string[])>();
        int i = 0;
        while (i < architecture.Length)
        {
            if (char.IsWhiteSpace(architecture[i]))
            {
                i++;
                continue;
            }
            int start = i;
            while (i < architecture.Length && architecture[i] != '(' && !char.IsWhiteSpace(architecture[i]))
                i++;
            string kind = architecture.Substring(start, i - start);
            string[] arguments = [];
            if (i < architecture.Length && architecture[i] == '(')
            {
                int close = architecture.IndexOf(')', i);
                if (close < 0)
                    throw new NotSupportedException($"The architecture '{architecture}' has a '(' at character {i} that is not closed.");
                arguments = architecture.Substring(i + 1, close - i - 1).Split(',', StringSplitOptions.TrimEntries);
                i = close + 1;
            }
            layers.Add((kind, arguments));
        }
        return layers;
    }

    /// <summary>PyTorch's <c>[out, in, kH, kW]</c> of a Conv2D weight block: <c>[F, C, K, K]</c> with K the declared kernel size.</summary>
    private static long[] ConvWeightShape(ParameterBlock block, Module layer, string architecture)
    {
        if (layer.Arguments.Length < 2
            || !int.TryParse(layer.Arguments[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int k)
            || k <= 0 || block.Columns % (k * k) != 0 || block.Rows * block.Columns != block.Length)
            throw new NotSupportedException($"Block {block.Name} of layer {block.Layer} ({block.Rows} x {block.Columns}) does not fit a Conv2D(filters, kernel) of the architecture '{architecture}'.");
        return [block.Rows, block.Columns / (k * k), k, k];
    }

    /// <summary>The network's parameters as F32 tensors in PyTorch's names and layouts (see <see cref="SafeTensorsNetwork"/>).</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="metadata">The file's <c>__metadata__</c>; <see cref="DefaultMetadata"/> when null.</param>
    /// <exception cref="ArgumentException">The naming is not usable for this network (see <see cref="Describe{TNet}(TNet, SafeTensorsNaming?)"/>), or the network's Parameters do not hold ParameterCount floats.</exception>
    public static SafeTensorsFile ToFile<TNet>(TNet network, SafeTensorsNaming? naming = null, IReadOnlyDictionary<string, string>? metadata = null)
        where TNet : INetwork
    {
        IReadOnlyList<SafeTensorsParameter> parameters = Describe(network, naming);
        ReadOnlySpan<float> all = CheckedParameters(network);
        var tensors = new List<SafeTensor>(parameters.Count);
        ReadOnlySpan<float> state = network.State;
        foreach (SafeTensorsParameter p in parameters)
        {
            ParameterBlock b = p.Block;
            if (p.IsBatchCounter)
            {
                // PyTorch's num_batches_tracked, which load_state_dict(strict=True) wants: StaticNet does not count, 0.
                tensors.Add(new SafeTensor(p.TensorName, SafeTensorsDType.I64, p.Shape, new byte[8]));
                continue;
            }
            ReadOnlySpan<float> block = (p.InState ? state : all).Slice(b.Offset, b.Length);
            float[] values = new float[b.Length];
            if (p.Transposed)
            {
                // StaticNet [rows = in, columns = out] → PyTorch [out, in].
                for (int r = 0; r < b.Rows; r++)
                    for (int c = 0; c < b.Columns; c++)
                        values[c * b.Rows + r] = block[r * b.Columns + c];
            }
            else
            {
                block.CopyTo(values);
            }
            tensors.Add(SafeTensor.FromSingles(p.TensorName, p.Shape, values));
        }
        return new SafeTensorsFile(tensors, metadata ?? DefaultMetadata);
    }

    /// <summary>
    /// Saves the network's parameters to <paramref name="path"/> as a safetensors file PyTorch loads into the
    /// matching module with <c>load_state_dict</c>. The file is written to a temporary file in the same folder
    /// and renamed over <paramref name="path"/> only when complete: a failure never leaves a half-written file.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="metadata">The file's <c>__metadata__</c>; <see cref="DefaultMetadata"/> when null.</param>
    /// <exception cref="ArgumentException">The naming is not usable for this network.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save<TNet>(TNet network, string path, SafeTensorsNaming? naming = null, IReadOnlyDictionary<string, string>? metadata = null)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensorsFile file = ToFile(network, naming, metadata);
        file.Save(path);
    }

    /// <summary>Writes the network's parameters to <paramref name="stream"/> as safetensors (see <see cref="Save{TNet}(TNet, string, SafeTensorsNaming?, IReadOnlyDictionary{string, string}?)"/>); the stream is not flushed or disposed.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="metadata">The file's <c>__metadata__</c>; <see cref="DefaultMetadata"/> when null.</param>
    public static void Save<TNet>(TNet network, Stream stream, SafeTensorsNaming? naming = null, IReadOnlyDictionary<string, string>? metadata = null)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(stream);
        ToFile(network, naming, metadata).Write(stream);
    }

    /// <summary>
    /// Loads a safetensors file, e.g. a PyTorch state_dict, into the network's parameters. The file is read and
    /// checked completely first; on any problem an <see cref="InvalidDataException"/> names the tensor and what
    /// is wrong, and the network is unchanged.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="path">The file.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="strict">
    /// As PyTorch's <c>load_state_dict(strict=...)</c>: when true (the default) a missing tensor, or a tensor the
    /// network has no place for, is an error; when false, missing blocks keep their values and extra tensors are
    /// ignored. A wrong shape or dtype is an error either way.
    /// </param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or does not fit the network.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static void Load<TNet>(TNet network, string path, SafeTensorsNaming? naming = null, bool strict = true)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        Load(network, file, path, naming, strict);
    }

    /// <summary>Loads safetensors data from <paramref name="stream"/> (read to its end, not disposed) into the network, as <see cref="Load{TNet}(TNet, string, SafeTensorsNaming?, bool)"/> does.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="stream">A readable stream at the start of the data.</param>
    /// <param name="name">The name of the file, for error messages.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="strict">Whether missing and unexpected tensors are errors (see <see cref="Load{TNet}(TNet, string, SafeTensorsNaming?, bool)"/>).</param>
    /// <exception cref="InvalidDataException">The data are not valid safetensors, or do not fit the network.</exception>
    public static void Load<TNet>(TNet network, Stream stream, string name, SafeTensorsNaming? naming = null, bool strict = true)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        IReadOnlyList<SafeTensorsParameter> parameters = Describe(network, naming);
        SafeTensorsFile file = SafeTensorsFile.Read(stream, name);
        Load(network, file, name, parameters, strict);
    }

    /// <summary>Loads tensors already read (e.g. by <see cref="SafeTensorsFile.Read(string)"/>) into the network, as <see cref="Load{TNet}(TNet, string, SafeTensorsNaming?, bool)"/> does.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="file">The tensors.</param>
    /// <param name="naming">The names; <see cref="SafeTensorsNaming.Sequential"/> when null.</param>
    /// <param name="strict">Whether missing and unexpected tensors are errors (see <see cref="Load{TNet}(TNet, string, SafeTensorsNaming?, bool)"/>).</param>
    /// <exception cref="InvalidDataException">The tensors do not fit the network.</exception>
    public static void Load<TNet>(TNet network, SafeTensorsFile file, SafeTensorsNaming? naming = null, bool strict = true)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(file);
        Load(network, file, "(tensors)", Describe(network, naming), strict);
    }

    private static void Load<TNet>(TNet network, SafeTensorsFile file, string name, IReadOnlyList<SafeTensorsParameter> parameters, bool strict)
        where TNet : INetwork
    {
        float[] staged = CheckedParameters(network).ToArray();
        float[] stagedState = network.State.ToArray();
        var problems = new List<string>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        string? missing = null;
        foreach (SafeTensorsParameter p in parameters)
        {
            expected.Add(p.TensorName);
            bool present = file.TryGetTensor(p.TensorName, out SafeTensor tensor);
            if (p.IsBatchCounter)
            {
                // Ignored (StaticNet does not count batches), and may be missing; if there, it is PyTorch's int64 scalar.
                if (present && (SafeTensorsDTypes.ConvertsToSingle(tensor.DType) || tensor.ElementCount != 1))
                    problems.Add($"tensor '{p.TensorName}' is {SafeTensorsDTypes.Name(tensor.DType)} {SafeTensor.FormatShape(tensor.Shape)}, but a BatchNorm's num_batches_tracked is an integer scalar (I64 [])");
                continue;
            }
            if (!present)
            {
                missing ??= p.TensorName;
                if (strict)
                    problems.Add($"tensor '{p.TensorName}' ({p.ModuleType} {p.Attribute} {SafeTensor.FormatShape(p.Shape)}, block {p.Block.Name} of {p.Block.Layer}) is missing");
                continue;
            }
            if (!SafeTensorsDTypes.ConvertsToSingle(tensor.DType))
            {
                problems.Add($"tensor '{p.TensorName}' is {SafeTensorsDTypes.Name(tensor.DType)}, but a parameter must be a float dtype (F32, F16, BF16 or F64)");
                continue;
            }
            if (!tensor.Shape.SequenceEqual(p.Shape))
            {
                problems.Add($"tensor '{p.TensorName}' has shape {SafeTensor.FormatShape(tensor.Shape)}, but {p.Block.Name} of {p.Block.Layer} needs {SafeTensor.FormatShape(p.Shape)} ({p.ModuleType} {p.Attribute}{Layout(p)})");
                continue;
            }
            ParameterBlock b = p.Block;
            float[] values = tensor.ToSingles();
            Span<float> block = (p.InState ? stagedState : staged).AsSpan(b.Offset, b.Length);
            if (p.Transposed)
            {
                // PyTorch [out, in] → StaticNet [rows = in, columns = out].
                for (int r = 0; r < b.Rows; r++)
                    for (int c = 0; c < b.Columns; c++)
                        block[r * b.Columns + c] = values[c * b.Rows + r];
            }
            else
            {
                values.CopyTo(block);
            }
        }
        if (strict)
        {
            foreach (SafeTensor tensor in file.Tensors)
            {
                if (!expected.Contains(tensor.Name) && !tensor.Name.EndsWith(BatchCounter, StringComparison.Ordinal))
                    problems.Add($"tensor '{tensor.Name}' is unexpected: the network has no parameter of that name, only {string.Join(", ", expected)} (load with strict: false to ignore extra tensors)");
            }
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load network parameters from '{name}': {string.Join("; ", problems)}{PrefixHint(file, missing)}.");
        staged.CopyTo(network.Parameters);
        stagedState.CopyTo(network.State);
    }

    /// <summary>PyTorch's layout of a weight, for a message about a wrong shape.</summary>
    private static string Layout(SafeTensorsParameter p) => p.Attribute.StartsWith("weight_ih", StringComparison.Ordinal)
        ? $", PyTorch's [{(p.ModuleType == "GRU" ? 3 : 4)}·hidden, in]: gates {(p.ModuleType == "GRU" ? "r, z, n" : "i, f, g, o")}"
        : p.Attribute.StartsWith("weight_hh", StringComparison.Ordinal) ? $", PyTorch's [{(p.ModuleType == "GRU" ? 3 : 4)}·hidden, hidden]"
        : p.Attribute != "weight" ? "" : p.ModuleType switch
        {
            "Linear" => ", PyTorch's [out, in]",
            "Conv2d" => ", PyTorch's [out, in, kH, kW]",
            _ => "",
        };

    /// <summary>When a missing name is the end of a tensor's name, the file likely holds the model under a module prefix: say which.</summary>
    private static string PrefixHint(SafeTensorsFile file, string? missing)
    {
        if (missing is null) return "";
        foreach (SafeTensor tensor in file.Tensors)
        {
            string n = tensor.Name;
            if (n.Length > missing.Length && n.EndsWith(missing, StringComparison.Ordinal) && n[n.Length - missing.Length - 1] == '.')
                return $" (the file has '{n}': if the model is held under a prefix, load with SafeTensorsNaming.WithPrefix(\"{n.Substring(0, n.Length - missing.Length)}\"))";
        }
        return "";
    }

    private static Span<float> CheckedParameters<TNet>(TNet network)
        where TNet : INetwork
    {
        Span<float> parameters = network.Parameters;
        if (parameters.Length != network.ParameterCount)
            throw new ArgumentException($"The network's Parameters hold {parameters.Length} floats, but its ParameterCount is {network.ParameterCount}.", nameof(network));
        return parameters;
    }
}
