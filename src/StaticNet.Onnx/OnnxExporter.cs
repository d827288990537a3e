using System;
using System.Collections.Generic;
using StaticNet.Onnx.Protobuf;

namespace StaticNet.Onnx;

/// <summary>
/// Builds the ONNX inference graph of a network: one or a few nodes per declared layer (the switch in
/// <see cref="AddLayer"/>, one case per layer kind), the weights as initializers named after the network's
/// parameter blocks (<c>W1</c>, <c>b1</c>, ...), and a dynamic batch dimension.
/// </summary>
internal sealed class OnnxExporter
{
    public const string InputName = "input";
    public const string OutputName = "output";
    public const string BatchParameter = "batch";

    private readonly INetwork _network;
    private readonly ParameterBlock[] _blocks;
    private readonly float[] _parameters;
    private readonly float[] _state;     // INetwork.State: BatchNorm's running statistics, each layer's mean then variance
    private readonly GraphProto _graph = new();
    private readonly bool _recurrent;    // values are [batch, steps, ...]: a GRU/LSTM network
    private bool _stepsFirst;            // the current value is [steps, batch, features], as ONNX's GRU/LSTM read and write it
    private int _nextBlock;
    private int _nextState;
    private string _value = InputName;   // the tensor the next layer reads
    private int[] _shape;                // its shape without the batch dimension

    private OnnxExporter(INetwork network, List<LayerDeclaration> layers)
    {
        _network = network;
        _blocks = network.ParameterBlocks.ToArray();
        _parameters = network.Parameters.ToArray();
        _state = network.State.ToArray();
        _recurrent = layers.Exists(l => l.IsRecurrent);
        _shape = new int[layers[0].Positional.Count];
        for (int i = 0; i < _shape.Length; i++)
            _shape[i] = layers[0].Int(i);
    }

    public static ModelProto Build(INetwork network, int opset)
    {
        List<LayerDeclaration> layers = Architecture.Parse(network.Architecture);
        var exporter = new OnnxExporter(network, layers);
        GraphProto graph = exporter._graph;
        graph.Name = network.GetType().Name;
        graph.Inputs.Add(exporter.Tensor(InputName, exporter._shape));
        for (int i = 1; i < layers.Count; i++)
        {
            if (layers[i].IsRecurrent)
            {
                exporter.AddRecurrent(layers[i]);
            }
            else
            {
                exporter.BatchFirst();
                exporter.AddLayer(layers[i]);
            }
        }
        exporter.BatchFirst();
        exporter.Finish();

        var model = new ModelProto
        {
            IrVersion = 8, // ONNX 1.10 to 1.12, which define opsets 15 to 17; also valid for 13 and 14
            ProducerName = "StaticNet.Onnx",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            DocString = network.Architecture,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetId(string.Empty, opset));
        return model;
    }

