using System;

namespace StaticNet.Benchmarks;

// A direct port of the numpy code of "Deep Learning from Scratch" (Koki Saitou), chapter 5:
// common/layers.py (Relu, Affine, SoftmaxWithLoss), common/functions.py (softmax,
// cross_entropy_error), ch05/two_layer_net.py (TwoLayerNet with ReLU instead of the sigmoid of
// chapter 4, as the book's chapter-5 network does) and the SGD update of ch05/train_neuralnet.py.
//
// It is deliberately what a line-by-line port does: float[,] for numpy's 2-D arrays, a new array
// for every intermediate numpy would create (x.copy(), np.dot, +, np.exp, ...), scalar loops, and
// np.dot as the textbook triple loop (i-j-k: c[i,j] = Σk a[i,k]·b[k,j]); W.T and x.T become an
// allocating Transpose where numpy has a view. It also keeps the book's waste: softmax computes
// np.exp(x) twice, and Affine1.backward computes dx = dout·W1.T although nobody reads it.
// The only additions: Forward applies softmax to predict()'s scores (the book's predict stops at
// the scores), and the input span is copied into an array, as it would arrive as an np.ndarray.

/// <summary>The book's numpy TwoLayerNet, ported line by line (allocating, scalar).</summary>
public sealed class BookPortNet : IReferenceNet
{
    // self.params = {'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...}
    private readonly float[,] _w1 = new float[RefShape.Input, RefShape.Hidden];
    private readonly float[] _b1 = new float[RefShape.Hidden];
    private readonly float[,] _w2 = new float[RefShape.Hidden, RefShape.Output];
    private readonly float[] _b2 = new float[RefShape.Output];

    // self.layers = OrderedDict(Affine1, Relu1, Affine2); self.lastLayer = SoftmaxWithLoss()
    private readonly Affine _affine1;
    private readonly Relu _relu1 = new();
    private readonly Affine _affine2;
    private readonly SoftmaxWithLoss _lastLayer = new();

    public BookPortNet()
    {
        _affine1 = new Affine(_w1, _b1);
        _affine2 = new Affine(_w2, _b2);
    }

    /// <summary>No buffers: any batch size works.</summary>
    public int BatchCapacity => int.MaxValue;

    public void SetParameters(ReadOnlySpan<float> parameters)
    {
        Np.CopyFrom(parameters.Slice(RefShape.W1Offset, RefShape.W1Size), _w1);
        parameters.Slice(RefShape.B1Offset, RefShape.B1Size).CopyTo(_b1);
        Np.CopyFrom(parameters.Slice(RefShape.W2Offset, RefShape.W2Size), _w2);
        parameters.Slice(RefShape.B2Offset, RefShape.B2Size).CopyTo(_b2);
    }

    public void GetParameters(Span<float> parameters)
    {
        Np.CopyTo(_w1, parameters.Slice(RefShape.W1Offset, RefShape.W1Size));
        _b1.CopyTo(parameters.Slice(RefShape.B1Offset, RefShape.B1Size));
        Np.CopyTo(_w2, parameters.Slice(RefShape.W2Offset, RefShape.W2Size));
        _b2.CopyTo(parameters.Slice(RefShape.B2Offset, RefShape.B2Size));
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        float[,] xs = Np.FromSpan(x, x.Length / RefShape.Input, RefShape.Input);
        float[,] probabilities = Functions.Softmax(Predict(xs));
        Np.CopyTo(probabilities, y);
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        float[,] xs = Np.FromSpan(x, x.Length / RefShape.Input, RefShape.Input);
        int[] t = labels.ToArray();

        // grad = network.gradient(x_batch, t_batch)
        float loss = Gradient(xs, t, out float[,] dW1, out float[] db1, out float[,] dW2, out float[] db2);

        // for key in ('W1', 'b1', 'W2', 'b2'): network.params[key] -= learning_rate * grad[key]
        Np.SubtractInPlace(_w1, Np.Multiply(lr, dW1));
        Np.SubtractInPlace(_b1, Np.Multiply(lr, db1));
        Np.SubtractInPlace(_w2, Np.Multiply(lr, dW2));
        Np.SubtractInPlace(_b2, Np.Multiply(lr, db2));
        return loss;
    }

    // def predict(self, x): for layer in self.layers.values(): x = layer.forward(x); return x
    private float[,] Predict(float[,] x)
    {
        x = _affine1.Forward(x);
        x = _relu1.Forward(x);
        x = _affine2.Forward(x);
        return x;
    }

