using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace StaticNet.Kernels;

/// <summary>
/// Work that splits into parts: a generated network's stage of rows or of parameter blocks, an optimizer's range of
/// parameters. <see cref="RunPart"/> is called once for every part from 0 to <c>parts − 1</c>, on any thread, in any
/// order, with the two caller spans a stage may read or write (the caller's input, its input gradient), whole.
/// Public so that generated code in other assemblies can implement it; not meant to be called by hand.
/// </summary>
public interface IPartitioned
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/> of <paramref name="stage"/>.</summary>
    void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output);
}

/// <summary>
/// The process's worker threads, shared by every network and optimizer whose <c>DegreeOfParallelism</c> is above 1:
/// created once, when a degree first asks for them, and kept for the life of the process (background threads, so they
/// never hold it open). <see cref="Run"/> is a fork and a join: part 0 runs on the calling thread, parts 1 and up on
/// the workers (or on the caller, when it is done first and a part is still untaken), and it returns when every part is
/// done. Nothing is allocated per call.
/// </summary>
/// <remarks>
/// <para>A worker waits for work spinning for a short while (so that the stages of one training step, microseconds
/// apart, find it awake) and then sleeps on an event, so an idle process burns no core.</para>
/// <para>One caller at a time: a second thread that calls <see cref="Run"/> while the team is taken runs all of its
/// parts itself, one after the other. The results do not change, because every split this library makes gives the
/// same numbers in any number of parts (see the parallel section of the README); only the time does.</para>
/// </remarks>
public sealed class WorkerTeam
{
    /// <summary>The team. Its workers start on the first <see cref="EnsureDegree"/> above 1.</summary>
    public static WorkerTeam Shared { get; } = new();

    /// <summary>The most parts a call may have: 64 (more cores than that gain nothing on networks of this size).</summary>
    public const int MaxDegree = 64;

    private readonly object _grow = new();
    private Worker[] _workers = Array.Empty<Worker>();
    private int _taken; // 1 while a Run owns the workers

    /// <summary>
    /// How many times the caller polls for the workers' parts, each poll one <c>Thread.SpinWait(1)</c>, before it backs
    /// off; the workers poll for a new stage as often. On the Zen 5 host one poll takes about 50 ns (the runtime scales a
    /// spin to the pause instruction when it starts), so the caller polls for about 100 µs. Measured there, against
    /// polls of <c>Thread.SpinWait(20)</c> (0.5-1 µs) and a join through <c>SpinWait.SpinOnce</c> from the first poll:
    /// an empty two-part stage took 0.20 µs instead of 0.55, and a worker started 0.10 µs after the caller instead of
    /// 0.67. The 784-100-10 network with two threads, paired in one process: <c>Forward</c> 0.97 of the time at batch 32
    /// and 0.99 at 100, the training step 0.99-1.00.
    /// </summary>
    private const int JoinSpins = 2000;

    // The job of the current Run, read by whichever thread claims one of its parts (TryRunPart).
    private IPartitioned? _target;
    private int _stage;
    private unsafe float* _input, _output;
    private int _inputLength, _outputLength;
    private int _pending;
    // The job's parts and the next one to hand out, in one word so that a claim sees both at once: a part claimed is one
    // of the current job (which cannot end while that part runs), and no part is claimed twice.
    private long _claim;
    private Exception? _failure;

    private WorkerTeam() { }

    /// <summary>How many threads may work on a call at once: the workers plus the caller.</summary>
    public int Degree => _workers.Length + 1;

    /// <summary>
    /// The rule for a <c>DegreeOfParallelism</c>: an <see cref="ArgumentOutOfRangeException"/> naming
    /// <paramref name="name"/> unless 1 ≤ <paramref name="degree"/> ≤ <see cref="MaxDegree"/>; then, for a degree above 1,
    /// starts the workers it needs (once: the threads are kept). Call it from a setter, never per call.
    /// </summary>
    public static void EnsureDegree(int degree, string name = "value")
    {
        if (degree < 1 || degree > MaxDegree)
            throw new ArgumentOutOfRangeException(name, degree, $"Expected a degree of parallelism from 1 to {MaxDegree}.");
        if (degree > 1) Shared.Grow(degree - 1);
    }

    private void Grow(int workers)
    {
        if (_workers.Length >= workers) return;
        lock (_grow)
        {
            if (_workers.Length >= workers) return;
            var grown = new Worker[workers];
            Array.Copy(_workers, grown, _workers.Length);
            for (int i = _workers.Length; i < workers; i++) grown[i] = new Worker(this, i + 1);
            Volatile.Write(ref _workers, grown);
        }
    }