    private void AddLayer(LayerDeclaration layer)
    {
        switch (layer.Kind)
        {
            case "Dense":
            {
                // y = x·W + b with W [in, out] as stored: Gemm with transB = 0, no transpose needed. In a recurrent
                // network x is [batch, steps, in]: MatMul (which applies W at every step) then Add.
                int inputs = Features(layer), units = layer.Int(0);
                ParameterBlock w = TakeBlock(layer, ParameterKind.Weights, inputs, units);
                ParameterBlock b = TakeBlock(layer, ParameterKind.Bias, 1, units);
                Initializer(w, inputs, units);
                Initializer(b, units);
                if (_recurrent)
                {
                    Node("MatMul", w.Layer + "_MatMul", [w.Name]);
                    Node("Add", w.Layer, [b.Name]);
                }
                else
                {
                    Node("Gemm", w.Layer, [w.Name, b.Name],
                        AttributeProto.OfFloat("alpha", 1f), AttributeProto.OfFloat("beta", 1f), AttributeProto.OfInt("transB", 0));
                }
                _shape = [units];
                break;
            }
            case "BatchNorm":
            {
                // Inference: y = γ ⊙ (x − running mean) / √(running var + ε) + β per feature (axis 1 of [batch, C]) or
                // channel (axis 1 of [batch, C, H, W]): BatchNormalization with the running statistics of State.
                // ONNX's momentum is PyTorch's 1 − momentum; inference does not read it.
                int channels = _shape[0];
                ParameterBlock gamma = TakeBlock(layer, ParameterKind.Scale, channels);
                ParameterBlock beta = TakeBlock(layer, ParameterKind.Shift, channels);
                string n = gamma.Layer.Substring(layer.Kind.Length);
                if (_nextState + 2 * channels > _state.Length)
                    throw new NotSupportedException($"The network's {layer.Describe()} needs {2 * channels} floats of running statistics, but its State holds {_state.Length - _nextState} more.");
                Initializer(gamma, channels);
                Initializer(beta, channels);
                Initializer("RunningMean" + n, _state.AsSpan(_nextState, channels), channels);
                Initializer("RunningVar" + n, _state.AsSpan(_nextState + channels, channels), channels);
                _nextState += 2 * channels;
                Node("BatchNormalization", gamma.Layer, [gamma.Name, beta.Name, "RunningMean" + n, "RunningVar" + n],
                    AttributeProto.OfFloat("epsilon", (float)layer.NamedReal("Epsilon", 1e-5)),
                    AttributeProto.OfFloat("momentum", (float)(1 - layer.NamedReal("Momentum", 0.1))));
                break;
            }
            case "ReLU":
                Node("Relu", Name(layer), []);
                break;
            case "Sigmoid":
                Node("Sigmoid", Name(layer), []);
                break;
            case "Tanh":
                Node("Tanh", Name(layer), []);
                break;
            case "LeakyReLU":
                Node("LeakyRelu", Name(layer), [], AttributeProto.OfFloat("alpha", layer.Float(0)));
                break;
            case "Conv2D":
            {
                // PyTorch's layout: W [filters, channels, k, k], b [filters]; ONNX Conv takes it as it is.
                (int channels, int height, int width) = Image(layer);
                int filters = layer.Int(0);
                Window window = Window.Of(layer, 1, defaultStride: 1);
                ParameterBlock w = TakeBlock(layer, ParameterKind.Weights, filters * channels * window.Kernel * window.Kernel);
                ParameterBlock b = TakeBlock(layer, ParameterKind.Bias, filters);
                Initializer(w, filters, channels, window.Kernel, window.Kernel);
                Initializer(b, filters);
                Node("Conv", w.Layer, [w.Name, b.Name],
                    AttributeProto.OfInts("kernel_shape", window.Kernel, window.Kernel),
                    AttributeProto.OfInts("strides", window.Stride, window.Stride),
                    AttributeProto.OfInts("pads", window.Padding, window.Padding, window.Padding, window.Padding));
                _shape = [filters, window.Output(height, layer), window.Output(width, layer)];
                break;
            }
            case "MaxPool2D":
            case "AvgPool2D":
            {
                (int channels, int height, int width) = Image(layer);
                Window window = Window.Of(layer, 0, defaultStride: layer.Int(0));
                if (window.Padding != 0)
                    throw new NotSupportedException($"ONNX export of the network's {layer.Describe()}: padded pooling is not supported.");
                Node(layer.Kind == "MaxPool2D" ? "MaxPool" : "AveragePool", Name(layer), [],
                    AttributeProto.OfInts("kernel_shape", window.Kernel, window.Kernel),
                    AttributeProto.OfInts("strides", window.Stride, window.Stride));
                _shape = [channels, window.Output(height, layer), window.Output(width, layer)];
                break;
            }
            case "Flatten":
            {
                int size = 1;
                foreach (int dim in _shape)
                    size *= dim;
                Node("Flatten", Name(layer), [], AttributeProto.OfInt("axis", 1));
                _shape = [size];
                break;
            }
            case "Softmax":
            case "SoftmaxCrossEntropy": // the loss layer's inference form: Forward outputs the probabilities
                Features(layer);
                Node("Softmax", Name(layer), [], AttributeProto.OfInt("axis", _recurrent ? -1 : 1)); // over the features of each step
                break;
            case "SigmoidCrossEntropy": // the loss layer's inference form: Forward outputs σ(a)
                Node("Sigmoid", Name(layer), []);
                break;
            case "MeanSquaredError": // Forward outputs y unchanged
            case "Dropout":          // identity at inference
                break;
            default:
                throw new NotSupportedException($"ONNX export does not support the network's {layer.Describe()} (architecture \"{_network.Architecture}\").");
        }
    }

