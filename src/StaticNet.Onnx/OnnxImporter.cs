using System;
using System.Collections.Generic;
using System.Globalization;
using StaticNet.Onnx.Protobuf;

namespace StaticNet.Onnx;

/// <summary>
/// Matches an ONNX graph against a network's declaration, layer by layer from the graph's input, and
/// gathers the weights of the initializers it finds into a copy of the network's parameters. One case per
/// layer kind in <see cref="MatchLayer"/>. The graph must be a chain: each value feeds exactly one node.
/// </summary>
/// <remarks>
/// A Dense layer is accepted in the forms <c>torch.onnx.export</c> writes (checked against torch 1.13): a
/// <c>Gemm</c> with <c>transB = 1</c> and the PyTorch weight <c>[out, in]</c> (an <c>nn.Linear</c> on a
/// batch of rows), a <c>Gemm</c> with <c>transB = 0</c> and <c>[in, out]</c> (what StaticNet exports), or
/// <c>MatMul</c> then <c>Add</c> of the bias, the matrix either a constant <c>[in, out]</c> (torch folds the
/// transpose) or a <c>Transpose</c> of an <c>[out, in]</c> initializer (export without constant folding).
/// <c>alpha</c> and <c>beta</c> of a Gemm are folded into the weights and bias.
/// </remarks>
internal sealed class OnnxImporter
{
    private readonly string _file;
    private readonly INetwork _network;
    private readonly ParameterBlock[] _blocks;
    private readonly float[] _staged;
    private readonly float[] _stagedState;  // INetwork.State: each BatchNorm's running mean, then variance
    private readonly GraphProto _graph;
    private readonly bool _recurrent;       // values are [batch, steps, ...]: a GRU/LSTM network
    private int _nextState;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly HashSet<NodeProto> _matched = new(ReferenceEqualityComparer.Instance);
    private int _nextBlock;
    private string _value = string.Empty;  // the graph value the next layer reads
    private int[] _shape;                  // its shape without the batch dimension

    private OnnxImporter(string file, INetwork network, GraphProto graph, int[] inputShape)
    {
        _file = file;
        _network = network;
        _graph = graph;
        _blocks = network.ParameterBlocks.ToArray();
        _staged = network.Parameters.ToArray();
        _stagedState = network.State.ToArray();
        _recurrent = Architecture.Parse(network.Architecture).Exists(l => l.IsRecurrent);
        _shape = inputShape;
    }

    /// <summary>Checks the whole model against the network and returns the parameters and the State to copy in.</summary>
    public static (float[] Parameters, float[] State) Match(string file, INetwork network, ModelProto model)
    {
        GraphProto graph = model.Graph ?? throw new OnnxFormatException(file, "the model has no graph");
        if (!model.OpsetImport.Exists(o => o.Domain is "" or "ai.onnx"))
            throw new OnnxFormatException(file, "the model declares no opset of the default ONNX domain (opset_import), which every ONNX model must");
        List<LayerDeclaration> layers = Architecture.Parse(network.Architecture);
        var inputShape = new int[layers[0].Positional.Count];
        for (int i = 0; i < inputShape.Length; i++)
            inputShape[i] = layers[0].Int(i);

        var importer = new OnnxImporter(file, network, graph, inputShape);
        importer.Index();
        importer.MatchInput();
        int first = 1;
        if (importer._recurrent)
        {
            while (first < layers.Count && layers[first].IsRecurrent)
                first++;
            importer.MatchRecurrent(layers.GetRange(1, first - 1));
        }
        for (int i = first; i < layers.Count; i++)
        {
            if (layers[i].IsRecurrent)
                throw new NotSupportedException($"ONNX import supports recurrent networks whose GRU and LSTM layers come first, not the network's {layers[i].Describe()} after other layers.");
            importer.MatchLayer(layers[i]);
        }
        if (importer._nextState != importer._stagedState.Length)
            throw new NotSupportedException($"ONNX import matched {importer._nextState} of the network's {importer._stagedState.Length} floats of State; the architecture \"{network.Architecture}\" does not describe the rest.");
        importer.MatchEnd(layers[layers.Count - 1]);
        return (importer._staged, importer._stagedState);
    }

