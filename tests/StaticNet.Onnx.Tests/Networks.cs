using System;
using System.Collections.Generic;
using StaticNet;

// The networks the ONNX tests export and import. Between them they use every layer kind StaticNet has
// (Dense, ReLU, Sigmoid, Tanh, Softmax, SoftmaxCrossEntropy, MeanSquaredError), activations first and back
// to back, networks without a loss layer or without a Dense, and the reference MNIST network. The second
// group matches the PyTorch fixtures in pytorch/fixtures, one network per file. The generated conv
// networks are the book's SimpleConvNet and those of InteropNetworks.cs (linked from StaticNet.Tests), whose
// PyTorch models are in pytorch/safetensors; LeakyReLU is not generated yet, so ConvReferenceNet stands in
// for the conv fixtures that use it.
namespace StaticNet.Onnx.Tests;

[Network] [Input(784)] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class Mnist784x100x10;

[Network] [Input(3)] [Dense(7)] [Sigmoid] [Dense(8)] [SoftmaxCrossEntropy]
public partial class Sigmoid3x7x8Sce;

[Network] [Input(7)] [Dense(17)] [Tanh] [Dense(3)] [SoftmaxCrossEntropy]
public partial class Tanh7x17x3Sce;

[Network] [Input(8)] [Dense(33)] [ReLU] [Dense(8)] [Softmax]
public partial class Relu8x33x8Softmax;

[Network] [Input(17)] [Dense(33)] [Sigmoid] [Dense(7)] [MeanSquaredError]
public partial class Sigmoid17x33x7Mse;

[Network] [Input(5)] [Dense(9)] [ReLU] [Dense(9)] [Tanh] [Dense(9)] [Sigmoid] [Dense(4)] [Softmax] [MeanSquaredError]
public partial class DeepNet;

[Network] [Input(6)] [Tanh] [Dense(5)] [ReLU] [Sigmoid] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ActivationFirstNet;

[Network] [Input(7)] [Dense(5)] [Tanh]
public partial class NoLossNet;

[Network] [Input(4)] [SoftmaxCrossEntropy]
public partial class LossOnlyNet;

[Network] [Input(4)] [MeanSquaredError]
public partial class IdentityNet;

[Network] [Input(9)] [Dense(1)]
public partial class LinearNet;