    /// <summary>
    /// Runs parts 0 to <paramref name="parts"/> − 1 of <paramref name="stage"/> of <paramref name="target"/>, part 0 on this
    /// thread, and returns when all are done; an exception thrown by a part is rethrown here (the first one). With one part,
    /// or when the team is busy with another caller, every part runs on this thread.
    /// </summary>
    /// <remarks>
    /// Parts 1 and up are taken, each by whichever thread claims it first (<see cref="TryRunPart"/>): the woken workers,
    /// and this thread once its own part is done. So a worker that has not started when the caller is done (asleep, or
    /// waiting for the caller's core) costs the caller that part's time, not a wait for the worker to wake. On the Zen 5
    /// host, a two-thread <c>Forward</c> of the 784-100-10 network at batch 100, 20 ms after the one before (the worker
    /// asleep), took 3.5 ms where it now takes 0.16 ms (one thread: 0.13 ms); back to back, the same time as before
    /// (0.997-1.003, paired). Which thread runs a part changes no number.
    /// </remarks>
    public unsafe void Run(IPartitioned target, int stage, int parts, ReadOnlySpan<float> input = default, Span<float> output = default)
    {
        Worker[] workers = Volatile.Read(ref _workers);
        if (parts <= 1 || workers.Length == 0 || Interlocked.CompareExchange(ref _taken, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) target.RunPart(stage, p, parts, input, output);
            return;
        }
        try
        {
            fixed (float* i = input, o = output)
            {
                _target = target; _stage = stage;
                _input = i; _inputLength = input.Length; _output = o; _outputLength = output.Length;
                _failure = null;
                Volatile.Write(ref _pending, parts - 1);
                Volatile.Write(ref _claim, Claim(parts, next: 1)); // the job's fields above are written before its parts can be claimed
                int helpers = Math.Min(parts - 1, workers.Length);
                for (int w = 0; w < helpers; w++) workers[w].Start();
                Exception? mine = null;
                try { target.RunPart(stage, 0, parts, input, output); }
                catch (Exception e) { mine = e; }
                while (TryRunPart()) { } // the parts no worker has claimed yet
                // The join polls as often as the workers do for a while (the parts of a stage end within microseconds of each
                // other), then backs off and yields, as SpinWait does, in case a worker shares this core.
                var spin = new SpinWait();
                for (int spins = 0; Volatile.Read(ref _pending) != 0; spins++)
                {
                    if (spins < JoinSpins) Thread.SpinWait(1);
                    else spin.SpinOnce(sleep1Threshold: -1);
                }
                _target = null; _input = null; _output = null;
                Exception? failure = mine ?? _failure;
                if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
        finally { Volatile.Write(ref _taken, 0); }
    }

    private static long Claim(int parts, int next) => ((long)parts << 32) | (uint)next;

    /// <summary>Claims the next part of the job running and runs it; false when every part is taken.</summary>
    private unsafe bool TryRunPart()
    {
        long word;
        int part, parts;
        do
        {
            word = Volatile.Read(ref _claim);
            parts = (int)(word >> 32);
            part = (int)word;
            if (part >= parts) return false;
        }
        while (Interlocked.CompareExchange(ref _claim, Claim(parts, part + 1), word) != word);
        try
        {
            _target!.RunPart(_stage, part, parts, new ReadOnlySpan<float>(_input, _inputLength), new Span<float>(_output, _outputLength));
        }
        catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); }
        finally { Interlocked.Decrement(ref _pending); }
        return true;
    }

    /// <summary>One worker thread: waits for a new generation, then runs the parts it claims until none is left.</summary>
    private sealed class Worker
    {
        // Polls before sleeping: about 5 ms on the Zen 5 host (see JoinSpins), longer than the gap between the stages of a
        // training step and between the steps of a training loop.
        private const int SpinIterations = 100_000;

        private readonly WorkerTeam _team;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private int _generation; // bumped by Start
        private int _sleeping;   // 1 while the worker may be waiting on _wake

        public Worker(WorkerTeam team, int number)
        {
            _team = team;
            var thread = new Thread(Loop) { IsBackground = true, Name = "StaticNet worker " + number };
            thread.Start();
        }

        public void Start()
        {
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleeping) == 1) _wake.Set();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                int spins = 0;
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (++spins < SpinIterations) { Thread.SpinWait(1); continue; }
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                    _wake.Reset();
                    Interlocked.Exchange(ref _sleeping, 0);
                    spins = 0;
                }
                seen = Volatile.Read(ref _generation);
                while (_team.TryRunPart()) { }
            }
        }
    }
}