    // def loss(self, x, t): y = self.predict(x); return self.lastLayer.forward(y, t)
    private float Loss(float[,] x, int[] t) => _lastLayer.Forward(Predict(x), t);

    // def gradient(self, x, t)
    private float Gradient(float[,] x, int[] t, out float[,] dW1, out float[] db1, out float[,] dW2, out float[] db2)
    {
        // forward
        float loss = Loss(x, t);

        // backward
        float[,] dout = _lastLayer.Backward(1f);
        dout = _affine2.Backward(dout);
        dout = _relu1.Backward(dout);
        _ = _affine1.Backward(dout);

        dW1 = _affine1.dW!;
        db1 = _affine1.db!;
        dW2 = _affine2.dW!;
        db2 = _affine2.db!;
        return loss;
    }

    // class Relu (common/layers.py)
    private sealed class Relu
    {
        private bool[,]? _mask;

        public float[,] Forward(float[,] x)
        {
            _mask = Np.LessOrEqual(x, 0f); // self.mask = (x <= 0)
            float[,] output = Np.Copy(x);  // out = x.copy()
            Np.SetWhere(output, _mask, 0f); // out[self.mask] = 0
            return output;
        }

        public float[,] Backward(float[,] dout)
        {
            Np.SetWhere(dout, _mask!, 0f); // dout[self.mask] = 0
            float[,] dx = dout;
            return dx;
        }
    }

    // class Affine (common/layers.py)
    private sealed class Affine
    {
        private readonly float[,] _w;
        private readonly float[] _b;
        private float[,]? _x;

#pragma warning disable IDE1006 // the book's names
        public float[,]? dW;
        public float[]? db;
#pragma warning restore IDE1006

        public Affine(float[,] w, float[] b)
        {
            _w = w;
            _b = b;
        }

        public float[,] Forward(float[,] x)
        {
            _x = x; // x.reshape(x.shape[0], -1) is the identity for this network's 2-D input
            float[,] output = Np.Add(Np.Dot(_x, _w), _b); // out = np.dot(self.x, self.W) + self.b
            return output;
        }

        public float[,] Backward(float[,] dout)
        {
            float[,] dx = Np.Dot(dout, Np.Transpose(_w));  // dx = np.dot(dout, self.W.T)
            dW = Np.Dot(Np.Transpose(_x!), dout);         // self.dW = np.dot(self.x.T, dout)
            db = Np.SumAxis0(dout);                        // self.db = np.sum(dout, axis=0)
            return dx;
        }
    }

    // class SoftmaxWithLoss (common/layers.py)
    private sealed class SoftmaxWithLoss
    {
        private float[,]? _y;
        private int[]? _t;

        public float Forward(float[,] x, int[] t)
        {
            _t = t;
            _y = Functions.Softmax(x);
            return Functions.CrossEntropyError(_y, _t);
        }

        public float[,] Backward(float dout)
        {
            _ = dout; // dout=1: the book ignores it too
            int batchSize = _t!.Length;
            // t holds labels, not one-hot rows, so the book's else branch:
            float[,] dx = Np.Copy(_y!);                 // dx = self.y.copy()
            for (int i = 0; i < batchSize; i++)         // dx[np.arange(batch_size), self.t] -= 1
            {
                dx[i, _t[i]] -= 1f;
            }

            dx = Np.Divide(dx, batchSize);              // dx = dx / batch_size
            return dx;
        }
    }

    // common/functions.py
    private static class Functions
    {
        // def softmax(x):
        //     x = x - np.max(x, axis=-1, keepdims=True)
        //     return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
        public static float[,] Softmax(float[,] x)
        {
            x = Np.SubtractColumn(x, Np.MaxAxis1(x));
            return Np.DivideColumn(Np.Exp(x), Np.SumAxis1(Np.Exp(x)));
        }

        // def cross_entropy_error(y, t):
        //     batch_size = y.shape[0]
        //     return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
        public static float CrossEntropyError(float[,] y, int[] t)
        {
            int batchSize = y.GetLength(0);
            float[] picked = new float[batchSize];
            for (int i = 0; i < batchSize; i++)
            {
                picked[i] = y[i, t[i]];
            }

            float[] logs = Np.Log(Np.Add(picked, RefShape.LogEpsilon));
            return -Np.Sum(logs) / batchSize;
        }
    }