/// <summary>The book's SimpleConvNet (ch. 7) at its full size.</summary>
[Network] [Input(1, 28, 28)] [Conv2D(30, 5)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class SimpleConvNet;

// pytorch/fixtures/<name>.onnx
[Network] [Input(4)] [Dense(8)] [ReLU] [Dense(3)] [Softmax]
public partial class GemmReluSoftmax;

[Network] [Input(5)] [Dense(7)] [Tanh] [Dense(2)] [Sigmoid]
public partial class GemmTanhSigmoid;

[Network] [Input(6)] [Dense(10)] [ReLU] [Dense(4)] [SoftmaxCrossEntropy]
public partial class GemmLogits;

[Network] [Input(3)] [Dense(5)] [Sigmoid] [Dense(5)] [Tanh] [Dense(1)] [MeanSquaredError]
public partial class GemmRegression;

[Network] [Input(4)] [Dense(6)] [Tanh] [Dense(3)] [Softmax]
public partial class MatMulFolded;

[Network] [Input(4)] [Dense(6)] [ReLU] [Dense(2)]
public partial class MatMulTranspose;

/// <summary>The generated LeakyReLU and SigmoidCrossEntropy (exported as LeakyRelu and Sigmoid).</summary>
[Network] [Input(6)] [Dense(9)] [LeakyReLU(0.1f)] [Dense(3)] [SigmoidCrossEntropy]
public partial class LeakySigmoidCe;

// Declarations that differ from gemm_relu_softmax.onnx in one way each, for the mismatch tests.
[Network] [Input(4)] [Dense(8)] [Tanh] [Dense(3)] [Softmax]
public partial class OtherActivation;

[Network] [Input(4)] [Dense(9)] [ReLU] [Dense(3)] [Softmax]
public partial class OtherWidth;

[Network] [Input(5)] [Dense(8)] [ReLU] [Dense(3)] [Softmax]
public partial class OtherInput;

[Network] [Input(4)] [Dense(8)] [ReLU] [Dense(3)]
public partial class MissingSoftmax;

[Network] [Input(4)] [Dense(8)] [ReLU] [Dense(3)] [Softmax] [Tanh]
public partial class ExtraLayer;

// Declarations that differ from strided_conv.onnx (Conv2D(3, 3, Stride = 2, Padding = 1) Tanh AvgPool2D(2, Stride = 1))
// or simple_conv.onnx (Conv2D(4, 3) ReLU MaxPool2D(2)) in one way each.
[Network] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class ConvWithoutPadding;

[Network] [Input(2, 7, 7)] [Conv2D(3, 3, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class ConvOtherStride;

[Network] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [MaxPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class ConvMaxInsteadOfAvg;

[Network] [Input(1, 10, 10)] [Conv2D(5, 3)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(12)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ConvOtherFilters;

[Network] [Input(1, 10, 10)] [Conv2D(4, 5)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(12)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ConvOtherKernel;

[Network] [Input(1, 10, 10)] [Conv2D(4, 3)] [ReLU] [MaxPool2D(2, Stride = 1)] [Flatten] [Dense(12)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class PoolOtherStride;

[Network] [Input(1, 10, 10)] [Conv2D(4, 3)] [ReLU] [Flatten] [Dense(12)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ConvWithoutPool;

/// <summary>Every network above by name, built with a given batch capacity and seed.</summary>
public static class Networks
{
    public const int Capacity = 8;

    private static readonly Dictionary<string, Func<int, INetwork>> Factories = new()
    {
        [nameof(Mnist784x100x10)] = seed => new Mnist784x100x10(Capacity, seed),
        [nameof(Sigmoid3x7x8Sce)] = seed => new Sigmoid3x7x8Sce(Capacity, seed),
        [nameof(Tanh7x17x3Sce)] = seed => new Tanh7x17x3Sce(Capacity, seed),
        [nameof(Relu8x33x8Softmax)] = seed => new Relu8x33x8Softmax(Capacity, seed),
        [nameof(Sigmoid17x33x7Mse)] = seed => new Sigmoid17x33x7Mse(Capacity, seed),
        [nameof(DeepNet)] = seed => new DeepNet(Capacity, seed),
        [nameof(ActivationFirstNet)] = seed => new ActivationFirstNet(Capacity, seed),
        [nameof(NoLossNet)] = seed => new NoLossNet(Capacity, seed),
        [nameof(LossOnlyNet)] = seed => new LossOnlyNet(Capacity, seed),
        [nameof(IdentityNet)] = seed => new IdentityNet(Capacity, seed),
        [nameof(LinearNet)] = seed => new LinearNet(Capacity, seed),
        [nameof(SimpleConvNet)] = seed => new SimpleConvNet(Capacity, seed),
        ["simple_conv"] = seed => new StaticNet.Tests.Networks.TorchSimpleConv(Capacity, seed),
        ["strided_conv"] = seed => new StaticNet.Tests.Networks.TorchStridedConv(Capacity, seed),
        ["two_conv_prefixed"] = seed => new StaticNet.Tests.Networks.TorchTwoConvPrefixed(Capacity, seed),
        [nameof(LeakySigmoidCe)] = seed => new LeakySigmoidCe(Capacity, seed),
        ["ConvLeakyMaxPool"] = _ => new ConvReferenceNet(3, 8, 8, 4, 3, 1, 1, "LeakyReLU(0.01)", maxPool: true, 2, 5, "Softmax", Capacity),
        ["ConvStridedAvgPool"] = _ => new ConvReferenceNet(1, 12, 12, 3, 5, 2, 2, "ReLU", maxPool: false, 2, 10, "SoftmaxCrossEntropy", Capacity),
        ["gemm_relu_softmax"] = seed => new GemmReluSoftmax(Capacity, seed),
        ["gemm_tanh_sigmoid"] = seed => new GemmTanhSigmoid(Capacity, seed),
        ["gemm_logits"] = seed => new GemmLogits(Capacity, seed),
        ["gemm_regression"] = seed => new GemmRegression(Capacity, seed),
        ["matmul_folded"] = seed => new MatMulFolded(Capacity, seed),
        ["matmul_transpose"] = seed => new MatMulTranspose(Capacity, seed),
        ["conv_leaky_maxpool"] = _ => new ConvReferenceNet(2, 6, 6, 3, 3, 1, 1, "LeakyReLU(0.1)", maxPool: true, 2, 4, "Softmax", Capacity),
        ["conv_relu_avgpool"] = _ => new ConvReferenceNet(1, 9, 9, 2, 3, 2, 0, "ReLU", maxPool: false, 2, 3, "SoftmaxCrossEntropy", Capacity),
    };

    /// <summary>The networks the export tests run, one per layer combination.</summary>
    public static readonly string[] ExportNames =
    [
        nameof(Mnist784x100x10), nameof(Sigmoid3x7x8Sce), nameof(Tanh7x17x3Sce), nameof(Relu8x33x8Softmax),
        nameof(Sigmoid17x33x7Mse), nameof(DeepNet), nameof(ActivationFirstNet), nameof(NoLossNet),
        nameof(LossOnlyNet), nameof(IdentityNet), nameof(LinearNet), nameof(LeakySigmoidCe),
        nameof(SimpleConvNet), "simple_conv", "strided_conv", "two_conv_prefixed", // generated conv networks
        "ConvLeakyMaxPool", "ConvStridedAvgPool", // hand-written (ConvReferenceNet)
    ];

    /// <summary>The conv models of make_reference.py (pytorch/safetensors): their state_dicts, torch.onnx.export files and records.</summary>
    public static readonly string[] TorchConvNames = ["simple_conv", "strided_conv", "two_conv_prefixed"];

    /// <summary>The fixtures recorded by pytorch/make_fixtures.py.</summary>
    public static readonly string[] FixtureNames =
        ["gemm_relu_softmax", "gemm_tanh_sigmoid", "gemm_logits", "gemm_regression", "matmul_folded", "matmul_transpose",
         "conv_leaky_maxpool", "conv_relu_avgpool"];

    public static INetwork Create(string name, int seed = 1) => Factories[name](seed);
}

/// <summary>bn_mlp_eps's layers with the default epsilon (1e-5): its ONNX file does not fit.</summary>
[Network] [Input(4)] [Dense(5)] [BatchNorm] [Tanh] [Dense(2)] [MeanSquaredError]
public partial class BatchNormDefaultEpsMlp;

/// <summary>gru_stack with a hidden size of 6: its ONNX file does not fit.</summary>
[Network] [Input(3)] [GRU(6)] [GRU(6)] [Dense(2)] [MeanSquaredError]
public partial class GruStackOtherHidden;

/// <summary>gru_stack's shape with LSTMs: its ONNX file does not fit.</summary>
[Network] [Input(3)] [LSTM(5)] [LSTM(5)] [Dense(2)] [MeanSquaredError]
public partial class LstmInsteadOfGru;
