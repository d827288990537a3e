using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Parallel;

/// <summary>
/// DegreeOfParallelism: training and inference with 2 or 3 threads give the very bits of 1 thread, for every layer
/// kind, every backward form and batches that split evenly, unevenly or not at all; nothing is allocated per call.
/// </summary>
public sealed class ParallelTests : IDisposable
{
    public ParallelTests() => Partition.MinWork = 1; // split even the small networks (the results may not change for it)

    public void Dispose() => Partition.MinWork = Partition.MinWorkPerPart;

    public static IEnumerable<object[]> Batches => new[] { 16, 32, 37, 50, 100 }.Select(b => new object[] { b });

    [Theory, MemberData(nameof(Batches))]
    public void Mlp(int batch) => SameAtEveryDegree(c => new ParallelMlp(c, seed: 3), batch);

    [Theory, MemberData(nameof(Batches))]
    public void Conv_net(int batch) => SameAtEveryDegree(c => new ParallelConvNet(c, seed: 4), batch);

    [Theory, MemberData(nameof(Batches))]
    public void Conv_chain_with_strides_padding_and_both_poolings(int batch) => SameAtEveryDegree(c => new ParallelConvChain(c, seed: 5), batch);

    [Theory, MemberData(nameof(Batches))]
    public void BatchNorm_and_Dropout_between_stages(int batch) => SameAtEveryDegree(c => new ParallelBatchNormMlp(c, seed: 6), batch);

    [Theory, MemberData(nameof(Batches))]
    public void BatchNorm_and_Dropout_after_a_convolution(int batch) => SameAtEveryDegree(c => new ParallelBatchNormConv(c, seed: 7), batch);

    [Theory, MemberData(nameof(Batches))]
    public void Dropout_on_the_input_and_sigmoid_cross_entropy(int batch) => SameAtEveryDegree(c => new ParallelDropoutFirst(c, seed: 8), batch);

    /// <summary>
    /// At the real floor the MLP's call splits, but not every stage of it: BackwardSgd's rows (1210 multiply-adds a row,
    /// the generated comment says) and Backward's without the input gradient (1100) stay on the calling thread while the
    /// forward rows (80284) and the parameter blocks (79400) split; the bits must not notice.
    /// </summary>
    [Theory, InlineData(32), InlineData(64), InlineData(100)]
    public void Mlp_at_the_real_floor_where_small_stages_stay_on_the_caller(int batch)
    {
        Partition.MinWork = Partition.MinWorkPerPart;
        Assert.Equal(2, Partition.Parts(2, batch, 80284)); // the premise: the call splits ...
        Assert.Equal(1, Partition.Parts(2, batch, 1210)); // ... and the small stage does not
        SameAtEveryDegree(c => new ParallelMlp(c, seed: 3), batch);
    }

    [Fact]
    public void With_weight_decay() => SameAtEveryDegree(c => new ParallelConvNet(c, seed: 9) { WeightDecay = 0.01f }, 64);

    [Fact]
    public void Book_SimpleConvNet() => SameAtEveryDegree(c => new Networks.SimpleConvNet(c, seed: 1), 40, steps: 3);

    [Theory, MemberData(nameof(Batches))]
    public void Network_without_a_loss(int batch)
    {
        float[][] Run(int degree)
        {
            var net = new ParallelNoLoss(batch) { DegreeOfParallelism = degree };
            var random = new Random(11);
            float[] input = Fill(random, batch * ParallelNoLoss.InputSize), dy = Fill(random, batch * ParallelNoLoss.OutputSize);
            float[] y = new float[batch * ParallelNoLoss.OutputSize], dx = new float[input.Length];
            net.Forward(input, y);
            net.Backward(dy, dx);
            return new[] { y, dx, net.Gradients.ToArray() };
        }
        float[][] one = Run(1);
        for (int degree = 2; degree <= 3; degree++) AssertSame(one, Run(degree), degree);
    }

    /// <summary>
    /// Trains a copy of the network at degree 1, 2 and 3: Loss, then Backward and an Adam step, or the fused BackwardSgd,
    /// in turn; then Forward and Backward(outputGradient, inputGradient). Everything must be the same bits.
    /// </summary>
    private static void SameAtEveryDegree<T>(Func<int, T> create, int batch, int steps = 6) where T : class, ILossNetwork
    {
        float[][] one = Train(create, batch, steps, degree: 1);
        for (int degree = 2; degree <= 3; degree++)
            AssertSame(one, Train(create, batch, steps, degree), degree);
    }

