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
    private readonly GraphProto _graph = new();
    private int _nextBlock;
    private string _value = InputName;   // the tensor the next layer reads
    private int[] _shape;                // its shape without the batch dimension

    private OnnxExporter(INetwork network, List<LayerDeclaration> layers)
    {
        _network = network;
        _blocks = network.ParameterBlocks.ToArray();
        _parameters = network.Parameters.ToArray();
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
        graph.Inputs.Add(Tensor(InputName, exporter._shape));
        for (int i = 1; i < layers.Count; i++)
            exporter.AddLayer(layers[i]);
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
                // y = x·W + b with W [in, out] as stored: Gemm with transB = 0, no transpose needed.
                int inputs = Features(layer), units = layer.Int(0);
                ParameterBlock w = TakeBlock(layer, ParameterKind.Weights, inputs, units);
                ParameterBlock b = TakeBlock(layer, ParameterKind.Bias, 1, units);
                Initializer(w, inputs, units);
                Initializer(b, units);
                Node("Gemm", w.Layer, [w.Name, b.Name],
                    AttributeProto.OfFloat("alpha", 1f), AttributeProto.OfFloat("beta", 1f), AttributeProto.OfInt("transB", 0));
                _shape = [units];
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
                Node("Softmax", Name(layer), [], AttributeProto.OfInt("axis", 1));
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

    private void Finish()
    {
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

    private void Initializer(ParameterBlock block, params int[] dims)
    {
        var tensor = new TensorProto { Name = block.Name, DataType = TensorProto.FloatType, Values = _parameters.AsSpan(block.Offset, block.Length).ToArray() };
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

    private static ValueInfoProto Tensor(string name, int[] shape)
    {
        var dims = new List<Dimension> { new(-1, BatchParameter) };
        foreach (int dim in shape)
            dims.Add(new Dimension(dim, null));
        return new ValueInfoProto { Name = name, ElemType = TensorProto.FloatType, Shape = dims };
    }
}
