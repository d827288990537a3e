using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// An optimizer: updates parameters from their gradients, allocating nothing per step.
/// State (momentum, squared-gradient averages) is allocated once, at construction.
/// </summary>
public interface IOptimizer
{
    /// <summary>The step size; may be changed between steps (a schedule does). Must be finite and greater than 0.</summary>
    float LearningRate { get; set; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> (same length).</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}

/// <summary>Extensions that step a whole network.</summary>
public static class OptimizerExtensions
{
    /// <summary>One update of <c>network.Parameters</c> from <c>network.Gradients</c>.</summary>
    public static void Step<TOptimizer, TNet>(this TOptimizer optimizer, TNet network)
        where TOptimizer : IOptimizer where TNet : INetwork =>
        optimizer.Step(network.Parameters, network.Gradients);
}

/// <summary>
/// What the optimizers of this library share: a validated learning rate, a step count, state buffers of
/// one float per parameter allocated at construction, and saving and loading that state
/// (<see cref="Save(System.IO.Stream)"/>, <see cref="Load(System.IO.Stream, string)"/>) to resume training exactly.
/// </summary>
/// <remarks>
/// <para>
/// Every step runs over the whole parameter block at once with the widest SIMD vectors the CPU has (512, 256
/// or 128 bits, see <see cref="Simd.MaxVectorBits"/>) and a scalar tail that performs the same operations in
/// the same order, so results are deterministic on a machine and do not depend on where a parameter lies in
/// the block. A step allocates nothing.
/// </para>
/// <para>
/// Every hyper-parameter is checked in the constructor and in its setter, and an out-of-range value throws
/// <see cref="ArgumentOutOfRangeException"/> naming it: learning rates must be finite and greater than 0,
/// momentum and decay coefficients (β1, β2, ρ, α) in [0, 1), ε finite and greater than 0, weight decay finite
/// and at least 0.
/// </para>
/// <para>
/// The formulas are those of the book <i>Deep Learning from Scratch</i> (<c>common/optimizer.py</c>) where it
/// follows its sources; each class says where it and PyTorch's <c>torch.optim</c> differ and which one it
/// follows. As in both, the state starts at zero.
/// </para>
/// </remarks>
public abstract partial class Optimizer : IOptimizer
{
    /// <summary>The hyper-parameters, learning rate first, in the order of the state file.</summary>
    private protected readonly float[] H;
    private readonly float[][] _state;
    private readonly int _stateLength;

    private protected Optimizer(int hyperParameters, int parameterCount, int stateBuffers)
    {
        HyperParameter.Count(parameterCount, nameof(parameterCount));
        H = new float[hyperParameters];
        _stateLength = stateBuffers == 0 ? -1 : parameterCount;
        _state = new float[stateBuffers][];
        for (int i = 0; i < stateBuffers; i++)
            _state[i] = new float[parameterCount];
    }

    /// <summary>The step size; may be changed between steps (for a schedule).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and greater than 0.</exception>
    public float LearningRate
    {
        get => H[0];
        set
        {
            Guard.LearningRate(value, nameof(LearningRate));
            H[0] = value;
        }
    }

    private int _degree = 1;
    private ParallelStep? _parallel;

    /// <summary>
    /// How many threads <see cref="Step"/> may use, 1 by default. Above 1, a block of parameters large enough to pay
    /// (about 20,000 floats a part) is split into ranges on 16-float boundaries between the calling thread and the
    /// process's shared workers (<see cref="WorkerTeam"/>); each parameter is updated by the same arithmetic as on one
    /// thread, so the result is the same bits at every degree. Allocates once, at the first split step; nothing after.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above <see cref="WorkerTeam.MaxDegree"/>.</exception>
    public int DegreeOfParallelism
    {
        get => _degree;
        set
        {
            WorkerTeam.EnsureDegree(value);
            _degree = value;
        }
    }

    /// <summary>The multiply-adds (roughly) an update costs per parameter, for <see cref="Partition.Parts"/>.</summary>
    private const long WorkPerParameter = 8;

