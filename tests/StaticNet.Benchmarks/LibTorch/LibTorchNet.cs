using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace StaticNet.Benchmarks;

/// <summary>The networks <c>LibTorch/snet_torch.cpp</c> builds.</summary>
public enum LibTorchNetwork
{
    /// <summary>The reference 784-100-10 MLP, parameters in <see cref="RefShape"/>'s layout.</summary>
    Mlp = 0,
    /// <summary>The book's SimpleConvNet, parameters in <see cref="ConvNetShape"/>'s layout.</summary>
    SimpleConvNet = 1,
}

/// <summary>
/// A network in libtorch (PyTorch's C++ library): <c>LibTorch/snet_torch.cpp</c>, built of <c>nn::Linear</c> (and
/// <c>nn::Conv2d</c>, <c>max_pool2d</c>), <c>relu</c>, <c>softmax</c> for inference and <c>cross_entropy</c>,
/// <c>backward</c>, <c>optim::SGD</c> for a training step, called through P/Invoke. The native library is built by <c>LibTorch/build.sh</c> (Debian's libtorch-dev); when
/// it is not there, <see cref="IsAvailable"/> is false and the libtorch rows are left out of <c>--verify</c>.
/// </summary>
/// <remarks>
/// libtorch's thread count (<c>at::set_num_threads</c>) belongs to the process, not to a network: the last network
/// created sets it for all. BenchmarkDotNet runs each case in its own process, so each case has the count it asks for.
/// </remarks>
public sealed unsafe class LibTorchNet : IReferenceNet, IConvNet, IDisposable
{
    private const string Library = "snet_torch";
    private IntPtr _handle;
    private readonly int _parameterCount;

    static LibTorchNet() => NativeLibrary.SetDllImportResolver(typeof(LibTorchNet).Assembly, Resolve);

    /// <summary>Creates the network for batches of up to <paramref name="capacity"/> rows; sets libtorch's intra-op threads to <paramref name="threads"/>.</summary>
    public LibTorchNet(int capacity, int threads = 1, LibTorchNetwork network = LibTorchNetwork.Mlp)
    {
        if (!IsAvailable) throw new InvalidOperationException($"{Library} was not found: build it with tests/StaticNet.Benchmarks/LibTorch/build.sh (see the README there).");
        _parameterCount = network == LibTorchNetwork.Mlp ? RefShape.ParameterCount : ConvNetShape.ParameterCount;
        _handle = snt_create((int)network, capacity, threads);
        if (_handle == IntPtr.Zero) throw Failure("create");
        BatchCapacity = capacity;
    }

    /// <summary>Whether the native library was built and loads.</summary>
    public static bool IsAvailable { get; } = Path() is string path && NativeLibrary.TryLoad(path, out _);

    /// <summary>What this libtorch was built with and the threads it uses (<c>torch::show_config</c>, <c>at::get_parallel_info</c>).</summary>
    public static string Configuration => Marshal.PtrToStringUTF8(snt_config()) ?? "";

    public int BatchCapacity { get; }

    public void SetParameters(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != _parameterCount) throw new ArgumentException($"Expected {_parameterCount} parameters.", nameof(parameters));
        fixed (float* p = parameters) Check(snt_set_parameters(_handle, p), "set_parameters");
    }

    public void GetParameters(Span<float> parameters)
    {
        if (parameters.Length != _parameterCount) throw new ArgumentException($"Expected {_parameterCount} parameters.", nameof(parameters));
        fixed (float* p = parameters) Check(snt_get_parameters(_handle, p), "get_parameters");
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int batch = Rows(x);
        if (y.Length != batch * RefShape.Output) throw new ArgumentException($"Expected {batch * RefShape.Output} outputs.", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
            Check(snt_forward(_handle, px, batch, py), "forward");
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        int batch = Rows(x);
        if (labels.Length != batch) throw new ArgumentException($"Expected {batch} labels.", nameof(labels));
        float loss;
        fixed (float* px = x)
        fixed (int* pt = labels)
            Check(snt_train_step(_handle, px, pt, batch, lr, &loss), "train_step");
        return loss;
    }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero) snt_destroy(_handle);
        _handle = IntPtr.Zero;
    }

    private int Rows(ReadOnlySpan<float> x)
    {
        int batch = x.Length / RefShape.Input;
        if (x.Length % RefShape.Input != 0 || batch < 1 || batch > BatchCapacity)
            throw new ArgumentException($"Expected 1 to {BatchCapacity} rows of {RefShape.Input} inputs.", nameof(x));
        return batch;
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw Failure(call);
    }

    private static InvalidOperationException Failure(string call) =>
        new($"libtorch {call} failed: {Marshal.PtrToStringUTF8(snt_last_error())}");

    // The library sits in the source folder LibTorch/, where build.sh writes it; BenchmarkDotNet's child processes run
    // from folders of their own under bin/, so look up from the running assembly for that folder as well.
    private static string? Path()
    {
        string name = "lib" + Library + ".so";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string candidate in new[] { System.IO.Path.Combine(dir.FullName, name), System.IO.Path.Combine(dir.FullName, "LibTorch", name), System.IO.Path.Combine(dir.FullName, "tests", "StaticNet.Benchmarks", "LibTorch", name) })
            {
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Library && Path() is string path ? NativeLibrary.Load(path) : IntPtr.Zero;

    [DllImport(Library)] private static extern IntPtr snt_last_error();
    [DllImport(Library)] private static extern IntPtr snt_config();
    [DllImport(Library)] private static extern IntPtr snt_create(int network, int capacity, int threads);
    [DllImport(Library)] private static extern void snt_destroy(IntPtr handle);
    [DllImport(Library)] private static extern int snt_set_parameters(IntPtr handle, float* parameters);
    [DllImport(Library)] private static extern int snt_get_parameters(IntPtr handle, float* parameters);
    [DllImport(Library)] private static extern int snt_forward(IntPtr handle, float* x, int batch, float* y);
    [DllImport(Library)] private static extern int snt_train_step(IntPtr handle, float* x, int* labels, int batch, float lr, float* loss);
}
