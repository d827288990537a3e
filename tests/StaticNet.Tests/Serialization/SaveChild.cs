using System;
using System.Threading;

namespace StaticNet.Tests.Serialization;

/// <summary>
/// The test assembly's entry point (the test SDK's generated one is switched off in the project), so that a
/// test can start this assembly as a child process that is killed in the middle of a save. Without
/// arguments it does nothing, as the generated one did.
/// </summary>
public static class SaveChild
{
    /// <summary>The argument that makes the process start saving to the path that follows, and hang there.</summary>
    public const string HangWhileSaving = "--hang-while-saving";

    /// <summary>The line the child writes once the save is under way (its temporary file exists).</summary>
    public const string Saving = "saving";

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == HangWhileSaving)
        {
            NetworkFile.Save(new HangingNetwork(), args[1]);
            return 3; // not reached: the network never yields its parameters
        }
        return 0;
    }

    /// <summary>A network whose parameters are never delivered: reading them announces <see cref="Saving"/> and waits forever.</summary>
    private sealed class HangingNetwork : INetwork
    {
        private readonly float[] _values = new float[1000];

        public int InputSize => 1;
        public int OutputSize => 1;
        public int ParameterCount => _values.Length;
        public int BatchCapacity => 1;
        public string Architecture => "Hanging";

        public Span<float> Parameters
        {
            get
            {
                // NetworkFile.Save reads the parameters after it has created its temporary file.
                Console.Out.WriteLine(Saving);
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
                return _values;
            }
        }

        public Span<float> Gradients => _values;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => ReadOnlySpan<ParameterBlock>.Empty;
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => throw new NotSupportedException();
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => throw new NotSupportedException();
    }
}
