using System;
using System.Collections.Generic;

namespace StaticNet;

/// <summary>
/// One block of a network's parameters as PyTorch holds it: the module of an <c>nn.Sequential</c> it
/// belongs to, the attribute (<c>weight</c>, <c>bias</c>), PyTorch's shape, and the tensor name in the file.
/// </summary>
/// <remarks>
/// A Dense layer is PyTorch's <c>nn.Linear</c>, whose <c>weight</c> is <c>[out, in]</c>: StaticNet's
/// <c>W</c> is <c>[in, out]</c> (the book's <c>x·W + b</c>), so the weights are <see cref="Transposed"/>
/// on the way in and out; the bias is <c>[out]</c> in both. A Conv2D layer is PyTorch's <c>nn.Conv2d</c>,
/// whose <c>weight</c> <c>[out, in, kH, kW]</c> is StaticNet's <c>W [F, C, K, K]</c> as it is (not transposed),
/// and its bias <c>[out]</c>. A BatchNorm's <c>weight</c> (γ), <c>bias</c> (β), <c>running_mean</c> and <c>running_var</c>
/// are vectors in both (the last two from <see cref="INetwork.State"/>), its <c>num_batches_tracked</c> an int64 scalar.
/// A GRU's or LSTM's <c>weight_ih_l{k}</c> <c>[gates·H, in]</c>, <c>weight_hh_l{k}</c> <c>[gates·H, H]</c>,
/// <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> are StaticNet's <c>W_ih</c>, <c>W_hh</c>, <c>b_ih</c>, <c>b_hh</c> as they are.
/// </remarks>
public sealed class SafeTensorsParameter
{
    private readonly long[] _shape;

    private readonly string _defaultName;

    internal SafeTensorsParameter(ParameterBlock block, int module, string moduleType, string attribute, long[] shape, bool transposed, string tensorName, string? defaultName = null)
    {
        Block = block;
        Module = module;
        ModuleType = moduleType;
        Attribute = attribute;
        _shape = shape;
        Transposed = transposed;
        TensorName = tensorName;
        _defaultName = defaultName ?? $"{module}.{attribute}";
    }

    /// <summary>
    /// The StaticNet block (<c>W1</c> of <c>Dense1</c>, ...). For a BatchNorm's running statistics it is a block of
    /// <see cref="INetwork.State"/> (<see cref="ParameterKind.RunningMean"/>, <see cref="ParameterKind.RunningVariance"/>,
    /// named <c>RunningMean2</c>, <c>RunningVar2</c> as the generated views, its offset into State; see <see cref="InState"/>);
    /// for its <c>num_batches_tracked</c> a <see cref="ParameterKind.BatchCounter"/> of length 0.
    /// </summary>
    public ParameterBlock Block { get; }

    /// <summary>Whether the tensor is a block of <see cref="INetwork.State"/> (a BatchNorm's running mean or variance), not of <see cref="INetwork.Parameters"/>.</summary>
    public bool InState => Block.Kind is ParameterKind.RunningMean or ParameterKind.RunningVariance;

    /// <summary>
    /// Whether the tensor is a BatchNorm's <c>num_batches_tracked</c> (int64, shape <c>[]</c>): StaticNet does not count
    /// batches, so it is ignored on load and saved as 0 (PyTorch reads it only when the BatchNorm's momentum is None).
    /// </summary>
    public bool IsBatchCounter => Block.Kind == ParameterKind.BatchCounter;

    /// <summary>
    /// The index of the layer's module in PyTorch's <c>nn.Sequential</c>: the k-th layer after the input is
    /// module k, activations, pools and <c>Flatten</c> included (they are modules too); a loss layer is not a module (PyTorch applies
    /// its loss outside the model, so a <c>SoftmaxCrossEntropy</c> network has no <c>nn.Softmax</c>: it outputs logits).
    /// In a recurrent network (see <see cref="SafeTensorsNetwork"/>) the index of the module in its container, <c>rnn</c>
    /// or <c>head</c> (0 when the container is the module itself).
    /// </summary>
    public int Module { get; }

    /// <summary>PyTorch's module class, e.g. <c>Linear</c> or <c>Conv2d</c>.</summary>
    public string ModuleType { get; }

    /// <summary>The module's attribute, e.g. <c>weight</c> or <c>bias</c>.</summary>
    public string Attribute { get; }

    /// <summary>
    /// The tensor's name under <see cref="SafeTensorsNaming.Sequential"/>, the default: <c>{Module}.{Attribute}</c>, e.g.
    /// <c>0.weight</c>, the key in the state_dict of a bare <c>nn.Sequential</c>; for a recurrent network the key in the
    /// state_dict of the module <see cref="SafeTensorsNetwork"/> describes, e.g. <c>rnn.weight_ih_l0</c>, <c>head.weight</c>.
    /// </summary>
    public string SequentialName => _defaultName;

    /// <summary>The tensor's name in the file, as the <see cref="SafeTensorsNaming"/> in use gives it.</summary>
    public string TensorName { get; }

    /// <summary>PyTorch's shape of the tensor, e.g. <c>[out, in]</c> for a Linear weight, <c>[out, in, kH, kW]</c> for a Conv2d weight.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>Whether PyTorch's layout is the transpose of StaticNet's (Linear weights: <c>[out, in]</c> against <c>[in, out]</c>).</summary>
    public bool Transposed { get; }

    internal SafeTensorsParameter WithName(string tensorName) =>
        new(Block, Module, ModuleType, Attribute, _shape, Transposed, tensorName, _defaultName);