    /// <summary>
    /// A GRU or LSTM over the whole sequence, as ONNX's <c>GRU</c> (<c>linear_before_reset = 1</c>: PyTorch's, whose
    /// <c>n = tanh(W_in·x + b_in + r ⊙ (W_hn·h₋₁ + b_hn))</c> applies r after the product) or <c>LSTM</c>, from a zero
    /// state: <c>W [1, gates·H, in]</c>, <c>R [1, gates·H, H]</c>, <c>B [1, 2·gates·H]</c> (W's biases, then R's), the
    /// gate blocks reordered from PyTorch's r, z, n / i, f, g, o to ONNX's z, r, h / i, o, f, c. ONNX's recurrent
    /// operators read and write [steps, batch, ...]: a Transpose before the first, a Squeeze of Y's direction axis
    /// after each, and a Transpose back before the layers that follow.
    /// </summary>
    private void AddRecurrent(LayerDeclaration layer)
    {
        int inputs = Features(layer), hidden = layer.Int(0), gates = layer.Gates, rows = gates * hidden;
        ParameterBlock wih = TakeBlock(layer, ParameterKind.Weights, rows, inputs);
        ParameterBlock whh = TakeBlock(layer, ParameterKind.Weights, rows, hidden);
        ParameterBlock bih = TakeBlock(layer, ParameterKind.Bias, 1, rows);
        ParameterBlock bhh = TakeBlock(layer, ParameterKind.Bias, 1, rows);
        if (!_stepsFirst)
        {
            Node("Transpose", "StepsFirst" + layer.Index, [], AttributeProto.OfInts("perm", 1, 0, 2));
            _stepsFirst = true;
        }
        int[] order = layer.TorchBlockOfOnnxBlock;
        Initializer(wih.Layer + "_W", Reordered(wih, order, hidden, inputs), 1, rows, inputs);
        Initializer(wih.Layer + "_R", Reordered(whh, order, hidden, hidden), 1, rows, hidden);
        float[] bias = new float[2 * rows];
        Reordered(bih, order, hidden, 1).CopyTo(bias, 0);
        Reordered(bhh, order, hidden, 1).CopyTo(bias, rows);
        Initializer(wih.Layer + "_B", bias, 1, 2 * rows);
        var attributes = new List<AttributeProto> { AttributeProto.OfInt("hidden_size", hidden) };
        if (layer.Kind == "GRU")
            attributes.Add(AttributeProto.OfInt("linear_before_reset", 1));
        Node(layer.Kind, wih.Layer, [wih.Layer + "_W", wih.Layer + "_R", wih.Layer + "_B"], attributes.ToArray());
        // Y is [steps, directions = 1, batch, H]: drop the direction axis (Squeeze takes its axes as an input since opset 13).
        string axes = wih.Layer + "_axes";
        var axesTensor = new TensorProto { Name = axes, DataType = TensorProto.Int64Type, RawData = new byte[8] };
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(axesTensor.RawData, 1);
        axesTensor.Dims.Add(1);
        _graph.Initializers.Add(axesTensor);
        Node("Squeeze", wih.Layer + "_Squeeze", [axes]);
        _shape = [hidden];
    }

    /// <summary>After the recurrent layers: back to [batch, steps, features].</summary>
    private void BatchFirst()
    {
        if (!_stepsFirst)
            return;
        Node("Transpose", "BatchFirst", [], AttributeProto.OfInts("perm", 1, 0, 2));
        _stepsFirst = false;
    }

