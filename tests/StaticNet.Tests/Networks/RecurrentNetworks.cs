using StaticNet;

namespace StaticNet.Tests.Networks;

// Recurrent networks for the tests in Recurrent/. Hidden sizes above and below the SIMD width of Vector<float> (8 floats here) so that
// both the vector loops and their scalar tails run; each one has a twin in Recurrent/pytorch/make_fixtures.py.

/// <summary>One GRU with a Dense head at every step (the audio-effect shape, wider).</summary>
[Network(Reference = true)] [Input(3)] [GRU(11)] [Dense(2)] [MeanSquaredError]
public partial class GruNet;

/// <summary>One LSTM with a Dense head.</summary>
[Network(Reference = true)] [Input(3)] [LSTM(10)] [Dense(2)] [MeanSquaredError]
public partial class LstmNet;

/// <summary>Two stacked GRUs, a Dense head.</summary>
[Network(Reference = true)] [Input(2)] [GRU(9)] [GRU(5)] [Dense(1)] [MeanSquaredError]
public partial class GruStackNet;

/// <summary>Two stacked LSTMs, a Dense head.</summary>
[Network(Reference = true)] [Input(2)] [LSTM(6)] [LSTM(9)] [Dense(1)] [MeanSquaredError]
public partial class LstmStackNet;

/// <summary>A GRU classifier at every step: Dense, ReLU, Dense, softmax with cross-entropy.</summary>
[Network(Reference = true)] [Input(4)] [GRU(7)] [Dense(6)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class GruClassifierNet;

/// <summary>A bare GRU: its output is its hidden state.</summary>
[Network(Reference = true)] [Input(2)] [GRU(3)]
public partial class BareGruNet;

/// <summary>The example: one sample in, one out, a small GRU.</summary>
[Network(Reference = true)] [Input(1)] [GRU(16)] [Dense(1)] [MeanSquaredError]
public partial class AudioGruNet;

/// <summary>A GRU with yes/no outputs at every step: sigmoid with binary cross-entropy.</summary>
[Network(Reference = true)] [Input(2)] [GRU(5)] [Dense(2)] [SigmoidCrossEntropy]
public partial class GruSigmoidNet;