    /// <summary>Runs the update <paramref name="op"/> over the block, split between threads when <see cref="DegreeOfParallelism"/> and its length call for it.</summary>
    private protected void Apply<TOp>(TOp op, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> s, Span<float> r)
        where TOp : struct, IUpdate
    {
        int parts = Partition.Parts(_degree, parameters.Length, WorkPerParameter);
        if (parts <= 1) { Update.Run(op, parameters, gradients, s, r); return; }
        var job = _parallel as ParallelUpdate<TOp> ?? new ParallelUpdate<TOp>();
        _parallel = job;
        job.Run(op, parameters, gradients, s, r, parts);
    }

    /// <summary>Plain SGD's <c>p += −lr·g</c>, split as <see cref="Apply{TOp}"/> splits an update.</summary>
    private protected void ApplyScaled(Span<float> parameters, ReadOnlySpan<float> gradients, float a)
    {
        int parts = Partition.Parts(_degree, parameters.Length, WorkPerParameter);
        if (parts <= 1) { Vectors.AddScaled(parameters, gradients, a); return; }
        var job = _parallel as ParallelScaled ?? new ParallelScaled();
        _parallel = job;
        job.Run(a, parameters, gradients, parts);
    }

    /// <summary>A split step: the blocks pinned for its duration, each part updating its range of them.</summary>
    private abstract unsafe class ParallelStep : IPartitioned
    {
        protected float* P, G, S, R;
        protected int Length;

        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
        {
            var (start, end) = Partition.Rows(Length, part, parts);
            if (end > start) Range(start, end - start);
        }

        protected abstract void Range(int start, int length);
    }

    private sealed unsafe class ParallelUpdate<TOp> : ParallelStep where TOp : struct, IUpdate
    {
        private TOp _op;

        public void Run(TOp op, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> s, Span<float> r, int parts)
        {
            if (gradients.Length != parameters.Length || s.Length != parameters.Length || r.Length != parameters.Length)
                throw new ArgumentException("The parameters, gradients and optimizer state must have the same length.");
            fixed (float* p = parameters, g = gradients, sp = s, rp = r)
            {
                _op = op; P = p; G = g; S = sp; R = rp; Length = parameters.Length;
                try { WorkerTeam.Shared.Run(this, 0, parts); }
                finally { P = G = S = R = null; }
            }
        }

        protected override void Range(int start, int length) =>
            Update.Run(_op, new Span<float>(P + start, length), new ReadOnlySpan<float>(G + start, length), new Span<float>(S + start, length), new Span<float>(R + start, length));
    }

    private sealed unsafe class ParallelScaled : ParallelStep
    {
        private float _a;

        public void Run(float a, Span<float> parameters, ReadOnlySpan<float> gradients, int parts)
        {
            fixed (float* p = parameters, g = gradients)
            {
                _a = a; P = p; G = g; Length = parameters.Length;
                try { WorkerTeam.Shared.Run(this, 0, parts); }
                finally { P = G = null; }
            }
        }

        protected override void Range(int start, int length) =>
            Vectors.AddScaled(new Span<float>(P + start, length), new ReadOnlySpan<float>(G + start, length), _a);
    }

    /// <summary>How many steps have been taken (Adam's <c>t</c>); saved and loaded with the state.</summary>
    public long StepCount { get; private set; }

    /// <summary>The optimizer's name as written in its state file (<c>Sgd</c>, <c>Momentum</c>, <c>Adam</c>, ...).</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>Checks the lengths and counts the step; returns the new <see cref="StepCount"/>.</summary>
    private protected long BeginStep(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Check.SameLength(parameters, gradients);
        if (_stateLength >= 0) Check.StateLength(_stateLength, parameters.Length);
        return ++StepCount;
    }

    /// <summary>State buffer <paramref name="index"/>, one float per parameter.</summary>
    private protected Span<float> State(int index) => _state[index];

    /// <summary>Checks hyper-parameters read from a state file, with the rules of the setters; throws <see cref="ArgumentOutOfRangeException"/>.</summary>
    private protected abstract void Validate(ReadOnlySpan<float> hyperParameters);

