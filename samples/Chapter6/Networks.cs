using StaticNet;

namespace Samples.Chapter6;

// The book's MultiLayerNet of ch. 6 (common/multi_layer_net.py with hidden_size_list = [100, 100, 100, 100]):
// five Affine layers, ReLU between them, SoftmaxWithLoss last. One class per initialisation, since Init is
// part of the declaration.

/// <summary>The optimizer comparison's network (ch06/optimizer_compare_mnist.py): He initialisation, as the book's default 'relu'.</summary>
[Network] [Input(784)]
[Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class OptimizerNet;

/// <summary>ch06/weight_init_compare.py with weight_init_std = 0.01.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU]
[Dense(10, Init = Init.Normal, Std = 0.01f)] [SoftmaxCrossEntropy]
public partial class Std001Net;

/// <summary>ch06/weight_init_compare.py with 'sigmoid', the book's Xavier: std √(1/n).</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Xavier)] [ReLU] [Dense(100, Init = Init.Xavier)] [ReLU]
[Dense(100, Init = Init.Xavier)] [ReLU] [Dense(100, Init = Init.Xavier)] [ReLU]
[Dense(10, Init = Init.Xavier)] [SoftmaxCrossEntropy]
public partial class XavierNet;

/// <summary>ch06/weight_init_compare.py with 'relu', He: std √(2/n).</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.He)] [ReLU] [Dense(100, Init = Init.He)] [ReLU]
[Dense(100, Init = Init.He)] [ReLU] [Dense(100, Init = Init.He)] [ReLU]
[Dense(10, Init = Init.He)] [SoftmaxCrossEntropy]
public partial class HeNet;

/// <summary>ch06/overfit_weight_decay.py: seven Affine layers (hidden_size_list = [100] × 6), He, trained on 300 digits.</summary>
[Network] [Input(784)]
[Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU] [Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class OverfitNet;

/// <summary>ch06/overfit_dropout.py: <see cref="OverfitNet"/> with Dropout(0.2) after every hidden ReLU.</summary>
[Network] [Input(784)]
[Dense(100)] [ReLU] [Dropout(0.2)] [Dense(100)] [ReLU] [Dropout(0.2)] [Dense(100)] [ReLU] [Dropout(0.2)]
[Dense(100)] [ReLU] [Dropout(0.2)] [Dense(100)] [ReLU] [Dropout(0.2)] [Dense(100)] [ReLU] [Dropout(0.2)]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class OverfitDropoutNet;

// ch06/batch_norm_test.py: five hidden layers of 100, weights drawn with a given std, without and with BatchNorm
// (Affine → BatchNorm → ReLU, as the book's MultiLayerNetExtend). One class per std, since Std is part of the declaration.

/// <summary>Weight std 1, no BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [ReLU]
[Dense(100, Init = Init.Normal, Std = 1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [ReLU] [Dense(10, Init = Init.Normal, Std = 1f)] [SoftmaxCrossEntropy]
public partial class Std1Net;

/// <summary>Weight std 1, with BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [BatchNorm] [ReLU]
[Dense(100, Init = Init.Normal, Std = 1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 1f)] [BatchNorm] [ReLU] [Dense(10, Init = Init.Normal, Std = 1f)] [SoftmaxCrossEntropy]
public partial class Std1BatchNormNet;

/// <summary>Weight std 0.1, no BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 0.1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [ReLU]
[Dense(100, Init = Init.Normal, Std = 0.1f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [ReLU] [Dense(10, Init = Init.Normal, Std = 0.1f)] [SoftmaxCrossEntropy]
public partial class Std01Net;

/// <summary>Weight std 0.1, with BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 0.1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [BatchNorm] [ReLU]
[Dense(100, Init = Init.Normal, Std = 0.1f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.1f)] [BatchNorm] [ReLU] [Dense(10, Init = Init.Normal, Std = 0.1f)] [SoftmaxCrossEntropy]
public partial class Std01BatchNormNet;

/// <summary>Weight std 0.01, no BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [ReLU] [Dense(10, Init = Init.Normal, Std = 0.01f)] [SoftmaxCrossEntropy]
public partial class Std001DeepNet;

/// <summary>Weight std 0.01, with BatchNorm.</summary>
[Network] [Input(784)]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [BatchNorm] [ReLU]
[Dense(100, Init = Init.Normal, Std = 0.01f)] [BatchNorm] [ReLU] [Dense(100, Init = Init.Normal, Std = 0.01f)] [BatchNorm] [ReLU] [Dense(10, Init = Init.Normal, Std = 0.01f)] [SoftmaxCrossEntropy]
public partial class Std001BatchNormNet;