    private static float[][] Train<T>(Func<int, T> create, int batch, int steps, int degree) where T : class, ILossNetwork
    {
        T net = create(batch);
        ((dynamic)net).DegreeOfParallelism = degree;
        var adam = new Adam(net.ParameterCount, learningRate: 0.01f);
        var random = new Random(batch);
        var losses = new List<float>();
        for (int step = 0; step < steps; step++)
        {
            float[] input = Fill(random, batch * net.InputSize);
            float[] targets = new float[batch * net.OutputSize];
            for (int r = 0; r < batch; r++) targets[r * net.OutputSize + random.Next(net.OutputSize)] = 1f;
            losses.Add(net.Loss(input, targets));
            if (step % 2 == 0)
            {
                net.Backward();
                adam.Step(net.Parameters, net.Gradients);
            }
            else
            {
                net.BackwardSgd(0.05f);
            }
        }
        float[] x = Fill(random, batch * net.InputSize), dy = Fill(random, batch * net.OutputSize);
        float[] y = new float[batch * net.OutputSize], dx = new float[x.Length];
        net.Forward(x, y);
        net.Backward(dy, dx);
        return new[] { losses.ToArray(), net.Parameters.ToArray(), net.State.ToArray(), y, dx, net.Gradients.ToArray() };
    }

    private static readonly string[] What = { "losses", "parameters", "state", "Forward's output", "the input gradient", "the gradients" };