    internal int HyperParameterCount => H.Length;
    internal int StateBufferCount => _state.Length;
    /// <summary>The number of parameters the state is for; 0 for an optimizer without state buffers.</summary>
    internal int StateLength => Math.Max(_stateLength, 0);
}

/// <summary>
/// Stochastic gradient descent: <c>p ← p − lr·g</c> (the book's <c>SGD</c>; PyTorch's <c>SGD</c> without
/// momentum, dampening or weight decay). Default learning rate 0.01, as both. It keeps no state, so one
/// instance steps parameter blocks of any length.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Sgd(float learningRate = 0.01f) : base(1, 0, 0)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        H[0] = learningRate;
    }

    /// <inheritdoc/>
    public override string Name => nameof(Sgd);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        BeginStep(parameters, gradients);
        ApplyScaled(parameters, gradients, -H[0]);
    }

    private protected override void Validate(ReadOnlySpan<float> h) => Guard.LearningRate(h[0], nameof(LearningRate));
}

/// <summary>
/// SGD with momentum, the book's <c>Momentum</c>: <c>v ← α·v − lr·g; p ← p + v</c>, with v starting at 0.
/// Defaults: lr = 0.01, α = 0.9 (the book's).
/// </summary>
/// <remarks>
/// PyTorch's <c>SGD(momentum=α)</c> keeps the velocity in gradient units instead, <c>b ← α·b + g; p ← p − lr·b</c>
/// (its dampening 0): the same steps while lr is constant (v = −lr·b), but when a schedule changes lr, PyTorch
/// rescales the whole accumulated velocity at once while here only new gradients get the new rate.
/// </remarks>
public sealed class Momentum : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step (<c>TNet.ParameterCount</c>); at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="momentum">α, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Momentum(int parameterCount, float learningRate = 0.01f, float momentum = 0.9f) : base(2, parameterCount, 1)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        HyperParameter.Coefficient(momentum, nameof(momentum));
        H[0] = learningRate;
        H[1] = momentum;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>The momentum coefficient α, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Coefficient
    {
        get => H[1];
        set { HyperParameter.Coefficient(value, nameof(Coefficient)); H[1] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(Momentum);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        BeginStep(parameters, gradients);
        Span<float> v = State(0);
        Apply(new MomentumUpdate(H[1], -H[0]), parameters, gradients, v, v);
    }

    private protected override void Validate(ReadOnlySpan<float> h)
    {
        Guard.LearningRate(h[0], nameof(LearningRate));
        HyperParameter.Coefficient(h[1], nameof(Coefficient));
    }
}

/// <summary>
/// Nesterov's accelerated gradient in the form of Bengio et al. 2012 (arXiv:1212.0901, the paper the book
/// cites): <c>v ← α·v − lr·g; p ← p + α·v − lr·g</c>, using the updated v. Defaults: lr = 0.01, α = 0.9 (the book's).
/// </summary>
/// <remarks>
/// <para>
/// This is PyTorch's <c>SGD(momentum=α, nesterov=True)</c>, <c>b ← α·b + g; p ← p − lr·(g + α·b)</c>, written with
/// the velocity in parameter units (v = −lr·b): the same steps while lr is constant (see <see cref="Momentum"/> for
/// what happens when it changes).
/// </para>
/// <para>
/// The book's <c>Nesterov</c> differs: it adds <c>α²·v − (1 + α)·lr·g</c> with the <em>updated</em> v, where the
/// paper's <c>p ← p + α²·v − (1 + α)·lr·g</c> uses the velocity from before the update; with the updated one that
/// is <c>α³·v_old − (α² + 1 + α)·lr·g</c>, a larger step than the paper's. This class follows the paper and PyTorch.
/// </para>
/// </remarks>
public sealed class Nesterov : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step; at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="momentum">α, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Nesterov(int parameterCount, float learningRate = 0.01f, float momentum = 0.9f) : base(2, parameterCount, 1)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        HyperParameter.Coefficient(momentum, nameof(momentum));
        H[0] = learningRate;
        H[1] = momentum;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>The momentum coefficient α, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Coefficient
    {
        get => H[1];
        set { HyperParameter.Coefficient(value, nameof(Coefficient)); H[1] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(Nesterov);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        BeginStep(parameters, gradients);
        Span<float> v = State(0);
        Apply(new NesterovUpdate(H[1], -H[0]), parameters, gradients, v, v);
    }

    private protected override void Validate(ReadOnlySpan<float> h)
    {
        Guard.LearningRate(h[0], nameof(LearningRate));
        HyperParameter.Coefficient(h[1], nameof(Coefficient));
    }
}