    /// <summary>A [gates·H, columns] block with its gate blocks of H rows in ONNX's order: ONNX block j is PyTorch's block order[j].</summary>
    private float[] Reordered(ParameterBlock block, int[] order, int hidden, int columns)
    {
        var values = new float[block.Length];
        int size = hidden * columns;
        for (int j = 0; j < order.Length; j++)
            _parameters.AsSpan(block.Offset + order[j] * size, size).CopyTo(values.AsSpan(j * size, size));
        return values;
    }

    private void Finish()
    {
        if (_nextState != _state.Length)
            throw new NotSupportedException($"ONNX export used {_nextState} of the network's {_state.Length} floats of State; the architecture \"{_network.Architecture}\" does not describe the rest.");
        if (_nextBlock != _blocks.Length)
            throw new NotSupportedException($"ONNX export used {_nextBlock} of the network's {_blocks.Length} parameter blocks; the architecture \"{_network.Architecture}\" does not describe block {_blocks[_nextBlock].Name}.");
        if (_graph.Nodes.Count == 0)
            Node("Identity", "Output", []); // a network without a node (Input then MeanSquaredError): output = input
        _graph.Nodes[^1].Outputs[0] = OutputName; // the last node writes the graph's output
        _graph.Outputs.Add(Tensor(OutputName, _shape));
    }

    /// <summary>Appends a node reading the current value (and <paramref name="extraInputs"/>), which becomes the current value.</summary>
    private void Node(string opType, string name, string[] extraInputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Inputs.Add(_value);
        node.Inputs.AddRange(extraInputs);
        _value = name + "_output";
        node.Outputs.Add(_value);
        node.Attributes.AddRange(attributes);
        _graph.Nodes.Add(node);
    }

    private void Initializer(ParameterBlock block, params int[] dims) =>
        Initializer(block.Name, _parameters.AsSpan(block.Offset, block.Length), dims);

    private void Initializer(string name, ReadOnlySpan<float> values, params int[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = TensorProto.FloatType, Values = values.ToArray() };
        foreach (int dim in dims)
            tensor.Dims.Add(dim);
        _graph.Initializers.Add(tensor);
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

    private ParameterBlock TakeBlock(LayerDeclaration layer, ParameterKind kind, int length)
    {
        if (_nextBlock >= _blocks.Length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block, but the network has only {_blocks.Length} parameter blocks.");
        ParameterBlock block = _blocks[_nextBlock++];
        if (block.Kind != kind || block.Length != length)
            throw new NotSupportedException($"The network's {layer.Describe()} needs a {kind} block of {length} floats, but its parameter block {block.Name} is {block.Kind} of {block.Length}.");
        return block;
    }

    private (int Channels, int Height, int Width) Image(LayerDeclaration layer)
    {
        if (_shape.Length != 3)
            throw new NotSupportedException($"ONNX export of the network's {layer.Describe()} needs a [channels, height, width] input, but it gets [{string.Join(", ", _shape)}].");
        return (_shape[0], _shape[1], _shape[2]);
    }

    private int Features(LayerDeclaration layer)
    {
        if (_shape.Length != 1)
            throw new NotSupportedException($"ONNX export of the network's {layer.Describe()} needs a flat input, but it gets a tensor of shape [{string.Join(", ", _shape)}].");
        return _shape[0];
    }

    private static string Name(LayerDeclaration layer) => layer.Kind + layer.Index;

    /// <summary>The name of the dynamic sequence dimension of a recurrent network's input and output, <c>[batch, steps, n]</c>.</summary>
    public const string StepsParameter = "steps";

    private ValueInfoProto Tensor(string name, int[] shape)
    {
        var dims = new List<Dimension> { new(-1, BatchParameter) };
        if (_recurrent)
            dims.Add(new Dimension(-1, StepsParameter));
        foreach (int dim in shape)
            dims.Add(new Dimension(dim, null));
        return new ValueInfoProto { Name = name, ElemType = TensorProto.FloatType, Shape = dims };
    }
}
