using System;

namespace StaticNet.Tests.Recurrent;

/// <summary>
/// A naive double-precision GRU/LSTM network written from PyTorch's documented equations, sharing no code with the
/// library: loops over sequences, steps and units, parameters read in StaticNet's documented order (per recurrent
/// layer W_ih [gates·H, in], W_hh [gates·H, H], b_ih, b_hh; per Dense W [in, out] then b).
/// </summary>
public static class RecurrentReference
{
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>The network's output before the loss layer (logits for a classifier), [batch, steps, outputs].</summary>
    public static double[] Forward(RefLayer[] layers, int inputSize, double[] p, double[] x, int batch, int steps)
    {
        double[] current = x;
        int width = inputSize, offset = 0;
        foreach (RefLayer layer in layers)
        {
            int rows = batch * steps;
            switch (layer.Kind)
            {
                case "gru":
                case "lstm":
                {
                    int H = layer.Size, G = (layer.Kind == "gru" ? 3 : 4) * H;
                    int wih = offset, whh = wih + G * width, bih = whh + G * H, bhh = bih + G;
                    offset = bhh + G;
                    var output = new double[rows * H];
                    for (int s = 0; s < batch; s++)
                    {
                        var h = new double[H];
                        var c = new double[H];
                        for (int t = 0; t < steps; t++)
                        {
                            int row = s * steps + t;
                            var gi = new double[G];
                            var gh = new double[G];
                            for (int g = 0; g < G; g++)
                            {
                                double a = p[bih + g], b = p[bhh + g];
                                for (int j = 0; j < width; j++) a += p[wih + g * width + j] * current[row * width + j];
                                for (int j = 0; j < H; j++) b += p[whh + g * H + j] * h[j];
                                gi[g] = a;
                                gh[g] = b;
                            }
                            var next = new double[H];
                            for (int u = 0; u < H; u++)
                            {
                                if (layer.Kind == "gru")
                                {
                                    double r = Sigmoid(gi[u] + gh[u]);
                                    double z = Sigmoid(gi[H + u] + gh[H + u]);
                                    double n = Math.Tanh(gi[2 * H + u] + r * gh[2 * H + u]);
                                    next[u] = (1 - z) * n + z * h[u];
                                }
                                else
                                {
                                    double i = Sigmoid(gi[u] + gh[u]);
                                    double f = Sigmoid(gi[H + u] + gh[H + u]);
                                    double g = Math.Tanh(gi[2 * H + u] + gh[2 * H + u]);
                                    double o = Sigmoid(gi[3 * H + u] + gh[3 * H + u]);
                                    c[u] = f * c[u] + i * g;
                                    next[u] = o * Math.Tanh(c[u]);
                                }
                            }
                            h = next;
                            Array.Copy(h, 0, output, row * H, H);
                        }
                    }
                    current = output;
                    width = H;
                    break;
                }
                case "dense":
                {
                    int units = layer.Size;
                    var output = new double[rows * units];
                    for (int row = 0; row < rows; row++)
                        for (int k = 0; k < units; k++)
                        {
                            double a = p[offset + width * units + k];
                            for (int j = 0; j < width; j++) a += current[row * width + j] * p[offset + j * units + k];
                            output[row * units + k] = a;
                        }
                    offset += width * units + units;
                    current = output;
                    width = units;
                    break;
                }
                case "relu":
                    current = Array.ConvertAll(current, v => Math.Max(0, v));
                    break;
                default:
                    throw new ArgumentException(layer.Kind);
            }
        }
        if (offset != p.Length) throw new InvalidOperationException($"The reference read {offset} parameters of {p.Length}.");
        return current;
    }

    /// <summary>The loss against per-step targets [batch, steps, outputs], or last-step targets [batch, outputs].</summary>
    public static double Loss(RefLayer[] layers, int inputSize, string kind, double[] p, double[] x, double[] t, int batch, int steps, bool lastStep)
    {
        double[] y = Forward(layers, inputSize, p, x, batch, steps);
        int outputs = y.Length / (batch * steps);
        int rows = lastStep ? batch : batch * steps;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int yRow = lastStep ? r * steps + steps - 1 : r;
            if (kind == "mse")
            {
                for (int k = 0; k < outputs; k++)
                {
                    double d = y[yRow * outputs + k] - t[r * outputs + k];
                    total += d * d;
                }
            }
            else
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < outputs; k++) max = Math.Max(max, y[yRow * outputs + k]);
                for (int k = 0; k < outputs; k++) sum += Math.Exp(y[yRow * outputs + k] - max);
                for (int k = 0; k < outputs; k++) total -= t[r * outputs + k] * (y[yRow * outputs + k] - max - Math.Log(sum));
            }
        }
        return kind == "mse" ? total / (rows * outputs) : total / rows;
    }

    /// <summary>dLoss/dp by central differences on the double reference (step 1e-6: the error is ~1e-9 at double precision).</summary>
    public static double[] Gradient(RefLayer[] layers, int inputSize, string kind, double[] p, double[] x, double[] t, int batch, int steps, bool lastStep) =>
        Gradient(q => Loss(layers, inputSize, kind, q, x, t, batch, steps, lastStep), p);

    /// <summary>The gradient of <paramref name="f"/> at <paramref name="p"/> by central differences.</summary>
    public static double[] Gradient(Func<double[], double> f, double[] p)
    {
        var g = new double[p.Length];
        var q = (double[])p.Clone();
        const double h = 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            q[i] = p[i] + h;
            double plus = f(q);
            q[i] = p[i] - h;
            double minus = f(q);
            q[i] = p[i];
            g[i] = (plus - minus) / (2 * h);
        }
        return g;
    }
}