/// <summary>
/// AdaGrad (Duchi et al. 2011), the book's <c>AdaGrad</c>: <c>h ← h + g²; p ← p − lr·g / (√h + ε)</c>, h starting at 0.
/// Defaults: lr = 0.01 (the book's and PyTorch's), ε = 1e-7 (the book's).
/// </summary>
/// <remarks>
/// PyTorch's <c>Adagrad</c> has the same formula with ε = 1e-10 by default, and adds options this class does not
/// have (<c>lr_decay</c>, <c>initial_accumulator_value</c>, both 0 by default). The book fixes ε at 1e-7; here it
/// is a parameter.
/// </remarks>
public sealed class AdaGrad : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step; at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="epsilon">ε, added to √h; finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public AdaGrad(int parameterCount, float learningRate = 0.01f, float epsilon = 1e-7f) : base(2, parameterCount, 1)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        HyperParameter.Epsilon(epsilon, nameof(epsilon));
        H[0] = learningRate;
        H[1] = epsilon;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>ε, added to √h for stability; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and greater than 0.</exception>
    public float Epsilon
    {
        get => H[1];
        set { HyperParameter.Epsilon(value, nameof(Epsilon)); H[1] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(AdaGrad);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        BeginStep(parameters, gradients);
        Span<float> h = State(0);
        Apply(new AdaGradUpdate(-H[0], H[1]), parameters, gradients, h, h);
    }

    private protected override void Validate(ReadOnlySpan<float> h)
    {
        Guard.LearningRate(h[0], nameof(LearningRate));
        HyperParameter.Epsilon(h[1], nameof(Epsilon));
    }
}