    private void MatchLayer(LayerDeclaration layer)
    {
        switch (layer.Kind)
        {
            case "Dense":
                MatchDense(layer);
                break;
            case "ReLU":
                MatchUnary(layer, "Relu");
                break;
            case "Sigmoid":
                MatchUnary(layer, "Sigmoid");
                break;
            case "Tanh":
                MatchUnary(layer, "Tanh");
                break;
            case "LeakyReLU":
            {
                NodeProto node = NextNode(layer, "LeakyRelu");
                ExpectInputs(node, layer, 1, "one input");
                float alpha = FloatAttribute(node, "alpha", 0.01f), declared = layer.Float(0);
                if (alpha != declared)
                    throw Error($"node {node.Describe()} has alpha = {alpha.ToString("R", CultureInfo.InvariantCulture)}, but the network's {layer.Describe()} has {declared.ToString("R", CultureInfo.InvariantCulture)}");
                Advance(node);
                break;
            }
            case "Conv2D":
                MatchConv(layer);
                break;
            case "BatchNorm":
                MatchBatchNorm(layer);
                break;
            case "MaxPool2D":
            case "AvgPool2D":
                MatchPool(layer);
                break;
            case "Flatten":
            {
                NodeProto node = NextNode(layer, "Flatten");
                ExpectInputs(node, layer, 1, "one input");
                if (IntAttribute(node, "axis", 1) != 1)
                    throw Error($"node {node.Describe()} has axis = {IntAttribute(node, "axis", 1)}; the network's {layer.Describe()} keeps the batch axis: axis = 1");
                Advance(node);
                int size = 1;
                foreach (int dim in _shape)
                    size *= dim;
                _shape = [size];
                break;
            }
            case "Softmax":
                MatchSoftmax(layer);
                break;
            case "SoftmaxCrossEntropy":
                // The loss is not part of an exported inference graph. A PyTorch classifier trained with
                // CrossEntropyLoss ends in its last Linear (logits); one exported for inference may end in
                // Softmax. Both carry the same weights.
                if (!IsGraphOutput(_value))
                    MatchSoftmax(layer);
                break;
            case "SigmoidCrossEntropy":
                // As SoftmaxCrossEntropy: a model trained with BCEWithLogitsLoss ends in its logits, one exported for
                // inference may end in Sigmoid.
                if (!IsGraphOutput(_value))
                    MatchUnary(layer, "Sigmoid");
                break;
            case "MeanSquaredError": // identity at inference
            case "Dropout":          // identity at inference; an ONNX Dropout node, if any, is stepped over
                break;
            default:
                throw new NotSupportedException($"ONNX import does not support the network's {layer.Describe()} (architecture \"{_network.Architecture}\").");
        }
    }

    private void MatchDense(LayerDeclaration layer)
    {
        int inputs = Features(layer), units = layer.Int(0);
        ParameterBlock w = TakeBlock(layer, ParameterKind.Weights, inputs, units);
        ParameterBlock b = TakeBlock(layer, ParameterKind.Bias, 1, units);
        NodeProto node = NextNode(layer, "Gemm", "MatMul");
        if (node.OpType == "Gemm")
        {
            ExpectInputs(node, layer, 3, "A, B and C (the bias)");
            float alpha = FloatAttribute(node, "alpha", 1f), beta = FloatAttribute(node, "beta", 1f);
            if (IntAttribute(node, "transA", 0) != 0)
                throw Error($"node {node.Describe()} for the network's {layer.Describe()} has transA = 1; a Dense layer reads its input as it is");
            long transB = IntAttribute(node, "transB", 0);
            if (transB is not (0 or 1))
                throw Error($"node {node.Describe()} has transB = {transB}, which is neither 0 nor 1");
            TensorProto weights = Initializer(node, 1, layer);
            StageWeights(weights, w, inputs, units, transposed: transB == 1, alpha, node, layer);
            TensorProto bias = Initializer(node, 2, layer);
            StageBias(bias, b, units, beta, node, layer);
            Advance(node);
        }
        else
        {
            ExpectInputs(node, layer, 2, "A and B");
            string matrixName = node.Inputs[1];
            if (_initializers.TryGetValue(matrixName, out TensorProto? matrix))
            {
                StageWeights(matrix, w, inputs, units, transposed: false, 1f, node, layer);
            }
            else if (_producers.TryGetValue(matrixName, out NodeProto? transpose) && transpose.OpType == "Transpose" && IsDefaultDomain(transpose))
            {
                AttributeProto? perm = transpose.Attribute("perm");
                if (perm is not null && !(perm.IntList.Count == 2 && perm.IntList[0] == 1 && perm.IntList[1] == 0))
                    throw Error($"node {transpose.Describe()}, the weight of {node.Describe()}, has perm [{string.Join(", ", perm.IntList)}]; a Dense weight is transposed with perm [1, 0]");
                if (transpose.Inputs.Count != 1)
                    throw Error($"node {transpose.Describe()} has {transpose.Inputs.Count} inputs, expected 1");
                StageWeights(Initializer(transpose, 0, layer), w, inputs, units, transposed: true, 1f, transpose, layer);
                _matched.Add(transpose);
            }
            else
            {
                throw Error($"input B '{matrixName}' of node {node.Describe()} (the weight of the network's {layer.Describe()}) is neither an initializer nor a Transpose of one");
            }
            Advance(node);

            // The bias: Add(matmul, b) or Add(b, matmul), as torch writes it.
            NodeProto add = NextNode(layer, "Add");
            ExpectInputs(add, layer, 2, "the product and the bias");
            int biasInput = add.Inputs[0] == _value ? 1 : 0;
            if (add.Inputs[1 - biasInput] != _value)
                throw Error($"node {add.Describe()} does not read '{_value}'");
            StageBias(Initializer(add, biasInput, layer), b, units, 1f, add, layer);
            Advance(add);
        }
        _shape = [units];
    }

