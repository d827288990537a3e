using System;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The two ways the recurrent kernels give the weight gradients of backpropagation through time: a rank-1 update at
/// every step (<c>GruBackward</c>, <c>LstmBackward</c>), and each step's gate gradients kept, then summed over every
/// step at once (<c>*BackwardStep</c>, then <c>InputWeightGradientRows</c> and <c>HiddenWeightGradientRows</c>). They
/// sum in different orders, so they agree to rounding; any split of the gate rows gives the whole call's bits.
/// </summary>
public class RecurrentKernelTests
{
    [Theory]
    [InlineData(false, 3, 5, 4, 7)]
    [InlineData(false, 1, 1, 3, 16)]
    [InlineData(false, 4, 9, 1, 20)]
    [InlineData(true, 3, 5, 4, 7)]
    [InlineData(true, 1, 1, 3, 16)]
    [InlineData(true, 2, 12, 6, 9)]
    public void Per_step_and_all_steps_at_once_agree(bool lstm, int sequences, int steps, int inputs, int hidden)
    {
        int H = hidden, G = (lstm ? 4 : 3) * H, gw = lstm ? 6 * H : 4 * H, rows = sequences * steps;
        var random = new Random64(sequences * 1000 + steps * 100 + inputs * 10 + hidden + (lstm ? 7 : 0));
        float[] Fill(int n, float scale) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)random.NextGaussian() * scale; return a; }
        float[] W_ih = Fill(G * inputs, 0.3f), W_hh = Fill(G * H, 0.3f), b_ih = Fill(G, 0.1f), b_hh = Fill(G, 0.1f);
        float[] x = Fill(rows * inputs, 1f), dOut = Fill(rows * H, 0.5f);
        float[] h = new float[rows * H], gates = new float[rows * gw], scratch = new float[6 * H], zeros = new float[H];
        for (int s = 0; s < sequences; s++)
            for (int t = 0; t < steps; t++)
            {
                int row = s * steps + t;
                ReadOnlySpan<float> hPrev = t > 0 ? h.AsSpan((row - 1) * H, H) : zeros;
                if (lstm)
                {
                    ReadOnlySpan<float> cPrev = t > 0 ? gates.AsSpan((row - 1) * gw + 4 * H, H) : zeros;
                    StaticNet.Kernels.Recurrent.LstmForward(x.AsSpan(row * inputs, inputs), hPrev, cPrev, W_ih, W_hh, b_ih, b_hh, gates.AsSpan(row * gw, gw), h.AsSpan(row * H, H), inputs, H);
                }
                else StaticNet.Kernels.Recurrent.GruForward(x.AsSpan(row * inputs, inputs), hPrev, W_ih, W_hh, b_ih, b_hh, gates.AsSpan(row * gw, gw), h.AsSpan(row * H, H), scratch, inputs, H);
            }

        // One way: a rank-1 update at every step.
        float[] dW_ih = new float[G * inputs], dW_hh = new float[G * H], db_ih = new float[G], db_hh = new float[G], dx = new float[rows * inputs];
        // The other: the gate gradients kept, the weight gradients afterwards.
        float[] dgi = new float[rows * G], dgh = new float[rows * G], dx2 = new float[rows * inputs];
        float[] carry = new float[H], cellCarry = new float[H], carry2 = new float[H], cellCarry2 = new float[H];
        for (int s = 0; s < sequences; s++)
        {
            Array.Clear(carry); Array.Clear(cellCarry); Array.Clear(carry2); Array.Clear(cellCarry2);
            for (int t = steps - 1; t >= 0; t--)
            {
                int row = s * steps + t;
                ReadOnlySpan<float> hPrev = t > 0 ? h.AsSpan((row - 1) * H, H) : zeros;
                ReadOnlySpan<float> g = gates.AsSpan(row * gw, gw), d = dOut.AsSpan(row * H, H), xr = x.AsSpan(row * inputs, inputs);
                if (lstm)
                {
                    ReadOnlySpan<float> cPrev = t > 0 ? gates.AsSpan((row - 1) * gw + 4 * H, H) : zeros;
                    StaticNet.Kernels.Recurrent.LstmBackward(xr, hPrev, cPrev, g, d, carry, cellCarry, dx.AsSpan(row * inputs, inputs), W_ih, W_hh, dW_ih, dW_hh, db_ih, db_hh, scratch, inputs, H);
                    StaticNet.Kernels.Recurrent.LstmBackwardStep(cPrev, g, d, carry2, cellCarry2, dx2.AsSpan(row * inputs, inputs), W_ih, W_hh, dgi.AsSpan(row * G, G), inputs, H);
                }
                else
                {
                    StaticNet.Kernels.Recurrent.GruBackward(xr, hPrev, g, d, carry, dx.AsSpan(row * inputs, inputs), W_ih, W_hh, dW_ih, dW_hh, db_ih, db_hh, scratch, inputs, H);
                    StaticNet.Kernels.Recurrent.GruBackwardStep(hPrev, g, d, carry2, dx2.AsSpan(row * inputs, inputs), W_ih, W_hh, dgi.AsSpan(row * G, G), dgh.AsSpan(row * G, G), inputs, H);
                }
            }
        }
        float[] hidden_ = lstm ? dgi : dgh;
        float[] eW_ih = new float[G * inputs], eW_hh = new float[G * H], eb_ih = new float[G], eb_hh = new float[G];
        StaticNet.Kernels.Recurrent.InputWeightGradientRows(dgi, x, eW_ih, eb_ih, rows, G, inputs, 0, G);
        StaticNet.Kernels.Recurrent.HiddenWeightGradientRows(hidden_, h, eW_hh, eb_hh, sequences, steps, G, H, 0, G);

        Assert.Equal(dx, dx2); // the same per-step arithmetic: the same bits
        Close(dW_ih, eW_ih, "dW_ih"); Close(dW_hh, eW_hh, "dW_hh"); Close(db_ih, eb_ih, "db_ih"); Close(db_hh, eb_hh, "db_hh");

        // Any split of the gate rows gives the whole call's bits.
        float[] sW_ih = new float[G * inputs], sW_hh = new float[G * H], sb_ih = new float[G], sb_hh = new float[G];
        int cut = Math.Min(G, 5);
        foreach (var (start, end) in new[] { (0, cut), (cut, G) })
        {
            StaticNet.Kernels.Recurrent.InputWeightGradientRows(dgi, x, sW_ih, sb_ih, rows, G, inputs, start, end);
            StaticNet.Kernels.Recurrent.HiddenWeightGradientRows(hidden_, h, sW_hh, sb_hh, sequences, steps, G, H, start, end);
        }
        Assert.Equal(eW_ih, sW_ih); Assert.Equal(eW_hh, sW_hh); Assert.Equal(eb_ih, sb_ih); Assert.Equal(eb_hh, sb_hh);
    }

    private static void Close(float[] expected, float[] actual, string name)
    {
        double scale = 1e-6;
        foreach (float v in expected) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"{name}[{i}]: {actual[i]:R}, per step {expected[i]:R}");
    }
}