/// <summary>
/// RMSProp (Tieleman and Hinton 2012), the book's <c>RMSprop</c>: <c>h ← ρ·h + (1 − ρ)·g²; p ← p − lr·g / (√h + ε)</c>,
/// h starting at 0. Defaults: lr = 0.01, ρ = 0.99 (the book's <c>decay_rate</c>, PyTorch's <c>alpha</c>), ε = 1e-7 (the book's).
/// </summary>
/// <remarks>
/// PyTorch's <c>RMSprop</c> has the same formula with ε = 1e-8 by default, and adds options this class does not
/// have (<c>momentum</c>, <c>centered</c>, <c>weight_decay</c>, all off by default).
/// </remarks>
public sealed class RMSProp : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step; at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="decayRate">ρ, the decay of the average of g², in [0, 1).</param>
    /// <param name="epsilon">ε, added to √h; finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public RMSProp(int parameterCount, float learningRate = 0.01f, float decayRate = 0.99f, float epsilon = 1e-7f) : base(3, parameterCount, 1)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        HyperParameter.Coefficient(decayRate, nameof(decayRate));
        HyperParameter.Epsilon(epsilon, nameof(epsilon));
        H[0] = learningRate;
        H[1] = decayRate;
        H[2] = epsilon;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>ρ, the decay of the running average of g², in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float DecayRate
    {
        get => H[1];
        set { HyperParameter.Coefficient(value, nameof(DecayRate)); H[1] = value; }
    }

    /// <summary>ε, added to √h for stability; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and greater than 0.</exception>
    public float Epsilon
    {
        get => H[2];
        set { HyperParameter.Epsilon(value, nameof(Epsilon)); H[2] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(RMSProp);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        BeginStep(parameters, gradients);
        Span<float> h = State(0);
        Apply(new RmsPropUpdate(H[1], -H[0], H[2]), parameters, gradients, h, h);
    }

    private protected override void Validate(ReadOnlySpan<float> h)
    {
        Guard.LearningRate(h[0], nameof(LearningRate));
        HyperParameter.Coefficient(h[1], nameof(DecayRate));
        HyperParameter.Epsilon(h[2], nameof(Epsilon));
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015, Algorithm 1), as PyTorch's <c>Adam</c>: at step t,
/// <c>m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p − lr·m̂ / (√v̂ + ε)</c> with the bias-corrected
/// <c>m̂ = m / (1 − β1ᵗ)</c> and <c>v̂ = v / (1 − β2ᵗ)</c>; m and v start at 0.
/// Defaults: lr = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8 (the paper's and PyTorch's).
/// </summary>
/// <remarks>
/// The book's <c>Adam</c> (and Keras') uses the paper's "more efficient" reordering instead,
/// <c>p ← p − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε)</c>, which adds ε to √v rather than to √v̂: the same as
/// this formula with ε scaled by √(1 − β2ᵗ) (about 0.03·ε at t = 1), so the two differ only where √v is
/// comparable to ε. The book also fixes ε at 1e-7. Bias corrections are computed in double precision.
/// </remarks>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step; at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="beta1">β1, the decay of the first-moment average m, in [0, 1).</param>
    /// <param name="beta2">β2, the decay of the second-moment average v, in [0, 1).</param>
    /// <param name="epsilon">ε, added to √v̂; finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Adam(int parameterCount, float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        : base(4, parameterCount, 2)
    {
        AdamRules.Check(learningRate, beta1, beta2, epsilon);
        H[0] = learningRate;
        H[1] = beta1;
        H[2] = beta2;
        H[3] = epsilon;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>β1, the decay of the first-moment average, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Beta1
    {
        get => H[1];
        set { HyperParameter.Coefficient(value, nameof(Beta1)); H[1] = value; }
    }

    /// <summary>β2, the decay of the second-moment average, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Beta2
    {
        get => H[2];
        set { HyperParameter.Coefficient(value, nameof(Beta2)); H[2] = value; }
    }

    /// <summary>ε, added to √v̂ for stability; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and greater than 0.</exception>
    public float Epsilon
    {
        get => H[3];
        set { HyperParameter.Epsilon(value, nameof(Epsilon)); H[3] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(Adam);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        long t = BeginStep(parameters, gradients);
        Apply(AdamRules.Update(H[0], H[1], H[2], H[3], weightDecay: 0, t), parameters, gradients, State(0), State(1));
    }

    private protected override void Validate(ReadOnlySpan<float> h) => AdamRules.Validate(h);
}

/// <summary>
/// AdamW (Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization"), as PyTorch's <c>AdamW</c>: each
/// step first decays the parameters, <c>p ← p − lr·λ·p</c>, then takes the <see cref="Adam"/> step; the decay is
/// not part of the gradient, so m and v never see it. Defaults: lr = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8,
/// λ = 0.01 (PyTorch's).
/// </summary>
/// <remarks>
/// <para>
/// This is the decay of every parameter the optimizer steps, biases included (as PyTorch with one parameter
/// group). The L2 weight decay of the book (ch. 6.4, <c>λ/2·‖W‖²</c> added to the loss) belongs to the network
/// instead; with Adam that is not the same thing, which is why AdamW exists.
/// </para>
/// <para>
/// The paper multiplies λ by the schedule multiplier η_t alone (<c>p ← p − η_t·λ·p</c>); PyTorch and this class
/// multiply it by the learning rate, so a schedule that lowers the learning rate lowers the decay with it. The book
/// has no AdamW. The decay is applied before the Adam step, as PyTorch, but as <c>p − (lr·λ)·p</c> in one fused
/// multiply-add where PyTorch multiplies by <c>1 − lr·λ</c> rounded to float: with lr = 0.001 and λ = 0.01 that
/// rounding changes the decay by about 0.5%, here it does not.
/// </para>
/// </remarks>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter block it will step; at least 0.</param>
    /// <param name="learningRate">lr; finite and greater than 0.</param>
    /// <param name="beta1">β1, the decay of the first-moment average m, in [0, 1).</param>
    /// <param name="beta2">β2, the decay of the second-moment average v, in [0, 1).</param>
    /// <param name="epsilon">ε, added to √v̂; finite and greater than 0.</param>
    /// <param name="weightDecay">λ, the decoupled weight decay; finite and at least 0 (0 makes this <see cref="Adam"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public AdamW(int parameterCount, float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(5, parameterCount, 2)
    {
        AdamRules.Check(learningRate, beta1, beta2, epsilon);
        HyperParameter.NonNegative(weightDecay, nameof(weightDecay));
        H[0] = learningRate;
        H[1] = beta1;
        H[2] = beta2;
        H[3] = epsilon;
        H[4] = weightDecay;
    }

    /// <summary>The length of the parameter block this optimizer steps.</summary>
    public int ParameterCount => StateLength;

    /// <summary>β1, the decay of the first-moment average, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Beta1
    {
        get => H[1];
        set { HyperParameter.Coefficient(value, nameof(Beta1)); H[1] = value; }
    }

    /// <summary>β2, the decay of the second-moment average, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1).</exception>
    public float Beta2
    {
        get => H[2];
        set { HyperParameter.Coefficient(value, nameof(Beta2)); H[2] = value; }
    }

    /// <summary>ε, added to √v̂ for stability; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and greater than 0.</exception>
    public float Epsilon
    {
        get => H[3];
        set { HyperParameter.Epsilon(value, nameof(Epsilon)); H[3] = value; }
    }

    /// <summary>λ, the decoupled weight decay: each step multiplies the parameters by <c>1 − lr·λ</c>. Finite and at least 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public float WeightDecay
    {
        get => H[4];
        set { HyperParameter.NonNegative(value, nameof(WeightDecay)); H[4] = value; }
    }

    /// <inheritdoc/>
    public override string Name => nameof(AdamW);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        long t = BeginStep(parameters, gradients);
        Apply(AdamRules.Update(H[0], H[1], H[2], H[3], H[4], t), parameters, gradients, State(0), State(1));
    }

    private protected override void Validate(ReadOnlySpan<float> h)
    {
        AdamRules.Validate(h);
        HyperParameter.NonNegative(h[4], nameof(WeightDecay));
    }
}