    /// <summary>The numpy operations the book uses, each returning a new array as numpy does.</summary>
    private static class Np
    {
        public static float[,] FromSpan(ReadOnlySpan<float> source, int rows, int columns)
        {
            var a = new float[rows, columns];
            CopyFrom(source, a);
            return a;
        }

        public static void CopyFrom(ReadOnlySpan<float> source, float[,] destination)
        {
            int columns = destination.GetLength(1);
            for (int i = 0; i < destination.GetLength(0); i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    destination[i, j] = source[i * columns + j];
                }
            }
        }

        public static void CopyTo(float[,] source, Span<float> destination)
        {
            int columns = source.GetLength(1);
            for (int i = 0; i < source.GetLength(0); i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    destination[i * columns + j] = source[i, j];
                }
            }
        }

        public static float[,] Copy(float[,] a) => (float[,])a.Clone();

        // np.dot for 2-D arrays, the textbook way.
        public static float[,] Dot(float[,] a, float[,] b)
        {
            int n = a.GetLength(0), inner = a.GetLength(1), m = b.GetLength(1);
            if (b.GetLength(0) != inner)
            {
                throw new ArgumentException("shapes not aligned");
            }

            var c = new float[n, m];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    float sum = 0f;
                    for (int k = 0; k < inner; k++)
                    {
                        sum += a[i, k] * b[k, j];
                    }

                    c[i, j] = sum;
                }
            }

            return c;
        }

        // a.T (numpy returns a view; a port without views copies).
        public static float[,] Transpose(float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var t = new float[columns, rows];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    t[j, i] = a[i, j];
                }
            }

            return t;
        }

        // a + b with b broadcast over the rows.
        public static float[,] Add(float[,] a, float[] b)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = a[i, j] + b[j];
                }
            }

            return c;
        }

        public static float[] Add(float[] a, float b)
        {
            var c = new float[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                c[i] = a[i] + b;
            }

            return c;
        }

        public static float[,] Divide(float[,] a, float b)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = a[i, j] / b;
                }
            }

            return c;
        }

        public static float[,] Multiply(float s, float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = s * a[i, j];
                }
            }

            return c;
        }

        public static float[] Multiply(float s, float[] a)
        {
            var c = new float[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                c[i] = s * a[i];
            }

            return c;
        }

        // a -= b (in place, as numpy's -=)
        public static void SubtractInPlace(float[,] a, float[,] b)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    a[i, j] -= b[i, j];
                }
            }
        }

        public static void SubtractInPlace(float[] a, float[] b)
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] -= b[i];
            }
        }

        public static bool[,] LessOrEqual(float[,] a, float b)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var mask = new bool[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    mask[i, j] = a[i, j] <= b;
                }
            }

            return mask;
        }

        // a[mask] = value
        public static void SetWhere(float[,] a, bool[,] mask, float value)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    if (mask[i, j])
                    {
                        a[i, j] = value;
                    }
                }
            }
        }

        // np.sum(a, axis=0)
        public static float[] SumAxis0(float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var s = new float[columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    s[j] += a[i, j];
                }
            }

            return s;
        }

        // np.sum(a, axis=-1, keepdims=True), kept as a vector
        public static float[] SumAxis1(float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var s = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                float sum = 0f;
                for (int j = 0; j < columns; j++)
                {
                    sum += a[i, j];
                }

                s[i] = sum;
            }

            return s;
        }

        // np.max(a, axis=-1, keepdims=True), kept as a vector
        public static float[] MaxAxis1(float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var m = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                float max = a[i, 0];
                for (int j = 1; j < columns; j++)
                {
                    max = MathF.Max(max, a[i, j]);
                }

                m[i] = max;
            }

            return m;
        }

        // a - column (broadcast of a keepdims column over the columns)
        public static float[,] SubtractColumn(float[,] a, float[] column)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = a[i, j] - column[i];
                }
            }

            return c;
        }

        public static float[,] DivideColumn(float[,] a, float[] column)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = a[i, j] / column[i];
                }
            }

            return c;
        }

        public static float[,] Exp(float[,] a)
        {
            int rows = a.GetLength(0), columns = a.GetLength(1);
            var c = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    c[i, j] = MathF.Exp(a[i, j]);
                }
            }

            return c;
        }

        public static float[] Log(float[] a)
        {
            var c = new float[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                c[i] = MathF.Log(a[i]);
            }

            return c;
        }

        public static float Sum(float[] a)
        {
            float sum = 0f;
            for (int i = 0; i < a.Length; i++)
            {
                sum += a[i];
            }

            return sum;
        }
    }
}
