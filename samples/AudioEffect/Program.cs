using System;
using System.Diagnostics;
using System.IO;
using StaticNet;

namespace Samples.AudioEffect;

/// <summary>A GRU that models an effect with memory, one sample in and one out, streamed sample by sample.</summary>
[Network]
[Input(1)]
[GRU(8)]
[Dense(1)]
[MeanSquaredError]
public partial class EffectNet;

public static class Program
{
    private const int SampleRate = 48_000;
    private const int Steps = 128;   // samples per training sequence: ~16 time constants of the filter
    private const int Batch = 16;

    /// <summary>The effect to learn: a one-pole low-pass at 1 kHz, then a tanh soft clipper with a drive of 3.</summary>
    private sealed class TargetEffect
    {
        private static readonly float A = 1 - MathF.Exp(-2 * MathF.PI * 1000f / SampleRate);
        private float _state;
        public void Reset() => _state = 0;
        public float Process(float x)
        {
            _state += A * (x - _state);          // y_lp[n] = y_lp[n−1] + a·(x[n] − y_lp[n−1])
            return MathF.Tanh(3 * _state);       // soft clip
        }
    }

    public static int Main(string[] args)
    {
        if (args.Length > 2 || args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: AudioEffect [input.wav [output.wav]]   (16-bit PCM or 32-bit float WAV; without input, a test signal is written to input.wav)");
            return args.Length > 2 ? 2 : 0;
        }
        string inputPath = args.Length > 0 ? args[0] : "input.wav";
        string outputPath = args.Length > 1 ? args[1] : "output.wav";

        float[] input;
        int rate;
        if (args.Length == 0)
        {
            input = TestSignal(5 * SampleRate);
            Wav.Write(inputPath, input, SampleRate);
            rate = SampleRate;
            Console.WriteLine($"Wrote a 5 s test signal to {inputPath}.");
        }
        else
        {
            try { (input, rate) = Wav.Read(inputPath); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("Cannot read the input: " + e.Message);
                return 1;
            }
            if (rate != SampleRate) Console.WriteLine($"Note: {inputPath} is at {rate} Hz; the effect was learned at {SampleRate} Hz, so its corner frequency scales with the rate.");
        }

        var net = new EffectNet(maxSteps: Steps, batchCapacity: Batch, seed: 1);
        Train(net);

        // Sample by sample through the streaming Step, as an audio callback would call it.
        var output = new float[input.Length];
        var x = new float[1];
        var y = new float[1];
        // Warm up first (the JIT compiles Step's fully optimised code after its first calls), then start from silence.
        for (int i = 0; i < 20_000; i++) net.Step(x, y);
        net.ResetState();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < input.Length; i++)
        {
            x[0] = input[i];
            net.Step(x, y);
            output[i] = y[0];
        }
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        double seconds = clock.Elapsed.TotalSeconds;
        double audioSeconds = input.Length / (double)SampleRate;
        Console.WriteLine($"Processed {input.Length:N0} samples in {seconds * 1000:F1} ms: {seconds * 1e9 / input.Length:F0} ns per sample, " +
            $"{audioSeconds / seconds:F0}x real time at 48 kHz, {allocated} bytes allocated.");

        // How close is the learned effect to the real one on this file?
        var effect = new TargetEffect();
        double error = 0, energy = 0;
        for (int i = 0; i < input.Length; i++)
        {
            float wanted = effect.Process(input[i]);
            error += (output[i] - wanted) * (output[i] - wanted);
            energy += wanted * wanted;
        }
        Console.WriteLine($"Error against the exact effect: {10 * Math.Log10(error / Math.Max(energy, 1e-30)):F1} dB relative to its output.");

        try { Wav.Write(outputPath, output, rate); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("Cannot write the output: " + e.Message);
            return 1;
        }
        Console.WriteLine($"Wrote {outputPath}.");
        return 0;
    }

    /// <summary>Adam on batches of generated sequences (each from silence, as the network's Loss starts from a zero state).</summary>
    private static void Train(EffectNet net)
    {
        var adam = new Adam(EffectNet.ParameterCount, learningRate: 0.01f);
        var random = new Random64(7);
        var effect = new TargetEffect();
        var input = new float[Batch * Steps];
        var target = new float[Batch * Steps];
        const int iterations = 1500;
        var clock = Stopwatch.StartNew();
        double average = 0;
        for (int iteration = 1; iteration <= iterations; iteration++)
        {
            for (int s = 0; s < Batch; s++)
            {
                Span<float> x = input.AsSpan(s * Steps, Steps);
                TrainingSignal(x, ref random);
                effect.Reset();
                for (int t = 0; t < Steps; t++) target[s * Steps + t] = effect.Process(x[t]);
            }
            float loss = net.Loss(input, target, Steps);
            net.Backward();
            if (iteration == iterations / 2) adam.LearningRate = 0.003f;
            adam.Step(net.Parameters, net.Gradients);
            average += loss;
            if (iteration % 250 == 0)
            {
                Console.WriteLine($"iteration {iteration,5}: mean squared error {average / 250:E2}");
                average = 0;
            }
        }
        Console.WriteLine($"Trained {EffectNet.Architecture} ({EffectNet.ParameterCount} parameters) in {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>A random stretch of audio: a sine of random frequency and level, or low-passed noise, or a mix.</summary>
    private static void TrainingSignal(Span<float> x, ref Random64 random)
    {
        double level = 0.05 + 0.95 * random.NextDouble();
        double frequency = 50 * Math.Pow(200, random.NextDouble());   // 50 Hz to 10 kHz, evenly in octaves
        double phase = 2 * Math.PI * random.NextDouble();
        double noise = random.NextDouble() < 0.5 ? random.NextDouble() : 0;
        double smooth = 0, alpha = 0.05 + 0.9 * random.NextDouble();
        for (int t = 0; t < x.Length; t++)
        {
            smooth += alpha * (random.NextGaussian() - smooth);
            x[t] = (float)(level * ((1 - noise) * Math.Sin(phase + 2 * Math.PI * frequency * t / SampleRate) + noise * smooth));
        }
    }

    /// <summary>A chord under a slow swell, with a burst of noise: something to listen to.</summary>
    private static float[] TestSignal(int length)
    {
        var x = new float[length];
        var random = new Random64(3);
        double[] notes = { 110, 164.8, 220, 277.2, 329.6 };
        for (int i = 0; i < length; i++)
        {
            double t = i / (double)SampleRate, v = 0;
            foreach (double f in notes) v += Math.Sin(2 * Math.PI * f * t);
            double envelope = 0.5 - 0.45 * Math.Cos(2 * Math.PI * t / 2.5);
            double burst = t > 3.5 && t < 4 ? 0.3 * random.NextGaussian() : 0;
            x[i] = (float)(0.2 * envelope * v + burst);
        }
        return x;
    }
}