/// <summary>What <see cref="Adam"/> and <see cref="AdamW"/> share.</summary>
internal static class AdamRules
{
    public static void Check(float learningRate, float beta1, float beta2, float epsilon)
    {
        Guard.LearningRate(learningRate, nameof(learningRate));
        HyperParameter.Coefficient(beta1, nameof(beta1));
        HyperParameter.Coefficient(beta2, nameof(beta2));
        HyperParameter.Epsilon(epsilon, nameof(epsilon));
    }

    public static void Validate(ReadOnlySpan<float> h)
    {
        Guard.LearningRate(h[0], nameof(Adam.LearningRate));
        HyperParameter.Coefficient(h[1], nameof(Adam.Beta1));
        HyperParameter.Coefficient(h[2], nameof(Adam.Beta2));
        HyperParameter.Epsilon(h[3], nameof(Adam.Epsilon));
    }

    /// <summary>The step's constants: the bias corrections <c>1 − βᵗ</c> in double precision, as PyTorch computes them (in Python floats).</summary>
    public static AdamUpdate Update(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, long t)
    {
        double correction1 = 1 - Math.Pow(beta1, t);
        double correction2 = 1 - Math.Pow(beta2, t);
        float negativeStep = (float)(-learningRate / correction1);
        float inverseSqrtCorrection2 = (float)(1 / Math.Sqrt(correction2));
        float negativeDecay = -(learningRate * weightDecay);
        return new AdamUpdate(beta1, beta2, negativeStep, inverseSqrtCorrection2, epsilon, negativeDecay);
    }
}

internal static class Vectors
{
    /// <summary><c>y += a · x</c>, with ordinary stores: unlike TensorPrimitives on spans over 256 KB, no
    /// non-temporal stores, which would push the weights out of cache before the next forward pass.</summary>
    public static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = y.Length, i = 0;
        if (Simd.Use512)
        {
            Vector512<float> av = Vector512.Create(a);
            for (; i + 16 <= n; i += 16)
                W512.MultiplyAdd(av, Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Simd.Use256)
        {
            Vector256<float> av = Vector256.Create(a);
            for (; i + 8 <= n; i += 8)
                W256.MultiplyAdd(av, Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = MathF.FusedMultiplyAdd(a, Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }
}