    /// <summary>E.g. <c>0.weight: Linear weight [8, 4] (W1 of Dense1, transposed)</c>.</summary>
    public override string ToString() =>
        $"{TensorName}: {ModuleType} {Attribute} {SafeTensor.FormatShape(_shape)} ({Block.Name} of {Block.Layer}{(Transposed ? ", transposed" : "")})";
}

/// <summary>
/// How a network's parameter blocks are named in a safetensors file. The default, <see cref="Sequential"/>,
/// is the state_dict of the matching PyTorch <c>nn.Sequential</c> (<c>0.weight</c>, <c>0.bias</c>,
/// <c>2.weight</c>, ...); <see cref="WithPrefix"/> puts a module path in front (<c>model.0.weight</c> for a
/// Sequential held as <c>self.model</c>); <see cref="FromMap"/> names blocks one by one; <see cref="Custom"/>
/// takes any function.
/// </summary>
/// <remarks>
/// Naming only chooses names. The layout (which blocks are transposed, PyTorch's shapes) is fixed by the
/// layer kind, see <see cref="SafeTensorsParameter"/>: Dense weights are transposed to PyTorch's
/// <c>[out, in]</c>; Conv2d weights keep <c>[out, in, kH, kW]</c>; BatchNorm's
/// <c>running_mean</c> and <c>running_var</c> are named like its parameters (map keys <c>RunningMean2</c>,
/// <c>RunningVar2</c>, <c>BatchCounter2</c>), and its <c>num_batches_tracked</c> counter (I64) is ignored on load.
/// </remarks>
public sealed class SafeTensorsNaming
{
    private readonly string _prefix;
    private readonly Dictionary<string, string>? _map;
    private readonly Func<SafeTensorsParameter, string>? _custom;

    private SafeTensorsNaming(string prefix, Dictionary<string, string>? map, Func<SafeTensorsParameter, string>? custom)
    {
        _prefix = prefix;
        _map = map;
        _custom = custom;
    }

    /// <summary>PyTorch's <c>nn.Sequential</c> state_dict names: <c>{module}.{attribute}</c>, e.g. <c>0.weight</c>.</summary>
    public static SafeTensorsNaming Sequential { get; } = new("", null, null);

    /// <summary>The <see cref="Sequential"/> names after <paramref name="prefix"/>, e.g. <c>model.</c> gives <c>model.0.weight</c>.</summary>
    /// <param name="prefix">Put before every name as is (include the dot).</param>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    public static SafeTensorsNaming WithPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return new SafeTensorsNaming(prefix, null, null);
    }

    /// <summary>
    /// Explicit names: <paramref name="names"/> maps StaticNet block names (<c>W1</c>, <c>b1</c>, ...) to
    /// tensor names (<c>fc1.weight</c>, ...); blocks it leaves out get the <see cref="Sequential"/> name
    /// after <paramref name="prefix"/>. A key that names no block of the network is an error when the naming is used.
    /// </summary>
    /// <param name="names">Block name to tensor name.</param>
    /// <param name="prefix">The prefix of the names the map leaves out.</param>
    /// <exception cref="ArgumentException">A tensor name is null or empty.</exception>
    public static SafeTensorsNaming FromMap(IReadOnlyDictionary<string, string> names, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(prefix);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in names)
        {
            if (string.IsNullOrEmpty(pair.Value))
                throw new ArgumentException($"The tensor name for block '{pair.Key}' is empty.", nameof(names));
            map.Add(pair.Key, pair.Value);
        }
        return new SafeTensorsNaming(prefix, map, null);
    }

    /// <summary>Names given by <paramref name="name"/>, which gets each parameter with its <see cref="SafeTensorsParameter.SequentialName"/> as <see cref="SafeTensorsParameter.TensorName"/>.</summary>
    /// <param name="name">Returns the tensor name of a parameter; distinct parameters must get distinct names.</param>
    public static SafeTensorsNaming Custom(Func<SafeTensorsParameter, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new SafeTensorsNaming("", null, name);
    }

    /// <summary>The tensor name of <paramref name="parameter"/> under this naming.</summary>
    /// <param name="parameter">A parameter as <see cref="SafeTensorsNetwork.Describe{TNet}(TNet, SafeTensorsNaming?)"/> lists it.</param>
    public string NameOf(SafeTensorsParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (_custom is not null)
        {
            string name = _custom(parameter.WithName(parameter.SequentialName));
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException($"The custom naming gave an empty name for {parameter.Block.Name} of {parameter.Block.Layer}.", nameof(parameter));
            return name;
        }
        if (_map is not null && _map.TryGetValue(parameter.Block.Name, out string? mapped))
            return mapped;
        return _prefix + parameter.SequentialName;
    }

    /// <summary>Checks that every key of an explicit map names a block of the network.</summary>
    internal void CheckMapKeys(List<SafeTensorsParameter> parameters)
    {
        if (_map is null) return;
        foreach (string key in _map.Keys)
        {
            bool found = false;
            foreach (SafeTensorsParameter p in parameters)
                found |= p.Block.Name == key;
            if (!found)
            {
                var blocks = new List<string>();
                foreach (SafeTensorsParameter p in parameters) blocks.Add(p.Block.Name);
                throw new ArgumentException($"The naming maps '{key}', but the network has no block of that name; its blocks are: {string.Join(", ", blocks)}.");
            }
        }
    }
}