    private void MatchConv(LayerDeclaration layer)
    {
        (int channels, int height, int width) = Image(layer);
        int filters = layer.Int(0);
        Window window = Window.Of(layer, 1, defaultStride: 1);
        int k = window.Kernel;
        ParameterBlock w = TakeBlock(layer, ParameterKind.Weights, filters * channels * k * k);
        ParameterBlock b = TakeBlock(layer, ParameterKind.Bias, filters);
        NodeProto node = NextNode(layer, "Conv");
        ExpectInputs(node, layer, 3, "X, W and B (the bias)");
        ExpectWindow(node, layer, window, ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"]);
        if (IntAttribute(node, "group", 1) != 1)
            throw Error($"node {node.Describe()} has group = {IntAttribute(node, "group", 1)}; the network's {layer.Describe()} is a full convolution, group = 1");

        // W [filters, channels, k, k] in both PyTorch/ONNX and StaticNet: copied as it is.
        TensorProto weights = Initializer(node, 1, layer);
        if (weights.Dims.Count != 4 || weights.Dims[0] != filters || weights.Dims[1] != channels || weights.Dims[2] != k || weights.Dims[3] != k)
            throw Error($"tensor '{weights.Name}' (the weight of node {node.Describe()}) has shape [{string.Join(", ", weights.Dims)}], but the network's {layer.Describe()} needs [{filters}, {channels}, {k}, {k}]");
        Span<float> target = _staged.AsSpan(w.Offset, w.Length);
        for (int i = 0; i < target.Length; i++)
            target[i] = weights[i];
        StageBias(Initializer(node, 2, layer), b, filters, 1f, node, layer);
        Advance(node);
        _shape = [filters, window.Output(height, layer), window.Output(width, layer)];
    }

    /// <summary>
    /// BatchNormalization (as torch.onnx.export writes an eval-mode nn.BatchNorm1d/2d, or StaticNet's export): scale, B,
    /// mean and var initializers of [channels] into γ, β and the layer's running statistics in State; the epsilon must be
    /// the declared one (as float32), training_mode 0. (A default torch export of a model in eval mode folds a BatchNorm2d
    /// into the Conv before it; export with <c>training=torch.onnx.TrainingMode.PRESERVE</c> to keep it a node.)
    /// </summary>
    private void MatchBatchNorm(LayerDeclaration layer)
    {
        int channels = _shape[0];
        ParameterBlock gamma = TakeBlock(layer, ParameterKind.Scale, channels);
        ParameterBlock beta = TakeBlock(layer, ParameterKind.Shift, channels);
        if (_nextState + 2 * channels > _stagedState.Length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs {2 * channels} floats of running statistics, but its State holds {_stagedState.Length - _nextState} more.");
        NodeProto node = NextNode(layer, "BatchNormalization");
        ExpectInputs(node, layer, 5, "X, scale, B, mean and var");
        float epsilon = FloatAttribute(node, "epsilon", 1e-5f), declared = (float)layer.NamedReal("Epsilon", 1e-5);
        if (epsilon != declared)
            throw Error($"node {node.Describe()} has epsilon = {epsilon.ToString("R", CultureInfo.InvariantCulture)}, but the network's {layer.Describe()} has {declared.ToString("R", CultureInfo.InvariantCulture)}");
        if (IntAttribute(node, "training_mode", 0) != 0)
            throw Error($"node {node.Describe()} has training_mode = 1; an exported inference graph normalises with the running statistics");
        string[] what = ["scale (γ)", "B (β)", "mean (the running mean)", "var (the running variance)"];
        for (int i = 0; i < 4; i++)
        {
            TensorProto tensor = Initializer(node, i + 1, layer);
            if (tensor.Dims.Count != 1 || tensor.Dims[0] != channels)
                throw Error($"tensor '{tensor.Name}' (the {what[i]} of node {node.Describe()}) has shape [{string.Join(", ", tensor.Dims)}], but the network's {layer.Describe()} needs [{channels}]");
            Span<float> target = i switch
            {
                0 => _staged.AsSpan(gamma.Offset, channels),
                1 => _staged.AsSpan(beta.Offset, channels),
                _ => _stagedState.AsSpan(_nextState + (i - 2) * channels, channels),
            };
            for (int c = 0; c < channels; c++)
                target[c] = tensor[c];
        }
        _nextState += 2 * channels;
        Advance(node);
    }

    // ---- recurrent networks ----

    /// <summary>Nodes that only move, reshape or compute the shape of data: what torch writes around its GRU/LSTM nodes.</summary>
    private static readonly HashSet<string> Plumbing = new(StringComparer.Ordinal)
    {
        "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Shape", "Gather", "Constant", "Concat", "ConstantOfShape", "Slice", "Expand", "Cast",
    };

    /// <summary>
    /// The GRU and LSTM layers at the start of a recurrent network: one ONNX <c>GRU</c> or <c>LSTM</c> node each, in graph
    /// order, of the declared kind and hidden size, forward, with ONNX's default activations, a GRU with
    /// <c>linear_before_reset = 1</c> (PyTorch's), no sequence lengths and no peepholes. Its W, R and B initializers
    /// (gates z, r, h or i, o, f, c) are reordered into StaticNet's (PyTorch's) W_ih, W_hh, b_ih, b_hh. Each node's X
    /// must come from the one before (or the graph's input) through nodes that only move data (Transpose, Squeeze, ...),
    /// as torch writes for <c>batch_first=True</c>; everything feeding the recurrent nodes (torch's zero initial state
    /// from Shape, Gather, ConstantOfShape, ...) must be such nodes. StaticNet starts each sequence from zero, so an
    /// initial state given as an initializer must be zero. Afterwards the current value is the last Y with its direction
    /// axis squeezed and transposed back, and the layers that follow are matched as a chain.
    /// </summary>
    private void MatchRecurrent(List<LayerDeclaration> layers)
    {
        var nodes = _graph.Nodes.FindAll(n => n.OpType is "GRU" or "LSTM" && IsDefaultDomain(n));
        if (nodes.Count != layers.Count)
            throw Error($"the graph has {nodes.Count} GRU/LSTM node(s) ({string.Join(", ", nodes.ConvertAll(n => n.Describe()))}), but the network has {layers.Count} recurrent layer(s) ({string.Join(" ", layers.ConvertAll(l => l.Text))})");
        string input = _value;
        for (int i = 0; i < layers.Count; i++)
        {
            LayerDeclaration layer = layers[i];
            NodeProto node = nodes[i];
            int inputs = Features(layer), hidden = layer.Int(0), gates = layer.Gates, rows = gates * hidden;
            ParameterBlock wih = TakeBlock(layer, ParameterKind.Weights, rows, inputs);
            ParameterBlock whh = TakeBlock(layer, ParameterKind.Weights, rows, hidden);
            ParameterBlock bih = TakeBlock(layer, ParameterKind.Bias, 1, rows);
            ParameterBlock bhh = TakeBlock(layer, ParameterKind.Bias, 1, rows);
            if (node.OpType != layer.Kind)
                throw Error($"the network's {layer.Describe()} is recurrent layer {i + 1}, but the graph's recurrent node {i + 1} is {node.Describe()}");
            foreach (AttributeProto a in node.Attributes)
            {
                bool fine = a.Name switch
                {
                    "hidden_size" => a.I == hidden,
                    "direction" => a.S is "" or "forward",
                    "linear_before_reset" => layer.Kind == "GRU" && a.I == 1,
                    "input_forget" => a.I == 0,
                    "layout" => a.I == 0,
                    _ => false, // activations, activation_alpha/beta, clip: not the cell StaticNet computes
                };
                if (!fine)
                    throw Error($"node {node.Describe()} has attribute {a.Name} = {(a.Type == AttributeProto.Int ? a.I.ToString(CultureInfo.InvariantCulture) : a.S)}, but the network's {layer.Describe()} is PyTorch's nn.{layer.Kind}: hidden_size {hidden}, forward{(layer.Kind == "GRU" ? ", linear_before_reset = 1" : "")}, the default activations, no clip");
            }
            if (node.Attribute("hidden_size") is null)
                throw Error($"node {node.Describe()} has no hidden_size; the network's {layer.Describe()} has {hidden}");
            if (layer.Kind == "GRU" && node.Attribute("linear_before_reset") is null)
                throw Error($"node {node.Describe()} has linear_before_reset = 0 (the GRU of the original paper), but the network's {layer.Describe()} is PyTorch's nn.GRU, linear_before_reset = 1");
            string Optional(int k) => node.Inputs.Count > k ? node.Inputs[k] : string.Empty;
            if (node.Inputs.Count < 3 || node.Inputs[1].Length == 0 || node.Inputs[2].Length == 0)
                throw Error($"node {node.Describe()} for the network's {layer.Describe()} has no W and R inputs");
            if (Optional(4).Length > 0)
                throw Error($"node {node.Describe()} has sequence_lens '{Optional(4)}'; the network runs every sequence for all its steps");
            if (layer.Kind == "LSTM" && Optional(7).Length > 0)
                throw Error($"node {node.Describe()} has peephole weights P '{Optional(7)}', which nn.LSTM does not have");
            foreach (int k in layer.Kind == "LSTM" ? new[] { 5, 6 } : [5])
            {
                if (_initializers.TryGetValue(Optional(k), out TensorProto? start) && Floats(start, node, layer).Exists(v => v != 0))
                    throw Error($"tensor '{start.Name}', the initial {(k == 5 ? "h" : "c")} of node {node.Describe()}, is not zero; the network starts every sequence from zero");
            }

            int[] torchOfOnnx = layer.TorchBlockOfOnnxBlock;
            StageRecurrent(RecurrentInitializer(node, 1, layer, [1, rows, inputs], "W"), wih, torchOfOnnx, hidden, inputs, 0);
            StageRecurrent(RecurrentInitializer(node, 2, layer, [1, rows, hidden], "R"), whh, torchOfOnnx, hidden, hidden, 0);
            if (Optional(3).Length > 0)
            {
                TensorProto b = RecurrentInitializer(node, 3, layer, [1, 2 * rows], "B");
                StageRecurrent(b, bih, torchOfOnnx, hidden, 1, 0);
                StageRecurrent(b, bhh, torchOfOnnx, hidden, 1, rows);
            }
            else
            {
                _staged.AsSpan(bih.Offset, rows).Clear(); // ONNX: no B is zero biases
                _staged.AsSpan(bhh.Offset, rows).Clear();
            }

            // X comes from the graph's input or from the Y of the node before, through nodes that only move data.
            string source = Upstream(node.Inputs[0], node, layer);
            string expected = i == 0 ? input : nodes[i - 1].Outputs[0];
            if (source != expected)
                throw Error($"input X of node {node.Describe()} (the network's {layer.Describe()}) comes from '{source}', not from {(i == 0 ? "the graph's input" : "output Y of node " + nodes[i - 1].Describe())} '{expected}'");
            // Everything else that feeds the node (torch's initial state) may only compute shapes and zeros.
            for (int k = 4; k < node.Inputs.Count; k++)
                if (node.Inputs[k].Length > 0)
                    Upstream(node.Inputs[k], node, layer);
            _matched.Add(node);
            _shape = [hidden];
        }

        // After the last: Y [steps, 1, batch, H] → Squeeze → Transpose → [batch, steps, H] (and the unused Y_h, Y_c).
        NodeProto last = nodes[^1];
        _value = last.Outputs[0];
        while (_consumers.TryGetValue(_value, out List<NodeProto>? readers) && readers.Count == 1
            && readers[0].OpType is "Squeeze" or "Transpose" or "Reshape" or "Identity" or "Unsqueeze" && IsDefaultDomain(readers[0]) && readers[0].Outputs.Count == 1)
        {
            foreach (string extra in readers[0].Inputs)
                if (extra != _value && extra.Length > 0)
                    Upstream(extra, readers[0], layers[^1]); // Squeeze's axes: a Constant or an initializer
            _matched.Add(readers[0]);
            _value = readers[0].Outputs[0];
        }
        for (int k = 1; k < last.Outputs.Count; k++)
        {
            if (last.Outputs[k].Length > 0 && _consumers.ContainsKey(last.Outputs[k]))
                throw Error($"output {k} '{last.Outputs[k]}' (the last hidden or cell state) of node {last.Describe()} is read by node {_consumers[last.Outputs[k]][0].Describe()}; the network's layers read the whole sequence Y");
        }
    }

    /// <summary>
    /// Follows <paramref name="value"/> up through nodes that only move data or compute shapes and constants, marking
    /// them matched, to where its data come from: the graph's input, a GRU/LSTM output, or an initializer. A node of
    /// any other kind on the way is an error.
    /// </summary>
    private string Upstream(string value, NodeProto reader, LayerDeclaration layer)
    {
        string source = value;
        var pending = new Stack<string>();
        pending.Push(value);
        bool first = true;
        while (pending.Count > 0)
        {
            string v = pending.Pop();
            if (!_producers.TryGetValue(v, out NodeProto? node) || node.OpType is "GRU" or "LSTM")
            {
                if (first) source = v;
                first = false;
                continue;
            }
            if (!Plumbing.Contains(node.OpType) || !IsDefaultDomain(node))
                throw Error($"node {node.Describe()} feeds node {reader.Describe()} (the network's {layer.Describe()}), but computes more than moving data; only {string.Join(", ", Plumbing)} may stand between the recurrent layers");
            _matched.Add(node);
            // The data path is each node's first input; shapes, axes and constants come in its others.
            for (int k = node.Inputs.Count - 1; k >= 0; k--)
            {
                if (node.Inputs[k].Length > 0)
                    pending.Push(node.Inputs[k]);
            }
            if (node.Inputs.Count == 0 && first) // a Constant: the data start here
            {
                source = v;
                first = false;
            }
        }
        return source;
    }

    private TensorProto RecurrentInitializer(NodeProto node, int input, LayerDeclaration layer, long[] dims, string what)
    {
        TensorProto tensor = Initializer(node, input, layer);
        if (!tensor.Dims.ToArray().AsSpan().SequenceEqual(dims))
            throw Error($"tensor '{tensor.Name}' (input {what} of node {node.Describe()}) has shape [{string.Join(", ", tensor.Dims)}], but the network's {layer.Describe()} needs [{string.Join(", ", dims)}] (ONNX's gates {(layer.Kind == "GRU" ? "z, r, h" : "i, o, f, c")} of {layer.Int(0)} rows each)");
        return tensor;
    }

    /// <summary>Copies an ONNX W, R or half of B (from element <paramref name="start"/>) into a block, its gate blocks into PyTorch's order.</summary>
    private void StageRecurrent(TensorProto tensor, ParameterBlock block, int[] torchOfOnnx, int hidden, int columns, int start)
    {
        int size = hidden * columns;
        Span<float> target = _staged.AsSpan(block.Offset, block.Length);
        for (int j = 0; j < torchOfOnnx.Length; j++)
        {
            Span<float> gate = target.Slice(torchOfOnnx[j] * size, size);
            for (int e = 0; e < size; e++)
                gate[e] = tensor[start + j * size + e];
        }
    }

    private List<float> Floats(TensorProto tensor, NodeProto node, LayerDeclaration layer)
    {
        if (tensor.DataType != TensorProto.FloatType)
            throw Error($"tensor '{tensor.Name}' of node {node.Describe()} (the network's {layer.Describe()}) has data type {tensor.DataType}, expected 1 (float)");
        long count = tensor.ElementCount();
        var values = new List<float>();
        for (int i = 0; i < count && i < (tensor.RawData is null ? tensor.FloatData.Count : tensor.RawData.Length / 4); i++)
            values.Add(tensor[i]);
        return values;
    }

    private void MatchPool(LayerDeclaration layer)
    {
        (int channels, int height, int width) = Image(layer);
        Window window = Window.Of(layer, 0, defaultStride: layer.Int(0));
        string opType = layer.Kind == "MaxPool2D" ? "MaxPool" : "AveragePool";
        SkipZeroPad(layer);
        NodeProto node = NextNode(layer, opType);
        ExpectInputs(node, layer, 1, "one input");
        ExpectWindow(node, layer, window, ["kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "storage_order", "count_include_pad"]);
        if (IntAttribute(node, "ceil_mode", 0) != 0)
            throw Error($"node {node.Describe()} has ceil_mode = 1; the network's {layer.Describe()} rounds its output size down");
        if (node.Outputs.Count == 2 && !_consumers.ContainsKey(node.Outputs[1]))
            node.Outputs.RemoveAt(1); // MaxPool's optional Indices output, unused
        Advance(node);
        _shape = [channels, window.Output(height, layer), window.Output(width, layer)];
    }

    /// <summary>
    /// torch 1.13 writes <c>nn.AvgPool2d</c> as a <c>Pad</c> (pads from a <c>Constant</c>, all zero) then
    /// <c>AveragePool</c>. A Pad of zeros computes nothing: step over it (and its Constant); any other Pad is a mismatch.
    /// </summary>
    private void SkipZeroPad(LayerDeclaration layer)
    {
        SkipIdentities();
        if (!_consumers.TryGetValue(_value, out List<NodeProto>? readers) || readers.Count != 1
            || readers[0].OpType != "Pad" || !IsDefaultDomain(readers[0]))
            return;
        NodeProto pad = readers[0];
        if (pad.Attribute("mode") is { } mode && mode.S != "constant")
            throw Error($"node {pad.Describe()} pads in mode '{mode.S}' before the network's {layer.Describe()}, which has no padding");
        if (pad.Inputs.Count < 2 || pad.Inputs[0] != _value)
            throw Error($"node {pad.Describe()} has no pads input");
        long[]? pads = ConstantInts(pad.Inputs[1], out NodeProto? constant);
        if (pads is null || Array.Exists(pads, p => p != 0) || (pad.Inputs.Count > 2 && pad.Inputs[2].Length > 0))
            throw Error($"node {pad.Describe()} pads the input of the network's {layer.Describe()}, which has no padding (only a Pad of zeros is accepted)");
        if (constant is not null)
            _matched.Add(constant);
        Advance(pad);
    }

    /// <summary>An int64 tensor given as an initializer or by a <c>Constant</c> node (returned in <paramref name="constant"/>), or null.</summary>
    private long[]? ConstantInts(string name, out NodeProto? constant)
    {
        constant = null;
        if (_initializers.TryGetValue(name, out TensorProto? tensor))
            return tensor.Int64Values();
        if (_producers.TryGetValue(name, out NodeProto? node) && node.OpType == "Constant" && IsDefaultDomain(node)
            && node.Attribute("value")?.T is { } value && _consumers.TryGetValue(name, out List<NodeProto>? readers) && readers.Count == 1)
        {
            constant = node;
            return value.Int64Values();
        }
        return null;
    }

    /// <summary>Checks a Conv or pool node's kernel, strides, pads and dilations against the declaration; <paramref name="known"/> are the attributes the op may carry.</summary>
    private void ExpectWindow(NodeProto node, LayerDeclaration layer, Window window, string[] known)
    {
        foreach (AttributeProto attribute in node.Attributes)
        {
            if (Array.IndexOf(known, attribute.Name) < 0)
                throw Error($"node {node.Describe()} has an attribute '{attribute.Name}' that the network's {layer.Describe()} has no counterpart for");
        }
        if (node.Attribute("auto_pad") is { } autoPad && autoPad.S is not ("" or "NOTSET"))
            throw Error($"node {node.Describe()} has auto_pad = {autoPad.S}; the network's {layer.Describe()} pads explicitly");
        ExpectInts(node, layer, "kernel_shape", null, [window.Kernel, window.Kernel]);
        ExpectInts(node, layer, "strides", [1, 1], [window.Stride, window.Stride]);
        ExpectInts(node, layer, "pads", [0, 0, 0, 0], [window.Padding, window.Padding, window.Padding, window.Padding]);
        ExpectInts(node, layer, "dilations", [1, 1], [1, 1]);
    }

    private void ExpectInts(NodeProto node, LayerDeclaration layer, string name, long[]? fallback, long[] expected)
    {
        AttributeProto? attribute = node.Attribute(name);
        if (attribute is null && fallback is null)
            return; // e.g. kernel_shape, which may be left to the weight's shape
        long[] actual = attribute is null ? fallback! : attribute.IntList.ToArray();
        if (!actual.AsSpan().SequenceEqual(expected))
            throw Error($"node {node.Describe()} has {name} = [{string.Join(", ", actual)}], but the network's {layer.Describe()} needs [{string.Join(", ", expected)}]");
    }

    private (int Channels, int Height, int Width) Image(LayerDeclaration layer)
    {
        if (_shape.Length != 3)
            throw new NotSupportedException($"ONNX import of the network's {layer.Describe()} needs a [channels, height, width] input, but it gets [{string.Join(", ", _shape)}].");
        return (_shape[0], _shape[1], _shape[2]);
    }

    private ParameterBlock TakeBlock(LayerDeclaration layer, ParameterKind kind, int length)
    {
        if (_nextBlock >= _blocks.Length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block, but the network has only {_blocks.Length} parameter blocks.");
        ParameterBlock block = _blocks[_nextBlock++];
        if (block.Kind != kind || block.Length != length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block of {length} floats, but its parameter block {block.Name} is {block.Kind} of {block.Length}.");
        return block;
    }

    private void MatchUnary(LayerDeclaration layer, string opType)
    {
        NodeProto node = NextNode(layer, opType);
        ExpectInputs(node, layer, 1, "one input");
        Advance(node);
    }

    private void MatchSoftmax(LayerDeclaration layer)
    {
        Features(layer);
        NodeProto node = NextNode(layer, "Softmax");
        ExpectInputs(node, layer, 1, "one input");
        long axis = IntAttribute(node, "axis", -1); // -1 since opset 13, 1 before: both the last axis of [batch, n]
        if (_recurrent ? axis is not (2 or -1) : axis is not (1 or -1))
            throw Error($"node {node.Describe()} for the network's {layer.Describe()} has axis = {axis}; the network's softmax is over axis 1 of [batch, {_shape[0]}]");
        Advance(node);
    }

    // ---- the graph as a whole ----

    private void Index()
    {
        foreach (TensorProto tensor in _graph.Initializers)
        {
            if (!_initializers.TryAdd(tensor.Name, tensor))
                throw Error($"two initializers are named '{tensor.Name}'");
        }
        foreach (NodeProto node in _graph.Nodes)
        {
            foreach (string input in node.Inputs)
            {
                if (input.Length == 0)
                    continue; // an omitted optional input
                if (!_consumers.TryGetValue(input, out List<NodeProto>? list))
                    _consumers[input] = list = new List<NodeProto>();
                if (!list.Contains(node))
                    list.Add(node);
            }
            foreach (string output in node.Outputs)
            {
                if (output.Length > 0 && !_producers.TryAdd(output, node))
                    throw Error($"value '{output}' is the output of two nodes, {_producers[output].Describe()} and {node.Describe()}");
            }
        }
    }

    private void MatchInput()
    {
        ValueInfoProto? input = null;
        foreach (ValueInfoProto candidate in _graph.Inputs)
        {
            if (_initializers.ContainsKey(candidate.Name))
                continue; // an initializer listed as an input too (keep_initializers_as_inputs)
            if (input is not null)
                throw Error($"the graph has more than one input ('{input.Name}' and '{candidate.Name}'); the network has one");
            input = candidate;
        }
        if (input is null)
            throw Error("the graph has no input that is not an initializer");
        if (input.ElemType != TensorProto.FloatType)
            throw Error($"graph input '{input.Name}' has element type {input.ElemType}, expected 1 (float)");
        if (input.Shape is not null)
        {
            int leading = _recurrent ? 2 : 1; // [batch, (steps,) ...]
            bool fits = input.Shape.Count == _shape.Length + leading;
            for (int i = 0; fits && i < _shape.Length; i++)
                fits = input.Shape[i + leading].Param is not null || input.Shape[i + leading].Value < 0 || input.Shape[i + leading].Value == _shape[i];
            if (!fits)
                throw Error($"graph input '{input.Name}' has shape [{string.Join(", ", input.Shape)}], but the network reads [batch, {(_recurrent ? "steps, " : "")}{string.Join(", ", _shape)}]");
        }
        _value = input.Name;
    }

    private void MatchEnd(LayerDeclaration last)
    {
        if (_nextBlock != _blocks.Length)
            throw new NotSupportedException($"ONNX import matched {_nextBlock} of the network's {_blocks.Length} parameter blocks; the architecture \"{_network.Architecture}\" does not describe block {_blocks[_nextBlock].Name}.");
        if (_graph.Outputs.Count != 1)
            throw Error($"the graph has {_graph.Outputs.Count} outputs; the network has one");
        string output = _graph.Outputs[0].Name;
        SkipIdentities();
        // After the last layer's node, accept nothing more: no further node may read the value.
        if (_value != output || (_consumers.TryGetValue(_value, out List<NodeProto>? after) && after.Count > 0))
        {
            string next = _consumers.TryGetValue(_value, out List<NodeProto>? more) && more.Count > 0 ? more[0].Describe() : "no node";
            throw Error($"the network ends after its {last.Describe()} with value '{_value}', but the graph's output is '{output}' (next in the graph: {next})");
        }
        foreach (NodeProto node in _graph.Nodes)
        {
            if (!_matched.Contains(node))
                throw Error($"node {node.Describe()} does not correspond to any layer of the network ({_network.Architecture})");
        }
    }

    // ---- helpers ----

    /// <summary>The one node that reads the current value, which must be one of <paramref name="opTypes"/>.</summary>
    private NodeProto NextNode(LayerDeclaration layer, params string[] opTypes)
    {
        SkipIdentities();
        string expected = string.Join(" or ", opTypes);
        if (!_consumers.TryGetValue(_value, out List<NodeProto>? readers) || readers.Count == 0)
            throw Error($"the graph ends at value '{_value}', but the network's {layer.Describe()} needs a {expected} node next");
        if (readers.Count > 1)
            throw Error($"value '{_value}' is read by {readers.Count} nodes ({readers[0].Describe()}, {readers[1].Describe()}, ...), but the network is a chain: its {layer.Describe()} expects one {expected} node");
        NodeProto node = readers[0];
        if (Array.IndexOf(opTypes, node.OpType) < 0 || !IsDefaultDomain(node))
            throw Error($"the network's {layer.Describe()} expects a {expected} node after '{_value}', but the graph has node {node.Describe()}{(IsDefaultDomain(node) ? string.Empty : " of domain '" + node.Domain + "'")}");
        // An Add may read it as either input: torch writes a Linear's bias first after a MatMul on [batch, steps, in].
        if (node.Inputs.Count == 0 || (node.Inputs[0] != _value && !(node.OpType == "Add" && node.Inputs.Contains(_value))))
            throw Error($"node {node.Describe()} reads '{_value}' not as its first input");
        return node;
    }

    /// <summary>
    /// Steps over nodes that compute nothing at inference: <c>Identity</c> (StaticNet writes one for a network
    /// without nodes) and <c>Dropout</c> without a training_mode input (its optional mask output unused).
    /// </summary>
    private void SkipIdentities()
    {
        while (_consumers.TryGetValue(_value, out List<NodeProto>? readers) && readers.Count == 1 && IsDefaultDomain(readers[0]))
        {
            NodeProto node = readers[0];
            if (node.OpType == "Identity" && node.Inputs.Count == 1)
            {
                Advance(node);
            }
            else if (node.OpType == "Dropout" && (node.Inputs.Count <= 2 || node.Inputs[2].Length == 0)) // no training_mode: identity
            {
                if (node.Outputs.Count == 2 && !_consumers.ContainsKey(node.Outputs[1]))
                    node.Outputs.RemoveAt(1);
                Advance(node);
            }
            else
            {
                return;
            }
        }
    }

    private void Advance(NodeProto node)
    {
        if (node.Outputs.Count != 1)
            throw Error($"node {node.Describe()} has {node.Outputs.Count} outputs, expected 1");
        _matched.Add(node);
        _value = node.Outputs[0];
    }

    private bool IsGraphOutput(string value) => _graph.Outputs.Count == 1 && _graph.Outputs[0].Name == value;

    private static bool IsDefaultDomain(NodeProto node) => node.Domain is "" or "ai.onnx";

    private void ExpectInputs(NodeProto node, LayerDeclaration layer, int count, string what)
    {
        if (node.Inputs.Count != count || node.Inputs.Contains(string.Empty))
            throw Error($"node {node.Describe()} for the network's {layer.Describe()} has {node.Inputs.Count} inputs, expected {count} ({what})");
    }

    private TensorProto Initializer(NodeProto node, int input, LayerDeclaration layer)
    {
        string name = node.Inputs[input];
        if (!_initializers.TryGetValue(name, out TensorProto? tensor))
            throw Error($"input {input} '{name}' of node {node.Describe()} (for the network's {layer.Describe()}) is not an initializer");
        if (tensor.DataType != TensorProto.FloatType)
            throw Error($"tensor '{name}' has data type {tensor.DataType}, expected 1 (float)");
        if (tensor.DataLocation == TensorProto.ExternalLocation)
            throw Error($"tensor '{name}' keeps its data in an external file, which is not supported; save the model with its weights inside");
        if (tensor.HasSegment)
            throw Error($"tensor '{name}' is a segment of a larger tensor, which is not supported");
        long count = tensor.ElementCount();
        long held = tensor.RawData is not null ? tensor.RawData.Length : 4L * tensor.FloatData.Count;
        if (count < 0 || held != 4 * count || (tensor.RawData is null ? tensor.FloatData.Count : tensor.RawData.Length / 4) != count)
            throw Error($"tensor '{name}' of shape [{string.Join(", ", tensor.Dims)}] holds {held} bytes of data, expected {(count < 0 ? "a valid shape" : (4 * count).ToString(CultureInfo.InvariantCulture))}");
        return tensor;
    }

    private void StageWeights(TensorProto tensor, ParameterBlock block, int inputs, int units, bool transposed, float scale, NodeProto node, LayerDeclaration layer)
    {
        long rows = transposed ? units : inputs, columns = transposed ? inputs : units;
        if (tensor.Dims.Count != 2 || tensor.Dims[0] != rows || tensor.Dims[1] != columns)
            throw Error($"tensor '{tensor.Name}' (the weight of node {node.Describe()}) has shape [{string.Join(", ", tensor.Dims)}], but the network's {layer.Describe()} needs [{rows}, {columns}]{(transposed ? " ([out, in], transposed)" : " ([in, out])")}");
        Span<float> target = _staged.AsSpan(block.Offset, block.Length);
        for (int i = 0; i < inputs; i++)
        {
            for (int j = 0; j < units; j++)
                target[i * units + j] = scale * tensor[transposed ? j * inputs + i : i * units + j];
        }
    }

    private void StageBias(TensorProto tensor, ParameterBlock block, int units, float scale, NodeProto node, LayerDeclaration layer)
    {
        bool fits = (tensor.Dims.Count == 1 && tensor.Dims[0] == units) || (tensor.Dims.Count == 2 && tensor.Dims[0] == 1 && tensor.Dims[1] == units);
        if (!fits)
            throw Error($"tensor '{tensor.Name}' (the bias of node {node.Describe()}) has shape [{string.Join(", ", tensor.Dims)}], but the network's {layer.Describe()} needs [{units}]");
        Span<float> target = _staged.AsSpan(block.Offset, block.Length);
        for (int j = 0; j < units; j++)
            target[j] = scale * tensor[j];
    }

    private ParameterBlock TakeBlock(LayerDeclaration layer, ParameterKind kind, int rows, int columns)
    {
        if (_nextBlock >= _blocks.Length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block, but the network has only {_blocks.Length} parameter blocks.");
        ParameterBlock block = _blocks[_nextBlock++];
        if (block.Kind != kind || block.Rows != rows || block.Columns != columns || block.Length != rows * columns)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block of {rows} x {columns}, but its parameter block {block.Name} is {block.Kind} {block.Rows} x {block.Columns}.");
        return block;
    }

    private int Features(LayerDeclaration layer)
    {
        if (_shape.Length != 1)
            throw new NotSupportedException($"ONNX import of the network's {layer.Describe()} needs a flat input, but it gets a tensor of shape [{string.Join(", ", _shape)}].");
        return _shape[0];
    }

    private static float FloatAttribute(NodeProto node, string name, float fallback) => node.Attribute(name) is { } a ? a.F : fallback;

    private static long IntAttribute(NodeProto node, string name, long fallback) => node.Attribute(name) is { } a ? a.I : fallback;

    private OnnxFormatException Error(string problem) => new(_file, problem);
}