    private static void AssertSame(float[][] expected, float[][] actual, int degree)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
                if (BitConverter.SingleToInt32Bits(expected[i][j]) != BitConverter.SingleToInt32Bits(actual[i][j]))
                    Assert.Fail($"{What[i]}[{j}] at degree {degree}: {actual[i][j]:R}, at degree 1: {expected[i][j]:R}");
        }
    }

    private static float[] Fill(Random random, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(random.NextDouble() * 2 - 1);
        return a;
    }

    [Fact]
    public void The_split_is_used_and_a_small_batch_stays_on_the_calling_thread()
    {
        Assert.Equal(1, Partition.Parts(degree: 2, rows: 1, workPerRow: 1_000_000)); // batch 1
        Assert.Equal(1, Partition.Parts(degree: 2, rows: 31, workPerRow: 1_000_000)); // one granule each at least
        Assert.Equal(2, Partition.Parts(degree: 2, rows: 32, workPerRow: 1_000_000));
        Assert.Equal(1, Partition.Parts(degree: 1, rows: 1000, workPerRow: 1_000_000));
        Partition.MinWork = Partition.MinWorkPerPart;
        Assert.Equal(1, Partition.Parts(degree: 2, rows: 64, workPerRow: 100)); // too little work
    }

    [Fact]
    public void Degree_out_of_range_is_refused_and_leaves_it_as_it_was()
    {
        var net = new ParallelMlp(4);
        net.DegreeOfParallelism = 2;
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DegreeOfParallelism = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DegreeOfParallelism = WorkerTeam.MaxDegree + 1);
        Assert.Equal(2, net.DegreeOfParallelism);
    }

    [Fact]
    public void Nothing_is_allocated_per_call()
    {
        const int batch = 100;
        var net = new ParallelConvNet(batch, seed: 2) { DegreeOfParallelism = 2 };
        var random = new Random(1);
        float[] input = Fill(random, batch * ParallelConvNet.InputSize), y = new float[batch * ParallelConvNet.OutputSize];
        int[] labels = Enumerable.Range(0, batch).Select(i => i % ParallelConvNet.OutputSize).ToArray();
        var sgd = new Sgd(0.01f);
        void Step()
        {
            net.Loss(input, labels);
            net.Backward();
            sgd.Step(net.Parameters, net.Gradients);
            net.Loss(input, labels);
            net.BackwardSgd(0.01f);
            net.Forward(input, y);
        }
        WarmUpBothPaths(Step);
        Assert.Equal(0, LeastAllocated(Step));
    }

    /// <summary>
    /// Runs <paramref name="step"/> once with the team free and once while another thread holds it (so that every part
    /// runs on this thread), so that neither path is compiled for the first time while allocations are counted.
    /// </summary>
    internal static void WarmUpBothPaths(Action step)
    {
        step();
        var blocker = new Blocker();
        var holder = new Thread(() => WorkerTeam.Shared.Run(blocker, 0, 2));
        holder.Start();
        while (Volatile.Read(ref blocker.Running) == 0) Thread.Yield();
        step();
        Volatile.Write(ref blocker.Release, 1);
        holder.Join();
    }

    /// <summary>The bytes this thread allocates over 20 calls of <paramref name="step"/>, the least of 3 rounds (<see cref="Allocations.Least"/>).</summary>
    internal static long LeastAllocated(Action step) => Allocations.Least(() => { for (int i = 0; i < 20; i++) step(); });

    private sealed class Blocker : IPartitioned
    {
        public int Running, Release;

        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
        {
            if (part != 0) return;
            Volatile.Write(ref Running, 1);
            while (Volatile.Read(ref Release) == 0) Thread.Yield();
        }
    }

    [Fact]
    public void Two_callers_at_once_share_the_team_and_get_the_numbers_of_one_thread()
    {
        const int batch = 64;
        float[][] one = Train(c => new ParallelMlp(c, seed: 12), batch, 6, degree: 1);
        var results = new float[4][][];
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() => results[i] = Train(c => new ParallelMlp(c, seed: 12), batch, 6, degree: 2))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (float[][] r in results) AssertSame(one, r, 2);
    }

    [Fact]
    public void A_part_that_throws_is_rethrown_on_the_caller_and_the_team_still_works()
    {
        WorkerTeam.EnsureDegree(2);
        var failing = new Failing();
        var e = Assert.Throws<InvalidOperationException>(() => WorkerTeam.Shared.Run(failing, 0, 2));
        Assert.Equal("part 1", e.Message);
        var counting = new Counting();
        WorkerTeam.Shared.Run(counting, 0, 3);
        Assert.Equal(new[] { 1, 1, 1 }, counting.Runs);
    }

    [Fact]
    public void Every_part_runs_once_whichever_thread_claims_it()
    {
        // The caller takes the parts no worker has claimed when its own is done: over many calls, with as many parts as
        // workers and more, each part must still run exactly once, and be told the call's number of parts.
        WorkerTeam.EnsureDegree(3);
        var target = new Tally();
        for (int call = 0; call < 20_000; call++)
        {
            int parts = 2 + call % 7;
            target.Reset(parts);
            WorkerTeam.Shared.Run(target, 0, parts);
            for (int p = 0; p < Tally.Most; p++)
                Assert.True(target.Runs[p] == (p < parts ? 1 : 0), $"call {call}: part {p} of {parts} ran {target.Runs[p]} times");
            Assert.Equal(0, target.WrongParts);
        }
    }

    [Fact]
    public void The_caller_takes_the_parts_no_worker_has_claimed_when_its_own_is_done()
    {
        // Part 0 is empty, so the caller is done with it at once and should find parts 1 and 2 (one for each of the two
        // workers) not all claimed yet, many times in 2,000 calls. Before, a caller only ever ran part 0 when there were
        // workers for the others, and waited for a worker still asleep (3.5 ms on the Zen 5 host after 20 ms idle).
        WorkerTeam.EnsureDegree(3);
        var target = new Recorder();
        int caller = Environment.CurrentManagedThreadId, taken = 0;
        for (int call = 0; call < 2_000; call++)
        {
            Array.Clear(target.Threads);
            WorkerTeam.Shared.Run(target, 0, 3);
            Assert.Equal(caller, target.Threads[0]);
            Assert.All(target.Threads, t => Assert.NotEqual(0, t));
            if (target.Threads[1] == caller || target.Threads[2] == caller) taken++;
        }
        Assert.True(taken > 0, "the caller never took a part that a worker had not claimed");
    }

    private sealed class Recorder : IPartitioned
    {
        public readonly int[] Threads = new int[3];
        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
        {
            Threads[part] = Environment.CurrentManagedThreadId;
            if (part != 0) Thread.SpinWait(200); // about 10 µs: long enough that a worker still busy with one cannot take the other
        }
    }

    private sealed class Tally : IPartitioned
    {
        public const int Most = 8;
        public readonly int[] Runs = new int[Most];
        public int Parts, WrongParts;
        public void Reset(int parts) { Array.Clear(Runs); Parts = parts; WrongParts = 0; }
        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
        {
            if (parts != Parts) Interlocked.Increment(ref WrongParts);
            Interlocked.Increment(ref Runs[part]);
        }
    }

    private sealed class Failing : IPartitioned
    {
        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
        {
            if (part == 1) throw new InvalidOperationException("part 1");
        }
    }

    private sealed class Counting : IPartitioned
    {
        public readonly int[] Runs = new int[3];
        public void RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output) => Interlocked.Increment(ref Runs[part]);
    }

    [Fact]
    public void Partitions_cover_every_row_once_on_granule_boundaries()
    {
        for (int rows = 1; rows <= 300; rows++)
            for (int parts = 1; parts <= 5; parts++)
            {
                int next = 0;
                for (int p = 0; p < parts; p++)
                {
                    var (start, end) = Partition.Rows(rows, p, parts);
                    Assert.Equal(next, start);
                    Assert.True(end >= start);
                    if (end > start && end < rows) Assert.True(end % Partition.Granule == 0 && end - start >= Partition.Granule || start == end);
                    next = end;
                }
                Assert.Equal(rows, next);
            }
        // Blocks on a line of work: every row of a split block once, every whole block to exactly one part.
        long[] costs = { 3, 500, 17, 900, 1 };
        long total = costs.Sum();
        for (int parts = 1; parts <= 5; parts++)
        {
            long offset = 0;
            foreach (long cost in costs)
            {
                int rows = (int)cost; // any count of rows
                int next = 0, owners = 0;
                for (int p = 0; p < parts; p++)
                {
                    var (start, end) = Partition.Share(offset, cost, total, rows, p, parts);
                    Assert.Equal(next, start);
                    Assert.True(end >= start);
                    next = end;
                    if (Partition.Owns(offset, cost, total, p, parts)) owners++;
                }
                Assert.Equal(rows, next);
                Assert.Equal(1, owners);
                offset += cost;
            }
        }
    }
}
